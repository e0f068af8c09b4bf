// The scheduler loop (upstream's scheduleOne): pop a pending pod, decide on the cached cluster
// state, assume it onto the node and bind through pods/binding in the background, or record why
// it does not fit (PodScheduled=False, Unschedulable, and a FailedScheduling event).
import type { KObject } from '../api/types.js';
import {
  EventRecorder, isConflict, isNotFound, resourcePath, rfc3339, type RestClient, type SharedInformer, type SharedInformerFactory,
} from '../client/index.js';
import { Algorithm } from './algorithm.js';
import { isTerminal, podKey, SchedulerCache } from './cache.js';
import { SchedulingQueue, type QueueOptions } from './queue.js';
import { claimsToSelect, type VolumeListers } from './volumes.js';
import { podClaims } from '../api/volumes.js';

const selectedNodeAnnotation = 'volume.kubernetes.io/selected-node';

export const podsResource = { group: '', version: 'v1', plural: 'pods', namespaced: true, kind: 'Pod' };
export const nodesResource = { group: '', version: 'v1', plural: 'nodes', namespaced: false, kind: 'Node' };
const pvcsResource = { group: '', version: 'v1', plural: 'persistentvolumeclaims', namespaced: true, kind: 'PersistentVolumeClaim' };
const pvsResource = { group: '', version: 'v1', plural: 'persistentvolumes', namespaced: false, kind: 'PersistentVolume' };
const storageClassesResource = { group: 'storage.k8s.io', version: 'v1', plural: 'storageclasses', namespaced: false, kind: 'StorageClass' };
/** how long the binding step waits for the volumes of WaitForFirstConsumer claims (upstream's bindTimeout) */
const volumeBindTimeoutMs = 600_000;

export interface SchedulerOptions {
  client: RestClient;
  informers: SharedInformerFactory;
  log?: (msg: string) => void;
  schedulerName?: string;
  /** bindings and status writes in flight at once (default 64) */
  parallelism?: number;
  percentageOfNodesToScore?: number;
  queue?: QueueOptions;
  recorder?: EventRecorder;
}

/** what the scheduler reacts to in a pending pod (status writes, including its own, are not changes) */
const podFingerprint = (p: KObject) => JSON.stringify([p.spec, p.metadata.labels, p.metadata.annotations]);
const nodeFingerprint = (n: KObject) => JSON.stringify([n.spec, n.metadata.labels, n.status?.allocatable]);

export class Scheduler {
  readonly cache = new SchedulerCache();
  readonly queue: SchedulingQueue;
  readonly algorithm: Algorithm;
  readonly recorder: EventRecorder;
  private readonly pods: SharedInformer;
  private readonly nodes: SharedInformer;
  private readonly volumeInformers: SharedInformer[];
  private readonly volumes: VolumeListers;
  private readonly name: string;
  private readonly log: (msg: string) => void;
  private inFlight = 0;
  private slotWaiters: Array<() => void> = [];
  /** bound pods (counters for benchmarks and tests) */
  scheduled = 0;
  failures = 0;

  constructor(private readonly opts: SchedulerOptions) {
    this.name = opts.schedulerName ?? 'default-scheduler';
    this.log = opts.log ?? (() => {});
    this.queue = new SchedulingQueue(opts.queue);
    this.recorder = opts.recorder ?? new EventRecorder(opts.client, { component: this.name });
    this.pods = opts.informers.informerFor(podsResource);
    this.nodes = opts.informers.informerFor(nodesResource);
    const [claims, pvs, classes] = this.volumeInformers = [pvcsResource, pvsResource, storageClassesResource].map((r) => opts.informers.informerFor(r));
    this.volumes = {
      claim: (ns, name) => claims.lister.get(ns, name),
      volume: (name) => pvs.lister.get('', name),
      storageClass: (name) => classes.lister.get('', name),
      claimUsers: (ns, claim) => this.pods.lister.list(ns)
        .filter((p) => (p.spec?.nodeName || this.cache.isAssumed(podKey(p))) && !isTerminal(p) && podClaims(p).some((c) => c.name === claim))
        .map(podKey),
    };
    this.algorithm = new Algorithm(this.cache, { percentageOfNodesToScore: opts.percentageOfNodesToScore, volumes: this.volumes });
  }

  private responsible(p: KObject): boolean {
    return !p.spec?.nodeName && (p.spec?.schedulerName ?? 'default-scheduler') === this.name && !p.metadata.deletionTimestamp && !isTerminal(p)
      && !(p.spec?.schedulingGates ?? []).length;
  }

  private onPod(p: KObject, old?: KObject): void {
    const key = podKey(p);
    if (p.spec?.nodeName) {
      this.queue.delete(key);
      this.cache.updatePod(p);
      // resources freed (the pod finished or is going away): pending pods may fit now
      if (old && ((isTerminal(p) && !isTerminal(old)) || (p.metadata.deletionTimestamp && !old.metadata.deletionTimestamp))) this.queue.moveAll();
      // a pod landed: pods rejected for affinity or spreading may fit now
      else if (!old?.spec?.nodeName) this.queue.moveAll(['InterPodAffinity', 'PodTopologySpread']);
      return;
    }
    if (!this.responsible(p)) { this.queue.delete(key); return; }
    if (old && !old.spec?.nodeName && this.queue.has(key) && podFingerprint(old) === podFingerprint(p)) return;
    this.queue.add(key, p.spec?.priority ?? 0);
  }

  private onPodDelete(p: KObject): void {
    const key = podKey(p);
    this.queue.delete(key);
    if (this.cache.nodeOf(key)) { this.cache.removePod(key); this.queue.moveAll(); }
  }

  /** registers handlers, waits for the caches, then schedules until the signal aborts */
  async run(signal: AbortSignal): Promise<void> {
    const unPods = this.pods.addEventHandler({
      add: (p) => this.onPod(p),
      update: (o, p) => this.onPod(p, o),
      delete: (p) => this.onPodDelete(p),
    });
    const unNodes = this.nodes.addEventHandler({
      add: (n) => { this.cache.setNode(n); this.queue.moveAll(); },
      update: (o, n) => { this.cache.setNode(n); if (nodeFingerprint(o) !== nodeFingerprint(n)) this.queue.moveAll(); },
      delete: (n) => this.cache.removeNode(n.metadata.name!),
    });
    // a claim, volume or class that comes or changes may let pods held by the volume plugins through
    const volumesChanged = () => this.queue.moveAll(['VolumeBinding']);
    const unVolumes = this.volumeInformers.map((i) => i.addEventHandler({ add: volumesChanged, update: volumesChanged, delete: volumesChanged }));
    this.queue.start();
    signal.addEventListener('abort', () => this.queue.close(), { once: true });
    try {
      if (!(await this.pods.waitForSync(signal)) || !(await this.nodes.waitForSync(signal))) return;
      for (const i of this.volumeInformers) if (!(await i.waitForSync(signal))) return;
      for (;;) {
        const e = await this.queue.pop();
        if (!e) break;
        await this.slot();
        if (signal.aborted) { this.release(); break; }
        this.scheduleOne(e.key);
      }
      while (this.inFlight) await new Promise<void>((r) => this.slotWaiters.push(r));
    } finally {
      unPods(); unNodes(); for (const u of unVolumes) u(); this.queue.close();
      await this.recorder.flush();
    }
  }

  private async slot(): Promise<void> {
    const max = this.opts.parallelism ?? 64;
    while (this.inFlight >= max) await new Promise<void>((r) => this.slotWaiters.push(r));
    this.inFlight++;
  }

  private release(): void {
    this.inFlight--;
    this.slotWaiters.shift()?.();
  }

  /** decides synchronously, then writes in the background (holding one slot) */
  private scheduleOne(key: string): void {
    const [ns, name] = key.split('/');
    const pod = this.pods.lister.get(ns, name);
    if (!pod || !this.responsible(pod) || this.cache.isAssumed(key)) { this.queue.done(key); this.release(); return; }
    let r;
    try { r = this.algorithm.schedule(pod); } catch (e) {
      this.log(`scheduler: error scheduling ${key}: ${e instanceof Error ? e.stack : e}`);
      this.queue.requeue(key, false); this.release(); return;
    }
    if (!('message' in r)) {
      this.cache.assume(pod, r.node);
      this.queue.done(key);
      void this.bind(pod, r.node).finally(() => this.release());
    } else {
      this.queue.requeue(key, true, new Set([...r.statuses.values()].map((st) => st.plugin)));
      void this.unschedulable(pod, r.message).finally(() => this.release());
    }
  }

  /**
   * upstream's VolumeBinding PreBind: the pod's unbound WaitForFirstConsumer claims get the chosen
   * node (volume.kubernetes.io/selected-node) for the volume controllers, and the pod is bound once
   * they are
   */
  private async bindVolumes(pod: KObject, node: string): Promise<void> {
    const claims = claimsToSelect(pod, this.volumes);
    if (!claims.length) return;
    for (const c of claims) {
      if (c.metadata.annotations?.[selectedNodeAnnotation] === node) continue;
      await this.opts.client.patch(pvcsResource, c.metadata.name!, {
        namespace: c.metadata.namespace, type: 'merge',
        patch: { metadata: { resourceVersion: c.metadata.resourceVersion, annotations: { [selectedNodeAnnotation]: node } } },
      });
    }
    const end = Date.now() + volumeBindTimeoutMs;
    const bound = () => claims.every((c) => {
      const cur = this.volumes.claim(c.metadata.namespace!, c.metadata.name!);
      if (!cur || cur.metadata.deletionTimestamp) throw new Error(`persistentvolumeclaim "${c.metadata.name}" was deleted`);
      return !!cur.spec?.volumeName && cur.status?.phase === 'Bound';
    });
    while (!bound()) {
      if (Date.now() > end) throw new Error('binding volumes: context deadline exceeded');
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private async bind(pod: KObject, node: string): Promise<void> {
    const { namespace, name, uid } = pod.metadata;
    try {
      await this.bindVolumes(pod, node);
      await this.opts.client.request('POST', resourcePath(podsResource, { namespace, name, subresource: 'binding' }), {
        apiVersion: 'v1', kind: 'Binding', metadata: { name, namespace, uid }, target: { apiVersion: 'v1', kind: 'Node', name: node },
      });
      this.scheduled++;
      this.recorder.event(pod, 'Normal', 'Scheduled', `Successfully assigned ${namespace}/${name} to ${node}`);
    } catch (e) {
      this.failures++;
      this.cache.forget(pod);
      if (isNotFound(e)) return;
      const msg = `Binding rejected: ${e instanceof Error ? e.message : e}`;
      this.recorder.event(pod, 'Warning', 'FailedScheduling', msg);
      if (!isConflict(e)) this.log(`scheduler: binding ${namespace}/${name} to ${node}: ${msg}`);
      // back to the queue after back-off (a conflict usually means the pod was bound or deleted: the informer will tell)
      this.queue.add(podKey(pod), pod.spec?.priority ?? 0);
      this.queue.requeue(podKey(pod), false);
    }
  }

  private async unschedulable(pod: KObject, message: string): Promise<void> {
    this.recorder.event(pod, 'Warning', 'FailedScheduling', message);
    const cur = (pod.status?.conditions ?? []).find((c: any) => c.type === 'PodScheduled');
    if (cur && cur.status === 'False' && cur.reason === 'Unschedulable' && cur.message === message) return;
    const cond = { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message, lastProbeTime: null, lastTransitionTime: cur?.status === 'False' ? cur.lastTransitionTime : rfc3339() };
    try {
      await this.opts.client.patch(podsResource, pod.metadata.name!, {
        namespace: pod.metadata.namespace, subresource: 'status', type: 'strategic',
        patch: { metadata: { uid: pod.metadata.uid }, status: { conditions: [cond] } },
      });
    } catch (e) {
      if (!isNotFound(e)) this.log(`scheduler: updating status of ${podKey(pod)}: ${e instanceof Error ? e.message : e}`);
    }
  }
}
