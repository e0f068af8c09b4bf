// DaemonSet controller (as upstream's pkg/controller/daemon): one pod per eligible node. Pods are
// pinned to their node through required node affinity on metadata.name (matchFields) and placed
// by the scheduler. RollingUpdate (maxUnavailable or maxSurge) and OnDelete, ControllerRevisions,
// and the status `kubectl rollout status ds` reads.
import {
  clone, EventRecorder, isNotFound, selectorIsEmpty, selectorMatches, WorkQueue,
  type Lister, type ResourceRef, type RestClient, type SharedInformerFactory,
} from '../client/index.js';
import type { KObject } from '../api/types.js';
import { canonicalJSON, controllerRefOf, controllerRefTo, controllerRevisionsResource, ensureRevision, ownedRevisions, podRevisionLabel, revisionsToPrune } from './history.js';
import { nodeAffinityFor, nodeShouldRunDaemonPod, targetNodeName, withDaemonTolerations } from './daemonset_nodes.js';
import { claim } from './replicaset/ownerref.js';
import { isPodAvailable, isPodReady, msUntilAvailable } from './replicaset/pods.js';
import { podsResource } from './resources.js';

export const daemonSetsResource: ResourceRef = { group: 'apps', version: 'v1', plural: 'daemonsets', namespaced: true, kind: 'DaemonSet' };
export const nodesResource: ResourceRef = { group: '', version: 'v1', plural: 'nodes', namespaced: false, kind: 'Node' };
export const templateGenerationLabel = 'pod-template-generation';
const expectationsTimeoutMs = 5 * 60_000;

export interface ControllerContext {
  client: RestClient;
  factory: SharedInformerFactory;
  log?: (msg: string) => void;
  signal: AbortSignal;
  /** events are written as this recorder; default: one with the upstream component name */
  recorder?: EventRecorder;
  workers?: number;
}

export interface DaemonSetControllerOptions {
  client: RestClient;
  factory: SharedInformerFactory;
  recorder?: EventRecorder;
  log?: (msg: string) => void;
  now?: () => number;
}

/** creations and deletions a DaemonSet's sync waits to see in the cache before acting again */
class Pending {
  private m = new Map<string, { keys: Set<string>; at: number }>();
  expect(key: string, podKeys: string[]): void {
    if (!podKeys.length) return;
    const r = this.m.get(key) ?? { keys: new Set<string>(), at: 0 };
    for (const k of podKeys) r.keys.add(k);
    r.at = Date.now();
    this.m.set(key, r);
  }
  observed(key: string, podKey: string): void { this.m.get(key)?.keys.delete(podKey); }
  satisfied(key: string): boolean {
    const r = this.m.get(key);
    return !r || !r.keys.size || Date.now() - r.at > expectationsTimeoutMs;
  }
  forget(key: string): void { this.m.delete(key); }
}

/** an int-or-percent scaled against total (upstream's GetScaledValueFromIntOrPercent) */
export function scaledValue(v: number | string | undefined, total: number, roundUp: boolean): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v;
  if (v.endsWith('%')) {
    const x = (Number.parseInt(v, 10) * total) / 100;
    return roundUp ? Math.ceil(x) : Math.floor(x);
  }
  return Number.parseInt(v, 10) || 0;
}

const byAge = (a: KObject, b: KObject) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || (a.metadata.name! < b.metadata.name! ? -1 : 1);
const podKey = (p: KObject) => `${p.metadata.namespace}/${p.metadata.name}`;
const isTerminal = (p: KObject) => p.status?.phase === 'Failed' || p.status?.phase === 'Succeeded';

export class DaemonSetController {
  readonly queue: WorkQueue<string>;
  private readonly client: RestClient;
  private readonly recorder: EventRecorder;
  private readonly log: (msg: string) => void;
  private readonly now: () => number;
  private readonly dsInformer;
  private readonly podInformer;
  private readonly nodeInformer;
  private readonly revInformer;
  private readonly pending = new Pending();

  constructor(opts: DaemonSetControllerOptions) {
    this.client = opts.client;
    this.log = opts.log ?? (() => {});
    this.now = opts.now ?? Date.now;
    this.recorder = opts.recorder ?? new EventRecorder(opts.client, { component: 'daemonset-controller' });
    this.queue = new WorkQueue<string>({ name: 'daemonset', onError: (k, e) => this.log(`daemonset controller: error syncing ${k}: ${e instanceof Error ? e.message : e}`) });
    this.dsInformer = opts.factory.informerFor(daemonSetsResource);
    this.podInformer = opts.factory.informerFor(podsResource);
    this.nodeInformer = opts.factory.informerFor(nodesResource);
    this.revInformer = opts.factory.informerFor(controllerRevisionsResource);
    const enqueue = (o: KObject) => this.queue.add(`${o.metadata.namespace}/${o.metadata.name}`);
    this.dsInformer.addEventHandler({ add: enqueue, update: (_o, n) => enqueue(n), delete: (o) => { this.pending.forget(`${o.metadata.namespace}/${o.metadata.name}`); enqueue(o); } });
    this.podInformer.addEventHandler({
      add: (p) => this.podChanged(p, undefined, false),
      update: (o, n) => this.podChanged(n, o, false),
      delete: (p) => this.podChanged(p, undefined, true),
    });
    const all = () => { for (const ds of this.dsInformer.lister.list()) enqueue(ds); };
    this.nodeInformer.addEventHandler({
      add: all, delete: all,
      update: (o, n) => {
        if (canonicalJSON([o.metadata.labels, o.spec]) !== canonicalJSON([n.metadata.labels, n.spec])) all();
      },
    });
    const byRef = (r: KObject) => { const ref = controllerRefOf(r); if (ref?.kind === 'DaemonSet') this.queue.add(`${r.metadata.namespace}/${ref.name}`); };
    this.revInformer.addEventHandler({ add: byRef, update: (_o, n) => byRef(n), delete: byRef });
  }

  get dsLister(): Lister { return this.dsInformer.lister; }

  private podChanged(p: KObject, old: KObject | undefined, deleted: boolean): void {
    const ref = controllerRefOf(p);
    const ns = p.metadata.namespace!;
    if (ref) {
      if (ref.kind !== 'DaemonSet') return;
      const key = `${ns}/${ref.name}`;
      if (deleted || p.metadata.deletionTimestamp || !old) this.pending.observed(key, podKey(p));
      this.queue.add(key);
    } else if (!deleted) {
      for (const ds of this.dsInformer.lister.list(ns)) if (selectorMatches(ds.spec?.selector, p.metadata.labels)) this.queue.add(`${ns}/${ds.metadata.name}`);
    }
    const oldRef = old && controllerRefOf(old);
    if (oldRef && oldRef.kind === 'DaemonSet' && oldRef.uid !== ref?.uid) this.queue.add(`${ns}/${oldRef.name}`);
  }

  async run(workers: number, signal: AbortSignal): Promise<void> {
    const synced = await Promise.all([this.dsInformer, this.podInformer, this.nodeInformer, this.revInformer].map((i) => i.waitForSync(signal)));
    if (!synced.every(Boolean)) return;
    await this.queue.runWorkers(workers, (k) => this.reconcile(k), signal);
  }

  async reconcile(key: string): Promise<void | { requeueAfter: number }> {
    const [ns, name] = key.split('/');
    const ds = this.dsInformer.lister.get(ns, name);
    if (!ds) { this.pending.forget(key); return; }
    const sel = ds.spec?.selector;
    if (selectorIsEmpty(sel)) {
      this.recorder.event(ds, 'Warning', 'SelectingAll', 'This daemon set is selecting all pods. A non-empty selector is required.');
      return;
    }
    const history = await ensureRevision(this.client, ds, ownedRevisions(ds, this.revInformer.lister.list(ns)), { hashLabel: podRevisionLabel });
    const hash = history.hash;
    const pods = await claim(this.podInformer.lister.list(ns), {
      client: this.client, resource: podsResource, owner: ds, ownerRef: controllerRefTo(ds),
      matches: (p) => selectorMatches(sel, p.metadata.labels),
      canAdopt: async () => {
        try {
          const fresh = await this.client.get(daemonSetsResource, name, { namespace: ns });
          return fresh.metadata.uid === ds.metadata.uid && !fresh.metadata.deletionTimestamp;
        } catch (e) { if (isNotFound(e)) return false; throw e; }
      },
    });
    const nodes = this.nodeInformer.lister.list();
    const byNode = new Map<string, KObject[]>();
    for (const p of pods) {
      const n = targetNodeName(p);
      if (!n) continue;
      if (!byNode.has(n)) byNode.set(n, []);
      byNode.get(n)!.push(p);
    }
    if (!ds.metadata.deletionTimestamp && this.pending.satisfied(key)) {
      const acted = await this.manage(ds, nodes, byNode, hash);
      if (!acted && ds.spec?.updateStrategy?.type === 'RollingUpdate') await this.rollingUpdate(ds, nodes, byNode, hash);
      const live = new Set([history.update.metadata.name!]);
      const podHashes = new Set(pods.map((p) => p.metadata.labels?.[podRevisionLabel]).filter(Boolean));
      for (const r of history.revisions) if (podHashes.has(r.metadata.labels?.[podRevisionLabel])) live.add(r.metadata.name!);
      for (const r of revisionsToPrune(history.revisions, live, ds.spec?.revisionHistoryLimit ?? 10)) {
        try { await this.client.delete(controllerRevisionsResource, r.metadata.name!, { namespace: ns }); } catch (e) { if (!isNotFound(e)) throw e; }
      }
    }
    return this.updateStatus(ds, nodes, byNode, hash, history.collisionCount);
  }

  private surgeAllowed(ds: KObject, desired: number): boolean {
    const us = ds.spec?.updateStrategy;
    return us?.type === 'RollingUpdate' && scaledValue(us.rollingUpdate?.maxSurge, desired, true) > 0;
  }

  /** creates missing pods and deletes failed, surplus and misplaced ones; true if it wrote anything */
  private async manage(ds: KObject, nodes: KObject[], byNode: Map<string, KObject[]>, hash: string): Promise<boolean> {
    const create: string[] = [];
    const remove: KObject[] = [];
    const desired = nodes.filter((n) => nodeShouldRunDaemonPod(n, ds).shouldRun).length;
    const surge = this.surgeAllowed(ds, desired);
    for (const node of nodes) {
      const nodeName = node.metadata.name!;
      const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(node, ds);
      const pods = byNode.get(nodeName) ?? [];
      if (shouldRun && !pods.length) { create.push(nodeName); continue; }
      if (shouldContinueRunning) {
        const running: KObject[] = [];
        for (const p of pods) {
          if (p.metadata.deletionTimestamp) continue;
          if (isTerminal(p)) {
            this.recorder.event(ds, 'Warning', 'FailedDaemonPod', `Found failed daemon pod ${p.metadata.namespace}/${p.metadata.name} on node ${nodeName}, will try to kill it`);
            remove.push(p);
          } else running.push(p);
        }
        running.sort(byAge);
        if (!surge) remove.push(...running.slice(1));
        else {
          const updated = running.filter((p) => p.metadata.labels?.[podRevisionLabel] === hash);
          const old = running.filter((p) => p.metadata.labels?.[podRevisionLabel] !== hash);
          remove.push(...updated.slice(1), ...old.slice(1));
        }
      } else {
        remove.push(...pods.filter((p) => !p.metadata.deletionTimestamp));
      }
    }
    await this.syncNodes(ds, create, remove, hash);
    return create.length + remove.length > 0;
  }

  private async rollingUpdate(ds: KObject, nodes: KObject[], byNode: Map<string, KObject[]>, hash: string): Promise<void> {
    const now = this.now();
    const minReady = ds.spec?.minReadySeconds ?? 0;
    const available = (p: KObject) => isPodAvailable(p, minReady, now);
    const candidates = new Map<string, KObject[]>();
    for (const n of nodes) if (nodeShouldRunDaemonPod(n, ds).shouldRun) candidates.set(n.metadata.name!, byNode.get(n.metadata.name!) ?? []);
    const desired = candidates.size;
    const ru = ds.spec?.updateStrategy?.rollingUpdate ?? {};
    const maxSurge = scaledValue(ru.maxSurge, desired, true);
    let maxUnavailable = scaledValue(ru.maxUnavailable, desired, true);
    if (!maxSurge && !maxUnavailable) maxUnavailable = 1;
    const split = (pods: KObject[]) => {
      const live = pods.filter((p) => !p.metadata.deletionTimestamp);
      const fresh = live.filter((p) => p.metadata.labels?.[podRevisionLabel] === hash);
      const old = live.filter((p) => p.metadata.labels?.[podRevisionLabel] !== hash);
      return { ok: fresh.length <= 1 && old.length <= 1, newPod: fresh[0], oldPod: old[0] };
    };
    if (!maxSurge) {
      let unavailable = 0;
      const replace: KObject[] = [], pick: KObject[] = [];
      for (const pods of candidates.values()) {
        const { ok, newPod, oldPod } = split(pods);
        if (!ok || (!newPod && !oldPod) || (newPod && oldPod)) { unavailable++; continue; }
        if (newPod) { if (!available(newPod)) unavailable++; continue; }
        if (!available(oldPod!)) replace.push(oldPod!);
        else if (unavailable < maxUnavailable) pick.push(oldPod!);
      }
      const room = Math.min(Math.max(0, maxUnavailable - unavailable), pick.length);
      await this.syncNodes(ds, [], [...replace, ...pick.slice(0, room)], hash);
      return;
    }
    let surged = 0;
    const allowed: string[] = [], pick: string[] = [], remove: KObject[] = [];
    for (const [nodeName, pods] of candidates) {
      const { ok, newPod, oldPod } = split(pods);
      if (!ok) { surged++; continue; }
      if (!oldPod) continue;
      if (!newPod) {
        if (!available(oldPod)) allowed.push(nodeName);
        else if (surged < maxSurge) pick.push(nodeName);
        continue;
      }
      if (!available(newPod)) { surged++; continue; }
      remove.push(oldPod);
    }
    const room = Math.min(Math.max(0, maxSurge - surged), pick.length);
    await this.syncNodes(ds, [...allowed, ...pick.slice(0, room)], remove, hash);
  }

  private newPod(ds: KObject, nodeName: string, hash: string): KObject {
    const t = clone(ds.spec.template ?? {});
    const spec = t.spec ?? {};
    spec.tolerations = withDaemonTolerations(spec.tolerations, !!spec.hostNetwork);
    spec.affinity = nodeAffinityFor(spec.affinity, nodeName);
    const generation = ds.metadata.annotations?.['deprecated.daemonset.template.generation'] ?? String(ds.metadata.generation ?? 1);
    return {
      apiVersion: 'v1', kind: 'Pod',
      metadata: {
        generateName: `${ds.metadata.name}-`, namespace: ds.metadata.namespace,
        labels: { ...(t.metadata?.labels ?? {}), [podRevisionLabel]: hash, [templateGenerationLabel]: generation },
        ...(t.metadata?.annotations ? { annotations: t.metadata.annotations } : {}),
        ownerReferences: [controllerRefTo(ds)],
      },
      spec,
    };
  }

  private async syncNodes(ds: KObject, create: string[], remove: KObject[], hash: string): Promise<void> {
    const key = `${ds.metadata.namespace}/${ds.metadata.name}`;
    const errors: unknown[] = [];
    this.pending.expect(key, remove.map(podKey));
    await Promise.all(remove.map(async (p) => {
      try {
        await this.client.delete(podsResource, p.metadata.name!, { namespace: p.metadata.namespace, preconditions: { uid: p.metadata.uid } });
        this.recorder.event(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`);
      } catch (e) {
        this.pending.observed(key, podKey(p));
        if (isNotFound(e)) return;
        this.recorder.event(ds, 'Warning', 'FailedDelete', `Error deleting: ${e instanceof Error ? e.message : e}`);
        errors.push(e);
      }
    }));
    await Promise.all(create.map(async (nodeName) => {
      try {
        const made = await this.client.create(podsResource, this.newPod(ds, nodeName, hash), { namespace: ds.metadata.namespace });
        if (!this.podInformer.lister.get(made.metadata.namespace!, made.metadata.name!)) this.pending.expect(key, [podKey(made)]);
        this.recorder.event(ds, 'Normal', 'SuccessfulCreate', `Created pod: ${made.metadata.name}`);
      } catch (e) {
        this.recorder.event(ds, 'Warning', 'FailedCreate', `Error creating: ${e instanceof Error ? e.message : e}`);
        errors.push(e);
      }
    }));
    if (errors.length) throw errors[0];
  }

  private async updateStatus(ds: KObject, nodes: KObject[], byNode: Map<string, KObject[]>, hash: string, collisionCount: number): Promise<void | { requeueAfter: number }> {
    const now = this.now();
    const minReady = ds.spec?.minReadySeconds ?? 0;
    let desired = 0, current = 0, misscheduled = 0, ready = 0, available = 0, updated = 0;
    let wake: number | undefined;
    for (const node of nodes) {
      const pods = (byNode.get(node.metadata.name!) ?? []).filter((p) => !(isTerminal(p) && p.metadata.deletionTimestamp));
      if (!nodeShouldRunDaemonPod(node, ds).shouldRun) { if (pods.length) misscheduled++; continue; }
      desired++;
      if (!pods.length) continue;
      current++;
      const pod = [...pods].sort((a, b) => Number(b.status?.phase === 'Running') - Number(a.status?.phase === 'Running') || byAge(a, b))[0];
      if (isPodReady(pod)) {
        ready++;
        if (isPodAvailable(pod, minReady, now)) available++;
        else { const ms = msUntilAvailable(pod, minReady, now); if (ms !== undefined) wake = Math.min(wake ?? ms, ms); }
      }
      if (pod.metadata.labels?.[podRevisionLabel] === hash) updated++;
    }
    const status: Record<string, unknown> = {
      ...(ds.status ?? {}),
      currentNumberScheduled: current, numberMisscheduled: misscheduled, desiredNumberScheduled: desired, numberReady: ready,
      observedGeneration: ds.metadata.generation,
      updatedNumberScheduled: updated, numberAvailable: available, numberUnavailable: desired - available,
    };
    for (const k of ['updatedNumberScheduled', 'numberAvailable', 'numberUnavailable']) if (!status[k]) delete status[k];
    if (collisionCount) status.collisionCount = collisionCount;
    if (canonicalJSON(status) !== canonicalJSON(ds.status ?? {})) {
      const next = clone(ds);
      next.status = status;
      try { await this.client.updateStatus(daemonSetsResource, next); } catch (e) { if (!isNotFound(e)) throw e; }
    }
    if (wake !== undefined) return { requeueAfter: wake + 50 };
  }
}

/** starts the controller; resolves when the signal stops it */
export function start(ctx: ControllerContext): Promise<void> {
  const c = new DaemonSetController({ client: ctx.client, factory: ctx.factory, log: ctx.log });
  return c.run(ctx.workers ?? 2, ctx.signal);
}
