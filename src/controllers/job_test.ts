// Job and TTL-after-finished controllers against the fake API server; the test plays the node by
// writing pod phases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../api/types.js';
import { RestClient, SharedInformerFactory } from '../client/index.js';
import { FakeApiServer } from '../client/testing/fakeapi.js';
import { FakeClock } from '../util/clock.js';
import { JobController, jobsResource } from './job.js';
import { formatIndexes, nextBackoffRecord, parseIndexes, remainingBackoff } from './jobutil.js';
import { TTLAfterFinishedController } from './ttlafterfinished.js';

const pods = { group: '', plural: 'pods' };
const jobs = { group: 'batch', plural: 'jobs' };

async function until<T>(what: string, f: () => T | undefined | false, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  while (Date.now() < end) { const v = f(); if (v) return v; await new Promise((r) => setTimeout(r, 20)); }
  throw new Error(`timed out waiting for ${what}`);
}

function jobObj(name: string, spec: Record<string, unknown>): KObject {
  const uid = `job-uid-${name}`;
  return {
    apiVersion: 'batch/v1', kind: 'Job',
    metadata: { name, namespace: 'ns', uid, creationTimestamp: new Date().toISOString() },
    spec: {
      parallelism: 1, backoffLimit: 6, completionMode: 'NonIndexed', suspend: false,
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } },
      template: { metadata: { labels: { 'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': name } }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } },
      ...spec,
    },
    status: {},
  };
}

async function setup(opts: Partial<ConstructorParameters<typeof JobController>[0]> = {}) {
  const api = new FakeApiServer();
  await api.start();
  const client = new RestClient({ server: api.url });
  const informers = new SharedInformerFactory(client);
  const ctrl = new JobController({ client, informers, ...opts });
  const ac = new AbortController();
  informers.start(ac.signal);
  const running = ctrl.run(2, ac.signal);
  const objs = (plural: string) => [...api.objects.entries()].filter(([k]) => k.startsWith(plural)).map(([, o]) => o);
  const podsOf = (job: string) => objs('/pods|').filter((p) => p.metadata.labels?.['batch.kubernetes.io/job-name'] === job);
  const job = (name: string) => api.objects.get(`batch/jobs|ns|${name}`)!;
  /** the node's part: finish a pod with a phase */
  const finish = (p: KObject, phase: 'Succeeded' | 'Failed') => api.put(pods, { ...p, status: { phase, containerStatuses: [{ name: 'c', state: { terminated: { exitCode: phase === 'Succeeded' ? 0 : 1, finishedAt: new Date().toISOString() } } }] } });
  const stop = async () => { ac.abort(); await running; await informers.stop(); client.close(); await api.stop(); };
  return { api, client, informers, ctrl, podsOf, job, finish, stop, objs };
}

test('completions 3, parallelism 2: never more than 2 active, counted through the tracking finalizer', async () => {
  const t = await setup();
  try {
    t.api.put(jobs, jobObj('pi', { completions: 3, parallelism: 2 }));
    let maxActive = 0;
    const active = () => t.podsOf('pi').filter((p) => !['Succeeded', 'Failed'].includes(p.status?.phase)).length;
    for (let done = 0; done < 3;) {
      const running = await until('an active pod', () => { const l = t.podsOf('pi').filter((p) => !p.status?.phase); return l.length > 0 && l; });
      await new Promise((r) => setTimeout(r, 100));   // give the controller room to over-create, if it would
      maxActive = Math.max(maxActive, active());
      const p = running[0];
      assert.ok(p.metadata.finalizers?.includes('batch.kubernetes.io/job-tracking'));
      assert.equal(p.metadata.ownerReferences?.[0].kind, 'Job');
      assert.equal(p.metadata.ownerReferences?.[0].controller, true);
      assert.ok(p.metadata.generateName === 'pi-');
      t.finish(p, 'Succeeded');
      done++;
    }
    const j = await until('Complete', () => t.job('pi').status?.conditions?.some((c: any) => c.type === 'Complete') && t.job('pi'));
    assert.equal(maxActive, 2);
    assert.equal(j.status.succeeded, 3);
    assert.equal(j.status.failed ?? 0, 0);
    assert.equal(j.status.active, undefined, "omitted when 0, as upstream");
    assert.deepEqual(j.status.uncountedTerminatedPods, {});
    assert.ok(j.status.startTime && j.status.completionTime);
    assert.deepEqual(j.status.conditions.map((c: any) => c.type), ['SuccessCriteriaMet', 'Complete']);
    assert.equal(t.podsOf('pi').length, 3, 'succeeded pods are not replaced');
    assert.ok(t.podsOf('pi').every((p) => !p.metadata.finalizers?.includes('batch.kubernetes.io/job-tracking')));
    // events are written in the background
    await until('Completed event', () => t.objs('/events|').some((e) => e.reason === 'Completed'));
    assert.equal(t.objs('/events|').filter((e) => e.reason === 'SuccessfulCreate').length, 3);
  } finally { await t.stop(); }
});

test('backoffLimit: failures are replaced after the back-off, then the job fails through FailureTarget', async () => {
  const t = await setup({ podFailureBackoffMs: 50, maxPodFailureBackoffMs: 200 });
  try {
    t.api.put(jobs, jobObj('bad', { completions: 1, backoffLimit: 1 }));
    const p1 = await until('first pod', () => t.podsOf('bad')[0]);
    t.finish(p1, 'Failed');
    const p2 = await until('a replacement', () => t.podsOf('bad').find((p) => p.metadata.name !== p1.metadata.name));
    t.finish(p2, 'Failed');
    const j = await until('Failed', () => t.job('bad').status?.conditions?.some((c: any) => c.type === 'Failed') && t.job('bad'));
    assert.equal(j.status.failed, 2);
    const types = j.status.conditions.map((c: any) => `${c.type}/${c.reason}`);
    assert.deepEqual(types, ['FailureTarget/BackoffLimitExceeded', 'Failed/BackoffLimitExceeded']);
    assert.equal(j.status.conditions[1].message, 'Job has reached the specified backoff limit');
    assert.equal(t.podsOf('bad').length, 2);
    await until('BackoffLimitExceeded event', () => t.objs('/events|').some((e) => e.reason === 'BackoffLimitExceeded' && e.type === 'Warning'));
  } finally { await t.stop(); }
});

test('podFailurePolicy: an Ignore rule keeps failures out of the count, a FailJob rule fails the Job at once', async () => {
  const t = await setup({ podFailureBackoffMs: 20, maxPodFailureBackoffMs: 50 });
  const exited = (p: KObject, code: number) => t.api.put(pods, { ...p, status: { phase: 'Failed', containerStatuses: [{ name: 'c', state: { terminated: { exitCode: code } } }] } });
  try {
    const policy = { rules: [{ action: 'Ignore', onExitCodes: { operator: 'In', values: [7] } }, { action: 'FailJob', onExitCodes: { containerName: 'c', operator: 'In', values: [42] } }] };
    t.api.put(jobs, jobObj('pfp', { completions: 1, backoffLimit: 1, podFailurePolicy: policy }));
    // two failures with exit code 7: past backoffLimit 1, but ignored
    const p1 = await until('first pod', () => t.podsOf('pfp')[0]);
    exited(p1, 7);
    const p2 = await until('a replacement', () => t.podsOf('pfp').find((p) => p.metadata.name !== p1.metadata.name));
    exited(p2, 7);
    const p3 = await until('another replacement', () => t.podsOf('pfp').find((p) => ![p1.metadata.name, p2.metadata.name].includes(p.metadata.name)));
    assert.equal(t.job('pfp').status?.failed ?? 0, 0);
    assert.ok(!t.job('pfp').status?.conditions?.some((c: any) => c.type === 'Failed'));
    // exit code 42 matches the FailJob rule
    exited(p3, 42);
    const j = await until('Failed', () => t.job('pfp').status?.conditions?.some((c: any) => c.type === 'Failed') && t.job('pfp'));
    assert.deepEqual(j.status.conditions.map((c: any) => `${c.type}/${c.reason}`), ['FailureTarget/PodFailurePolicy', 'Failed/PodFailurePolicy']);
    assert.equal(j.status.conditions[1].message, `Container c for pod ns/${p3.metadata.name} failed with exit code 42 matching FailJob rule at index 1`);
    assert.equal(j.status.failed, 1);
  } finally { await t.stop(); }
});

test('backoffLimitPerIndex: an index that fails too often fails for good, and the Job fails with FailedIndexes', async () => {
  const t = await setup({ podFailureBackoffMs: 20, maxPodFailureBackoffMs: 50 });
  const ix = (p: KObject) => p.metadata.annotations?.['batch.kubernetes.io/job-completion-index'];
  try {
    t.api.put(jobs, jobObj('per', { completions: 3, parallelism: 3, completionMode: 'Indexed', backoffLimit: 2147483647, backoffLimitPerIndex: 1 }));
    await until('3 pods', () => t.podsOf('per').length === 3);
    for (const p of t.podsOf('per')) t.finish(p, ix(p) === '1' ? 'Failed' : 'Succeeded');
    // index 1 gets one more try, which knows it is the second
    const retry = await until('a retry of index 1', () => t.podsOf('per').find((p) => ix(p) === '1' && !p.status?.phase));
    assert.equal(retry.metadata.annotations?.['batch.kubernetes.io/job-index-failure-count'], '1');
    t.finish(retry, 'Failed');
    const j = await until('Failed', () => t.job('per').status?.conditions?.some((c: any) => c.type === 'Failed') && t.job('per'));
    assert.equal(j.status.failedIndexes, '1');
    assert.equal(j.status.completedIndexes, '0,2');
    assert.deepEqual(j.status.conditions.map((c: any) => `${c.type}/${c.reason}`), ['FailureTarget/FailedIndexes', 'Failed/FailedIndexes']);
    assert.equal(t.podsOf('per').filter((p) => ix(p) === '1').length, 2, 'no third try');
  } finally { await t.stop(); }
});

test('Indexed: one pod per index with annotation, label, hostname and env; completedIndexes', async () => {
  const t = await setup({ podFailureBackoffMs: 20 });
  try {
    t.api.put(jobs, jobObj('ix', { completions: 3, parallelism: 3, completionMode: 'Indexed' }));
    const ps = await until('3 pods', () => t.podsOf('ix').length === 3 && t.podsOf('ix'));
    const ixs = ps.map((p) => p.metadata.annotations!['batch.kubernetes.io/job-completion-index']).sort();
    assert.deepEqual(ixs, ['0', '1', '2']);
    for (const p of ps) {
      const ix = p.metadata.annotations!['batch.kubernetes.io/job-completion-index'];
      assert.equal(p.metadata.labels!['batch.kubernetes.io/job-completion-index'], ix);
      assert.equal(p.spec.hostname, `ix-${ix}`);
      assert.ok(p.metadata.name!.startsWith(`ix-${ix}-`));
      assert.equal(p.spec.containers[0].env[0].name, 'JOB_COMPLETION_INDEX');
    }
    const byIx = (i: string) => ps.find((p) => p.metadata.annotations!['batch.kubernetes.io/job-completion-index'] === i)!;
    t.finish(byIx('1'), 'Succeeded');
    await until('index 1 completed', () => t.job('ix').status?.completedIndexes === '1');
    t.finish(byIx('0'), 'Failed');
    const again = await until('index 0 recreated', () => t.podsOf('ix').find((p) => p.metadata.annotations!['batch.kubernetes.io/job-completion-index'] === '0' && !p.status?.phase));
    t.finish(again, 'Succeeded');
    t.finish(byIx('2'), 'Succeeded');
    const j = await until('Complete', () => t.job('ix').status?.conditions?.some((c: any) => c.type === 'Complete') && t.job('ix'));
    assert.equal(j.status.completedIndexes, '0-2');
    assert.equal(j.status.succeeded, 3);
    assert.equal(j.status.failed, 1);
  } finally { await t.stop(); }
});

test('activeDeadlineSeconds fails the job with DeadlineExceeded and deletes its active pods', async () => {
  const clock = new FakeClock();
  const t = await setup({ clock });
  try {
    t.api.put(jobs, jobObj('slow', { completions: 1, activeDeadlineSeconds: 30 }));
    await until('a pod', () => t.podsOf('slow')[0]);
    await until('startTime', () => t.job('slow').status?.startTime);
    clock.step(31_000);
    t.api.put(jobs, { ...t.job('slow'), metadata: { ...t.job('slow').metadata, labels: { poke: '1' } } });   // any change resyncs
    const j = await until('Failed', () => t.job('slow').status?.conditions?.some((c: any) => c.type === 'Failed') && t.job('slow'));
    assert.equal(j.status.conditions.find((c: any) => c.type === 'Failed').reason, 'DeadlineExceeded');
    assert.equal(t.podsOf('slow').length, 0, 'the active pod was deleted');
  } finally { await t.stop(); }
});

test('suspend deletes active pods and sets Suspended; resume sets it False', async () => {
  const t = await setup();
  try {
    t.api.put(jobs, jobObj('sus', { completions: 2, parallelism: 2 }));
    await until('2 pods', () => t.podsOf('sus').length === 2);
    await until('active 2', () => t.job('sus').status?.active === 2);
    t.api.put(jobs, { ...t.job('sus'), spec: { ...t.job('sus').spec, suspend: true } });
    const j = await until('Suspended', () => t.job('sus').status?.conditions?.find((c: any) => c.type === 'Suspended' && c.status === 'True') && t.job('sus'));
    assert.equal(t.podsOf('sus').length, 0);
    assert.equal(j.status.active, undefined);
    t.api.put(jobs, { ...t.job('sus'), spec: { ...t.job('sus').spec, suspend: false } });
    await until('resumed', () => t.job('sus').status?.conditions?.find((c: any) => c.type === 'Suspended' && c.status === 'False' && c.reason === 'JobResumed'));
    await until('pods again', () => t.podsOf('sus').length === 2);
  } finally { await t.stop(); }
});

test('ttlSecondsAfterFinished deletes the finished job once the TTL has passed', async () => {
  const api = new FakeApiServer();
  await api.start();
  const client = new RestClient({ server: api.url });
  const informers = new SharedInformerFactory(client);
  const clock = new FakeClock(Date.parse('2024-01-01T00:10:00Z'));
  const ctrl = new TTLAfterFinishedController({ client, informers, clock });
  const ac = new AbortController();
  informers.start(ac.signal);
  try {
    const done = { ...jobObj('old', { ttlSecondsAfterFinished: 100 }), status: { conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: '2024-01-01T00:09:00Z' }] } };
    api.put(jobs, done);
    await until('cached', () => ctrl.jobs.lister.get('ns', 'old'));
    const r = await ctrl.reconcile('ns/old');
    assert.ok(r && r.requeueAfter > 39_000 && r.requeueAfter <= 40_100, 'waits the rest of the TTL');
    assert.ok(api.objects.has('batch/jobs|ns|old'));
    clock.step(41_000);
    await ctrl.reconcile('ns/old');
    assert.ok(!api.objects.has('batch/jobs|ns|old'));
    const del = api.requests.find((q) => q.method === 'DELETE')!;
    assert.equal(del.body.propagationPolicy, 'Foreground');
  } finally { ac.abort(); await informers.stop(); client.close(); await api.stop(); }
  void jobsResource;
});

test('helpers: indexes and back-off', () => {
  assert.equal(formatIndexes([5, 0, 1, 2, 7, 8]), '0-2,5,7-8');
  assert.deepEqual([...parseIndexes('0-2,5,7-8', 8)].sort(), [0, 1, 2, 5, 7]);
  const pod = (t: string): KObject => ({ metadata: {}, status: { containerStatuses: [{ state: { terminated: { finishedAt: t } } }] } });
  let r = nextBackoffRecord(undefined, [], [pod('2024-01-01T00:00:00Z')]);
  r = nextBackoffRecord(r, [], [pod('2024-01-01T00:00:10Z'), pod('2024-01-01T00:00:05Z')]);
  assert.equal(r.failuresAfterLastSuccess, 3);
  const last = Date.parse('2024-01-01T00:00:10Z');
  assert.equal(remainingBackoff(r, last + 5000, 10_000, 360_000), 35_000);   // 10s·2² - 5s
  assert.equal(remainingBackoff({ failuresAfterLastSuccess: 20, lastFailureTime: last }, last, 10_000, 360_000), 360_000);
  assert.equal(nextBackoffRecord(r, [pod('2024-01-01T00:00:20Z')], []).failuresAfterLastSuccess, 0);
});
