// StatefulSet controller (as upstream's pkg/controller/statefulset): pods `<set>-0..N-1` with
// stable identity and per-pod claims; OrderedReady (one at a time, each Running and Ready before
// the next; scale down from the highest ordinal) or Parallel; RollingUpdate from the highest
// ordinal down to the partition, or OnDelete; ControllerRevisions as current/update revisions.
import {
  clone, EventRecorder, isAlreadyExists, isNotFound, selectorMatches, WorkQueue,
  type ResourceRef, type RestClient, type SharedInformerFactory,
} from '../client/index.js';
import type { KObject } from '../api/types.js';
import {
  canonicalJSON, controllerRefOf, controllerRefTo, controllerRevisionHashLabel, controllerRevisionsResource,
  ensureRevision, ownedRevisions, revisionsToPrune,
} from './history.js';
import { claim } from './replicaset/ownerref.js';
import { msUntilAvailable } from './replicaset/pods.js';
import { podsResource } from './resources.js';
import {
  claimOwnerRefs, isCreated, isFailedOrSucceeded, isHealthy, isMemberOf, isRunningAndAvailable, isRunningAndReady,
  isTerminating, newClaims, newStatefulPod, ordinalOf, revisionOf, revisionTemplate,
} from './statefulset_pods.js';
import type { ControllerContext } from './daemonset.js';

export const statefulSetsResource: ResourceRef = { group: 'apps', version: 'v1', plural: 'statefulsets', namespaced: true, kind: 'StatefulSet' };
export const pvcsResource: ResourceRef = { group: '', version: 'v1', plural: 'persistentvolumeclaims', namespaced: true, kind: 'PersistentVolumeClaim' };

export interface StatefulSetControllerOptions {
  client: RestClient;
  factory: SharedInformerFactory;
  recorder?: EventRecorder;
  log?: (msg: string) => void;
  now?: () => number;
}

const errText = (e: unknown) => (e instanceof Error ? e.message : String(e));

export class StatefulSetController {
  readonly queue: WorkQueue<string>;
  private readonly client: RestClient;
  private readonly recorder: EventRecorder;
  private readonly log: (msg: string) => void;
  private readonly now: () => number;
  private readonly setInformer;
  private readonly podInformer;
  private readonly revInformer;
  private readonly pvcInformer;

  constructor(opts: StatefulSetControllerOptions) {
    this.client = opts.client;
    this.log = opts.log ?? (() => {});
    this.now = opts.now ?? Date.now;
    this.recorder = opts.recorder ?? new EventRecorder(opts.client, { component: 'statefulset-controller' });
    this.queue = new WorkQueue<string>({ name: 'statefulset', onError: (k, e) => this.log(`statefulset controller: error syncing ${k}: ${errText(e)}`) });
    this.setInformer = opts.factory.informerFor(statefulSetsResource);
    this.podInformer = opts.factory.informerFor(podsResource);
    this.revInformer = opts.factory.informerFor(controllerRevisionsResource);
    this.pvcInformer = opts.factory.informerFor(pvcsResource);
    const enqueue = (o: KObject) => this.queue.add(`${o.metadata.namespace}/${o.metadata.name}`);
    this.setInformer.addEventHandler({ add: enqueue, update: (_o, n) => enqueue(n), delete: enqueue });
    const byRef = (o: KObject) => {
      const ref = controllerRefOf(o);
      if (ref) { if (ref.kind === 'StatefulSet') this.queue.add(`${o.metadata.namespace}/${ref.name}`); return; }
      if (o.kind === 'ControllerRevision') return;
      for (const s of this.setInformer.lister.list(o.metadata.namespace)) {
        if (isMemberOf(s, o) && selectorMatches(s.spec?.selector, o.metadata.labels)) enqueue(s);
      }
    };
    this.podInformer.addEventHandler({ add: byRef, update: (o, n) => { byRef(n); if (controllerRefOf(o)?.uid !== controllerRefOf(n)?.uid) byRef(o); }, delete: byRef });
    this.revInformer.addEventHandler({ add: byRef, update: (_o, n) => byRef(n), delete: byRef });
  }

  async run(workers: number, signal: AbortSignal): Promise<void> {
    const synced = await Promise.all([this.setInformer, this.podInformer, this.revInformer, this.pvcInformer].map((i) => i.waitForSync(signal)));
    if (!synced.every(Boolean)) return;
    await this.queue.runWorkers(workers, (k) => this.reconcile(k), signal);
  }

  async reconcile(key: string): Promise<void | { requeueAfter: number }> {
    const [ns, name] = key.split('/');
    const set = this.setInformer.lister.get(ns, name);
    if (!set) return;
    const history = await ensureRevision(this.client, set, ownedRevisions(set, this.revInformer.lister.list(ns)), { hashLabel: controllerRevisionHashLabel });
    const updateRev = history.update;
    const currentRev = history.revisions.find((r) => r.metadata.name === set.status?.currentRevision) ?? updateRev;
    const sel = set.spec?.selector;
    const pods = await claim(this.podInformer.lister.list(ns).filter((p) => isMemberOf(set, p)), {
      client: this.client, resource: podsResource, owner: set, ownerRef: controllerRefTo(set),
      matches: (p) => selectorMatches(sel, p.metadata.labels),
      canAdopt: async () => {
        try {
          const fresh = await this.client.get(statefulSetsResource, name, { namespace: ns });
          return fresh.metadata.uid === set.metadata.uid && !fresh.metadata.deletionTimestamp;
        } catch (e) { if (isNotFound(e)) return false; throw e; }
      },
    });
    if (!set.metadata.deletionTimestamp) {
      await this.sync(set, pods, currentRev, updateRev);
      const live = new Set([currentRev.metadata.name!, updateRev.metadata.name!]);
      for (const p of pods) { const r = revisionOf(p); if (r) live.add(r); }
      for (const r of revisionsToPrune(history.revisions, live, set.spec?.revisionHistoryLimit ?? 10)) {
        try { await this.client.delete(controllerRevisionsResource, r.metadata.name!, { namespace: ns }); } catch (e) { if (!isNotFound(e)) throw e; }
      }
    }
    return this.updateStatus(set, pods, currentRev.metadata.name!, updateRev.metadata.name!, history.collisionCount);
  }

  /** one step of the set's sync; returns after the first write in OrderedReady mode */
  private async sync(set: KObject, pods: KObject[], currentRev: KObject, updateRev: KObject): Promise<void> {
    const start = set.spec?.ordinals?.start ?? 0;
    const count = set.spec?.replicas ?? 1;
    const monotonic = set.spec?.podManagementPolicy !== 'Parallel';
    const replicas: (KObject | undefined)[] = new Array(count).fill(undefined);
    const condemned: KObject[] = [];
    for (const p of pods) {
      const i = ordinalOf(p) - start;
      if (i >= 0 && i < count) replicas[i] = p;
      else condemned.push(p);
    }
    condemned.sort((a, b) => ordinalOf(b) - ordinalOf(a));
    const us = set.spec?.updateStrategy ?? {};
    const partition = us.type === 'RollingUpdate' ? us.rollingUpdate?.partition ?? 0 : 0;
    const errors: unknown[] = [];

    for (let i = 0; i < count; i++) {
      const ordinal = start + i;
      const pod = replicas[i];
      if (pod && isFailedOrSucceeded(pod) && !isTerminating(pod)) {
        await this.deletePod(set, pod);
        if (monotonic) return;
        continue;
      }
      if (!pod) {
        const useCurrent = us.type === 'RollingUpdate' && ordinal < start + partition;
        const rev = useCurrent ? currentRev : updateRev;
        try {
          await this.createClaims(set, ordinal);
          await this.createPod(set, newStatefulPod(set, revisionTemplate(rev), rev.metadata.name!, ordinal));
        } catch (e) {
          if (monotonic) throw e;
          errors.push(e);
        }
        if (monotonic) return;
        continue;
      }
      if (isTerminating(pod)) { if (monotonic) return; continue; }
      if (!isRunningAndReady(pod) && monotonic) return;
      if (!isRunningAndAvailable(pod, set.spec?.minReadySeconds ?? 0, this.now()) && monotonic) return;
      await this.createClaims(set, ordinal);
      await this.updateClaimRefs(set, pod, ordinal, false);
    }

    for (const pod of condemned) {
      if (isTerminating(pod)) { if (monotonic) return; continue; }
      if (monotonic) {
        const unhealthy = [...replicas, ...condemned].filter((p): p is KObject => !!p && !isHealthy(p)).sort((a, b) => ordinalOf(a) - ordinalOf(b))[0];
        if (unhealthy && unhealthy !== pod) return;
      }
      await this.updateClaimRefs(set, pod, ordinalOf(pod), true);
      await this.deletePod(set, pod);
      if (monotonic) return;
    }
    if (errors.length) throw errors[0];

    if (us.type !== 'RollingUpdate') return;
    for (let i = count - 1; i >= partition; i--) {
      const pod = replicas[i];
      if (!pod) return;
      if (revisionOf(pod) !== updateRev.metadata.name && !isTerminating(pod)) {
        await this.deletePod(set, pod);
        return;
      }
      if (!isHealthy(pod)) return;
    }
  }

  private async createClaims(set: KObject, ordinal: number): Promise<void> {
    const pod = `${set.metadata.name}-${ordinal}`;
    for (const c of newClaims(set, ordinal)) {
      if (this.pvcInformer.lister.get(c.metadata.namespace!, c.metadata.name!)) continue;
      try {
        await this.client.create(pvcsResource, c, { namespace: c.metadata.namespace });
        this.recorder.event(set, 'Normal', 'SuccessfulCreate', `create Claim ${c.metadata.name} Pod ${pod} in StatefulSet ${set.metadata.name} success`);
      } catch (e) {
        if (isAlreadyExists(e)) continue;
        this.recorder.event(set, 'Warning', 'FailedCreate', `create Claim ${c.metadata.name} for Pod ${pod} in StatefulSet ${set.metadata.name} failed error: ${errText(e)}`);
        throw e;
      }
    }
  }

  /** keeps the claims' owner references in line with the retention policy */
  private async updateClaimRefs(set: KObject, pod: KObject, ordinal: number, condemned: boolean): Promise<void> {
    for (const c of newClaims(set, ordinal)) {
      const cur = this.pvcInformer.lister.get(c.metadata.namespace!, c.metadata.name!);
      if (!cur) continue;
      const want = claimOwnerRefs(cur, set, pod, condemned);
      if (canonicalJSON(want) === canonicalJSON(cur.metadata.ownerReferences ?? [])) continue;
      try {
        await this.client.patch(pvcsResource, c.metadata.name!, {
          namespace: c.metadata.namespace, type: 'merge',
          patch: { metadata: { uid: cur.metadata.uid, resourceVersion: cur.metadata.resourceVersion, ownerReferences: want.length ? want : null } },
        });
      } catch (e) { if (!isNotFound(e)) throw e; }
    }
  }

  private async createPod(set: KObject, pod: KObject): Promise<void> {
    try {
      await this.client.create(podsResource, pod, { namespace: pod.metadata.namespace });
      this.recorder.event(set, 'Normal', 'SuccessfulCreate', `create Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} successful`);
    } catch (e) {
      if (isAlreadyExists(e)) return;   // the cache is behind: the next event brings it
      this.recorder.event(set, 'Warning', 'FailedCreate', `create Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${errText(e)}`);
      throw e;
    }
  }

  private async deletePod(set: KObject, pod: KObject): Promise<void> {
    try {
      await this.client.delete(podsResource, pod.metadata.name!, { namespace: pod.metadata.namespace, preconditions: { uid: pod.metadata.uid } });
      this.recorder.event(set, 'Normal', 'SuccessfulDelete', `delete Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} successful`);
    } catch (e) {
      if (isNotFound(e)) return;
      this.recorder.event(set, 'Warning', 'FailedDelete', `delete Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${errText(e)}`);
      throw e;
    }
  }

  private async updateStatus(set: KObject, pods: KObject[], currentRevision: string, updateRevision: string, collisionCount: number): Promise<void | { requeueAfter: number }> {
    const now = this.now();
    const minReady = set.spec?.minReadySeconds ?? 0;
    let replicas = 0, ready = 0, available = 0, current = 0, updated = 0;
    let wake: number | undefined;
    for (const p of pods) {
      if (isCreated(p)) replicas++;
      if (isRunningAndReady(p)) {
        ready++;
        if (isRunningAndAvailable(p, minReady, now)) available++;
        else { const ms = msUntilAvailable(p, minReady, now); if (ms !== undefined) wake = Math.min(wake ?? ms, ms); }
      }
      if (isCreated(p) && !isTerminating(p)) {
        if (revisionOf(p) === currentRevision) current++;
        if (revisionOf(p) === updateRevision) updated++;
      }
    }
    const status: Record<string, unknown> = {
      ...(set.status ?? {}),
      observedGeneration: set.metadata.generation, replicas, readyReplicas: ready, currentReplicas: current, updatedReplicas: updated,
      currentRevision, updateRevision, availableReplicas: available,
    };
    if (set.spec?.updateStrategy?.type === 'RollingUpdate' && updated === replicas && ready === replicas) {
      status.currentReplicas = updated;
      status.currentRevision = updateRevision;
    }
    for (const k of ['readyReplicas', 'currentReplicas', 'updatedReplicas']) if (!status[k]) delete status[k];
    status.collisionCount = collisionCount; // upstream always writes it (0 without a hash collision)
    if (canonicalJSON(status) !== canonicalJSON(set.status ?? {})) {
      const next = clone(set);
      next.status = status;
      try { await this.client.updateStatus(statefulSetsResource, next); } catch (e) { if (!isNotFound(e)) throw e; }
    }
    if (wake !== undefined) return { requeueAfter: wake + 50 };
  }
}

/** starts the controller; resolves when the signal stops it */
export function start(ctx: ControllerContext): Promise<void> {
  const c = new StatefulSetController({ client: ctx.client, factory: ctx.factory, log: ctx.log });
  return c.run(ctx.workers ?? 2, ctx.signal);
}
