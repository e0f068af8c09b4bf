// Storage object in-use protection (upstream's pvcprotection and pvprotection controllers): the API
// server gives every new PersistentVolumeClaim the kubernetes.io/pvc-protection finalizer and every
// PersistentVolume kubernetes.io/pv-protection. A deleted claim keeps its finalizer while a pod that
// is not finished uses it; a deleted volume keeps it while it is Bound. Then the finalizer goes and
// the object with it.
import type { KObject } from '../../api/types.js';
import { isConflict, isNotFound, keyOf, splitKey, WorkQueue, type RestClient, type SharedInformer, type SharedInformerFactory } from '../../client/index.js';
import { podsResource } from '../resources.js';
import { pvcsResource, pvsResource } from './resources.js';
import { podClaims } from '../../api/volumes.js';

export const pvcProtectionFinalizer = 'kubernetes.io/pvc-protection';
export const pvProtectionFinalizer = 'kubernetes.io/pv-protection';

export interface ProtectionOptions { client: RestClient; factory: SharedInformerFactory; log?: (msg: string) => void }

const finished = (p: KObject) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

const deleting = (o: KObject, finalizer: string) => !!o.metadata.deletionTimestamp && (o.metadata.finalizers ?? []).includes(finalizer);

/** drops the finalizer, on the version read (a conflict is retried by the queue) */
async function dropFinalizer(client: RestClient, r: typeof pvcsResource, o: KObject, finalizer: string): Promise<void> {
  const finalizers = (o.metadata.finalizers ?? []).filter((f: string) => f !== finalizer);
  try {
    await client.patch(r, o.metadata.name!, { namespace: o.metadata.namespace, type: 'merge', patch: { metadata: { resourceVersion: o.metadata.resourceVersion, finalizers } } });
  } catch (e) { if (!isNotFound(e)) throw e; }
}

export class PVCProtectionController {
  readonly queue: WorkQueue<string>;
  readonly claims: SharedInformer;
  readonly pods: SharedInformer;

  constructor(private readonly o: ProtectionOptions) {
    this.queue = new WorkQueue<string>({ name: 'pvcprotection', onError: (k, e) => { if (!isConflict(e)) o.log?.(`pvc-protection controller: ${k}: ${e instanceof Error ? e.message : e}`); } });
    this.claims = o.factory.informerFor(pvcsResource);
    this.pods = o.factory.informerFor(podsResource);
    const claim = (c: KObject) => { if (deleting(c, pvcProtectionFinalizer)) this.queue.add(keyOf(c)); };
    this.claims.addEventHandler({ add: claim, update: (_a, c) => claim(c) });
    // a pod that goes away or finishes may release a claim being deleted
    const pod = (p: KObject) => { for (const { name } of podClaims(p)) this.queue.add(`${p.metadata.namespace}/${name}`); };
    this.pods.addEventHandler({ delete: pod, update: (a, b) => { if (!finished(a) && finished(b)) pod(b); } });
  }

  async run(workers: number, signal: AbortSignal): Promise<void> {
    if (!(await this.claims.waitForSync(signal)) || !(await this.pods.waitForSync(signal))) return;
    await this.queue.runWorkers(workers, (k) => this.reconcile(k), signal);
  }

  /**
   * upstream's podUsesPVC: only a pod on a node counts (the kubelet will not start one with a claim
   * being deleted); it keeps a claim of a persistentVolumeClaim volume whatever its phase, and the
   * claim of an ephemeral volume until it finishes
   */
  private inUse(pods: KObject[], name: string): boolean {
    return pods.some((p) => !!p.spec?.nodeName && podClaims(p).some((c) => c.name === name && (!c.ephemeral || !finished(p))));
  }

  async reconcile(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const c = this.claims.lister.get(namespace, name);
    if (!c || !deleting(c, pvcProtectionFinalizer)) return;
    if (this.inUse(this.pods.lister.list(namespace), name)) return;
    // the cache may lag a pod just created: ask the API server before letting the claim go (as upstream)
    const live = (await this.o.client.list(podsResource, { namespace })).items;
    if (this.inUse(live, name)) return;
    await dropFinalizer(this.o.client, pvcsResource, c, pvcProtectionFinalizer);
  }
}

export class PVProtectionController {
  readonly queue: WorkQueue<string>;
  readonly volumes: SharedInformer;

  constructor(private readonly o: ProtectionOptions) {
    this.queue = new WorkQueue<string>({ name: 'pvprotection', onError: (k, e) => { if (!isConflict(e)) o.log?.(`pv-protection controller: ${k}: ${e instanceof Error ? e.message : e}`); } });
    this.volumes = o.factory.informerFor(pvsResource);
    const pv = (v: KObject) => { if (deleting(v, pvProtectionFinalizer)) this.queue.add(keyOf(v)); };
    this.volumes.addEventHandler({ add: pv, update: (_a, v) => pv(v) });
  }

  async run(workers: number, signal: AbortSignal): Promise<void> {
    if (!(await this.volumes.waitForSync(signal))) return;
    await this.queue.runWorkers(workers, (k) => this.reconcile(k), signal);
  }

  async reconcile(key: string): Promise<void> {
    const v = this.volumes.lister.get('', splitKey(key).name);
    if (!v || !deleting(v, pvProtectionFinalizer) || v.status?.phase === 'Bound') return;
    await dropFinalizer(this.o.client, pvsResource, v, pvProtectionFinalizer);
  }
}
