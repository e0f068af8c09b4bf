// Pure helpers for the Job controller (upstream pkg/controller/job: utils.go, indexed_job_utils.go,
// backoff_utils.go): conditions, completion indexes, pod ordering, failure back-off.
import type { KObject } from '../api/types.js';
import { nowRFC3339 } from '../util/time.js';

export const jobTrackingFinalizer = 'batch.kubernetes.io/job-tracking';
export const completionIndexAnnotation = 'batch.kubernetes.io/job-completion-index';
export const completionIndexLabel = 'batch.kubernetes.io/job-completion-index';
export const completionIndexEnv = 'JOB_COMPLETION_INDEX';

export interface JobCondition {
  type: string; status: 'True' | 'False' | 'Unknown'; reason?: string; message?: string;
  lastProbeTime?: string; lastTransitionTime?: string;
}

export function newCondition(type: string, status: JobCondition['status'], reason: string, message: string, now: Date): JobCondition {
  const t = nowRFC3339(now);
  const c: JobCondition = { type, status, lastProbeTime: t, lastTransitionTime: t };
  if (reason) c.reason = reason;
  if (message) c.message = message;
  return c;
}

export function findCondition(conds: JobCondition[] | undefined, type: string): JobCondition | undefined {
  return conds?.find((c) => c.type === type);
}

/** upstream ensureJobConditionStatus: sets a condition; returns whether anything changed */
export function ensureCondition(status: { conditions?: JobCondition[] }, c: Omit<JobCondition, 'lastProbeTime' | 'lastTransitionTime'>, now: Date): boolean {
  const list = (status.conditions ??= []);
  const i = list.findIndex((x) => x.type === c.type);
  if (i >= 0) {
    const cur = list[i];
    if (cur.status === c.status && (cur.reason ?? '') === (c.reason ?? '') && (cur.message ?? '') === (c.message ?? '')) return false;
    list[i] = newCondition(c.type, c.status, c.reason ?? '', c.message ?? '', now);
    return true;
  }
  if (c.status === 'False') return false;
  list.push(newCondition(c.type, c.status, c.reason ?? '', c.message ?? '', now));
  return true;
}

const condTrue = (job: KObject, type: string) => findCondition(job.status?.conditions, type)?.status === 'True';

/** Complete or Failed */
export function isJobFinished(job: KObject): boolean { return condTrue(job, 'Complete') || condTrue(job, 'Failed'); }
export function finishedConditionType(job: KObject): 'Complete' | 'Failed' | undefined {
  return condTrue(job, 'Complete') ? 'Complete' : condTrue(job, 'Failed') ? 'Failed' : undefined;
}

export const isIndexed = (job: KObject) => job.spec?.completionMode === 'Indexed';
export const hasTrackingFinalizer = (pod: KObject) => !!pod.metadata.finalizers?.includes(jobTrackingFinalizer);
export const isTerminal = (pod: KObject) => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
/** controller.IsPodActive */
export const isPodActive = (pod: KObject) => !isTerminal(pod) && !pod.metadata.deletionTimestamp;
export { isPodReady } from '../api/pods.js';
import { isPodReady } from '../api/pods.js';

/** a deleted pod that never finished counts as failed, unless only Failed pods are replaced */
export function isPodFailed(pod: KObject, job: KObject): boolean {
  if (pod.status?.phase === 'Failed') return true;
  // with a pod failure policy, only a pod that reached phase Failed has failed (upstream)
  if (job.spec?.podFailurePolicy) return false;
  if (job.spec?.podReplacementPolicy === 'Failed') return false;
  return !!pod.metadata.deletionTimestamp && pod.status?.phase !== 'Succeeded';
}

/** the pod's completion index, or -1 */
export function completionIndex(pod: KObject): number {
  const v = pod.metadata.annotations?.[completionIndexAnnotation];
  if (v === undefined || !/^\d+$/.test(v)) return -1;
  return Number(v);
}

// ---- completed indexes ("1,3-5,7") ----

/** parses status.completedIndexes, keeping indexes below completions */
export function parseIndexes(s: string | undefined, completions: number): Set<number> {
  const out = new Set<number>();
  for (const part of (s ?? '').split(',').filter(Boolean)) {
    const [a, b] = part.split('-').map(Number);
    for (let i = a; i <= (b ?? a) && i < completions; i++) if (Number.isInteger(i) && i >= 0) out.add(i);
  }
  return out;
}

export function formatIndexes(ix: Iterable<number>): string {
  const sorted = [...new Set(ix)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(j === i ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** the lowest count indexes below completions that neither succeeded nor have an active pod */
export function firstPendingIndexes(succeeded: Set<number>, activePods: KObject[], count: number, completions: number): number[] {
  const taken = new Set(succeeded);
  for (const p of activePods) { const ix = completionIndex(p); if (ix >= 0) taken.add(ix); }
  const out: number[] = [];
  for (let i = 0; i < completions && out.length < count; i++) if (!taken.has(i)) out.push(i);
  return out;
}

// ---- pod ordering ----

const phaseRank: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };
const ts = (s?: string) => (s ? Date.parse(s) : 0);

/** controller.ActivePods order: the pods to delete first come first */
export function compareForDeletion(a: KObject, b: KObject): number {
  const na = a.spec?.nodeName ? 1 : 0; const nb = b.spec?.nodeName ? 1 : 0;
  if (na !== nb) return na - nb;
  const pa = phaseRank[a.status?.phase ?? 'Pending'] ?? 0; const pb = phaseRank[b.status?.phase ?? 'Pending'] ?? 0;
  if (pa !== pb) return pa - pb;
  const ra = isPodReady(a) ? 1 : 0; const rb = isPodReady(b) ? 1 : 0;
  if (ra !== rb) return ra - rb;
  const restarts = (p: KObject) => Math.max(0, ...(p.status?.containerStatuses ?? []).map((c: any) => c.restartCount ?? 0));
  if (restarts(a) !== restarts(b)) return restarts(b) - restarts(a);
  return ts(b.metadata.creationTimestamp) - ts(a.metadata.creationTimestamp);
}

/** upstream activePodsForRemoval: duplicate/invalid indexes first, then by deletion order */
export function activePodsForRemoval(job: KObject, pods: KObject[], atLeast: number): KObject[] {
  const rm: KObject[] = [];
  let left = pods;
  if (isIndexed(job)) {
    left = [];
    const completions = job.spec.completions ?? 0;
    const byIndex = new Map<number, KObject[]>();
    for (const p of pods) {
      const ix = completionIndex(p);
      if (ix < 0 || ix >= completions) { rm.push(p); continue; }
      const l = byIndex.get(ix) ?? []; l.push(p); byIndex.set(ix, l);
    }
    for (const l of byIndex.values()) {
      l.sort(compareForDeletion);
      rm.push(...l.slice(0, -1));
      left.push(l[l.length - 1]);
    }
  }
  if (rm.length < atLeast) rm.push(...[...left].sort(compareForDeletion).slice(0, atLeast - rm.length));
  return rm;
}

// ---- failure back-off (backoff_utils.go) ----

export interface BackoffRecord { failuresAfterLastSuccess: number; lastFailureTime?: number }

/** when a pod finished: its last container's finishedAt, else deletion, else creation */
export function finishedTime(pod: KObject): number {
  let t = 0;
  for (const c of [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])]) {
    t = Math.max(t, ts(c.state?.terminated?.finishedAt));
  }
  if (t) return t;
  if (pod.metadata.deletionTimestamp) return ts(pod.metadata.deletionTimestamp);
  const ready = pod.status?.conditions?.find((c: any) => c.type === 'Ready');
  return ts(ready?.lastTransitionTime) || ts(pod.metadata.creationTimestamp);
}

export function nextBackoffRecord(old: BackoffRecord | undefined, succeeded: KObject[], failed: KObject[]): BackoffRecord {
  const r: BackoffRecord = { failuresAfterLastSuccess: old?.failuresAfterLastSuccess ?? 0, lastFailureTime: old?.lastFailureTime };
  const f = failed.map(finishedTime).sort((a, b) => a - b);
  if (!succeeded.length) {
    if (!f.length) return r;
    return { failuresAfterLastSuccess: r.failuresAfterLastSuccess + f.length, lastFailureTime: f[f.length - 1] };
  }
  const lastSuccess = Math.max(...succeeded.map(finishedTime));
  const after = f.filter((t) => t > lastSuccess);
  return { failuresAfterLastSuccess: after.length, lastFailureTime: after.length ? after[after.length - 1] : undefined };
}

/** how long pod creation must still wait: base·2^(failures-1), capped at max, since the last failure */
export function remainingBackoff(r: BackoffRecord, now: number, baseMs: number, maxMs: number): number {
  if (!r.failuresAfterLastSuccess || r.lastFailureTime === undefined) return 0;
  let d = baseMs;
  for (let i = 1; i < r.failuresAfterLastSuccess; i++) { d *= 2; if (d >= maxMs) { d = maxMs; break; } }
  const elapsed = now - r.lastFailureTime;
  return d < elapsed ? 0 : d - elapsed;
}

/** restartPolicy OnFailure: container restarts of running pods count against backoffLimit */
export function pastBackoffLimitOnFailure(job: KObject, pods: KObject[]): boolean {
  if (job.spec?.template?.spec?.restartPolicy !== 'OnFailure') return false;
  let n = 0;
  for (const p of pods) {
    if (p.status?.phase !== 'Running' && p.status?.phase !== 'Pending') continue;
    for (const c of [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])]) n += c.restartCount ?? 0;
  }
  const limit = job.spec.backoffLimit ?? 6;
  return limit === 0 ? n > 0 : n >= limit;
}

/** env JOB_COMPLETION_INDEX from the completion index annotation, for every container */
export function addCompletionIndexEnv(podSpec: any): void {
  for (const c of [...(podSpec.containers ?? []), ...(podSpec.initContainers ?? [])]) {
    c.env ??= [];
    if (c.env.some((e: any) => e.name === completionIndexEnv)) continue;
    c.env.push({ name: completionIndexEnv, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: `metadata.annotations['${completionIndexAnnotation}']` } } });
  }
}

/** upstream podGenerateNameWithIndex: "<job>-<index>-", the job name cut to fit 63 characters */
export function generateNameWithIndex(jobName: string, index: number): string {
  const appendix = `-${index}-`;
  const maxPrefix = 63 - 5 - appendix.length;   // 5 random characters follow
  return (jobName.length > maxPrefix ? jobName.slice(0, maxPrefix) : jobName) + appendix;
}

export type PodFailureAction = 'FailJob' | 'FailIndex' | 'Ignore' | 'Count';

/**
 * upstream's matchPodFailurePolicy: the action of the first rule a failed pod matches (a container,
 * init containers included, that exited non-zero with a code the rule names, or a pod condition),
 * and for FailJob the Job's failure message; undefined when no rule matches (the failure counts)
 */
export function matchPodFailurePolicy(policy: any, pod: KObject): { action: PodFailureAction; message?: string } | undefined {
  const rules: any[] = Array.isArray(policy?.rules) ? policy.rules : [];
  const ref = `${pod.metadata.namespace}/${pod.metadata.name}`;
  for (const [i, rule] of rules.entries()) {
    const action = rule?.action as PodFailureAction;
    if (rule?.onExitCodes) {
      const req = rule.onExitCodes;
      const values: number[] = Array.isArray(req.values) ? req.values : [];
      const statuses: any[] = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
      const hit = statuses.find((c) => {
        const code = c?.state?.terminated?.exitCode;
        if (code === undefined || code === 0) return false;
        if (req.containerName && req.containerName !== c.name) return false;
        return req.operator === 'NotIn' ? !values.includes(code) : values.includes(code);
      });
      if (hit) return { action, ...(action === 'FailJob' ? { message: `Container ${hit.name} for pod ${ref} failed with exit code ${hit.state.terminated.exitCode} matching FailJob rule at index ${i}` } : {}) };
    } else if (Array.isArray(rule?.onPodConditions)) {
      const hit = rule.onPodConditions.map((want: any) => (pod.status?.conditions ?? []).find((c: any) => c.type === want.type && c.status === (want.status ?? 'True'))).find(Boolean);
      if (hit) return { action, ...(action === 'FailJob' ? { message: `Pod ${ref} has condition ${hit.type} matching FailJob rule at index ${i}` } : {}) };
    }
  }
  return undefined;
}

/** the annotation a replacement pod carries: how often its index failed before (upstream) */
export const indexFailureCountAnnotation = 'batch.kubernetes.io/job-index-failure-count';

/** failures per completion index: the highest count a pod of the index carries, plus one if it failed */
export function indexFailureCounts(pods: KObject[], job: KObject): Map<number, number> {
  const out = new Map<number, number>();
  for (const p of pods) {
    const ix = completionIndex(p);
    if (ix < 0) continue;
    const before = Number(p.metadata.annotations?.[indexFailureCountAnnotation] ?? 0) || 0;
    const n = before + (isPodFailed(p, job) ? 1 : 0);
    out.set(ix, Math.max(out.get(ix) ?? 0, n));
  }
  return out;
}
