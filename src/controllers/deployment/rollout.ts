// Replica arithmetic of a rollout, as pure functions over the RSs (upstream's rolling.go,
// recreate.go and sync.go scale): each returns target sizes; the controller writes them.
import type { KObject } from '../../api/types.js';
import { isRolling, maxSurge, maxUnavailable, replicasOf } from './util.js';

const size = (r: KObject): number => r.spec?.replicas ?? 0;
const created = (r: KObject) => Date.parse(r.metadata.creationTimestamp ?? '') || 0;
const sumSize = (rss: KObject[]) => rss.reduce((n, r) => n + size(r), 0);
/** oldest first, then by name (upstream's ReplicaSetsByCreationTimestamp) */
export const byCreation = (a: KObject, b: KObject) => created(a) - created(b) || ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1);

/** the size the new RS may have now (upstream's NewRSNewReplicas) */
export function newRSNewReplicas(d: KObject, allRSs: KObject[], newRS: KObject): number {
  if (!isRolling(d)) return replicasOf(d);
  const current = sumSize(allRSs);
  const maxTotal = replicasOf(d) + maxSurge(d);
  if (current >= maxTotal) return size(newRS);
  const up = Math.min(maxTotal - current, Math.max(0, replicasOf(d) - size(newRS)));
  return size(newRS) + up;
}

/**
 * New sizes for old RSs in a rolling update (upstream's reconcileOldReplicaSets): first drop
 * unhealthy old replicas, then scale down while availability stays at least replicas-maxUnavailable.
 */
export function oldRSsScaleDown(d: KObject, oldRSs: KObject[], newRS: KObject | undefined): Map<string, number> {
  const out = new Map<string, number>();
  const oldCount = sumSize(oldRSs);
  if (oldCount === 0) return out;
  const all = newRS ? [...oldRSs, newRS] : oldRSs;
  const minAvailable = replicasOf(d) - maxUnavailable(d);
  const newUnavailable = newRS ? size(newRS) - (newRS.status?.availableReplicas ?? 0) : 0;
  const maxScaledDown = sumSize(all) - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return out;
  const sizes = new Map(oldRSs.map((r) => [r.metadata.name!, size(r)]));
  const sorted = [...oldRSs].sort(byCreation);
  let cleaned = 0;
  for (const r of sorted) {
    if (cleaned >= maxScaledDown) break;
    const cur = sizes.get(r.metadata.name!)!;
    if (cur === 0) continue;
    const unhealthy = cur - (r.status?.availableReplicas ?? 0);
    if (unhealthy <= 0) continue;
    const down = Math.min(maxScaledDown - cleaned, unhealthy);
    sizes.set(r.metadata.name!, cur - down);
    cleaned += down;
  }
  const availableCount = all.reduce((n, r) => n + (r.status?.availableReplicas ?? 0), 0);
  if (availableCount > minAvailable) {
    const total = availableCount - minAvailable;
    let done = 0;
    for (const r of sorted) {
      if (done >= total) break;
      const cur = sizes.get(r.metadata.name!)!;
      if (cur === 0) continue;
      const down = Math.min(cur, total - done);
      sizes.set(r.metadata.name!, cur - down);
      done += down;
    }
  }
  for (const r of oldRSs) if (sizes.get(r.metadata.name!) !== size(r)) out.set(r.metadata.name!, sizes.get(r.metadata.name!)!);
  return out;
}

/** active: spec.replicas > 0 */
export const activeRSs = (rss: KObject[]) => rss.filter((r) => size(r) > 0);

/** the one active RS, or the newest when none is active; undefined when several are (upstream's FindActiveOrLatest) */
export function findActiveOrLatest(newRS: KObject | undefined, oldRSs: KObject[]): KObject | undefined {
  if (!newRS && !oldRSs.length) return undefined;
  const olds = [...oldRSs].sort(byCreation).reverse();
  const all = activeRSs(newRS ? [...olds, newRS] : olds);
  if (all.length === 0) return newRS ?? olds[0];
  if (all.length === 1) return all[0];
  return undefined;
}

/** the new RS has all replicas, annotated for this size, all available (upstream's IsSaturated) */
export function isSaturated(d: KObject, rs: KObject | undefined): boolean {
  if (!rs) return false;
  const desired = Number(rs.metadata.annotations?.['deployment.kubernetes.io/desired-replicas']);
  return size(rs) === replicasOf(d) && desired === replicasOf(d) && (rs.status?.availableReplicas ?? 0) === replicasOf(d);
}

/**
 * Sizes after a scaling event during a rollout: the difference is spread over the active RSs in
 * proportion to their size (upstream's proportional scaling in sync.go scale()), leftovers to the
 * largest (newest when growing, oldest when shrinking). Returns every active RS's new size, or
 * undefined when nothing should change.
 */
export function proportionalSizes(d: KObject, newRS: KObject | undefined, oldRSs: KObject[]): Map<string, number> | undefined {
  const all = activeRSs(newRS ? [...oldRSs, newRS] : oldRSs);
  const allSize = sumSize(all);
  const allowed = replicasOf(d) > 0 ? replicasOf(d) + maxSurge(d) : 0;
  const toAdd = allowed - allSize;
  if (toAdd === 0) return undefined;
  const newer = (a: KObject, b: KObject) => size(b) - size(a) || created(b) - created(a);
  const older = (a: KObject, b: KObject) => size(b) - size(a) || created(a) - created(b);
  const sorted = [...all].sort(toAdd > 0 ? newer : older);
  const sizes = new Map<string, number>();
  let added = 0;
  for (const r of sorted) {
    let p = 0;
    if (size(r) && toAdd !== added) {
      const frac = fraction(r, d);
      const left = toAdd - added;
      p = toAdd > 0 ? Math.min(frac, left) : Math.max(frac, left);
    }
    sizes.set(r.metadata.name!, size(r) + p);
    added += p;
  }
  if (sorted.length && added !== toAdd) {
    const first = sorted[0].metadata.name!;
    sizes.set(first, Math.max(0, sizes.get(first)! + toAdd - added));
  }
  return sizes;
}

function fraction(r: KObject, d: KObject): number {
  if (replicasOf(d) === 0) return -size(r);
  const deploymentReplicas = replicasOf(d) + maxSurge(d);
  const annotated = Number(r.metadata.annotations?.['deployment.kubernetes.io/max-replicas']);
  const base = Number.isInteger(annotated) && annotated > 0 ? annotated : (d.status?.replicas ?? 0);
  if (!base) return 0;
  return Math.round((size(r) * deploymentReplicas) / base) - size(r);
}
