// Node lifecycle controller (upstream's nodelifecycle + tainteviction controllers): a node whose
// Lease in kube-node-lease is not renewed within the grace period gets Ready=Unknown
// ("Kubelet stopped posting node status.") and the node.kubernetes.io/unreachable taints
// (not-ready for Ready=False); the taints go when Ready is True again. Pods on a node with
// NoExecute taints they do not tolerate are deleted, after their tolerationSeconds if they have one.
// Test knobs: K8TS_NODE_GRACE_SECONDS (node monitor grace period, default 40) and
// K8TS_TOLERATION_SECONDS_CAP (the longest tolerationSeconds honoured, default: no cap).
import {
  clone, EventRecorder, isConflict, isNotFound, leases, rfc3339, WorkQueue, type RestClient, type SharedInformer, type SharedInformerFactory,
} from '../client/index.js';
import type { KObject } from '../api/types.js';
import { podsResource } from './resources.js';

export const nodesResource = { group: '', version: 'v1', plural: 'nodes', namespaced: false, kind: 'Node' };
export const unreachableTaint = 'node.kubernetes.io/unreachable';
export const notReadyTaint = 'node.kubernetes.io/not-ready';
export const unschedulableTaint = 'node.kubernetes.io/unschedulable';

export interface NodeLifecycleOptions {
  client: RestClient;
  informers: SharedInformerFactory;
  log?: (msg: string) => void;
  recorder?: EventRecorder;
  /** node-monitor-grace-period in seconds (default K8TS_NODE_GRACE_SECONDS or 40) */
  gracePeriodSeconds?: number;
  /** node-monitor-period in ms (default min(5 s, grace/4)) */
  monitorPeriodMs?: number;
  /** cap on pods' tolerationSeconds (default K8TS_TOLERATION_SECONDS_CAP, else none) */
  maxTolerationSeconds?: number;
  now?: () => number;
}

interface Taint { key: string; value?: string; effect: string; timeAdded?: string }
interface Toleration { key?: string; operator?: string; value?: string; effect?: string; tolerationSeconds?: number }

function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  if (!t.key && t.operator !== 'Exists') return false;
  return t.operator === 'Exists' || (t.value ?? '') === (taint.value ?? '');
}

/**
 * How long a pod may stay on a node with these NoExecute taints: 0 = evict now, Infinity = never
 * (upstream's getMinTolerationTime over the tolerations used).
 */
export function tolerationSeconds(pod: KObject, taints: Taint[]): number {
  let min = Infinity;
  for (const taint of taints) {
    const used = (pod.spec?.tolerations ?? []).filter((t: Toleration) => tolerates(t, taint));
    if (!used.length) return 0;
    for (const t of used) if (t.tolerationSeconds != null) min = Math.min(min, Math.max(0, t.tolerationSeconds));
  }
  return min;
}

const envNumber = (k: string): number | undefined => { const v = process.env[k]; return v !== undefined && v !== '' && Number.isFinite(Number(v)) ? Number(v) : undefined; };

export class NodeLifecycleController {
  readonly queue = new WorkQueue<string>({ name: 'node-lifecycle', onError: (k, e) => this.log(`node lifecycle controller: node ${k}: ${e instanceof Error ? e.message : e}`) });
  readonly recorder: EventRecorder;
  private readonly nodes: SharedInformer;
  private readonly leases: SharedInformer;
  private readonly pods: SharedInformer;
  private readonly log: (msg: string) => void;
  private readonly graceMs: number;
  private readonly monitorMs: number;
  private readonly cap: number;
  private readonly now: () => number;
  private readonly started: number;
  /** node -> last renewTime seen and when this controller saw it change (the local clock decides) */
  private probes = new Map<string, { renewTime: string; at: number }>();
  /** node -> pod keys bound to it */
  private podsByNode = new Map<string, Set<string>>();
  /** "node|key|value" of NoExecute taints -> when first seen (ms) */
  private readonly taintSeen = new Map<string, number>();

  constructor(private readonly opts: NodeLifecycleOptions) {
    this.log = opts.log ?? (() => {});
    this.now = opts.now ?? Date.now;
    this.started = this.now();
    this.graceMs = (opts.gracePeriodSeconds ?? envNumber('K8TS_NODE_GRACE_SECONDS') ?? 40) * 1000;
    this.monitorMs = opts.monitorPeriodMs ?? Math.max(200, Math.min(5000, this.graceMs / 4));
    this.cap = opts.maxTolerationSeconds ?? envNumber('K8TS_TOLERATION_SECONDS_CAP') ?? Infinity;
    this.recorder = opts.recorder ?? new EventRecorder(opts.client, { component: 'node-controller' });
    this.nodes = opts.informers.informerFor(nodesResource);
    this.leases = opts.informers.informerFor(leases, { namespace: 'kube-node-lease' });
    this.pods = opts.informers.informerFor(podsResource);
    this.nodes.addEventHandler({ add: (n) => this.queue.add(n.metadata.name!), update: (_o, n) => this.queue.add(n.metadata.name!) });
    this.leases.addEventHandler({ add: (l) => this.onLease(l), update: (_o, l) => this.onLease(l) });
    this.pods.addEventHandler({
      add: (p) => this.onPod(p), update: (o, p) => { if (o.spec?.nodeName !== p.spec?.nodeName) this.onPodGone(o); this.onPod(p); },
      delete: (p) => this.onPodGone(p),
    });
  }

  private onLease(l: KObject): void {
    const name = l.metadata.name!;
    const rt = l.spec?.renewTime ?? '';
    const p = this.probes.get(name);
    if (!p || p.renewTime !== rt) { this.probes.set(name, { renewTime: rt, at: this.now() }); this.queue.add(name); }
  }

  private onPod(p: KObject): void {
    const n = p.spec?.nodeName;
    if (!n) return;
    let s = this.podsByNode.get(n);
    if (!s) this.podsByNode.set(n, (s = new Set()));
    s.add(`${p.metadata.namespace}/${p.metadata.name}`);
    if (!p.metadata.deletionTimestamp && (this.nodes.lister.get('', n)?.spec?.taints ?? []).some((t: Taint) => t.effect === 'NoExecute')) this.queue.add(n);
  }

  private onPodGone(p: KObject): void {
    const n = p.spec?.nodeName;
    if (n) this.podsByNode.get(n)?.delete(`${p.metadata.namespace}/${p.metadata.name}`);
  }

  async run(workers: number, signal: AbortSignal): Promise<void> {
    const synced = await Promise.all([this.nodes.waitForSync(signal), this.leases.waitForSync(signal), this.pods.waitForSync(signal)]);
    if (!synced.every(Boolean)) return;
    const tick = setInterval(() => { for (const n of this.nodes.lister.list()) this.queue.add(n.metadata.name!); }, this.monitorMs);
    try { await this.queue.runWorkers(workers, (k) => this.reconcile(k), signal); } finally { clearInterval(tick); await this.recorder.flush(); }
  }

  /** health (Ready condition), taints, then evictions, for one node */
  async reconcile(name: string): Promise<void | { requeueAfter: number }> {
    let node = this.nodes.lister.get('', name);
    if (!node) { this.probes.delete(name); return; }
    node = await this.monitorHealth(node);
    node = await this.reconcileTaints(node);
    return this.evict(node);
  }

  private async monitorHealth(node: KObject): Promise<KObject> {
    const name = node.metadata.name!;
    const created = Date.parse(node.metadata.creationTimestamp ?? '') || 0;
    const probe = Math.max(this.probes.get(name)?.at ?? 0, this.started, Math.min(created, this.now()));
    if (this.now() - probe <= this.graceMs) return node;
    const conds: any[] = node.status?.conditions ?? [];
    const ready = conds.find((c) => c.type === 'Ready');
    if (ready?.status === 'Unknown') return node;
    const now = rfc3339();
    const upd = clone(node);
    const types = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];
    const out = conds.map((c) => (types.includes(c.type) ? {
      ...c, status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: now,
    } : c));
    for (const t of types) {
      if (!out.some((c) => c.type === t)) {
        out.push({ type: t, status: 'Unknown', reason: 'NodeStatusNeverUpdated', message: 'Kubelet never posted node status.', lastHeartbeatTime: node.metadata.creationTimestamp, lastTransitionTime: now });
      }
    }
    upd.status = { ...(upd.status ?? {}), conditions: out };
    const made = await this.opts.client.updateStatus(nodesResource, upd);
    this.log(`node lifecycle controller: node ${name} hasn't been updated for ${Math.round((this.now() - probe) / 1000)}s: Ready is now Unknown`);
    this.recorder.event(node, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
    await this.markPodsNotReady(name);
    return made;
  }

  private async markPodsNotReady(node: string): Promise<void> {
    for (const key of this.podsByNode.get(node) ?? []) {
      const [ns, name] = key.split('/');
      const p = this.pods.lister.get(ns, name);
      if (!p || p.spec?.nodeName !== node) continue;
      const ready = (p.status?.conditions ?? []).find((c: any) => c.type === 'Ready');
      if (!ready || ready.status === 'False') continue;
      try {
        await this.opts.client.patch(podsResource, name, { namespace: ns, subresource: 'status', type: 'strategic', patch: { status: { conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: rfc3339() }] } } });
        this.recorder.event(p, 'Warning', 'NodeNotReady', 'Node is not ready');
      } catch (e) { if (!isNotFound(e)) throw e; }
    }
  }

  private async reconcileTaints(node: KObject): Promise<KObject> {
    const ready = (node.status?.conditions ?? []).find((c: any) => c.type === 'Ready');
    const key = ready?.status === 'Unknown' ? unreachableTaint : ready?.status === 'False' ? notReadyTaint : undefined;
    const cur: Taint[] = node.spec?.taints ?? [];
    const ours = (t: Taint) => t.key === unreachableTaint || t.key === notReadyTaint;
    // a cordoned node (spec.unschedulable) carries the unschedulable taint (upstream's TaintNodesByCondition)
    const cordoned = node.spec?.unschedulable === true;
    const keep = cur.filter((t) => (t.key === unschedulableTaint ? cordoned && t.effect === 'NoSchedule' : !ours(t) || (t.key === key && (t.effect === 'NoSchedule' || t.effect === 'NoExecute'))));
    const want = [...keep];
    if (key) {
      if (!want.some((t) => t.key === key && t.effect === 'NoSchedule')) want.push({ key, effect: 'NoSchedule', timeAdded: rfc3339() });
      if (!want.some((t) => t.key === key && t.effect === 'NoExecute')) want.push({ key, effect: 'NoExecute', timeAdded: rfc3339() });
    }
    if (cordoned && !want.some((t) => t.key === unschedulableTaint)) want.push({ key: unschedulableTaint, effect: 'NoSchedule', timeAdded: rfc3339() });
    if (want.length === cur.length && want.every((t, i) => t === cur[i])) return node;
    const upd = clone(node);
    upd.spec = { ...(upd.spec ?? {}), taints: want };
    if (!want.length) delete upd.spec.taints;
    const made = await this.opts.client.update(nodesResource, upd);
    if (!key && cur.some((t) => ours(t))) this.recorder.event(node, 'Normal', 'NodeReady', `Node ${node.metadata.name} status is now: NodeReady`);
    return made;
  }

  private async evict(node: KObject): Promise<void | { requeueAfter: number }> {
    const nodeName = node.metadata.name!;
    const taints: Taint[] = (node.spec?.taints ?? []).filter((t: Taint) => t.effect === 'NoExecute');
    // when each taint was first seen: a taint without timeAdded (kubectl taint) counts from then, as
    // upstream's taint manager counts from when it sees it
    const taintId = (t: Taint) => `${nodeName}|${t.key}|${t.value ?? ''}`;
    const ids = new Set(taints.map(taintId));
    for (const k of this.taintSeen.keys()) if (k.startsWith(`${nodeName}|`) && !ids.has(k)) this.taintSeen.delete(k);
    if (!taints.length) return;
    const added = Math.max(...taints.map((t) => {
      const id = taintId(t);
      if (!this.taintSeen.has(id)) this.taintSeen.set(id, this.now());
      return Date.parse(t.timeAdded ?? '') || this.taintSeen.get(id)!;
    }));
    let next = Infinity;
    for (const key of [...(this.podsByNode.get(node.metadata.name!) ?? [])]) {
      const [ns, name] = key.split('/');
      const p = this.pods.lister.get(ns, name);
      if (!p || p.metadata.deletionTimestamp || p.spec?.nodeName !== node.metadata.name) continue;
      const tolerated = tolerationSeconds(p, taints);
      if (tolerated === Infinity) continue; // tolerated for good (the test cap shortens only finite tolerations)
      const secs = Math.min(tolerated, this.cap);
      const due = added + secs * 1000 - this.now();
      if (due > 0) { next = Math.min(next, due); continue; }
      try {
        // as upstream: the pod says why it goes (DisruptionTarget), then it is deleted
        const message = 'Taint manager: deleting due to NoExecute taint';
        await this.opts.client.patch(podsResource, name, {
          namespace: ns, subresource: 'status', type: 'strategic',
          patch: { metadata: { uid: p.metadata.uid }, status: { conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager', message, lastTransitionTime: rfc3339() }] } },
        });
        await this.opts.client.delete(podsResource, name, { namespace: ns, preconditions: { uid: p.metadata.uid } });
        this.recorder.event(p, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${key}`);
      } catch (e) { if (!isNotFound(e) && !isConflict(e)) throw e; }
    }
    return next === Infinity ? undefined : { requeueAfter: Math.ceil(next) };
  }
}
