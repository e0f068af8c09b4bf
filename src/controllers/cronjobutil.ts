// Pure helpers for the CronJob controller (upstream pkg/controller/cronjob/utils.go).
import type { KObject } from '../api/types.js';
import type { Schedule } from '../util/cron.js';
import { wallClock } from '../util/cron.js';

export const scheduledTimestampAnnotation = 'batch.kubernetes.io/cronjob-scheduled-timestamp';
/** requeue this long after the next schedule time, so "now" is past it */
export const nextScheduleDeltaMs = 100;

export type Missed = 'none' | 'few' | 'many';
export interface MostRecent { earliest: number; mostRecent?: number; missed: Missed }

/**
 * The latest schedule time in (earliest, now], where earliest is lastScheduleTime (or creation),
 * moved up to now - startingDeadlineSeconds when asked. Throws for schedules that fire twice
 * within a second (e.g. "59 23 31 2 *", which never fires).
 */
export function mostRecentScheduleTime(cj: KObject, now: number, sched: Schedule, includeStartingDeadline: boolean): MostRecent {
  let earliest = Date.parse(cj.status?.lastScheduleTime ?? cj.metadata.creationTimestamp ?? '') || now;
  const sds = cj.spec?.startingDeadlineSeconds;
  if (includeStartingDeadline && sds != null) earliest = Math.max(earliest, now - sds * 1000);
  const t1 = sched.next(new Date(earliest))?.getTime();
  if (t1 === undefined || now < t1) return { earliest, missed: 'none' };
  const t2 = sched.next(new Date(t1))?.getTime();
  if (t2 === undefined || now < t2) return { earliest, mostRecent: t1, missed: 'none' };
  const between = Math.round((t2 - t1) / 1000);
  if (between < 1) throw new Error('time difference between two schedules is less than 1 second');
  const elapsed = Math.floor((now - t1) / 1000);
  const missedCount = Math.floor(elapsed / between) + 1;
  let mostRecent: number | undefined;
  const start = t1 + (missedCount - 2) * between * 1000;
  for (let t = sched.next(new Date(start)); t && t.getTime() <= now; t = sched.next(t)) mostRecent = t.getTime();
  const missed: Missed = missedCount > 100 ? 'many' : missedCount > 1 ? 'few' : 'none';
  return { earliest, mostRecent, missed };
}

/** how long until the controller should look again (upstream nextScheduleTimeDuration), in ms */
export function nextScheduleDelay(cj: KObject, now: number, sched: Schedule): number | undefined {
  let from: number;
  try {
    const r = mostRecentScheduleTime(cj, now, sched, false);
    from = r.mostRecent ?? (r.missed === 'none' ? r.earliest : now);
  } catch { from = now; }
  const next = sched.next(new Date(from));
  return next ? next.getTime() + nextScheduleDeltaMs - now : undefined;
}

/** "<cronjob>-<scheduled time in minutes since the epoch>" */
export function jobNameFor(cj: KObject, scheduled: number): string {
  return `${cj.metadata.name}-${Math.floor(scheduled / 60_000)}`;
}

/** RFC 3339 in the given zone, as Go's time.Format(time.RFC3339) of a time in that location */
export function rfc3339InZone(t: number, zone: string): string {
  const wall = wallClock(t, zone);
  const off = Math.round((wall - t) / 60_000);
  const base = new Date(wall).toISOString().replace(/\.\d{3}Z$/, '');
  if (off === 0) return `${base}Z`;
  const sign = off < 0 ? '-' : '+';
  const a = Math.abs(off);
  return `${base}${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

/** the Job a CronJob makes for one scheduled time (upstream getJobFromTemplate2) */
export function jobFromTemplate(cj: KObject, scheduled: number, zone: string): KObject {
  const jt = cj.spec?.jobTemplate ?? {};
  const annotations: Record<string, string> = { ...(jt.metadata?.annotations ?? {}) };
  annotations[scheduledTimestampAnnotation] = rfc3339InZone(scheduled, zone);
  const labels = { ...(jt.metadata?.labels ?? {}) };
  return {
    apiVersion: 'batch/v1', kind: 'Job',
    metadata: {
      name: jobNameFor(cj, scheduled), namespace: cj.metadata.namespace, labels, annotations,
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: cj.metadata.name!, uid: cj.metadata.uid!, controller: true, blockOwnerDeletion: true }],
    },
    spec: structuredClone(jt.spec ?? {}),
  };
}

/** the schedule string the parser sees: spec.timeZone becomes a TZ= prefix */
export function formatSchedule(cj: KObject): string {
  const s: string = cj.spec?.schedule ?? '';
  const tz: string | undefined = cj.spec?.timeZone ?? undefined;
  if (tz && !/^(CRON_TZ|TZ)=/.test(s)) return `TZ=${tz} ${s}`;
  return s;
}
