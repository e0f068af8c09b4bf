// CronJob controller (upstream pkg/controller/cronjob/cronjob_controllerv2.go): creates a Job for
// each schedule time (`<cronjob>-<minutes since epoch>`), honouring time zones,
// concurrencyPolicy, startingDeadlineSeconds, suspend and the history limits; keeps
// status.active, lastScheduleTime and lastSuccessfulTime. Each sync requeues the CronJob for its
// next schedule time, measured on an injectable clock.
import type { KObject } from '../api/types.js';
import {
  clone, EventRecorder, isAlreadyExists, isConflict, isNotFound, keyOf, splitKey, WorkQueue,
  type RestClient, type SharedInformer, type SharedInformerFactory,
} from '../client/index.js';
import { realClock, type Clock } from '../util/clock.js';
import { CronParseError, isTimeZone, parseSchedule, type Schedule } from '../util/cron.js';
import { nowRFC3339 } from '../util/time.js';
import { formatSchedule, jobFromTemplate, jobNameFor, nextScheduleDelay, mostRecentScheduleTime } from './cronjobutil.js';
import { controllerRef, jobsResource } from './job.js';
import { finishedConditionType, findCondition } from './jobutil.js';
import { isNamespaceTerminating } from './resources.js';

export const cronJobsResource = { group: 'batch', version: 'v1', plural: 'cronjobs', namespaced: true, kind: 'CronJob' };

export interface CronJobControllerOptions {
  client: RestClient;
  informers: SharedInformerFactory;
  recorder?: EventRecorder;
  clock?: Clock;
  /** the zone of schedules without a time zone (default: this process's local zone, as upstream) */
  defaultTimeZone?: string;
  log?: (msg: string) => void;
}

interface JobRef { kind?: string; namespace?: string; name?: string; uid?: string; apiVersion?: string; resourceVersion?: string }

function refTo(job: KObject): JobRef {
  return { kind: 'Job', namespace: job.metadata.namespace, name: job.metadata.name, uid: job.metadata.uid, apiVersion: 'batch/v1', resourceVersion: job.metadata.resourceVersion };
}

const rfc1123z = (t: number) => {
  // Go's time.RFC1123Z in UTC: "Mon, 02 Jan 2006 15:04:05 +0000"
  const s = new Date(t).toUTCString();   // "Mon, 02 Jan 2006 15:04:05 GMT"
  return s.replace(/GMT$/, '+0000');
};

export class CronJobController {
  readonly queue: WorkQueue<string>;
  readonly cronJobs: SharedInformer;
  readonly jobs: SharedInformer;
  private readonly client: RestClient;
  private readonly recorder: EventRecorder;
  private readonly clock: Clock;
  private readonly defaultZone: string;

  constructor(private readonly opts: CronJobControllerOptions) {
    this.client = opts.client;
    this.clock = opts.clock ?? realClock;
    this.defaultZone = opts.defaultTimeZone ?? (Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC');
    this.recorder = opts.recorder ?? new EventRecorder(opts.client, { component: 'cronjob-controller' });
    this.queue = new WorkQueue<string>({ name: 'cronjob', onError: (k, e) => isConflict(e) || opts.log?.(`cronjob controller: syncing ${k}: ${e instanceof Error ? e.message : e}`) });
    this.cronJobs = opts.informers.informerFor(cronJobsResource);
    this.jobs = opts.informers.informerFor(jobsResource);
    this.cronJobs.addEventHandler({ add: (c) => this.queue.add(keyOf(c)), update: (_o, c) => this.queue.add(keyOf(c)) });
    const enqueueOwner = (j: KObject) => {
      const ref = controllerRef(j);
      if (ref?.kind === 'CronJob') this.queue.add(`${j.metadata.namespace}/${ref.name}`);
    };
    this.jobs.addEventHandler({
      add: enqueueOwner, delete: enqueueOwner,
      update: (o, j) => {
        if (o.metadata.resourceVersion === j.metadata.resourceVersion) return;
        enqueueOwner(j);
        if (controllerRef(o)?.uid !== controllerRef(j)?.uid) enqueueOwner(o);
      },
    });
  }

  async run(workers: number, signal: AbortSignal): Promise<void> {
    const synced = await Promise.all([this.cronJobs.waitForSync(signal), this.jobs.waitForSync(signal)]);
    if (!synced.every(Boolean)) return;
    await this.queue.runWorkers(workers, (k) => this.reconcile(k), signal);
  }

  async reconcile(key: string): Promise<void | { requeueAfter: number }> {
    const { namespace, name } = splitKey(key);
    const cached = this.cronJobs.lister.get(namespace, name);
    if (!cached) return;
    let cj = clone(cached);
    const jobs = this.jobs.lister.list(namespace, (j) => controllerRef(j)?.uid === cached.metadata.uid);
    // an unfinished job missing from status.active: our own status write may not be cached yet
    const known = new Set((cj.status?.active ?? []).map((r: JobRef) => r.uid));
    if (jobs.some((j) => !known.has(j.metadata.uid) && !finishedConditionType(j))) {
      try { cj = await this.client.get(cronJobsResource, name, { namespace }); } catch (e) { if (isNotFound(e)) return; throw e; }
      if (cj.metadata.uid !== cached.metadata.uid) return;
    }
    cj.status ??= {};
    const before = JSON.stringify(cj.status);
    let delay: number | undefined;
    let err: unknown;
    try {
      delay = await this.sync(cj, jobs);
    } catch (e) { err = e; }
    if (JSON.stringify(cj.status) !== before) {
      await this.client.updateStatus(cronJobsResource, cj, { namespace });
    }
    if (!cj.metadata.deletionTimestamp) await this.cleanupFinishedJobs(cj, jobs);
    if (err) throw err;
    if (delay !== undefined) return { requeueAfter: Math.max(0, this.clock.realDelay(delay)) };
  }

  /** updates cj.status in place; returns the delay (clock ms) until the next look */
  private async sync(cj: KObject, jobs: KObject[]): Promise<number | undefined> {
    const st = cj.status;
    st.active = (st.active ?? []) as JobRef[];
    const children = new Set<string>();
    const inActive = (uid?: string) => st.active.some((r: JobRef) => r.uid === uid);
    for (const j of jobs) {
      children.add(j.metadata.uid!);
      const finished = finishedConditionType(j);
      const found = inActive(j.metadata.uid);
      if (!found && !finished) {
        this.recorder.event(cj, 'Warning', 'UnexpectedJob', `Saw a job that the controller did not create or forgot: ${j.metadata.name}`);
      } else if (found && finished) {
        st.active = st.active.filter((r: JobRef) => r.uid !== j.metadata.uid);
        this.recorder.event(cj, 'Normal', 'SawCompletedJob', `Saw completed job: ${j.metadata.name}, condition: ${finished}`);
      }
      if (finished === 'Complete') {
        const ct = j.status?.completionTime ?? findCondition(j.status?.conditions, 'Complete')?.lastTransitionTime;
        if (ct && (!st.lastSuccessfulTime || Date.parse(ct) > Date.parse(st.lastSuccessfulTime))) st.lastSuccessfulTime = ct;
      }
    }
    for (const r of [...st.active] as JobRef[]) {
      if (children.has(r.uid!)) continue;
      try {
        await this.client.get(jobsResource, r.name!, { namespace: r.namespace ?? cj.metadata.namespace });
      } catch (e) {
        if (!isNotFound(e)) throw e;
        this.recorder.event(cj, 'Normal', 'MissingJob', `Active job went missing: ${r.name}`);
        st.active = st.active.filter((x: JobRef) => x.uid !== r.uid);
      }
    }
    if (!st.active.length) delete st.active;
    if (cj.metadata.deletionTimestamp) return undefined;

    const tz: string | undefined = cj.spec.timeZone ?? undefined;
    if (tz != null && !isTimeZone(tz)) {
      this.recorder.event(cj, 'Warning', 'UnknownTimeZone', `invalid timeZone: ${JSON.stringify(tz)}: unknown time zone ${tz}`);
      return undefined;
    }
    if (cj.spec.suspend) return undefined;
    let sched: Schedule;
    if (/TZ/.test(cj.spec.schedule ?? '') && tz) {
      this.recorder.event(cj, 'Warning', 'UnsupportedSchedule', `CRON_TZ or TZ used in schedule ${JSON.stringify(cj.spec.schedule)} is not officially supported, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details`);
    }
    try {
      sched = parseSchedule(formatSchedule(cj), this.defaultZone);
    } catch (e) {
      if (!(e instanceof CronParseError)) throw e;
      this.recorder.event(cj, 'Warning', 'UnparseableSchedule', `unparseable schedule: ${JSON.stringify(cj.spec.schedule)} : ${e.message}`);
      return undefined;
    }
    const now = this.clock.now().getTime();
    const next = () => nextScheduleDelay(cj, now, sched);
    let scheduled: number | undefined;
    try {
      const r = mostRecentScheduleTime(cj, now, sched, true);
      scheduled = r.mostRecent;
      if (scheduled !== undefined && r.missed === 'many') {
        this.recorder.event(cj, 'Warning', 'TooManyMissedTimes', 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew');
      }
    } catch (e) {
      this.recorder.event(cj, 'Warning', 'InvalidSchedule', `invalid schedule: ${cj.spec.schedule} : ${e instanceof Error ? e.message : e}`);
    }
    if (scheduled === undefined) return next();
    const sds = cj.spec.startingDeadlineSeconds;
    if (sds != null && scheduled + sds * 1000 < now) {
      this.recorder.event(cj, 'Warning', 'MissSchedule', `Missed scheduled time to start a job: ${rfc1123z(scheduled)}`);
      return next();
    }
    const jobName = jobNameFor(cj, scheduled);
    if ((st.active ?? []).some((r: JobRef) => r.name === jobName) || (st.lastScheduleTime && Date.parse(st.lastScheduleTime) === scheduled)) return next();
    const policy = cj.spec.concurrencyPolicy ?? 'Allow';
    if (policy === 'Forbid' && st.active?.length) {
      this.recorder.event(cj, 'Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
      return next();
    }
    if (policy === 'Replace') {
      for (const r of [...(st.active ?? [])] as JobRef[]) {
        try {
          await this.client.delete(jobsResource, r.name!, { namespace: cj.metadata.namespace, propagationPolicy: 'Background' });
        } catch (e) {
          if (!isNotFound(e)) {
            this.recorder.event(cj, 'Warning', 'FailedDelete', `Deleted job: ${e instanceof Error ? e.message : e}`);
            throw new Error(`could not replace job ${cj.metadata.namespace}/${r.name}`);
          }
        }
        st.active = st.active.filter((x: JobRef) => x.uid !== r.uid);
        this.recorder.event(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${r.name}`);
      }
      if (!st.active.length) delete st.active;
    }
    const req = jobFromTemplate(cj, scheduled, tz ?? 'UTC');
    let made: KObject;
    try {
      made = await this.client.create(jobsResource, req, { namespace: cj.metadata.namespace });
      this.recorder.event(cj, 'Normal', 'SuccessfulCreate', `Created job ${made.metadata.name}`);
    } catch (e) {
      if (isNamespaceTerminating(e)) throw e;
      if (!isAlreadyExists(e)) {
        this.recorder.event(cj, 'Warning', 'FailedCreate', `Error creating job: ${e instanceof Error ? e.message : e}`);
        throw e;
      }
      made = await this.client.get(jobsResource, req.metadata.name!, { namespace: cj.metadata.namespace });
      if (controllerRef(made)?.uid !== cj.metadata.uid) return undefined;
      if (inActive(made.metadata.uid) || finishedConditionType(made)) return undefined;
    }
    st.active = [...(st.active ?? []), refTo(made)];
    st.lastScheduleTime = nowRFC3339(new Date(scheduled));
    return next();
  }

  /** deletes the oldest finished jobs beyond successfulJobsHistoryLimit / failedJobsHistoryLimit */
  private async cleanupFinishedJobs(cj: KObject, jobs: KObject[]): Promise<void> {
    const limits = { Complete: cj.spec.successfulJobsHistoryLimit, Failed: cj.spec.failedJobsHistoryLimit } as Record<string, number | undefined>;
    for (const kind of ['Complete', 'Failed'] as const) {
      const limit = limits[kind];
      if (limit == null) continue;
      const done = jobs.filter((j) => finishedConditionType(j) === kind && !j.metadata.deletionTimestamp);
      if (done.length <= limit) continue;
      done.sort((a, b) => {
        const sa = a.status?.startTime, sb = b.status?.startTime;
        if (!sa !== !sb) return sa ? -1 : 1;
        if (sa && sb && sa !== sb) return Date.parse(sa) - Date.parse(sb);
        return a.metadata.name! < b.metadata.name! ? -1 : 1;
      });
      for (const j of done.slice(0, done.length - limit)) {
        try {
          await this.client.delete(jobsResource, j.metadata.name!, { namespace: j.metadata.namespace, propagationPolicy: 'Background' });
          this.recorder.event(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${j.metadata.name}`);
        } catch (e) {
          if (isNotFound(e)) continue;
          this.recorder.event(cj, 'Warning', 'FailedDelete', `Deleted job: ${e instanceof Error ? e.message : e}`);
          throw e;
        }
      }
    }
  }
}
