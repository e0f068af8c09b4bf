// Job controller (upstream pkg/controller/job, as of 1.32): runs pods until `completions` succeed
// (or, without completions, until one succeeds and the rest finish), never more than
// `parallelism` at once; NonIndexed and Indexed completion; backoffLimit with exponential pod
// failure back-off; activeDeadlineSeconds; suspend. Pods carry the batch.kubernetes.io/job-tracking
// finalizer until counted: finished pods go to status.uncountedTerminatedPods, lose the finalizer,
// then move to the succeeded/failed counters. Finishing goes through the interim
// SuccessCriteriaMet / FailureTarget conditions before Complete / Failed.
import type { KObject, OwnerReference } from '../api/types.js';
import {
  clone, EventRecorder, isConflict, isNotFound, keyOf, selectorMatches, splitKey, WorkQueue,
  type RestClient, type SharedInformer, type SharedInformerFactory,
} from '../client/index.js';
import { realClock, type Clock } from '../util/clock.js';
import { nowRFC3339 } from '../util/time.js';
import { Expectations } from './expectations.js';
import {
  activePodsForRemoval, addCompletionIndexEnv, completionIndex, completionIndexAnnotation, completionIndexLabel,
  ensureCondition, findCondition, firstPendingIndexes, formatIndexes, generateNameWithIndex, hasTrackingFinalizer,
  isIndexed, isJobFinished, isPodActive, isPodFailed, isPodReady, isTerminal, jobTrackingFinalizer, newCondition,
  indexFailureCountAnnotation, indexFailureCounts, matchPodFailurePolicy, nextBackoffRecord, parseIndexes, pastBackoffLimitOnFailure, remainingBackoff,
  type BackoffRecord, type JobCondition,
} from './jobutil.js';
import { isNamespaceTerminating, podsResource } from './resources.js';

export const jobsResource = { group: 'batch', version: 'v1', plural: 'jobs', namespaced: true, kind: 'Job' };
const maxUncountedPods = 500;
const maxPodCreateDeletePerSync = 500;

export interface JobControllerOptions {
  client: RestClient;
  informers: SharedInformerFactory;
  recorder?: EventRecorder;
  clock?: Clock;
  /** first pod failure back-off (default 10s, doubled per failure) and its cap (default 6 min) */
  podFailureBackoffMs?: number;
  maxPodFailureBackoffMs?: number;
  log?: (msg: string) => void;
}

export function controllerRef(o: KObject): OwnerReference | undefined {
  return o.metadata.ownerReferences?.find((r) => r.controller);
}

function jobOwnerRef(job: KObject): OwnerReference {
  return { apiVersion: 'batch/v1', kind: 'Job', name: job.metadata.name!, uid: job.metadata.uid!, controller: true, blockOwnerDeletion: true };
}

interface SyncCtx {
  key: string;
  job: KObject;
  pods: KObject[];
  activePods: KObject[];
  succeeded: number;
  failed: number;
  ready: number;
  terminating: number;
  satisfied: boolean;
  finished?: JobCondition;
  prevSucceededIndexes: Set<number>;
  succeededIndexes: Set<number>;
  newBackoff: BackoffRecord;
  expectedRm: Set<string>;
  /** failed pods a pod failure policy's Ignore rule matched: not counted */
  ignored: Set<string>;
  /** backoffLimitPerIndex: indexes that failed for good, and each index's failures so far */
  failedIndexes: Set<number>;
  indexFailures: Map<number, number>;
}

export class JobController {
  readonly queue: WorkQueue<string>;
  /** pods holding the tracking finalizer with no live Job to count them */
  readonly orphanQueue: WorkQueue<string>;
  readonly jobs: SharedInformer;
  readonly pods: SharedInformer;
  private readonly client: RestClient;
  private readonly recorder: EventRecorder;
  private readonly clock: Clock;
  private readonly expectations: Expectations;
  private readonly backoff = new Map<string, BackoffRecord>();
  /** job key -> pod UIDs whose finalizer removal is not yet in the cache */
  private readonly expectedRm = new Map<string, Set<string>>();
  private readonly log: (msg: string) => void;

  constructor(private readonly opts: JobControllerOptions) {
    this.client = opts.client;
    this.clock = opts.clock ?? realClock;
    this.log = opts.log ?? (() => {});
    this.recorder = opts.recorder ?? new EventRecorder(opts.client, { component: 'job-controller' });
    this.expectations = new Expectations(5 * 60_000);
    // conflicts are a stale cache catching up: retried quietly
    const onError = (k: string, e: unknown) => isConflict(e) || this.log(`job controller: syncing ${k}: ${e instanceof Error ? e.message : e}`);
    this.queue = new WorkQueue<string>({ name: 'job', onError });
    this.orphanQueue = new WorkQueue<string>({ name: 'job_orphan_pod', onError });
    this.jobs = opts.informers.informerFor(jobsResource);
    this.pods = opts.informers.informerFor(podsResource);
    this.jobs.addEventHandler({
      add: (j) => this.queue.add(keyOf(j)),
      update: (_o, j) => this.queue.add(keyOf(j)),
      delete: (j) => {
        const k = keyOf(j);
        this.expectations.delete(k); this.backoff.delete(k); this.expectedRm.delete(k);
        // its pods' finalizers are no longer anyone's to remove
        for (const p of this.pods.lister.list(j.metadata.namespace)) if (controllerRef(p)?.uid === j.metadata.uid && hasTrackingFinalizer(p)) this.orphanQueue.add(keyOf(p));
      },
    });
    this.pods.addEventHandler({
      add: (p) => this.podChanged(undefined, p),
      update: (o, p) => this.podChanged(o, p),
      delete: (p) => this.podDeleted(p),
    });
  }

  private jobKeyFor(pod: KObject): string | undefined {
    const ref = controllerRef(pod);
    if (ref?.kind !== 'Job') return undefined;
    const job = this.jobs.lister.get(pod.metadata.namespace!, ref.name);
    return job && job.metadata.uid === ref.uid ? keyOf(job) : undefined;
  }

  private podChanged(old: KObject | undefined, pod: KObject): void {
    if (old && old.metadata.resourceVersion === pod.metadata.resourceVersion) return;
    const key = this.jobKeyFor(pod);
    const ref = controllerRef(pod);
    if (old) {
      const oldRef = controllerRef(old);
      if (oldRef && oldRef.uid !== ref?.uid) { const k = this.jobKeyFor(old); if (k) this.queue.add(k); }
    }
    if (key) {
      if (!old) this.expectations.creationObserved(key);
      if (pod.metadata.deletionTimestamp) this.expectations.deletionObserved(key, pod.metadata.uid!);
      if (!hasTrackingFinalizer(pod)) this.expectedRm.get(key)?.delete(pod.metadata.uid!);
      this.queue.add(key);
      return;
    }
    if (hasTrackingFinalizer(pod) && this.jobs.hasSynced()) this.orphanQueue.add(keyOf(pod));
    if (!ref && !pod.metadata.deletionTimestamp) {
      for (const j of this.jobs.lister.list(pod.metadata.namespace)) if (selectorMatches(j.spec?.selector, pod.metadata.labels)) this.queue.add(keyOf(j));
    }
  }

  private podDeleted(pod: KObject): void {
    const key = this.jobKeyFor(pod);
    if (!key) return;
    this.expectations.deletionObserved(key, pod.metadata.uid!);
    this.expectedRm.get(key)?.delete(pod.metadata.uid!);
    this.queue.add(key);
  }

  async run(workers: number, signal: AbortSignal): Promise<void> {
    const synced = await Promise.all([this.jobs.waitForSync(signal), this.pods.waitForSync(signal)]);
    if (!synced.every(Boolean)) return;
    for (const p of this.pods.lister.list()) if (hasTrackingFinalizer(p) && !this.jobKeyFor(p)) this.orphanQueue.add(keyOf(p));
    await Promise.all([
      this.queue.runWorkers(workers, (k) => this.reconcile(k), signal),
      this.orphanQueue.runWorkers(1, (k) => this.reconcileOrphanPod(k), signal),
    ]);
  }

  // ---- orphan pods ----

  async reconcileOrphanPod(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const pod = this.pods.lister.get(namespace, name);
    if (!pod || !hasTrackingFinalizer(pod)) return;
    const ref = controllerRef(pod);
    if (ref?.kind === 'Job') {
      try {
        const job = await this.client.get(jobsResource, ref.name, { namespace });
        if (job.metadata.uid === ref.uid) return;   // the job exists; it counts the pod
      } catch (e) { if (!isNotFound(e)) throw e; }
    } else if (!ref) {
      if (this.jobs.lister.list(namespace).some((j) => selectorMatches(j.spec?.selector, pod.metadata.labels))) return;
    }
    await this.removeFinalizer(pod);
  }

  private async removeFinalizer(pod: KObject): Promise<void> {
    const finalizers = (pod.metadata.finalizers ?? []).filter((f) => f !== jobTrackingFinalizer);
    try {
      await this.client.patch(podsResource, pod.metadata.name!, {
        namespace: pod.metadata.namespace, type: 'merge',
        patch: { metadata: { resourceVersion: pod.metadata.resourceVersion, finalizers: finalizers.length ? finalizers : null } },
      });
    } catch (e) { if (!isNotFound(e)) throw e; }
  }

  // ---- sync ----

  async reconcile(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const cached = this.jobs.lister.get(namespace, name);
    if (!cached) { this.expectations.delete(key); this.backoff.delete(key); this.expectedRm.delete(key); return; }
    if (isJobFinished(cached)) return;
    const managedBy = cached.spec?.managedBy;
    if (managedBy && managedBy !== 'kubernetes.io/job-controller') return;

    const job = clone(cached);
    job.status ??= {};
    const st = job.status;
    const satisfied = this.expectations.satisfied(key);
    const pods = await this.podsForJob(job);
    const activePods = pods.filter(isPodActive);
    const expectedRm = this.expectedRm.get(key) ?? new Set<string>();
    st.uncountedTerminatedPods ??= {};
    const uncSucc = new Set<string>(st.uncountedTerminatedPods.succeeded ?? []);
    const uncFail = new Set<string>(st.uncountedTerminatedPods.failed ?? []);
    const completions: number | undefined = job.spec.completions ?? undefined;
    const valid = (p: KObject, unc: Set<string>) => {
      const uid = p.metadata.uid!;
      if (!hasTrackingFinalizer(p) || unc.has(uid) || expectedRm.has(uid)) return false;
      if (isIndexed(job)) { const ix = completionIndex(p); if (ix < 0 || ix >= (completions ?? 0)) return false; }
      return true;
    };
    const newSucceeded = pods.filter((p) => valid(p, uncSucc) && p.status?.phase === 'Succeeded');
    const newFailed = pods.filter((p) => valid(p, uncFail) && isPodFailed(p, job));
    // the pod failure policy: Ignore rules keep failures out of the count, a FailJob rule fails the Job
    const ignored = new Set<string>();
    let failJob: string | undefined;
    if (job.spec.podFailurePolicy) {
      for (const p of newFailed) {
        const m = matchPodFailurePolicy(job.spec.podFailurePolicy, p);
        if (m?.action === 'Ignore') ignored.add(p.metadata.uid!);
        else if (m?.action === 'FailJob') failJob ??= m.message;
      }
    }
    const ctx: SyncCtx = {
      key, job, pods, activePods, satisfied, expectedRm, ignored, failedIndexes: new Set(), indexFailures: new Map(),
      succeeded: (st.succeeded ?? 0) + newSucceeded.length + uncSucc.size,
      failed: (st.failed ?? 0) + newFailed.length - ignored.size + uncFail.size,
      ready: activePods.filter(isPodReady).length,
      terminating: pods.filter((p) => p.metadata.deletionTimestamp && !isTerminal(p)).length,
      prevSucceededIndexes: new Set(), succeededIndexes: new Set(),
      newBackoff: nextBackoffRecord(this.backoff.get(key), newSucceeded, newFailed),
    };
    const now = this.clock.now();
    const suspended = job.spec.suspend === true;
    let startChanged = false;
    if (!st.startTime && !suspended) { st.startTime = nowRFC3339(now); startChanged = true; }

    const scm = findCondition(st.conditions, 'SuccessCriteriaMet');
    if (scm?.status === 'True') ctx.finished = scm;
    if (!ctx.finished) {
      const ft = findCondition(st.conditions, 'FailureTarget');
      if (ft?.status === 'True') ctx.finished = newCondition('Failed', 'True', ft.reason ?? '', ft.message ?? '', now);
    }
    if (!ctx.finished && failJob) ctx.finished = newCondition('FailureTarget', 'True', 'PodFailurePolicy', failJob, now);
    // backoffLimitPerIndex: an index that failed more often than that fails for good (failedIndexes)
    const perIndex = isIndexed(job) ? job.spec.backoffLimitPerIndex : undefined;
    if (typeof perIndex === 'number') {
      ctx.indexFailures = indexFailureCounts(pods, job);
      ctx.failedIndexes = parseIndexes(st.failedIndexes, completions ?? 0);
      for (const [ix, n] of ctx.indexFailures) if (n > perIndex && ix < (completions ?? 0)) ctx.failedIndexes.add(ix);
      const maxFailed = job.spec.maxFailedIndexes;
      if (!ctx.finished && typeof maxFailed === 'number' && ctx.failedIndexes.size > maxFailed) {
        ctx.finished = newCondition('FailureTarget', 'True', 'MaxFailedIndexesExceeded', 'Job has exceeded the specified maximal number of failed indexes', now);
      }
    }
    if (!ctx.finished) {
      const limit = job.spec.backoffLimit ?? 6;
      const deadline = job.spec.activeDeadlineSeconds;
      if (ctx.failed > limit || pastBackoffLimitOnFailure(job, pods)) {
        ctx.finished = newCondition('FailureTarget', 'True', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit', now);
      } else if (deadline != null && st.startTime && now.getTime() - Date.parse(st.startTime) >= deadline * 1000) {
        ctx.finished = newCondition('FailureTarget', 'True', 'DeadlineExceeded', 'Job was active longer than specified deadline', now);
      } else if (deadline != null && !suspended && st.startTime) {
        const left = deadline * 1000 - (now.getTime() - Date.parse(st.startTime));
        this.queue.addAfter(key, this.clock.realDelay(left) + 50);
      }
    }
    if (isIndexed(job)) {
      ctx.prevSucceededIndexes = parseIndexes(st.completedIndexes, completions ?? 0);
      ctx.succeededIndexes = new Set(ctx.prevSucceededIndexes);
      for (const p of pods) {
        const ix = completionIndex(p);
        if (p.status?.phase === 'Succeeded' && ix >= 0 && ix < (completions ?? 0) && hasTrackingFinalizer(p)) ctx.succeededIndexes.add(ix);
      }
      ctx.succeeded = ctx.succeededIndexes.size;
    }

    let active = activePods.length;
    let suspendChanged = false;
    let manageErr: unknown;
    if (ctx.finished) {
      const r = await this.deletePods(job, key, activePods);
      if (r.deleted !== active || !satisfied) ctx.finished = undefined;
      active -= r.deleted; ctx.terminating += r.deleted; ctx.ready -= r.deletedReady;
      manageErr = r.err;
    } else {
      let managed = false;
      if (satisfied && !job.metadata.deletionTimestamp) {
        try { active = await this.manageJob(ctx); } catch (e) { manageErr = e; }
        managed = true;
      }
      const complete = completions == null ? ctx.succeeded > 0 && active === 0 : ctx.succeeded >= completions && active === 0;
      const allSettled = completions != null && ctx.failedIndexes.size > 0 && ctx.succeeded + ctx.failedIndexes.size >= completions && active === 0;
      if (allSettled) {
        ctx.finished = newCondition('FailureTarget', 'True', 'FailedIndexes', 'Job has failed indexes', now);
      } else if (complete) {
        ctx.finished = newCondition('SuccessCriteriaMet', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods', now);
      } else if (managed) {
        if (suspended) {
          if (ensureCondition(st, { type: 'Suspended', status: 'True', reason: 'JobSuspended', message: 'Job suspended' }, now)) {
            suspendChanged = true;
            this.recorder.event(job, 'Normal', 'Suspended', 'Job suspended');
          }
        } else if (ensureCondition(st, { type: 'Suspended', status: 'False', reason: 'JobResumed', message: 'Job resumed' }, now)) {
          suspendChanged = true;
          this.recorder.event(job, 'Normal', 'Resumed', 'Job resumed');
          st.startTime = nowRFC3339(now);
        }
      }
    }
    const needsUpdate = startChanged || suspendChanged || active !== (st.active ?? 0) || ctx.ready !== st.ready || ctx.terminating !== st.terminating;
    // active is omitempty upstream; ready and terminating are pointers, written as 0
    if (active) st.active = active; else delete st.active;
    st.ready = ctx.ready; st.terminating = ctx.terminating;
    await this.trackStatus(ctx, needsUpdate);
    if (manageErr) throw manageErr;
  }

  /** pods the job owns, adopting matching orphans and releasing owned pods that no longer match */
  private async podsForJob(job: KObject): Promise<KObject[]> {
    const ns = job.metadata.namespace!;
    const uid = job.metadata.uid!;
    const out: KObject[] = [];
    let canAdopt: boolean | undefined;
    for (const p of this.pods.lister.list(ns)) {
      const ref = controllerRef(p);
      const matches = selectorMatches(job.spec?.selector, p.metadata.labels);
      if (ref) {
        if (ref.uid !== uid) continue;
        if (matches || job.metadata.deletionTimestamp) { out.push(p); continue; }
        // release: no longer selected
        const refs = (p.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
        const fins = (p.metadata.finalizers ?? []).filter((f) => f !== jobTrackingFinalizer);
        await this.patchPodMeta(p, { ownerReferences: refs.length ? refs : null, finalizers: fins.length ? fins : null });
        continue;
      }
      if (!matches || p.metadata.deletionTimestamp || job.metadata.deletionTimestamp) continue;
      if (canAdopt === undefined) {
        // recheck with a live read that the job is still the one we know (upstream's canAdopt)
        const fresh = await this.client.get(jobsResource, job.metadata.name!, { namespace: ns }).catch(() => undefined);
        canAdopt = !!fresh && fresh.metadata.uid === uid && !fresh.metadata.deletionTimestamp;
      }
      if (!canAdopt) continue;
      const fins = [...(p.metadata.finalizers ?? [])];
      if (!isTerminal(p) && !fins.includes(jobTrackingFinalizer)) fins.push(jobTrackingFinalizer);
      const adopted = await this.patchPodMeta(p, { ownerReferences: [...(p.metadata.ownerReferences ?? []), jobOwnerRef(job)], finalizers: fins.length ? fins : null });
      if (adopted) out.push(adopted);
    }
    return out;
  }

  private async patchPodMeta(p: KObject, meta: Record<string, unknown>): Promise<KObject | undefined> {
    try {
      return await this.client.patch(podsResource, p.metadata.name!, {
        namespace: p.metadata.namespace, type: 'merge', patch: { metadata: { resourceVersion: p.metadata.resourceVersion, ...meta } },
      });
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  /** creates or deletes pods toward the wanted number of active pods; returns the new active count */
  private async manageJob(ctx: SyncCtx): Promise<number> {
    const { job, key, activePods } = ctx;
    let active = activePods.length;
    const parallelism = job.spec.parallelism ?? 1;
    if (job.spec.suspend === true) {
      const r = await this.deletePods(job, key, activePodsForRemoval(job, activePods, active));
      ctx.ready -= r.deletedReady; ctx.terminating += r.deleted;
      if (r.err) throw r.err;
      return active - r.deleted;
    }
    const completions: number | undefined = job.spec.completions ?? undefined;
    let want: number;
    if (completions == null) want = ctx.succeeded > 0 ? active : parallelism;
    else want = Math.max(0, Math.min(completions - ctx.succeeded - ctx.failedIndexes.size, parallelism));
    const rm = activePodsForRemoval(job, activePods, Math.max(0, active - want)).slice(0, maxPodCreateDeletePerSync);
    if (rm.length) {
      const r = await this.deletePods(job, key, rm);
      ctx.ready -= r.deletedReady; ctx.terminating += r.deleted;
      if (r.err) throw r.err;
      return active - r.deleted;
    }
    const terminating = job.spec.podReplacementPolicy === 'Failed' ? ctx.terminating : 0;
    let diff = Math.min(want - terminating - active, maxPodCreateDeletePerSync);
    if (diff <= 0) return active;
    const wait = remainingBackoff(ctx.newBackoff, this.clock.now().getTime(), this.opts.podFailureBackoffMs ?? 10_000, this.opts.maxPodFailureBackoffMs ?? 360_000);
    if (wait > 0) { this.queue.addAfter(key, this.clock.realDelay(wait) + 10); return active; }
    let indexes: number[] = [];
    if (isIndexed(job)) {
      indexes = firstPendingIndexes(new Set([...ctx.succeededIndexes, ...ctx.failedIndexes]), activePods, diff, completions ?? 0);
      diff = indexes.length;
    }
    if (diff <= 0) return active;
    this.expectations.expectCreations(key, diff);
    active += diff;
    // slow start: batches of 1, 2, 4, ... stop at the first error
    let made = 0;
    let failure: unknown;
    for (let batch = 1; made < diff && !failure; batch *= 2) {
      const n = Math.min(batch, diff - made);
      const res = await Promise.allSettled(Array.from({ length: n }, (_, i) => this.createPod(job, isIndexed(job) ? indexes[made + i] : -1, ctx.indexFailures)));
      made += n;
      for (const r of res) {
        if (r.status === 'fulfilled') continue;
        this.expectations.creationObserved(key);
        active--;
        if (!isNamespaceTerminating(r.reason)) failure ??= r.reason;
      }
    }
    // creations never attempted
    for (let i = made; i < diff; i++) { this.expectations.creationObserved(key); active--; }
    if (failure) throw failure;
    return active;
  }

  private async createPod(job: KObject, index: number, indexFailures?: Map<number, number>): Promise<void> {
    const tpl = clone(job.spec.template ?? {});
    const meta = tpl.metadata ?? {};
    const spec = tpl.spec ?? {};
    const labels = { ...(meta.labels ?? {}) };
    const annotations = { ...(meta.annotations ?? {}) };
    let generateName = `${job.metadata.name}-`;
    if (index >= 0) {
      addCompletionIndexEnv(spec);
      annotations[completionIndexAnnotation] = String(index);
      if (job.spec.backoffLimitPerIndex != null) annotations[indexFailureCountAnnotation] = String(indexFailures?.get(index) ?? 0);
      labels[completionIndexLabel] = String(index);
      spec.hostname = `${job.metadata.name}-${index}`;
      generateName = generateNameWithIndex(job.metadata.name!, index);
    }
    const finalizers = [...(meta.finalizers ?? [])];
    if (!finalizers.includes(jobTrackingFinalizer)) finalizers.push(jobTrackingFinalizer);
    const pod: KObject = {
      apiVersion: 'v1', kind: 'Pod',
      metadata: { generateName, namespace: job.metadata.namespace, labels, annotations, finalizers, ownerReferences: [jobOwnerRef(job)] },
      spec,
    };
    if (!Object.keys(annotations).length) delete pod.metadata.annotations;
    try {
      const made = await this.client.create(podsResource, pod, { namespace: job.metadata.namespace });
      this.recorder.event(job, 'Normal', 'SuccessfulCreate', `Created pod: ${made.metadata.name}`);
    } catch (e) {
      if (!isNamespaceTerminating(e)) this.recorder.event(job, 'Warning', 'FailedCreate', `Error creating: ${e instanceof Error ? e.message : e}`);
      throw e;
    }
  }

  private async deletePods(job: KObject, key: string, pods: KObject[]): Promise<{ deleted: number; deletedReady: number; err?: unknown }> {
    if (!pods.length) return { deleted: 0, deletedReady: 0 };
    this.expectations.expectDeletions(key, pods.map((p) => p.metadata.uid!));
    let deleted = 0, deletedReady = 0, err: unknown;
    await Promise.all(pods.map(async (p) => {
      try {
        await this.client.delete(podsResource, p.metadata.name!, { namespace: p.metadata.namespace });
        this.recorder.event(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`);
      } catch (e) {
        if (!isNotFound(e)) {
          this.expectations.deletionObserved(key, p.metadata.uid!);
          this.recorder.event(job, 'Warning', 'FailedDelete', `Error deleting: ${e instanceof Error ? e.message : e}`);
          err ??= e;
          return;
        }
      }
      deleted++;
      if (isPodReady(p)) deletedReady++;
    }));
    return { deleted, deletedReady, err };
  }

  // ---- status tracking with finalizers ----

  private async trackStatus(ctx: SyncCtx, needsFlush: boolean): Promise<void> {
    let job = ctx.job;
    const indexed = isIndexed(job);
    const completions: number = job.spec.completions ?? 0;
    const pods = indexed ? [...ctx.pods].sort((a, b) => completionIndex(a) - completionIndex(b)) : ctx.pods;
    const withFinalizer = new Set(pods.filter((p) => hasTrackingFinalizer(p) || ctx.expectedRm.has(p.metadata.uid!)).map((p) => p.metadata.uid!));
    if (cleanUncounted(job.status, withFinalizer)) needsFlush = true;
    const unc = job.status.uncountedTerminatedPods;
    const uncSucc = new Set<string>(unc.succeeded ?? []);
    const uncFail = new Set<string>(unc.failed ?? []);
    const toRemove: KObject[] = [];
    const newIdx: number[] = [];
    let reachedMax = false;
    for (const p of pods) {
      const uid = p.metadata.uid!;
      if (!hasTrackingFinalizer(p) || ctx.expectedRm.has(uid)) continue;
      const failed = isPodFailed(p, job);
      const canRemove = !!job.metadata.deletionTimestamp || !!ctx.finished || p.status?.phase === 'Succeeded' || failed;
      if (!canRemove) continue;
      toRemove.push(p);
      if (p.status?.phase === 'Succeeded' && !uncFail.has(uid)) {
        if (indexed) {
          const ix = completionIndex(p);
          if (ix >= 0 && ix < completions && !ctx.prevSucceededIndexes.has(ix)) { newIdx.push(ix); needsFlush = true; }
        } else if (!uncSucc.has(uid)) {
          (unc.succeeded ??= []).push(uid); uncSucc.add(uid); needsFlush = true;
        }
      } else if (failed || (ctx.finished && ctx.finished.type !== 'SuccessCriteriaMet' && ctx.finished.type !== 'Complete')) {
        const ix = completionIndex(p);
        if (!uncFail.has(uid) && !ctx.ignored.has(uid) && (!indexed || (ix >= 0 && ix < completions))) { (unc.failed ??= []).push(uid); uncFail.add(uid); needsFlush = true; }
      }
      if (newIdx.length + uncSucc.size + uncFail.size >= maxUncountedPods) { reachedMax = true; break; }
    }
    if (indexed) {
      for (const ix of newIdx) ctx.succeededIndexes.add(ix);
      const s = formatIndexes(ctx.succeededIndexes);
      if (s !== (job.status.completedIndexes ?? '')) needsFlush = true;
      job.status.succeeded = ctx.succeededIndexes.size;
      job.status.completedIndexes = s;
      if (job.spec.backoffLimitPerIndex != null) {
        const f = formatIndexes(ctx.failedIndexes);
        if (f !== (job.status.failedIndexes ?? '')) { job.status.failedIndexes = f; needsFlush = true; }
      }
    }
    const now = this.clock.now();
    if (ctx.finished?.type === 'FailureTarget') {
      job.status.conditions = [...(job.status.conditions ?? []), ctx.finished];
      needsFlush = true;
      ctx.finished = newCondition('Failed', 'True', ctx.finished.reason ?? '', ctx.finished.message ?? '', now);
    }
    if (ctx.finished?.type === 'SuccessCriteriaMet') {
      if (findCondition(job.status.conditions, 'SuccessCriteriaMet')?.status !== 'True') {
        job.status.conditions = [...(job.status.conditions ?? []), ctx.finished];
        needsFlush = true;
      }
      ctx.finished = newCondition('Complete', 'True', ctx.finished.reason ?? '', ctx.finished.message ?? '', now);
    }
    // 1. flush the uncounted UIDs (and interim conditions) before touching finalizers
    if (needsFlush) {
      job = await this.updateStatus(job);
      this.backoff.set(ctx.key, ctx.newBackoff);
      needsFlush = false;
    }
    // 2. remove finalizers
    let rmErr: unknown;
    if (toRemove.length) {
      let exp = this.expectedRm.get(ctx.key);
      if (!exp) this.expectedRm.set(ctx.key, (exp = new Set()));
      const e2 = exp;
      await Promise.all(toRemove.map(async (p) => {
        const uid = p.metadata.uid!;
        e2.add(uid);
        try { await this.removeFinalizer(p); withFinalizer.delete(uid); } catch (e) { e2.delete(uid); rmErr ??= e; }
      }));
    }
    // 3. move the pods that lost their finalizer to the counters
    if (cleanUncounted(job.status, withFinalizer)) needsFlush = true;
    if (rmErr) {
      if (needsFlush) await this.updateStatus(job);
      throw rmErr;
    }
    const finished = !reachedMax && this.enactFinished(job, ctx);
    if (finished) needsFlush = true;
    if (needsFlush) {
      job = await this.updateStatus(job);
      if (finished) this.recordFinished(job, ctx.finished!);
    }
  }

  private enactFinished(job: KObject, ctx: SyncCtx): boolean {
    const c = ctx.finished;
    if (!c) return false;
    const unc = job.status.uncountedTerminatedPods ?? {};
    if ((unc.succeeded?.length ?? 0) + (unc.failed?.length ?? 0) > 0) return false;
    if ((job.status.terminating ?? 0) > 0) return false;
    const now = this.clock.now();
    ensureCondition(job.status, { type: c.type, status: c.status, reason: c.reason, message: c.message }, now);
    if (c.type === 'Complete') job.status.completionTime = findCondition(job.status.conditions, 'Complete')!.lastTransitionTime;
    return true;
  }

  private recordFinished(job: KObject, c: JobCondition): void {
    if (c.type === 'Complete') {
      if (job.spec.completions != null && (job.status.succeeded ?? 0) > job.spec.completions) {
        this.recorder.event(job, 'Warning', 'TooManySucceededPods', 'Too many succeeded pods running after completion count reached');
      }
      this.recorder.event(job, 'Normal', 'Completed', 'Job completed');
    } else {
      this.recorder.event(job, 'Warning', c.reason ?? 'Failed', c.message ?? '');
    }
  }

  private updateStatus(job: KObject): Promise<KObject> {
    return this.client.updateStatus(jobsResource, job, { namespace: job.metadata.namespace });
  }
}

/** moves UIDs whose pods lost the finalizer from uncountedTerminatedPods to the counters */
function cleanUncounted(status: any, withFinalizer: Set<string>): boolean {
  const unc = (status.uncountedTerminatedPods ??= {});
  let changed = false;
  for (const [list, counter] of [['succeeded', 'succeeded'], ['failed', 'failed']] as const) {
    const cur: string[] = unc[list] ?? [];
    const keep = cur.filter((u) => withFinalizer.has(u));
    if (keep.length !== cur.length) {
      changed = true;
      status[counter] = (status[counter] ?? 0) + cur.length - keep.length;
      if (keep.length) unc[list] = keep; else delete unc[list];
    }
  }
  return changed;
}
