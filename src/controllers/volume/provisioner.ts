// The local-path provisioner (as k3s's local-path-provisioner): for claims of a class whose
// provisioner is k8ts.io/local-path, once a node is selected (volume.kubernetes.io/selected-node),
// creates a hostPath PersistentVolume `pvc-<claim uid>` at <storageDir>/<pv name> on that node,
// pre-bound to the claim, with node affinity to the node. Released volumes with reclaim policy
// Delete are deleted.
//
// As k3s's, it works on the node's disk through helper pods in kube-system, bound to the node:
// `helper-pod-create-<pv>` makes the directory (mode 0777, so pods running as any user can write
// to it) before the volume is created, and `helper-pod-delete-<pv>` removes it, with its data,
// before the volume is deleted. A helper that fails is reported and tried again.
import { EventRecorder, isAlreadyExists, isNotFound, WorkQueue, type RestClient, type SharedInformerFactory } from '../../client/index.js';
import type { KObject } from '../../api/types.js';
import { annProvisionedBy, annSelectedNode, claimKey, nodesResource, pvcsResource, pvsResource, volumeKey } from './resources.js';
import { podsResource } from '../resources.js';
import { parseQuantity } from '../../api/validation/quantity.js';
import { claimClassName, localPathProvisionerName, storageClassesResource } from './storageclass.js';

export interface ProvisionerOptions {
  client: RestClient;
  factory: SharedInformerFactory;
  /** where volumes live on the nodes: <storageDir>/<pv name> */
  storageDir: string;
  recorder?: EventRecorder;
  log?: (msg: string) => void;
  /** provisioner name (default k8ts.io/local-path) */
  name?: string;
}

const errText = (e: unknown) => (e instanceof Error ? e.message : String(e));

export const helperNamespace = 'kube-system';
export const helperLabel = 'k8ts.io/local-path-helper';
const helperVolumeAnnotation = 'k8ts.io/local-path-volume';
const helperClaimAnnotation = 'k8ts.io/local-path-claim';
const selectedNodeAnnotation = 'local.path.provisioner/selected-node';
type Action = 'create' | 'delete';
/** the scripts of k3s's local-path config (the setup makes the directory world-writable) */
const scripts: Record<Action, string> = { create: 'set -eu\nmkdir -m 0777 -p "$VOL_DIR"', delete: 'set -eu\nrm -rf "$VOL_DIR"' };

export class LocalPathProvisioner {
  readonly queue: WorkQueue<string>;
  readonly name: string;
  private readonly client: RestClient;
  private readonly recorder: EventRecorder;
  private readonly log: (msg: string) => void;
  private readonly pvs;
  private readonly pvcs;
  private readonly classes;
  private readonly nodes;
  private readonly helpers;
  private told = new Set<string>();

  constructor(private readonly opts: ProvisionerOptions) {
    this.client = opts.client;
    this.name = opts.name ?? localPathProvisionerName;
    this.log = opts.log ?? (() => {});
    this.recorder = opts.recorder ?? new EventRecorder(opts.client, { component: `${this.name}_k8ts` });
    this.queue = new WorkQueue<string>({ name: 'local-path-provisioner', onError: (k, e) => this.log(`local-path provisioner: error syncing ${k}: ${errText(e)}`) });
    this.pvs = opts.factory.informerFor(pvsResource);
    this.pvcs = opts.factory.informerFor(pvcsResource);
    this.classes = opts.factory.informerFor(storageClassesResource);
    this.nodes = opts.factory.informerFor(nodesResource);
    this.helpers = opts.factory.informerFor(podsResource, { namespace: helperNamespace, labelSelector: helperLabel });
    const onHelper = (p: KObject) => {
      const a = p.metadata.annotations ?? {};
      if (p.metadata.labels?.[helperLabel] === 'create' && a[helperClaimAnnotation]) this.queue.add(claimKey(...(a[helperClaimAnnotation].split('/') as [string, string])));
      else if (a[helperVolumeAnnotation]) this.queue.add(volumeKey(a[helperVolumeAnnotation]));
    };
    this.helpers.addEventHandler({ add: onHelper, update: (_o, n) => onHelper(n), delete: onHelper });
    const onClaim = (c: KObject) => { if (!c.spec?.volumeName) this.queue.add(claimKey(c.metadata.namespace!, c.metadata.name!)); };
    this.pvcs.addEventHandler({ add: onClaim, update: (_o, n) => onClaim(n) });
    const onVolume = (v: KObject) => { if (v.metadata.annotations?.[annProvisionedBy] === this.name) this.queue.add(volumeKey(v.metadata.name!)); };
    this.pvs.addEventHandler({ add: onVolume, update: (_o, n) => onVolume(n) });
  }

  async run(workers: number, signal: AbortSignal): Promise<void> {
    const synced = await Promise.all([this.pvs, this.pvcs, this.classes, this.nodes, this.helpers].map((i) => i.waitForSync(signal)));
    if (!synced.every(Boolean)) return;
    await this.queue.runWorkers(workers, (k) => this.reconcile(k), signal);
  }

  async reconcile(key: string): Promise<void> {
    if (key.startsWith('claim:')) {
      const [ns, name] = key.slice(6).split('/');
      const claim = this.pvcs.lister.get(ns, name);
      if (claim) await this.provision(claim);
    } else {
      const pv = this.pvs.lister.get('', key.slice(7));
      if (pv) await this.reclaim(pv);
    }
  }

  /** the PersistentVolume for a claim on a node (exported for tests) */
  volumeFor(claim: KObject, cls: KObject, nodeName: string): KObject {
    const name = `pvc-${claim.metadata.uid}`;
    const hostname = this.nodes.lister.get('', nodeName)?.metadata.labels?.['kubernetes.io/hostname'] ?? nodeName;
    return {
      apiVersion: 'v1', kind: 'PersistentVolume',
      metadata: { name, annotations: { [annProvisionedBy]: this.name, [selectedNodeAnnotation]: nodeName } },
      spec: {
        capacity: { storage: claim.spec.resources.requests.storage },
        accessModes: claim.spec.accessModes,
        persistentVolumeReclaimPolicy: cls.reclaimPolicy ?? 'Delete',
        storageClassName: cls.metadata.name,
        volumeMode: claim.spec.volumeMode ?? 'Filesystem',
        hostPath: { path: `${this.opts.storageDir.replace(/\/+$/, '')}/${name}`, type: 'DirectoryOrCreate' },
        nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [hostname] }] }] } },
        claimRef: {
          kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: claim.metadata.namespace, name: claim.metadata.name,
          uid: claim.metadata.uid, resourceVersion: claim.metadata.resourceVersion,
        },
      },
    };
  }

  private async provision(claim: KObject): Promise<void> {
    if (claim.spec?.volumeName || claim.metadata.deletionTimestamp) return;
    const classes = this.classes.lister.list();
    const cls = classes.find((c) => c.metadata.name === claimClassName(claim, classes));
    if (!cls || cls.provisioner !== this.name) return;
    const node = claim.metadata.annotations?.[annSelectedNode];
    if (!node) {
      if (cls.volumeBindingMode !== 'WaitForFirstConsumer') this.once(claim, 'Warning', 'ProvisioningFailed', 'failed to provision volume with StorageClass "' + cls.metadata.name + '": configuration error, no node was specified');
      return;
    }
    // as local-path-provisioner: a directory on one node serves one node's pods only
    if ((claim.spec?.accessModes ?? []).some((m: string) => m !== 'ReadWriteOnce' && m !== 'ReadWriteOncePod')) {
      this.once(claim, 'Warning', 'ProvisioningFailed', `failed to provision volume with StorageClass "${cls.metadata.name}": NodePath only supports ReadWriteOnce and ReadWriteOncePod (1.22+) access modes`);
      return;
    }
    const pv = this.volumeFor(claim, cls, node);
    if (this.pvs.lister.get('', pv.metadata.name!)) return;
    const what = `${claim.metadata.namespace}/${claim.metadata.name}`;
    this.once(claim, 'Normal', 'Provisioning', `External provisioner is provisioning volume for claim "${what}"`);
    // the directory first, made by a helper pod on the node
    const made = await this.helper('create', pv, node, what);
    if (made !== true) {
      if (made === false) this.recorder.event(claim, 'Warning', 'ProvisioningFailed', `failed to provision volume with StorageClass "${cls.metadata.name}": failed to create volume ${pv.metadata.name}: helper pod failed`);
      return;
    }
    try {
      await this.client.create(pvsResource, pv);
    } catch (e) {
      if (isAlreadyExists(e)) return;
      this.recorder.event(claim, 'Warning', 'ProvisioningFailed', `failed to provision volume with StorageClass "${cls.metadata.name}": ${errText(e)}`);
      throw e;
    }
    this.recorder.event(claim, 'Normal', 'ProvisioningSucceeded', `Successfully provisioned volume ${pv.metadata.name}`);
    this.log(`local-path provisioner: provisioned ${pv.metadata.name} for ${what} on node ${node} at ${pv.spec.hostPath.path}`);
    await this.removeHelper('create', pv.metadata.name!);
  }

  /**
   * runs the action's helper pod for the volume on the node: true once it succeeded, false if it
   * failed (it is removed, so the next sync tries again), undefined while it runs (its events
   * bring the key back)
   */
  private async helper(action: Action, pv: KObject, node: string, claim?: string): Promise<boolean | undefined> {
    const name = `helper-pod-${action}-${pv.metadata.name}`;
    const pod = this.helpers.lister.get(helperNamespace, name);
    if (pod?.status?.phase === 'Succeeded') return true;
    if (pod?.status?.phase === 'Failed') { await this.removeHelper(action, pv.metadata.name!); return false; }
    if (pod) return undefined;
    const dir: string = pv.spec.hostPath.path;
    const parent = dir.slice(0, dir.lastIndexOf('/')) || '/';
    const helperPod: KObject = {
      apiVersion: 'v1', kind: 'Pod',
      metadata: {
        name, namespace: helperNamespace, labels: { [helperLabel]: action },
        // simulated nodes run it at once
        annotations: { [helperVolumeAnnotation]: pv.metadata.name!, ...(claim ? { [helperClaimAnnotation]: claim } : {}), 'k8ts.io/simulated-exit-after-seconds': '0' },
      },
      spec: {
        nodeName: node, restartPolicy: 'Never', automountServiceAccountToken: false,
        tolerations: [{ operator: 'Exists' }],
        containers: [{
          name: 'helper-pod', image: 'busybox', imagePullPolicy: 'IfNotPresent', command: ['/bin/sh', '-c', scripts[action]],
          env: [{ name: 'VOL_DIR', value: dir }, { name: 'VOL_MODE', value: pv.spec.volumeMode ?? 'Filesystem' }, { name: 'VOL_SIZE_BYTES', value: String(Math.round(parseQuantity(pv.spec.capacity?.storage) ?? 0)) }],
          volumeMounts: [{ name: 'data', mountPath: parent }],
        }],
        volumes: [{ name: 'data', hostPath: { path: parent, type: 'DirectoryOrCreate' } }],
      },
    };
    try { await this.client.create(podsResource, helperPod, { namespace: helperNamespace }); } catch (e) { if (!isAlreadyExists(e)) throw e; }
    return undefined;
  }

  private async removeHelper(action: Action, pvName: string): Promise<void> {
    try { await this.client.delete(podsResource, `helper-pod-${action}-${pvName}`, { namespace: helperNamespace, gracePeriodSeconds: 0 }); } catch (e) { if (!isNotFound(e)) throw e; }
  }

  /** a Released volume of ours with reclaim policy Delete goes away */
  private async reclaim(pv: KObject): Promise<void> {
    if (pv.status?.phase !== 'Released' || pv.spec?.persistentVolumeReclaimPolicy !== 'Delete' || pv.metadata.deletionTimestamp) return;
    // the data goes first, removed by a helper pod on the volume's node (unless that node is gone)
    const node = pv.metadata.annotations?.[selectedNodeAnnotation];
    if (node && pv.spec?.hostPath?.path && this.nodes.lister.get('', node)) {
      const removed = await this.helper('delete', pv, node);
      if (removed === false) this.recorder.event(pv, 'Warning', 'VolumeFailedDelete', `failed to delete volume ${pv.metadata.name}: helper pod failed`);
      if (removed !== true) return;
    }
    try {
      await this.client.delete(pvsResource, pv.metadata.name!, { preconditions: { uid: pv.metadata.uid } });
      this.log(`local-path provisioner: deleted volume ${pv.metadata.name} (${pv.spec?.hostPath?.path})`);
    } catch (e) { if (!isNotFound(e)) throw e; }
    await this.removeHelper('delete', pv.metadata.name!);
  }

  private once(obj: KObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const k = `${obj.metadata.uid}/${reason}`;
    if (this.told.has(k)) return;
    this.told.add(k);
    this.recorder.event(obj, type, reason, message);
  }
}
