// ReplicaSet and ReplicationController controller (upstream's pkg/controller/replicaset, which
// serves both kinds): keeps spec.replicas active pods matching the selector, adopting matching
// orphans and releasing pods that stop matching; creates pods from the template in slow-start
// batches and deletes the least valuable pods first; expectations stop a stale cache from causing
// double creates or deletes; writes status (replicas, fullyLabeled/ready/available, ReplicaFailure).
import type { KObject } from '../api/types.js';
import {
  EventRecorder, keyOf, selectorMatches, splitKey, WorkQueue,
  type LabelSelector, type Lister, type ResourceRef, type RestClient, type SharedInformerFactory,
} from '../client/index.js';
import { Expectations } from './replicaset/expectations.js';
import { claim, controllerOf, newControllerRef } from './replicaset/ownerref.js';
import { isPodActive, isPodReady, msUntilAvailable, podsToDelete } from './replicaset/pods.js';
import { buildStatus, createPodFromTemplate, deletePodWithEvent, statusChanged } from './replicaset/manage.js';
import { podsResource } from './resources.js';

/** what differs between ReplicaSet and ReplicationController */
export interface ReplicaKind {
  resource: ResourceRef; apiVersion: string; kind: string; component: string;
  selectorOf(o: KObject): LabelSelector | undefined;
}

export const replicaSetKind: ReplicaKind = {
  resource: { group: 'apps', version: 'v1', plural: 'replicasets', namespaced: true, kind: 'ReplicaSet' },
  apiVersion: 'apps/v1', kind: 'ReplicaSet', component: 'replicaset-controller',
  selectorOf: (o) => o.spec?.selector,
};

export const replicationControllerKind: ReplicaKind = {
  resource: { group: '', version: 'v1', plural: 'replicationcontrollers', namespaced: true, kind: 'ReplicationController' },
  apiVersion: 'v1', kind: 'ReplicationController', component: 'replication-controller',
  selectorOf: (o) => (o.spec?.selector ? { matchLabels: o.spec.selector } : undefined),
};

/** upstream's BurstReplicas: creations / deletions per sync */
export const burstReplicas = 500;

export interface ReplicaSetControllerOptions {
  client: RestClient;
  informers: SharedInformerFactory;
  kind?: ReplicaKind;
  recorder?: EventRecorder;
  log?: (msg: string) => void;
  burstReplicas?: number;
  now?: () => number;
}

export class ReplicaSetController {
  readonly kind: ReplicaKind;
  readonly queue: WorkQueue<string>;
  readonly expectations: Expectations;
  readonly recorder: EventRecorder;
  private readonly rsLister: Lister<KObject>;
  private readonly podLister: Lister<KObject>;
  private readonly syncs: Array<{ waitForSync(s?: AbortSignal): Promise<boolean> }>;
  private readonly log: (msg: string) => void;
  private readonly now: () => number;

  constructor(private readonly opts: ReplicaSetControllerOptions) {
    this.kind = opts.kind ?? replicaSetKind;
    this.log = opts.log ?? (() => {});
    this.now = opts.now ?? Date.now;
    this.expectations = new Expectations(this.now);
    this.recorder = opts.recorder ?? new EventRecorder(opts.client, { component: this.kind.component });
    this.queue = new WorkQueue<string>({ name: this.kind.component, onError: (k, e) => this.log(`${this.kind.component}: error syncing ${k}: ${e instanceof Error ? e.message : e}`) });
    const rsInf = opts.informers.informerFor<KObject>(this.kind.resource);
    const podInf = opts.informers.informerFor<KObject>(podsResource);
    this.rsLister = rsInf.lister;
    this.podLister = podInf.lister;
    this.syncs = [rsInf, podInf];
    rsInf.addEventHandler({
      add: (o) => this.queue.add(keyOf(o)),
      update: (_o, n) => this.queue.add(keyOf(n)),
      delete: (o) => { this.expectations.delete(keyOf(o)); this.queue.add(keyOf(o)); },
    });
    podInf.addEventHandler({ add: (p) => this.addPod(p), update: (o, n) => this.updatePod(o, n), delete: (p) => this.deletePod(p) });
  }

  async run(workers: number, signal: AbortSignal): Promise<void> {
    for (const s of this.syncs) if (!(await s.waitForSync(signal))) return;
    await this.queue.runWorkers(workers, (k) => this.reconcile(k), signal);
  }

  // ---- event handlers: only bookkeeping and enqueueing ----

  private resolve(namespace: string | undefined, ref: { kind: string; name: string; uid: string } | undefined): KObject | undefined {
    if (!ref || ref.kind !== this.kind.kind) return undefined;
    const rs = this.rsLister.get(namespace ?? '', ref.name);
    return rs && rs.metadata.uid === ref.uid ? rs : undefined;
  }

  private enqueueMatching(p: KObject): void {
    for (const rs of this.rsLister.list(p.metadata.namespace ?? '')) {
      if (selectorMatches(this.kind.selectorOf(rs), p.metadata.labels)) this.queue.add(keyOf(rs));
    }
  }

  private addPod(p: KObject): void {
    if (p.metadata.deletionTimestamp) return this.deletePod(p);
    const ref = controllerOf(p);
    if (ref) {
      const rs = this.resolve(p.metadata.namespace, ref);
      if (rs) { this.expectations.creationObserved(keyOf(rs)); this.queue.add(keyOf(rs)); }
      return;
    }
    this.enqueueMatching(p);
  }

  private updatePod(old: KObject, cur: KObject): void {
    if (old.metadata.resourceVersion === cur.metadata.resourceVersion) return;
    const labelsChanged = JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(cur.metadata.labels ?? {});
    if (cur.metadata.deletionTimestamp) {
      this.deletePod(cur);
      if (labelsChanged) this.deletePod(old);
      return;
    }
    const curRef = controllerOf(cur), oldRef = controllerOf(old);
    const refChanged = curRef?.uid !== oldRef?.uid;
    if (refChanged && oldRef) { const o = this.resolve(old.metadata.namespace, oldRef); if (o) this.queue.add(keyOf(o)); }
    if (curRef) {
      const rs = this.resolve(cur.metadata.namespace, curRef);
      if (!rs) return;
      this.queue.add(keyOf(rs));
      const mrs = rs.spec?.minReadySeconds ?? 0;
      if (mrs > 0 && !isPodReady(old) && isPodReady(cur)) this.queue.addAfter(keyOf(rs), mrs * 1000);
      return;
    }
    if (labelsChanged || refChanged) this.enqueueMatching(cur);
  }

  private deletePod(p: KObject): void {
    const rs = this.resolve(p.metadata.namespace, controllerOf(p));
    if (!rs) return;
    this.expectations.deletionObserved(keyOf(rs), keyOf(p));
    this.queue.add(keyOf(rs));
  }

  // ---- reconcile ----

  async reconcile(key: string): Promise<void | { requeueAfter: number }> {
    const { namespace, name } = splitKey(key);
    const rs = this.rsLister.get(namespace, name);
    if (!rs) { this.expectations.delete(key); return; }
    const selector = this.kind.selectorOf(rs);
    const needsSync = this.expectations.satisfied(key) && !rs.metadata.deletionTimestamp;
    const active = this.podLister.list(namespace).filter(isPodActive);
    const pods = await claim(active, {
      client: this.opts.client, resource: podsResource, owner: rs,
      ownerRef: newControllerRef(rs, this.kind.apiVersion, this.kind.kind),
      matches: (p) => selectorMatches(selector, p.metadata.labels),
      canAdopt: async () => {
        const fresh = await this.opts.client.get(this.kind.resource, name, { namespace });
        return fresh.metadata.uid === rs.metadata.uid && !fresh.metadata.deletionTimestamp;
      },
    });
    let err: Error | undefined;
    let diff = 0;
    if (needsSync) {
      diff = pods.length - (rs.spec?.replicas ?? 1);
      try { await this.manageReplicas(key, rs, pods, diff); } catch (e) { err = e instanceof Error ? e : new Error(String(e)); }
    }
    const now = this.now();
    const status = buildStatus(rs, pods, err && { reason: diff < 0 ? 'FailedCreate' : 'FailedDelete', message: err.message }, now);
    if (statusChanged(rs.status, status)) {
      await this.opts.client.updateStatus(this.kind.resource, { ...structuredClone(rs), status }, { namespace });
    }
    if (err) throw err;
    const mrs = rs.spec?.minReadySeconds ?? 0;
    if (mrs > 0 && status.readyReplicas !== status.availableReplicas) {
      const waits = pods.map((p) => msUntilAvailable(p, mrs, now)).filter((x): x is number => x !== undefined);
      return { requeueAfter: waits.length ? Math.min(...waits) + 50 : mrs * 1000 };
    }
  }

  private async manageReplicas(key: string, rs: KObject, pods: KObject[], diff: number): Promise<void> {
    const burst = this.opts.burstReplicas ?? burstReplicas;
    const ctx = { client: this.opts.client, recorder: this.recorder, owner: this.ownerForEvents(rs) };
    if (diff < 0) {
      const n = Math.min(-diff, burst);
      this.expectations.expectCreations(key, n);
      const ref = newControllerRef(rs, this.kind.apiVersion, this.kind.kind);
      const { created, error } = await slowStartBatch(n, 1, () => createPodFromTemplate(ctx, rs, ref));
      for (let i = created; i < n; i++) this.expectations.creationObserved(key);
      if (error) throw error;
    } else if (diff > 0) {
      const n = Math.min(diff, burst);
      const victims = podsToDelete(pods, this.relatedPods(rs, pods), n, this.now());
      this.expectations.expectDeletions(key, victims.map(keyOf));
      const errors: unknown[] = [];
      await Promise.all(victims.map(async (p) => {
        try { await deletePodWithEvent(ctx, p); } catch (e) { this.expectations.deletionObserved(key, keyOf(p)); errors.push(e); }
      }));
      if (errors.length) throw errors[0];
    }
  }

  /** active pods controlled by this RS or its siblings (same controller owner), for deletion ranks */
  private relatedPods(rs: KObject, own: KObject[]): KObject[] {
    const owner = controllerOf(rs);
    if (!owner) return own;
    const siblings = new Set(this.rsLister.list(rs.metadata.namespace ?? '').filter((r) => controllerOf(r)?.uid === owner.uid).map((r) => r.metadata.uid));
    siblings.add(rs.metadata.uid);
    return this.podLister.list(rs.metadata.namespace ?? '').filter((p) => isPodActive(p) && siblings.has(controllerOf(p)?.uid));
  }

  private ownerForEvents(rs: KObject): KObject {
    return { ...rs, apiVersion: this.kind.apiVersion, kind: this.kind.kind };
  }
}

/**
 * Runs fn up to n times in batches of 1, 2, 4, ... (upstream's slowStartBatch): a batch with a
 * failure ends the run, so a failing create is tried a few times, not n times.
 */
export async function slowStartBatch(n: number, initial: number, fn: () => Promise<void>): Promise<{ created: number; error?: unknown }> {
  let remaining = n, created = 0;
  for (let size = Math.min(remaining, initial); size > 0; size = Math.min(2 * size, remaining)) {
    const results = await Promise.allSettled(Array.from({ length: size }, fn));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    created += size - failed.length;
    if (failed.length) return { created, error: failed[0].reason };
    remaining -= size;
  }
  return { created };
}

/** what the controller table (index.ts) hands a controller */
export interface ControllerContext { client: RestClient; informers: SharedInformerFactory; log: (msg: string) => void }

/** upstream's ConcurrentRSSyncs default */
const workers = 5;

export function startReplicaSetController(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
  return new ReplicaSetController({ client: ctx.client, informers: ctx.informers, log: ctx.log }).run(workers, signal);
}

export function startReplicationController(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
  return new ReplicaSetController({ client: ctx.client, informers: ctx.informers, log: ctx.log, kind: replicationControllerKind }).run(workers, signal);
}
