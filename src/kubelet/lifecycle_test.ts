import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CriClient } from './cri/client.js';
import type { ExecFn } from './execsync.js';
import { containerGrace, killContainer, runHandler, terminatePod, type LifecycleContext } from './lifecycle.js';

/** a CRI that records calls; StopContainer resolves at once */
function fakeCri(containers: any[] = []) {
  const calls: [string, any, number][] = [];
  const t0 = Date.now();
  const cri = {
    async call(method: string, req: any) {
      calls.push([method, req, Date.now() - t0]);
      if (method === 'ListPodSandbox') return { items: [{ id: 'sb1', metadata: { attempt: 0 }, state: 'SANDBOX_READY' }] };
      if (method === 'ListContainers') return { containers };
      return {};
    },
  } as unknown as CriClient;
  return { cri, calls };
}

const pod = (spec: any, meta: any = {}) => ({ metadata: { name: 'p', namespace: 'ns', uid: 'u1', ...meta }, spec });

function context(cri: CriClient, p: any, exec: ExecFn = async () => ({ stdout: '', stderr: '', exitCode: 0 })) {
  const events: string[] = [];
  const ctx: LifecycleContext = { cri, exec, pod: p, podIP: '127.0.0.1', event: (c, _id, type, reason, message) => events.push(`${c.name} ${type} ${reason} ${message}`) };
  return { ctx, events };
}

test('containerGrace: deletion grace, else the pod\'s (default 30), a probe\'s own for probe kills', () => {
  const c = { name: 'c', livenessProbe: { terminationGracePeriodSeconds: 5 } };
  assert.equal(containerGrace(pod({}), c), 30);
  assert.equal(containerGrace(pod({ terminationGracePeriodSeconds: 12 }), c), 12);
  assert.equal(containerGrace(pod({ terminationGracePeriodSeconds: 12 }), c, 'liveness'), 5);
  assert.equal(containerGrace(pod({ terminationGracePeriodSeconds: 12 }), c, 'startup'), 12);
  assert.equal(containerGrace(pod({ terminationGracePeriodSeconds: 12 }, { deletionTimestamp: 'x', deletionGracePeriodSeconds: 3 }), c, 'liveness'), 3);
});

test('runHandler: exec (exit code), httpGet (status, named port), sleep; failures give upstream-style messages', async () => {
  const srv = createServer((req, res) => { res.statusCode = req.url === '/bad' ? 500 : 200; res.end(); });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  try {
    const ran: string[][] = [];
    const { ctx } = context(fakeCri().cri, pod({}), async (_id, cmd) => { ran.push(cmd); return { stdout: 'out', stderr: '', exitCode: cmd[0] === 'false' ? 1 : 0 }; });
    const c = { name: 'web', ports: [{ name: 'http', containerPort: port }] };
    assert.equal(await runHandler(ctx, { container: c, containerId: 'cid', handler: { exec: { command: ['true'] } } }), undefined);
    assert.match((await runHandler(ctx, { container: c, containerId: 'cid', handler: { exec: { command: ['false'] } } }))!, /^Exec lifecycle hook \(\["false"\]\) for Container "web" in Pod "p_ns\(u1\)" failed - error: command 'false' exited with 1/);
    assert.equal(await runHandler(ctx, { container: c, containerId: 'cid', handler: { httpGet: { path: '/ok', port: 'http' } } }), undefined);
    assert.equal(await runHandler(ctx, { container: c, containerId: 'cid', handler: { httpGet: { path: '/bad', port: 'http' } } }),
      'HTTP lifecycle hook (/bad) for Container "web" in Pod "p_ns(u1)" failed - error: HTTP probe failed with statuscode: 500');
    const t = Date.now();
    assert.equal(await runHandler(ctx, { container: c, containerId: 'cid', handler: { sleep: { seconds: 1 } } }), undefined);
    assert.ok(Date.now() - t >= 950);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const t2 = Date.now();
    await runHandler(ctx, { container: c, containerId: 'cid', handler: { sleep: { seconds: 30 } }, signal: ac.signal });
    assert.ok(Date.now() - t2 < 1000, 'an aborted sleep hook ends early');
  } finally { srv.close(); }
});

test('killContainer: Killing event, preStop first, then StopContainer with the grace left (at least 2 s)', async () => {
  const { cri, calls } = fakeCri();
  const c = { name: 'app', lifecycle: { preStop: { sleep: { seconds: 2 } } } };
  const { ctx, events } = context(cri, pod({}));
  await killContainer(ctx, { container: c, containerId: 'cid', graceSeconds: 5 });
  assert.deepEqual(events, ['app Normal Killing Stopping container app']);
  const stop = calls.find((x) => x[0] === 'StopContainer')!;
  assert.deepEqual(stop[1], { containerId: 'cid', timeout: 3 });
  assert.ok(stop[2] >= 1900, 'StopContainer only after the preStop hook');

  // a hook longer than the grace is cut off at the grace; the container still gets the minimum 2 s
  const k2 = fakeCri();
  const { ctx: ctx2 } = context(k2.cri, pod({}));
  const t = Date.now();
  await killContainer(ctx2, { container: { name: 'app', lifecycle: { preStop: { sleep: { seconds: 30 } } } }, containerId: 'cid', graceSeconds: 1, message: 'Container app failed liveness probe, will be restarted' });
  assert.ok(Date.now() - t < 2000);
  assert.deepEqual(k2.calls.find((x) => x[0] === 'StopContainer')![1], { containerId: 'cid', timeout: 2 });

  // a failing preStop hook: a FailedPreStopHook event, and the container is stopped anyway
  const k3 = fakeCri();
  const { ctx: ctx3, events: ev3 } = context(k3.cri, pod({}), async () => ({ stdout: '', stderr: 'boom', exitCode: 1 }));
  await killContainer(ctx3, { container: { name: 'app', lifecycle: { preStop: { exec: { command: ['x'] } } } }, containerId: 'cid', graceSeconds: 10 });
  assert.deepEqual(ev3, ['app Normal Killing Stopping container app', 'app Warning FailedPreStopHook PreStopHook failed']);
  assert.deepEqual(k3.calls.find((x) => x[0] === 'StopContainer')![1], { containerId: 'cid', timeout: 10 });
});

test('terminatePod: running containers killed in parallel with their hooks, then the sandbox stopped and removed', async () => {
  const { cri, calls } = fakeCri([
    { id: 'c1', metadata: { name: 'a' }, state: 'CONTAINER_RUNNING' },
    { id: 'c2', metadata: { name: 'b' }, state: 'CONTAINER_RUNNING' },
    { id: 'c0', metadata: { name: 'a' }, state: 'CONTAINER_EXITED' },
  ]);
  const p = pod({ containers: [{ name: 'a', lifecycle: { preStop: { sleep: { seconds: 1 } } } }, { name: 'b' }] });
  const { ctx, events } = context(cri, p);
  await terminatePod(ctx, 4);
  const stops = calls.filter((x) => x[0] === 'StopContainer');
  assert.deepEqual(stops.map((x) => x[1]).sort((x, y) => x.containerId.localeCompare(y.containerId)), [{ containerId: 'c1', timeout: 3 }, { containerId: 'c2', timeout: 4 }]);
  assert.ok(stops.find((x) => x[1].containerId === 'c2')![2] < 500, 'b is not held up by a\'s preStop hook');
  assert.deepEqual(calls.slice(-2).map((x) => x[0]), ['StopPodSandbox', 'RemovePodSandbox']);
  assert.deepEqual(events.sort(), ['a Normal Killing Stopping container a', 'b Normal Killing Stopping container b']);
});

test('terminatePod: sidecars get SIGTERM only after the regular containers (and later sidecars) stopped', async () => {
  const t0 = Date.now();
  const stops: [string, number][] = [];
  const cri = {
    async call(method: string, req: any) {
      if (method === 'ListPodSandbox') return { items: [{ id: 'sb1', metadata: { attempt: 0 }, state: 'SANDBOX_READY' }] };
      if (method === 'ListContainers') {
        return { containers: ['log', 'mesh', 'app'].map((n) => ({ id: n, metadata: { name: n }, state: 'CONTAINER_RUNNING' })) };
      }
      if (method === 'StopContainer') {
        stops.push([req.containerId, Date.now() - t0]);
        if (req.containerId === 'app') await new Promise((r) => setTimeout(r, 600)); // takes a while to exit
      }
      return {};
    },
  } as unknown as CriClient;
  const p = pod({
    initContainers: [{ name: 'log', restartPolicy: 'Always' }, { name: 'mesh', restartPolicy: 'Always' }],
    containers: [{ name: 'app' }],
  });
  const { ctx } = context(cri, p);
  await terminatePod(ctx, 10);
  assert.deepEqual(stops.map((x) => x[0]), ['app', 'mesh', 'log']);
  assert.ok(stops[1][1] >= 550, 'mesh stopped before app exited');
});
