import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { execCheck, grpcCheck, httpCheck, resolvePort, runProbe, tcpCheck } from './probes.js';
import { ExecTimeoutError, type ExecFn } from './execsync.js';

const listen = (s: Server | ReturnType<typeof createTcpServer>) => new Promise<number>((r) => s.listen(0, '127.0.0.1', () => r((s.address() as AddressInfo).port)));
const close = (s: { close: (cb: () => void) => void }) => new Promise<void>((r) => s.close(() => r()));
/** a port nothing listens on */
async function freePort(): Promise<number> { const s = createTcpServer(); const p = await listen(s); await close(s); return p; }

test('resolvePort: numbers, numeric strings and the container\'s named ports', () => {
  const c = { name: 'web', ports: [{ name: 'http', containerPort: 8080 }] };
  assert.equal(resolvePort(80, c), 80);
  assert.equal(resolvePort('81', c), 81);
  assert.equal(resolvePort('http', c), 8080);
  assert.throws(() => resolvePort('metrics', c), /couldn't find port: metrics/);
});

test('httpCheck: 200-399 succeed, others fail with the status code; path, headers, named port; refused and timed-out connections', async () => {
  const seen: any[] = [];
  const srv = createServer((req, res) => {
    seen.push({ url: req.url, headers: req.headers });
    if (req.url === '/slow') return void setTimeout(() => res.end('late'), 1500);
    const code = Number(req.url!.slice(1)) || 200;
    res.writeHead(code, code === 302 ? { Location: '/elsewhere' } : {}).end(`code ${code}`);
  });
  const port = await listen(srv);
  try {
    const target = { podIP: '127.0.0.1', container: { name: 'c', ports: [{ name: 'web', containerPort: port }] } };
    assert.deepEqual(await httpCheck({ path: '/200', port: 'web', httpHeaders: [{ name: 'X-Probe', value: 'yes' }, { name: 'user-agent', value: 'mine' }] }, target, 1000), { result: 'success', output: 'code 200' });
    assert.equal(seen[0].url, '/200');
    assert.equal(seen[0].headers['x-probe'], 'yes');
    assert.equal(seen[0].headers['user-agent'], 'mine');
    assert.equal((await httpCheck({ path: '/302', port }, target, 1000)).result, 'success');
    await httpCheck({ port }, target, 1000);
    assert.equal(seen.at(-1).url, '/');
    assert.match(seen.at(-1).headers['user-agent'], /^kube-probe\//);
    assert.deepEqual(await httpCheck({ path: '/500', port }, target, 1000), { result: 'failure', output: 'HTTP probe failed with statuscode: 500' });
    assert.deepEqual(await httpCheck({ path: '/404', port }, target, 1000), { result: 'failure', output: 'HTTP probe failed with statuscode: 404' });
    const slow = await httpCheck({ path: '/slow', port }, target, 300);
    assert.equal(slow.result, 'failure');
    assert.match(slow.output, /^Get "http:\/\/127\.0\.0\.1:\d+\/slow": context deadline exceeded/);
    const dead = await freePort();
    assert.deepEqual(await httpCheck({ path: '/x', port: dead }, target, 1000),
      { result: 'failure', output: `Get "http://127.0.0.1:${dead}/x": dial tcp 127.0.0.1:${dead}: connect: connection refused` });
    assert.equal((await httpCheck({ port: 'nope' }, target, 1000)).result, 'unknown');
  } finally { await close(srv); }
});

test('tcpCheck: connects, or reports the dial error', async () => {
  const srv = createTcpServer((s) => s.destroy());
  const port = await listen(srv);
  try {
    const target = { podIP: '127.0.0.1', container: { ports: [{ name: 'p', containerPort: port }] } };
    assert.equal((await tcpCheck({ port: 'p' }, target, 1000)).result, 'success');
    const dead = await freePort();
    assert.deepEqual(await tcpCheck({ port: dead }, target, 1000), { result: 'failure', output: `dial tcp 127.0.0.1:${dead}: connect: connection refused` });
  } finally { await close(srv); }
});

test('execCheck: exit code 0 succeeds, others fail with the output, a timeout fails, other errors are unknown', async () => {
  const calls: any[] = [];
  const exec: ExecFn = async (id, cmd, timeout) => {
    calls.push([id, cmd, timeout]);
    if (cmd[0] === 'slow') throw new ExecTimeoutError('timeout 1s exceeded');
    if (cmd[0] === 'gone') throw new Error('container not found');
    return cmd[0] === 'true' ? { stdout: 'fine\n', stderr: '', exitCode: 0 } : { stdout: '', stderr: 'cat: nope\n', exitCode: 1 };
  };
  const target = { podIP: '', container: {}, containerId: 'cid', exec };
  assert.deepEqual(await execCheck({ command: ['true'] }, target, 2), { result: 'success', output: 'fine\n' });
  assert.deepEqual(calls[0], ['cid', ['true'], 2]);
  assert.deepEqual(await execCheck({ command: ['false'] }, target, 1), { result: 'failure', output: 'cat: nope\n' });
  assert.deepEqual(await execCheck({ command: ['slow', 'x'] }, target, 1), { result: 'failure', output: 'command "slow x" timed out' });
  assert.equal((await execCheck({ command: ['gone'] }, target, 1)).result, 'unknown');
  // runProbe picks the handler and passes timeoutSeconds (default 1)
  await runProbe({ exec: { command: ['true'] } }, target);
  assert.equal(calls.at(-1)[2], 1);
});

test('grpcCheck: grpc.health.v1 SERVING succeeds, NOT_SERVING fails', async () => {
  let status = 1;
  let asked = '';
  const server = new grpc.Server();
  server.addService({
    Check: {
      path: '/grpc.health.v1.Health/Check', requestStream: false, responseStream: false,
      requestSerialize: (x: any) => x, requestDeserialize: (b: Buffer) => b,
      responseSerialize: (x: any) => x, responseDeserialize: (b: Buffer) => b,
    },
  } as any, {
    Check: (call: any, cb: any) => { asked = call.request.length ? call.request.subarray(2).toString() : ''; cb(null, Buffer.from([0x08, status])); },
  });
  const port = await new Promise<number>((r, j) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? j(e) : r(p))));
  try {
    assert.deepEqual(await grpcCheck({ port, service: 'db' }, { podIP: '127.0.0.1' }, 2000), { result: 'success', output: 'service healthy' });
    assert.equal(asked, 'db');
    status = 2;
    assert.deepEqual(await grpcCheck({ port }, { podIP: '127.0.0.1' }, 2000), { result: 'failure', output: 'service unhealthy (responded with "NOT_SERVING")' });
  } finally { server.forceShutdown(); }
});
