// Pod predicates shared by workload controllers (upstream's controller_utils / podutil), and the
// order in which a ReplicaSet deletes pods when scaling down (upstream's ActivePodsWithRanks).
import type { KObject } from '../../api/types.js';

export const podDeletionCostAnnotation = 'controller.kubernetes.io/pod-deletion-cost';

/** not terminal and not being deleted (upstream's IsPodActive) */
export function isPodActive(p: KObject): boolean {
  const phase = p.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !p.metadata.deletionTimestamp;
}

function readyCondition(p: KObject): { status?: string; lastTransitionTime?: string } | undefined {
  return (p.status?.conditions ?? []).find((c: { type?: string }) => c.type === 'Ready');
}

export function isPodReady(p: KObject): boolean {
  return readyCondition(p)?.status === 'True';
}

/** ready for at least minReadySeconds (upstream's IsPodAvailable) */
export function isPodAvailable(p: KObject, minReadySeconds: number, now: number): boolean {
  const c = readyCondition(p);
  if (c?.status !== 'True') return false;
  if (!minReadySeconds) return true;
  const since = c.lastTransitionTime ? Date.parse(c.lastTransitionTime) : NaN;
  return !Number.isNaN(since) && since + minReadySeconds * 1000 <= now;
}

/** ms until a ready pod becomes available, or undefined (not ready, or already available) */
export function msUntilAvailable(p: KObject, minReadySeconds: number, now: number): number | undefined {
  const c = readyCondition(p);
  if (c?.status !== 'True' || !minReadySeconds || !c.lastTransitionTime) return undefined;
  const left = Date.parse(c.lastTransitionTime) + minReadySeconds * 1000 - now;
  return left > 0 ? left : undefined;
}

const phaseOrdinal: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function deletionCost(p: KObject): number {
  const v = Number(p.metadata.annotations?.[podDeletionCostAnnotation] ?? 0);
  return Number.isFinite(v) ? v : 0;
}

function restarts(p: KObject): number {
  let n = 0;
  for (const s of p.status?.containerStatuses ?? []) n = Math.max(n, s.restartCount ?? 0);
  return n;
}

/** floor(log2(ns since t)); -1 when t is missing or not in the past (upstream's logarithmic scale-down buckets) */
function logBucket(t: string | undefined, now: number): number {
  if (!t) return -1;
  const d = (now - Date.parse(t)) * 1e6;
  return d > 0 ? Math.floor(Math.log2(d)) : -1;
}

/**
 * Compares two pods for deletion: negative when a should go first. Order (upstream): unassigned
 * before assigned; Pending < Unknown < Running; not ready < ready; lower pod-deletion-cost;
 * higher rank (more related pods on its node); ready more recently; more restarts; newer.
 */
export function compareForDeletion(a: KObject, b: KObject, rankA: number, rankB: number, now: number): number {
  const an = a.spec?.nodeName ?? '', bn = b.spec?.nodeName ?? '';
  if (!an !== !bn) return !an ? -1 : 1;
  const ap = phaseOrdinal[a.status?.phase ?? 'Pending'] ?? 0, bp = phaseOrdinal[b.status?.phase ?? 'Pending'] ?? 0;
  if (ap !== bp) return ap - bp;
  const ar = isPodReady(a), br = isPodReady(b);
  if (ar !== br) return ar ? 1 : -1;
  const ac = deletionCost(a), bc = deletionCost(b);
  if (ac !== bc) return ac - bc;
  if (rankA !== rankB) return rankB - rankA;
  if (ar && br) {
    const at = logBucket(readyCondition(a)?.lastTransitionTime, now), bt = logBucket(readyCondition(b)?.lastTransitionTime, now);
    if (at !== bt) return at - bt;  // smaller bucket: ready more recently, deleted first
  }
  const rs = restarts(b) - restarts(a);
  if (rs) return rs;
  const at = logBucket(a.metadata.creationTimestamp, now), bt = logBucket(b.metadata.creationTimestamp, now);
  if (at !== bt) return at - bt;
  return 0;
}

/**
 * The n pods to delete first. related: active pods of the same owner family (used for ranks:
 * the number of related pods on each pod's node).
 */
export function podsToDelete(pods: KObject[], related: KObject[], n: number, now = Date.now()): KObject[] {
  if (n >= pods.length) return [...pods];
  const onNode = new Map<string, number>();
  for (const p of related) {
    const node = p.spec?.nodeName;
    if (node && isPodActive(p)) onNode.set(node, (onNode.get(node) ?? 0) + 1);
  }
  const rank = (p: KObject) => (p.spec?.nodeName ? onNode.get(p.spec.nodeName) ?? 0 : 0);
  return pods.map((p) => ({ p, r: rank(p) }))
    .sort((x, y) => compareForDeletion(x.p, y.p, x.r, y.r, now))
    .slice(0, n).map((x) => x.p);
}
