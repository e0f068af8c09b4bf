import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProbeManager, probeTiming, type RunningState } from './prober.js';
import type { CheckOutcome } from './probes.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pod = (containers: any[]) => ({ metadata: { name: 'p', namespace: 'ns', uid: 'u1' }, spec: { containers } });
const up = (id: string, startedAtMs = Date.now()): Map<string, RunningState> => new Map([['c', { id, running: true, startedAtMs }]]);

/** a manager whose checks answer from `answers` (per probe kind, by the probe's path), recording calls */
function fixture(answer: (probe: any) => CheckOutcome) {
  const changes: string[] = [];
  const failures: string[] = [];
  const calls: any[] = [];
  const m = new ProbeManager({
    exec: async () => ({ stdout: '', stderr: '', exitCode: 0 }),
    onChange: (k) => changes.push(k),
    onFailure: (_p, c, kind, msg) => failures.push(`${c.name} ${kind}: ${msg}`),
    run: async (probe, target) => { calls.push({ path: probe.httpGet?.path, id: target.containerId, at: Date.now() }); return answer(probe); },
  });
  return { m, changes, failures, calls };
}

test('probeTiming: upstream defaults (period 10 s, timeout 1 s, success 1, failure 3)', () => {
  assert.deepEqual(probeTiming({}), { initialDelayMs: 0, periodMs: 10_000, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 });
  assert.deepEqual(probeTiming({ initialDelaySeconds: 2, periodSeconds: 1, timeoutSeconds: 3, successThreshold: 2, failureThreshold: 1 }),
    { initialDelayMs: 2000, periodMs: 1000, timeoutSeconds: 3, successThreshold: 2, failureThreshold: 1 });
});

test('readiness starts false, turns true after successThreshold successes and false after failureThreshold failures', async () => {
  let ok = true;
  const f = fixture(() => (ok ? { result: 'success', output: '' } : { result: 'failure', output: 'HTTP probe failed with statuscode: 503' }));
  const p = pod([{ name: 'c', readinessProbe: { httpGet: { path: '/ready', port: 80 }, periodSeconds: 1, successThreshold: 2, failureThreshold: 2 } }]);
  try {
    f.m.update(p, '10.0.0.1', up('id1'));
    assert.equal(f.m.result('u1', 'c', 'readiness', 'id1'), false);
    await sleep(300);
    assert.equal(f.calls.length, 1, 'probed at once (no initial delay)');
    assert.equal(f.m.result('u1', 'c', 'readiness', 'id1'), false, 'one success is below successThreshold 2');
    await sleep(1000);
    assert.equal(f.m.result('u1', 'c', 'readiness', 'id1'), true);
    assert.deepEqual(f.changes, ['ns/p']);
    ok = false;
    await sleep(1000);
    assert.equal(f.m.result('u1', 'c', 'readiness', 'id1'), true, 'one failure is below failureThreshold 2');
    await sleep(1000);
    assert.equal(f.m.result('u1', 'c', 'readiness', 'id1'), false);
    assert.deepEqual(f.changes, ['ns/p', 'ns/p']);
    assert.deepEqual(f.failures.slice(0, 2), ['c readiness: Readiness probe failed: HTTP probe failed with statuscode: 503', 'c readiness: Readiness probe failed: HTTP probe failed with statuscode: 503']);
    assert.equal(f.m.result('u1', 'c', 'readiness', 'other'), undefined, 'results belong to a container id');
  } finally { f.m.stop(); }
});

test('liveness failure holds the worker until a new container; the new one starts healthy', async () => {
  const f = fixture(() => ({ result: 'failure', output: 'HTTP probe failed with statuscode: 500' }));
  const p = pod([{ name: 'c', livenessProbe: { httpGet: { path: '/healthz', port: 80 }, periodSeconds: 1, failureThreshold: 1 } }]);
  try {
    f.m.update(p, '10.0.0.1', up('id1'));
    assert.equal(f.m.result('u1', 'c', 'liveness', 'id1'), true);
    await sleep(300);
    assert.equal(f.m.result('u1', 'c', 'liveness', 'id1'), false);
    assert.deepEqual(f.failures, ['c liveness: Liveness probe failed: HTTP probe failed with statuscode: 500']);
    await sleep(1200);
    assert.equal(f.calls.length, 1, 'on hold after the failure');
    f.m.update(p, '10.0.0.1', up('id2'));
    assert.equal(f.m.result('u1', 'c', 'liveness', 'id2'), true);
    await sleep(300);
    assert.equal(f.calls.length, 2);
    assert.equal(f.calls[1].id, 'id2');
  } finally { f.m.stop(); }
});

test('initialDelaySeconds counts from the container start; a startup probe gates liveness and readiness', async () => {
  let startupOk = false;
  const f = fixture((probe) => (probe.httpGet.path === '/startup' ? { result: startupOk ? 'success' : 'failure', output: 'no' } : { result: 'success', output: '' }));
  const p = pod([{
    name: 'c',
    startupProbe: { httpGet: { path: '/startup', port: 80 }, periodSeconds: 1, failureThreshold: 30 },
    livenessProbe: { httpGet: { path: '/live', port: 80 }, periodSeconds: 1, initialDelaySeconds: 1 },
    readinessProbe: { httpGet: { path: '/ready', port: 80 }, periodSeconds: 1 },
  }]);
  try {
    const start = Date.now();
    f.m.update(p, '10.0.0.1', up('id1', start));
    assert.equal(f.m.result('u1', 'c', 'startup', 'id1'), undefined);
    await sleep(1500);
    assert.deepEqual([...new Set(f.calls.map((c) => c.path))], ['/startup'], 'liveness/readiness wait for the startup probe');
    startupOk = true;
    await sleep(1300);
    assert.equal(f.m.result('u1', 'c', 'startup', 'id1'), true);
    await sleep(1300);
    assert.equal(f.m.result('u1', 'c', 'readiness', 'id1'), true);
    const live = f.calls.filter((c) => c.path === '/live');
    assert.ok(live.length >= 1 && live[0].at - start >= 1000, 'liveness after its initial delay');
    const startupCalls = f.calls.filter((c) => c.path === '/startup').length;
    await sleep(1200);
    assert.equal(f.calls.filter((c) => c.path === '/startup').length, startupCalls, 'no startup probing once started');
  } finally { f.m.stop(); }
});

test('update without the probe (or removePod) stops its worker', async () => {
  const f = fixture(() => ({ result: 'success', output: '' }));
  const withProbe = pod([{ name: 'c', readinessProbe: { tcpSocket: { port: 80 }, periodSeconds: 1 } }]);
  try {
    f.m.update(withProbe, '10.0.0.1', up('id1'));
    await sleep(200);
    f.m.update(pod([{ name: 'c' }]), '10.0.0.1', up('id1'));
    const n = f.calls.length;
    await sleep(1300);
    assert.equal(f.calls.length, n);
    assert.equal(f.m.result('u1', 'c', 'readiness', 'id1'), undefined);
    f.m.update(withProbe, '10.0.0.1', up('id1'));
    await sleep(200);
    assert.equal(f.calls.length, n + 1, 'a new worker probes at once');
    f.m.removePod('u1');
    await sleep(1300);
    assert.equal(f.calls.length, n + 1);
  } finally { f.m.stop(); }
});
