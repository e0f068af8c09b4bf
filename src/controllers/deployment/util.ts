// Deployment facts shared by the controller's parts (upstream's deployment/util and
// controller.ComputeHash): annotations, the pod-template hash, surge/unavailable arithmetic,
// revisions, conditions.
import type { KObject } from '../../api/types.js';

export const revisionAnnotation = 'deployment.kubernetes.io/revision';
export const revisionHistoryAnnotation = 'deployment.kubernetes.io/revision-history';
export const desiredReplicasAnnotation = 'deployment.kubernetes.io/desired-replicas';
export const maxReplicasAnnotation = 'deployment.kubernetes.io/max-replicas';
export const podTemplateHashLabel = 'pod-template-hash';
const lastAppliedAnnotation = 'kubectl.kubernetes.io/last-applied-configuration';
/** limit of the revision-history annotation (upstream's maxRevHistoryLengthInChars) */
export const maxRevHistoryLengthInChars = 2000;

export const annotationsToSkip = new Set([
  lastAppliedAnnotation, revisionAnnotation, revisionHistoryAnnotation, desiredReplicasAnnotation, maxReplicasAnnotation,
  'deprecated.deployment.rollback.to', 'deployment.kubernetes.io/error-selector-overlapping-with', 'deployment.kubernetes.io/selector-updated-at',
]);

// ---- hash ----

/** FNV-1a, 32 bit */
export function fnv32a(data: Uint8Array, h = 0x811c9dc5): number {
  for (const b of data) { h ^= b; h = Math.imul(h, 0x01000193) >>> 0; }
  return h >>> 0;
}

export { safeEncodeString } from '../../util/rand.js';
import { safeEncodeString } from '../../util/rand.js';

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) if ((v as any)[k] !== undefined) out[k] = canonical((v as any)[k]);
    return out;
  }
  return v;
}

/**
 * The pod-template-hash (upstream's controller.ComputeHash): FNV-32a of the template, then of the
 * collision count as 8 little-endian bytes, the decimal sum safe-encoded. Upstream hashes Go's
 * printed form of the struct; we hash its canonical JSON, so values differ but are as stable.
 */
export function computeHash(template: unknown, collisionCount?: number): string {
  let h = fnv32a(Buffer.from(JSON.stringify(canonical(template ?? {})), 'utf8'));
  if (collisionCount !== undefined && collisionCount !== null) {
    const b = Buffer.alloc(8);
    b.writeUInt32LE(collisionCount >>> 0, 0);
    h = fnv32a(b, h);
  }
  return safeEncodeString(String(h));
}

/** semantic equality: absent, null, {} and [] are the same */
function semantic(v: unknown): unknown {
  if (Array.isArray(v)) return v.length ? v.map(semantic) : undefined;
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) { const x = semantic((v as any)[k]); if (x !== undefined) out[k] = x; }
    return Object.keys(out).length ? out : undefined;
  }
  return v === null ? undefined : v;
}

/** templates equal but for the pod-template-hash label (upstream's EqualIgnoreHash) */
export function equalIgnoreHash(a: any, b: any): boolean {
  const strip = (t: any) => {
    const c = structuredClone(t ?? {});
    if (c.metadata?.labels) delete c.metadata.labels[podTemplateHashLabel];
    return JSON.stringify(semantic(c) ?? null);
  };
  return strip(a) === strip(b);
}

// ---- surge / unavailable ----

/** an IntOrString against total; percentages round up or down */
export function scaledValue(v: number | string | undefined, total: number, roundUp: boolean): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) { const n = Number(v); return Number.isFinite(n) ? n : 0; }
  const x = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}

/** [maxSurge, maxUnavailable] (upstream's ResolveFenceposts): surge rounds up, unavailable down; never both 0 */
export function resolveFenceposts(d: KObject): [number, number] {
  const ru = d.spec?.strategy?.rollingUpdate ?? {};
  const desired = replicasOf(d);
  const surge = scaledValue(ru.maxSurge ?? '25%', desired, true);
  let unavailable = scaledValue(ru.maxUnavailable ?? '25%', desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return [surge, unavailable];
}

export const isRolling = (d: KObject) => (d.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
export const replicasOf = (o: KObject): number => o.spec?.replicas ?? 1;

export function maxSurge(d: KObject): number { return isRolling(d) ? resolveFenceposts(d)[0] : 0; }

export function maxUnavailable(d: KObject): number {
  if (!isRolling(d) || replicasOf(d) === 0) return 0;
  return Math.min(resolveFenceposts(d)[1], replicasOf(d));
}

// ---- revisions and annotations ----

export function revisionOf(o: KObject): number {
  const v = Number(o.metadata.annotations?.[revisionAnnotation] ?? 0);
  return Number.isInteger(v) ? v : 0;
}

export const maxRevision = (rss: KObject[]) => rss.reduce((m, r) => Math.max(m, revisionOf(r)), 0);

/**
 * Copies the deployment's annotations (but the skipped ones) to the new RS, raises its revision to
 * newRevision (remembering the old one in revision-history, as a rollback does), and, for an RS
 * about to be created, sets the replicas annotations. Mutates rs; true if anything changed.
 */
export function setNewReplicaSetAnnotations(d: KObject, rs: KObject, newRevision: number, exists: boolean): boolean {
  const a = (rs.metadata.annotations ??= {});
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) {
    if (annotationsToSkip.has(k) || a[k] === v) continue;
    a[k] = v;
    changed = true;
  }
  const had = a[revisionAnnotation];
  const old = Number(had ?? 0);
  if (!(old >= newRevision)) {
    a[revisionAnnotation] = String(newRevision);
    changed = true;
    if (had !== undefined && had !== '') {
      let hist = a[revisionHistoryAnnotation] ? `${a[revisionHistoryAnnotation]},${had}` : had;
      while (hist.length > maxRevHistoryLengthInChars && hist.includes(',')) hist = hist.slice(hist.indexOf(',') + 1);
      a[revisionHistoryAnnotation] = hist;
    }
  }
  if (!exists && setReplicasAnnotations(rs, replicasOf(d), replicasOf(d) + maxSurge(d))) changed = true;
  return changed;
}

export function replicasAnnotationsNeedUpdate(rs: KObject, desired: number, max: number): boolean {
  const a = rs.metadata.annotations ?? {};
  return a[desiredReplicasAnnotation] !== String(desired) || a[maxReplicasAnnotation] !== String(max);
}

export function setReplicasAnnotations(rs: KObject, desired: number, max: number): boolean {
  if (!replicasAnnotationsNeedUpdate(rs, desired, max)) return false;
  const a = (rs.metadata.annotations ??= {});
  a[desiredReplicasAnnotation] = String(desired);
  a[maxReplicasAnnotation] = String(max);
  return true;
}

// ---- conditions ----

export interface Condition { type: string; status: string; lastUpdateTime?: string; lastTransitionTime?: string; reason?: string; message?: string }

export const rfc3339 = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

export function newCondition(type: string, status: string, reason: string, message: string, now: number): Condition {
  const t = rfc3339(now);
  return { type, status, lastUpdateTime: t, lastTransitionTime: t, reason, message };
}

export function getCondition(status: { conditions?: Condition[] } | undefined, type: string): Condition | undefined {
  return (status?.conditions ?? []).find((c) => c.type === type);
}

/** upstream's SetDeploymentCondition: no-op for the same status and reason; keeps the transition time when only the reason changes */
export function setCondition(status: { conditions?: Condition[] }, c: Condition): void {
  const cur = getCondition(status, c.type);
  if (cur && cur.status === c.status && cur.reason === c.reason) return;
  if (cur && cur.status === c.status) c.lastTransitionTime = cur.lastTransitionTime;
  status.conditions = [...(status.conditions ?? []).filter((x) => x.type !== c.type), c];
}

export function removeCondition(status: { conditions?: Condition[] }, type: string): void {
  status.conditions = (status.conditions ?? []).filter((x) => x.type !== type);
  if (!status.conditions.length) delete status.conditions;
}

export const hasProgressDeadline = (d: KObject) => d.spec?.progressDeadlineSeconds !== undefined && d.spec?.progressDeadlineSeconds !== null && d.spec.progressDeadlineSeconds !== 2147483647;
