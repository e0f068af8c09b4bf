// CronJob controller: reconcile called directly against the fake API server on a fake clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../api/types.js';
import { RestClient, SharedInformerFactory } from '../client/index.js';
import { FakeApiServer } from '../client/testing/fakeapi.js';
import { FakeClock } from '../util/clock.js';
import { parseSchedule } from '../util/cron.js';
import { CronJobController } from './cronjob.js';
import { jobFromTemplate, mostRecentScheduleTime, nextScheduleDelay, rfc3339InZone } from './cronjobutil.js';

const cjs = { group: 'batch', plural: 'cronjobs' };
const jobsColl = { group: 'batch', plural: 'jobs' };

async function until<T>(what: string, f: () => T | undefined | false, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  while (Date.now() < end) { const v = f(); if (v) return v; await new Promise((r) => setTimeout(r, 10)); }
  throw new Error(`timed out waiting for ${what}`);
}

function cronJob(spec: Record<string, unknown>, created = '2024-01-01T00:00:30Z'): KObject {
  return {
    apiVersion: 'batch/v1', kind: 'CronJob',
    metadata: { name: 'cj', namespace: 'ns', uid: 'cj-uid', creationTimestamp: created },
    spec: {
      schedule: '*/1 * * * *', concurrencyPolicy: 'Allow', suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1,
      jobTemplate: { metadata: { labels: { team: 'a' } }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } },
      ...spec,
    },
  };
}

async function setup() {
  const api = new FakeApiServer();
  await api.start();
  const client = new RestClient({ server: api.url });
  const informers = new SharedInformerFactory(client);
  const clock = new FakeClock(Date.parse('2024-01-01T00:00:45Z'));
  const ctrl = new CronJobController({ client, informers, clock, defaultTimeZone: 'UTC' });
  const ac = new AbortController();
  informers.start(ac.signal);
  await informers.waitForCacheSync(ac.signal);
  const jobs = () => [...api.objects.entries()].filter(([k]) => k.startsWith('batch/jobs|')).map(([, o]) => o);
  const cj = () => api.objects.get('batch/cronjobs|ns|cj')!;
  /** waits until the informers hold what the fake server holds */
  const caught = async () => {
    await until('caches', () => jobs().every((j) => ctrl.jobs.lister.get('ns', j.metadata.name!)?.metadata.resourceVersion === j.metadata.resourceVersion)
      && ctrl.jobs.lister.list().length === jobs().length
      && ctrl.cronJobs.lister.get('ns', 'cj')?.metadata.resourceVersion === cj()?.metadata.resourceVersion);
  };
  const stop = async () => { ac.abort(); await informers.stop(); client.close(); await api.stop(); };
  return { api, ctrl, clock, jobs, cj, caught, stop };
}

test('creates one job per schedule time with the upstream name and annotation; requeues for the next', async () => {
  const t = await setup();
  try {
    t.api.put(cjs, cronJob({}));
    await t.caught();
    let r = await t.ctrl.reconcile('ns/cj');
    assert.equal(t.jobs().length, 0, 'nothing due before 00:01');
    assert.equal(r && r.requeueAfter, 15_100);
    t.clock.set(Date.parse('2024-01-01T00:01:00.100Z'));
    r = await t.ctrl.reconcile('ns/cj');
    assert.equal(t.jobs().length, 1);
    const j = t.jobs()[0];
    assert.equal(j.metadata.name, `cj-${Date.parse('2024-01-01T00:01:00Z') / 60_000}`);
    assert.equal(j.metadata.annotations!['batch.kubernetes.io/cronjob-scheduled-timestamp'], '2024-01-01T00:01:00Z');
    assert.equal(j.metadata.labels!.team, 'a');
    assert.deepEqual(j.metadata.ownerReferences, [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'cj', uid: 'cj-uid', controller: true, blockOwnerDeletion: true }]);
    assert.equal(r && r.requeueAfter, 60_000);
    assert.equal(t.cj().status.lastScheduleTime, '2024-01-01T00:01:00Z');
    assert.equal(t.cj().status.active[0].name, j.metadata.name);
    await t.caught();
    await t.ctrl.reconcile('ns/cj');
    assert.equal(t.jobs().length, 1, 'the same time is not scheduled twice');
    await until('SuccessfulCreate event', () => [...t.api.objects.values()].some((e) => e.reason === 'SuccessfulCreate' && e.message === `Created job ${j.metadata.name}`));
  } finally { await t.stop(); }
});

test('Forbid skips while a job is active; Replace deletes it; finished jobs leave status.active', async () => {
  const t = await setup();
  try {
    t.api.put(cjs, cronJob({ concurrencyPolicy: 'Forbid' }));
    t.clock.set(Date.parse('2024-01-01T00:01:01Z'));
    await t.caught();
    await t.ctrl.reconcile('ns/cj');
    assert.equal(t.jobs().length, 1);
    await t.caught();
    t.clock.set(Date.parse('2024-01-01T00:02:01Z'));
    await t.ctrl.reconcile('ns/cj');
    assert.equal(t.jobs().length, 1, 'Forbid: no second job while the first runs');
    await until('JobAlreadyActive event', () => [...t.api.objects.values()].some((e) => e.reason === 'JobAlreadyActive'));
    // Replace: the running job goes, a new one comes
    t.api.put(cjs, { ...t.cj(), spec: { ...t.cj().spec, concurrencyPolicy: 'Replace' } });
    await t.caught();
    await t.ctrl.reconcile('ns/cj');
    const names = t.jobs().map((j) => j.metadata.name);
    assert.deepEqual(names, [`cj-${Date.parse('2024-01-01T00:02:00Z') / 60_000}`]);
    // the job completes: it leaves active and sets lastSuccessfulTime
    const j = t.jobs()[0];
    t.api.put(jobsColl, { ...j, status: { completionTime: '2024-01-01T00:02:30Z', conditions: [{ type: 'Complete', status: 'True' }] } });
    await t.caught();
    await t.ctrl.reconcile('ns/cj');
    assert.equal(t.cj().status.active, undefined);
    assert.equal(t.cj().status.lastSuccessfulTime, '2024-01-01T00:02:30Z');
  } finally { await t.stop(); }
});

test('startingDeadlineSeconds: a start missed by more than the deadline is skipped', async () => {
  const t = await setup();
  try {
    t.api.put(cjs, cronJob({ schedule: '0 * * * *', startingDeadlineSeconds: 10 }));
    t.clock.set(Date.parse('2024-01-01T01:00:30Z'));
    await t.caught();
    const r = await t.ctrl.reconcile('ns/cj');
    assert.equal(t.jobs().length, 0);
    assert.ok(r && r.requeueAfter > 0);
    t.clock.set(Date.parse('2024-01-01T02:00:05Z'));
    await t.ctrl.reconcile('ns/cj');
    assert.equal(t.jobs().length, 1, 'within the deadline it starts');
  } finally { await t.stop(); }
});

test('history limits delete the oldest finished jobs; suspend stops scheduling', async () => {
  const t = await setup();
  try {
    t.api.put(cjs, cronJob({ successfulJobsHistoryLimit: 1, suspend: true }));
    for (const m of [1, 2, 3]) {
      const j = jobFromTemplate(t.cj(), Date.parse(`2024-01-01T00:0${m}:00Z`), 'UTC');
      t.api.put(jobsColl, { ...j, status: { startTime: `2024-01-01T00:0${m}:00Z`, conditions: [{ type: 'Complete', status: 'True' }] } });
    }
    t.clock.set(Date.parse('2024-01-01T00:05:30Z'));
    await t.caught();
    await t.ctrl.reconcile('ns/cj');
    assert.deepEqual(t.jobs().map((j) => j.metadata.name), [`cj-${Date.parse('2024-01-01T00:03:00Z') / 60_000}`]);
    await until('2 SuccessfulDelete events', () => [...t.api.objects.values()].filter((e) => e.reason === 'SuccessfulDelete').length === 2);
  } finally { await t.stop(); }
});

test('schedule arithmetic: missed times, time zones, annotation format', () => {
  const s = parseSchedule('*/1 * * * *');
  const cj = cronJob({}, '2024-01-01T00:00:00Z');
  const now = Date.parse('2024-01-01T03:00:30Z');
  const r = mostRecentScheduleTime(cj, now, s, true);
  assert.equal(new Date(r.mostRecent!).toISOString(), '2024-01-01T03:00:00.000Z');
  assert.equal(r.missed, 'many');
  assert.equal(mostRecentScheduleTime(cronJob({ startingDeadlineSeconds: 200 }, '2024-01-01T00:00:00Z'), now, s, true).missed, 'few');
  assert.equal(nextScheduleDelay(cj, now, s), 30_100);
  assert.equal(rfc3339InZone(Date.parse('2024-01-01T00:00:00Z'), 'Asia/Kolkata'), '2024-01-01T05:30:00+05:30');
  assert.equal(rfc3339InZone(Date.parse('2024-07-01T12:00:00Z'), 'America/New_York'), '2024-07-01T08:00:00-04:00');
  const tz = parseSchedule('TZ=Asia/Tokyo 0 9 * * *');
  const j = jobFromTemplate(cronJob({ timeZone: 'Asia/Tokyo' }), tz.next(new Date('2024-01-01T00:00:00Z'))!.getTime(), 'Asia/Tokyo');
  assert.equal(j.metadata.annotations!['batch.kubernetes.io/cronjob-scheduled-timestamp'], '2024-01-02T09:00:00+09:00');
});
