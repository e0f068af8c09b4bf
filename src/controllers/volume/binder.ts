// PersistentVolume binder (as upstream's pkg/controller/volume/persistentvolume): binds claims to
// matching volumes (claimRef on the volume, volumeName on the claim, bind-completed annotations,
// phases Bound/Available/Released/Lost), asks for dynamic provisioning through the
// storage-provisioner annotations, and for WaitForFirstConsumer classes waits for a consumer pod:
// when a pod using the claim has a node and no selected-node annotation was set by the scheduler,
// the binder sets volume.kubernetes.io/selected-node itself.
import { clone, EventRecorder, isConflict, isNotFound, WorkQueue, type RestClient, type SharedInformerFactory } from '../../client/index.js';
import type { KObject } from '../../api/types.js';
import { podsResource } from '../resources.js';
import { claimRefMatches, findMatchingVolume } from './match.js';
import {
  annBetaStorageProvisioner, annBindCompleted, annBoundByController, annProvisionedBy, annSelectedNode, annStorageProvisioner,
  claimKey, podClaimNames, pvcsResource, pvsResource, volumeKey,
} from './resources.js';
import { claimClassName, storageClassesResource } from './storageclass.js';

export interface BinderOptions {
  client: RestClient;
  factory: SharedInformerFactory;
  recorder?: EventRecorder;
  log?: (msg: string) => void;
  /** provisioners another controller handles: their volumes are not reclaimed here */
  externalProvisioners?: string[];
}

const resyncMs = 15_000;

const errText = (e: unknown) => (e instanceof Error ? e.message : String(e));

export class PersistentVolumeBinder {
  readonly queue: WorkQueue<string>;
  private readonly client: RestClient;
  private readonly recorder: EventRecorder;
  private readonly log: (msg: string) => void;
  private readonly pvs;
  private readonly pvcs;
  private readonly classes;
  private readonly pods;
  /** "uid/reason" of one-off events already recorded */
  private told = new Set<string>();

  constructor(private readonly opts: BinderOptions) {
    this.client = opts.client;
    this.log = opts.log ?? (() => {});
    this.recorder = opts.recorder ?? new EventRecorder(opts.client, { component: 'persistentvolume-controller' });
    this.queue = new WorkQueue<string>({ name: 'persistentvolume', onError: (k, e) => { if (!isConflict(e)) this.log(`persistentvolume controller: error syncing ${k}: ${errText(e)}`); } });
    this.pvs = opts.factory.informerFor(pvsResource);
    this.pvcs = opts.factory.informerFor(pvcsResource);
    this.classes = opts.factory.informerFor(storageClassesResource);
    this.pods = opts.factory.informerFor(podsResource);
    const onClaim = (c: KObject) => this.queue.add(claimKey(c.metadata.namespace!, c.metadata.name!));
    const allPending = () => { for (const c of this.pvcs.lister.list()) if (!c.spec?.volumeName) onClaim(c); };
    const onVolume = (v: KObject) => {
      this.queue.add(volumeKey(v.metadata.name!));
      const r = v.spec?.claimRef;
      if (r?.name) this.queue.add(claimKey(r.namespace ?? '', r.name));
      // a volume free for any claim (new, or its claimRef removed): the pending claims may bind to it
      else if (!v.metadata.deletionTimestamp) allPending();
    };
    this.pvcs.addEventHandler({
      add: onClaim, update: (_o, n) => onClaim(n),
      delete: (c) => {
        for (const v of this.pvs.lister.list()) if (claimRefMatches(v, c)) this.queue.add(volumeKey(v.metadata.name!));
      },
    });
    this.pvs.addEventHandler({ add: onVolume, update: (_o, n) => onVolume(n), delete: onVolume });
    this.classes.addEventHandler({ add: allPending, update: allPending });
    const onPod = (p: KObject) => {
      if (!p.spec?.nodeName) return;
      for (const n of podClaimNames(p)) this.queue.add(claimKey(p.metadata.namespace!, n));
    };
    this.pods.addEventHandler({ add: onPod, update: (o, n) => { if (!o.spec?.nodeName) onPod(n); } });
  }

  async run(workers: number, signal: AbortSignal): Promise<void> {
    const synced = await Promise.all([this.pvs, this.pvcs, this.classes, this.pods].map((i) => i.waitForSync(signal)));
    if (!synced.every(Boolean)) return;
    // and every claim and volume again every 15 s (upstream's --pvclaimbinder-sync-period)
    const resync = setInterval(() => {
      for (const c of this.pvcs.lister.list()) this.queue.add(claimKey(c.metadata.namespace!, c.metadata.name!));
      for (const v of this.pvs.lister.list()) this.queue.add(volumeKey(v.metadata.name!));
    }, resyncMs);
    try { await this.queue.runWorkers(workers, (k) => this.reconcile(k), signal); } finally { clearInterval(resync); }
  }

  async reconcile(key: string): Promise<void> {
    if (key.startsWith('claim:')) {
      const [ns, name] = key.slice(6).split('/');
      const claim = this.pvcs.lister.get(ns, name);
      if (claim) await this.syncClaim(claim);
    } else {
      const pv = this.pvs.lister.get('', key.slice(7));
      if (pv) await this.syncVolume(pv);
    }
  }

  private once(obj: KObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const k = `${obj.metadata.uid}/${reason}/${message}`;
    if (this.told.has(k)) return;
    this.told.add(k);
    this.recorder.event(obj, type, reason, message);
  }

  /** the node of a pod that uses the claim, if one has been scheduled */
  private consumerNode(claim: KObject): string | undefined {
    return this.pods.lister.list(claim.metadata.namespace!)
      .find((p) => p.spec?.nodeName && !p.metadata.deletionTimestamp && podClaimNames(p).includes(claim.metadata.name!))?.spec.nodeName;
  }

  async syncClaim(claim: KObject): Promise<void> {
    const classes = this.classes.lister.list();
    const className = claimClassName(claim, classes);
    const cls = classes.find((c) => c.metadata.name === className);
    if (!claim.spec?.volumeName) {
      const delay = cls?.volumeBindingMode === 'WaitForFirstConsumer';
      const selected = claim.metadata.annotations?.[annSelectedNode];
      if (delay && !selected) {
        const node = this.consumerNode(claim);
        if (node) {
          await this.patchClaim(claim, { metadata: { annotations: { [annSelectedNode]: node } } });
          return;
        }
      }
      const candidates = delay && !selected ? this.pvs.lister.list().filter((v) => claimRefMatches(v, claim)) : this.pvs.lister.list();
      const pv = findMatchingVolume(claim, candidates, className);
      if (pv) { await this.bind(pv, claim); return; }
      if (delay && !selected) {
        this.once(claim, 'Normal', 'WaitForFirstConsumer', 'waiting for first consumer to be created before binding');
      } else if (cls?.provisioner) {
        const ann = claim.metadata.annotations ?? {};
        if (ann[annStorageProvisioner] !== cls.provisioner || ann[annBetaStorageProvisioner] !== cls.provisioner) {
          await this.patchClaim(claim, { metadata: { annotations: { [annStorageProvisioner]: cls.provisioner, [annBetaStorageProvisioner]: cls.provisioner } } });
          this.once(claim, 'Normal', 'ExternalProvisioning', `Waiting for a volume to be created either by the external provisioner '${cls.provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`);
          return;
        }
      } else if (className) {
        this.once(claim, 'Warning', 'ProvisioningFailed', `storageclass.storage.k8s.io "${className}" not found`);
      } else {
        this.once(claim, 'Normal', 'FailedBinding', 'no persistent volumes available for this claim and no storage class is set');
      }
      await this.claimPhase(claim, 'Pending');
      return;
    }
    const pv = this.pvs.lister.get('', claim.spec.volumeName);
    if (!pv) {
      if (claim.status?.phase === 'Bound' || claim.status?.phase === 'Lost') {
        this.once(claim, 'Warning', 'ClaimLost', 'Bound claim has lost reference to PersistentVolume. Data on the volume is lost!');
        await this.claimPhase(claim, 'Lost');
      } else await this.claimPhase(claim, 'Pending');
      return;
    }
    if (!pv.spec?.claimRef || claimRefMatches(pv, claim)) { await this.bind(pv, claim); return; }
    if (claim.status?.phase === 'Bound' || claim.status?.phase === 'Lost') {
      this.once(claim, 'Warning', 'ClaimMisbound', 'Two claims are bound to the same volume, this one is bound incorrectly');
      await this.claimPhase(claim, 'Lost');
    } else {
      this.once(claim, 'Warning', 'FailedBinding', `volume "${pv.metadata.name}" already bound to a different claim.`);
      await this.claimPhase(claim, 'Pending');
    }
  }

  /** completes whatever part of the binding is missing: volume first, then claim */
  async bind(pv: KObject, claim: KObject): Promise<void> {
    const ref = pv.spec?.claimRef;
    if (!ref || ref.uid !== claim.metadata.uid) {
      const next = clone(pv);
      next.spec.claimRef = {
        kind: 'PersistentVolumeClaim', namespace: claim.metadata.namespace, name: claim.metadata.name,
        uid: claim.metadata.uid, apiVersion: 'v1', resourceVersion: claim.metadata.resourceVersion,
      };
      if (!ref) next.metadata.annotations = { ...(next.metadata.annotations ?? {}), [annBoundByController]: 'yes' };
      pv = await this.client.update(pvsResource, next);
    }
    if (pv.status?.phase !== 'Bound') pv = await this.volumePhase(pv, 'Bound');
    const ann = claim.metadata.annotations ?? {};
    if (claim.spec?.volumeName !== pv.metadata.name || ann[annBindCompleted] !== 'yes') {
      const next = clone(claim);
      const setByUs = !claim.spec?.volumeName;
      next.spec.volumeName = pv.metadata.name;
      next.metadata.annotations = { ...ann, [annBindCompleted]: 'yes', ...(setByUs ? { [annBoundByController]: 'yes' } : {}) };
      claim = await this.client.update(pvcsResource, next);
    }
    const st = claim.status ?? {};
    if (st.phase !== 'Bound' || JSON.stringify(st.capacity) !== JSON.stringify(pv.spec?.capacity) || JSON.stringify(st.accessModes) !== JSON.stringify(pv.spec?.accessModes)) {
      const next = clone(claim);
      next.status = { ...st, phase: 'Bound', accessModes: pv.spec?.accessModes, capacity: pv.spec?.capacity };
      await this.client.updateStatus(pvcsResource, next);
    }
  }

  async syncVolume(pv: KObject): Promise<void> {
    const ref = pv.spec?.claimRef;
    if (!ref) { await this.volumePhase(pv, 'Available'); return; }
    let claim = this.pvcs.lister.get(ref.namespace ?? '', ref.name);
    if (!ref.uid) {
      // pre-bound by the admin to a claim by name: available until that claim binds
      await this.volumePhase(pv, 'Available');
      return;
    }
    if (claim && claim.metadata.uid !== ref.uid) claim = undefined;
    if (!claim) {
      // the cache may lag behind a claim that was just created: ask the server before releasing
      try {
        const fresh = await this.client.get(pvcsResource, ref.name, { namespace: ref.namespace });
        if (fresh.metadata.uid === ref.uid) return;   // the informer will catch up
      } catch (e) { if (!isNotFound(e)) throw e; }
      await this.release(pv);
      return;
    }
    if (!claim.spec?.volumeName) {
      if (pv.status?.phase === 'Pending' || !pv.status?.phase) await this.volumePhase(pv, 'Available');
      this.queue.add(claimKey(claim.metadata.namespace!, claim.metadata.name!));
      return;
    }
    if (claim.spec.volumeName === pv.metadata.name) { await this.volumePhase(pv, 'Bound'); return; }
    if (pv.metadata.annotations?.[annBoundByController] === 'yes' && !pv.metadata.annotations?.[annProvisionedBy]) {
      const next = clone(pv);
      delete next.spec.claimRef;
      delete next.metadata.annotations![annBoundByController];
      const updated = await this.client.update(pvsResource, next);
      await this.volumePhase(updated, 'Available');
    } else await this.release(pv);
  }

  /** the claim is gone: Released, then the reclaim policy (Delete of our provisioner's volumes is the provisioner's job) */
  private async release(pv: KObject): Promise<void> {
    if (pv.status?.phase !== 'Released' && pv.status?.phase !== 'Failed') pv = await this.volumePhase(pv, 'Released');
    const policy = pv.spec?.persistentVolumeReclaimPolicy ?? 'Retain';
    if (policy === 'Retain' || pv.status?.phase === 'Failed') return;
    const by = pv.metadata.annotations?.[annProvisionedBy];
    if (policy === 'Delete' && by && (this.opts.externalProvisioners ?? []).includes(by)) return;
    const msg = policy === 'Delete'
      ? `error getting deleter volume plugin for volume "${pv.metadata.name}": no deletable volume plugin matched`
      : `no volume plugin matched name: ${policy}`;
    this.recorder.event(pv, 'Warning', policy === 'Delete' ? 'VolumeFailedDelete' : 'VolumeFailedRecycle', msg);
    await this.volumePhase(pv, 'Failed', msg);
  }

  private async volumePhase(pv: KObject, phase: string, message?: string): Promise<KObject> {
    if (pv.status?.phase === phase && (message === undefined || pv.status?.message === message)) return pv;
    const next = clone(pv);
    next.status = { ...(next.status ?? {}), phase };
    if (message) next.status.message = message; else delete next.status.message;
    try { return await this.client.updateStatus(pvsResource, next); } catch (e) { if (isNotFound(e)) return pv; throw e; }
  }

  private async claimPhase(claim: KObject, phase: string): Promise<void> {
    if (claim.status?.phase === phase) return;
    const next = clone(claim);
    next.status = { ...(next.status ?? {}), phase };
    try { await this.client.updateStatus(pvcsResource, next); } catch (e) { if (!isNotFound(e)) throw e; }
  }

  private async patchClaim(claim: KObject, patch: Record<string, any>): Promise<void> {
    patch.metadata = { ...patch.metadata, resourceVersion: claim.metadata.resourceVersion };
    try {
      await this.client.patch(pvcsResource, claim.metadata.name!, { namespace: claim.metadata.namespace, type: 'merge', patch });
    } catch (e) { if (!isNotFound(e)) throw e; }
  }
}
