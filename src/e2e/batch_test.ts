// Jobs, CronJobs, Endpoints and EndpointSlices against a real server with simulated nodes, driven
// by real kubectl. The controllers' clock runs 30x fast (K8TS_CLOCK_RATE), so a `*/1` CronJob fires
// every 2 real seconds.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../api/types.js';
import { RestClient } from '../client/index.js';
import { startK8ts, kc, type ServerHandle } from './harness.js';

let srv: ServerHandle;
let client: RestClient;
async function until<T>(what: string, f: () => T | undefined | false | Promise<T | undefined | false>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    try { const v = await f(); if (v) return v; } catch (e) { last = e; }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ''}`);
}
const k = (...args: string[]) => kc(srv.kubeconfig, args);
const json = (...args: string[]) => JSON.parse(k(...args, '-o', 'json'));
const pods = { group: '', version: 'v1', plural: 'pods', namespaced: true, kind: 'Pod' };

before(async () => {
  srv = await startK8ts({ args: ['--simulated-nodes', '3'], env: { K8TS_CLOCK_RATE: '30' } });
  client = RestClient.fromKubeconfig(srv.kubeconfig);
});
after(async () => { client?.close(); await srv?.stop(); });

test('a Job with completions 5 and parallelism 2 completes with 5 succeeded pods, never more than 2 active', async () => {
  const ac = new AbortController();
  const phases = new Map<string, string>();
  let maxActive = 0;
  let events = 0;
  // watch from a list's resourceVersion: every change after it is seen, however late the watch connects
  const rv = (await client.list(pods, { namespace: 'default' })).metadata.resourceVersion;
  const watching = (async () => {
    for await (const ev of client.watch(pods, { namespace: 'default', resourceVersion: rv, labelSelector: 'batch.kubernetes.io/job-name=pi', signal: ac.signal })) {
      const p = ev.object as KObject;
      events++;
      if (ev.type === 'DELETED') phases.delete(p.metadata.name!);
      else phases.set(p.metadata.name!, p.metadata.deletionTimestamp ? 'Deleting' : p.status?.phase ?? 'Pending');
      const active = [...phases.values()].filter((ph) => ph === 'Pending' || ph === 'Running').length;
      maxActive = Math.max(maxActive, active);
    }
  })();
  kc(srv.kubeconfig, ['apply', '-f', '-'], { input: JSON.stringify({
    apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'pi' },
    spec: { completions: 5, parallelism: 2, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['true'] }] } } },
  }) });
  k('wait', '--for=condition=Complete', 'job/pi', '--timeout=60s');
  // kubectl ran synchronously: let the watch catch up on what it buffered meanwhile
  await until('watch saw 5 succeeded pods', () => [...phases.values()].filter((ph) => ph === 'Succeeded').length === 5, 10_000);
  ac.abort();
  await watching;
  const job = json('get', 'job', 'pi');
  assert.equal(job.status.succeeded, 5);
  assert.equal(job.status.active ?? 0, 0);
  assert.deepEqual(job.status.uncountedTerminatedPods, {});
  assert.ok(job.status.completionTime);
  assert.deepEqual(job.status.conditions.map((c: any) => `${c.type}=${c.status}/${c.reason}`), ['SuccessCriteriaMet=True/CompletionsReached', 'Complete=True/CompletionsReached']);
  const list = json('get', 'pods', '-l', 'batch.kubernetes.io/job-name=pi').items as KObject[];
  assert.equal(list.length, 5);
  assert.ok(list.every((p) => p.status.phase === 'Succeeded'));
  assert.ok(list.every((p) => !(p.metadata.finalizers ?? []).includes('batch.kubernetes.io/job-tracking')), 'tracking finalizers removed');
  assert.ok(events > 0);
  assert.ok(maxActive <= 2, `at most 2 active pods, saw ${maxActive}`);
  assert.equal(maxActive, 2);
  const evs = k('get', 'events', '--field-selector', 'involvedObject.name=pi', '-o', 'custom-columns=R:.reason', '--no-headers');
  assert.equal(evs.split('\n').filter((l) => l.trim() === 'SuccessfulCreate').length, 5);
  assert.match(evs, /Completed/);
});

test('an Indexed Job gives each pod its index, hostname and env', async () => {
  kc(srv.kubeconfig, ['apply', '-f', '-'], { input: JSON.stringify({
    apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'ix' },
    spec: { completions: 3, parallelism: 3, completionMode: 'Indexed', template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } },
  }) });
  k('wait', '--for=condition=Complete', 'job/ix', '--timeout=60s');
  const job = json('get', 'job', 'ix');
  assert.equal(job.status.completedIndexes, '0-2');
  assert.equal(job.status.succeeded, 3);
  const list = json('get', 'pods', '-l', 'batch.kubernetes.io/job-name=ix').items as KObject[];
  assert.deepEqual(list.map((p) => p.metadata.annotations!['batch.kubernetes.io/job-completion-index']).sort(), ['0', '1', '2']);
  for (const p of list) {
    const ix = p.metadata.annotations!['batch.kubernetes.io/job-completion-index'];
    assert.equal(p.spec.hostname, `ix-${ix}`);
    assert.ok(p.metadata.name!.startsWith(`ix-${ix}-`));
    assert.equal(p.spec.containers[0].env.find((e: any) => e.name === 'JOB_COMPLETION_INDEX').valueFrom.fieldRef.fieldPath, "metadata.annotations['batch.kubernetes.io/job-completion-index']");
  }
});

test('a */1 CronJob creates Jobs on schedule', async () => {
  k('create', 'cronjob', 'tick', '--image=busybox', '--schedule=*/1 * * * *', '--', 'true');
  const jobs = await until('two jobs from the cronjob', () => {
    const l = (json('get', 'jobs').items as KObject[]).filter((j) => j.metadata.ownerReferences?.[0]?.name === 'tick');
    return l.length >= 2 && l;
  });
  const mins = jobs.map((j) => Number(/^tick-(\d+)$/.exec(j.metadata.name!)![1])).sort((a, b) => a - b);
  assert.equal(mins[1] - mins[0], 1, 'consecutive minutes');
  for (const j of jobs) {
    const m = Number(/^tick-(\d+)$/.exec(j.metadata.name!)![1]);
    assert.equal(j.metadata.annotations!['batch.kubernetes.io/cronjob-scheduled-timestamp'], new Date(m * 60_000).toISOString().replace('.000Z', 'Z'));
    assert.equal(j.metadata.ownerReferences![0].kind, 'CronJob');
    assert.equal(j.metadata.ownerReferences![0].controller, true);
  }
  const cj = await until('lastScheduleTime and lastSuccessfulTime', () => { const c = json('get', 'cronjob', 'tick'); return c.status?.lastSuccessfulTime && c; });
  assert.ok(cj.status.lastScheduleTime);
  // successfulJobsHistoryLimit (default 3) keeps the finished ones in check
  await until('history limit applied', () => {
    const l = (json('get', 'jobs').items as KObject[]).filter((j) => j.metadata.ownerReferences?.[0]?.name === 'tick' && !j.metadata.deletionTimestamp);
    const done = l.filter((j) => j.status?.conditions?.some((c: any) => c.type === 'Complete' && c.status === 'True'));
    return mins.length >= 2 && done.length <= 3 && json('get', 'events', '--field-selector', 'involvedObject.name=tick').items.some((e: any) => e.reason === 'SuccessfulDelete');
  }, 60_000);
  k('patch', 'cronjob', 'tick', '-p', '{"spec":{"suspend":true}}');
});

test('the kubernetes Service has an EndpointSlice with the API server address', () => {
  const slice = json('get', 'endpointslice', 'kubernetes', '-n', 'default') as KObject;
  assert.equal(slice.metadata.labels!['kubernetes.io/service-name'], 'kubernetes');
  const url = new URL(srv.url);
  assert.deepEqual(slice.endpoints, [{ addresses: [url.hostname], conditions: { ready: true } }]);
  assert.deepEqual(slice.ports, [{ name: 'https', port: Number(url.port), protocol: 'TCP' }]);
});

test("a Service's Endpoints and EndpointSlice list ready pods only", async () => {
  kc(srv.kubeconfig, ['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'ready-a', labels: { app: 'ep' } }, spec: { containers: [{ name: 'c', image: 'nginx', ports: [{ name: 'http', containerPort: 8080 }] }] } },
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'ready-b', labels: { app: 'ep' } }, spec: { containers: [{ name: 'c', image: 'nginx', ports: [{ name: 'http', containerPort: 9090 }] }] } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'ep' }, spec: { selector: { app: 'ep' }, ports: [{ name: 'web', port: 80, targetPort: 'http' }] } },
  ] }) });
  // the named target port resolves per pod: 8080 on one, 9090 on the other, so two port groups and two slices
  const slices0 = await until('slices with two ready endpoints', () => {
    const l = json('get', 'endpointslices', '-l', 'kubernetes.io/service-name=ep').items as KObject[];
    return l.length === 2 && l.flatMap((s) => s.endpoints ?? []).filter((e: any) => e.conditions.ready).length === 2 && l;
  });
  assert.deepEqual(slices0.map((s) => s.ports[0].port).sort(), [8080, 9090]);
  for (const slice of slices0) {
    assert.equal(slice.addressType, 'IPv4');
    assert.equal(slice.metadata.labels!['endpointslice.kubernetes.io/managed-by'], 'endpointslice-controller.k8s.io');
    assert.equal(slice.metadata.ownerReferences![0].kind, 'Service');
    assert.equal(slice.ports[0].name, 'web');
  }
  // the named target port resolves per pod, so the two pods land in two port groups
  const ep = await until('endpoints', () => { const e = json('get', 'endpoints', 'ep'); return (e.subsets ?? []).length === 2 && e; });
  assert.deepEqual(ep.subsets.map((s: any) => s.ports[0].port).sort(), [8080, 9090]);
  // the trigger time is set when a pod or Service change triggered the write (a retried write may carry none, as upstream)
  const trigger = ep.metadata.annotations?.['endpoints.kubernetes.io/last-change-trigger-time'];
  if (trigger !== undefined) assert.match(trigger, /^\d{4}-\d\d-\d\dT/);
  assert.ok(ep.subsets.every((s: any) => s.addresses.length === 1 && s.addresses[0].targetRef.kind === 'Pod' && s.addresses[0].nodeName));

  // a pod that is not ready leaves the ready set: mark ready-a's Ready condition False as a kubelet would
  const pod = await client.get(pods, 'ready-a', { namespace: 'default' });
  pod.status.conditions = pod.status.conditions.map((c: any) => (c.type === 'Ready' ? { ...c, status: 'False' } : c));
  await client.updateStatus(pods, pod, { namespace: 'default' });
  await until('ready-a not ready in the endpoints', () => {
    const e = json('get', 'endpoints', 'ep');
    const nr = (e.subsets ?? []).flatMap((s: any) => s.notReadyAddresses ?? []);
    const r = (e.subsets ?? []).flatMap((s: any) => s.addresses ?? []);
    return nr.length === 1 && nr[0].targetRef.name === 'ready-a' && r.length === 1 && r[0].targetRef.name === 'ready-b';
  }, 20_000);
  const slices = json('get', 'endpointslices', '-l', 'kubernetes.io/service-name=ep').items as KObject[];
  const ready = slices.flatMap((s) => (s.endpoints ?? []).filter((e: any) => e.conditions.ready).map((e: any) => e.targetRef.name));
  const notReady = slices.flatMap((s) => (s.endpoints ?? []).filter((e: any) => !e.conditions.ready).map((e: any) => e.targetRef.name));
  assert.deepEqual(ready, ['ready-b']);
  assert.deepEqual(notReady, ['ready-a']);
});
