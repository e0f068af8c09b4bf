// The proxy alone, with a fixed router and local backends: error statuses, hop-by-hop headers,
// a declined upgrade.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import { createProxy, type Route } from './proxy.js';

const servers: http.Server[] = [];
after(() => { for (const s of servers) { s.closeAllConnections(); s.close(); } });

async function listen(s: http.Server): Promise<number> {
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as net.AddressInfo).port;
}

async function proxyTo(route: Route, timeoutMs?: number): Promise<number> {
  const p = createProxy(() => route, { proto: 'http', port: () => 80, timeoutMs });
  const s = http.createServer(p.onRequest);
  s.on('upgrade', p.onUpgrade);
  s.on('close', () => p.agent.destroy());
  return listen(s);
}

function get(port: number, headers: http.OutgoingHttpHeaders = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/x', headers, agent: false }, (res) => {
      let body = ''; res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    }).on('error', reject);
  });
}

test('status answers from the router, 502 for an unreachable backend, 504 for a silent one', async () => {
  assert.equal((await get(await proxyTo({ status: 404, reason: '' }))).status, 404);
  assert.equal((await get(await proxyTo({ status: 503, reason: '' }))).status, 503);
  const closed = await listen(http.createServer());
  servers.pop()!.close(); // a port nobody listens on any more
  await new Promise((r) => setTimeout(r, 50));
  assert.equal((await get(await proxyTo({ target: { host: '127.0.0.1', port: closed } }))).status, 502);
  const silent = await listen(http.createServer(() => { /* never answers */ }));
  const t0 = Date.now();
  assert.equal((await get(await proxyTo({ target: { host: '127.0.0.1', port: silent } }, 300))).status, 504);
  assert.ok(Date.now() - t0 >= 250);
});

test('hop-by-hop headers are not forwarded either way', async () => {
  let seen: http.IncomingHttpHeaders = {};
  const b = await listen(http.createServer((req, res) => {
    seen = req.headers;
    res.writeHead(200, { 'x-secret-hop': 'no', connection: 'x-secret-hop', 'x-kept': 'yes', 'content-length': 2 });
    res.end('ok');
  }));
  const r = await get(await proxyTo({ target: { host: '127.0.0.1', port: b } }), { connection: 'x-drop-me', 'x-drop-me': '1', te: 'trailers', 'x-keep': '1', host: 'h.test' });
  assert.equal(r.body, 'ok');
  assert.equal(seen['x-drop-me'], undefined);
  assert.equal(seen.te, undefined);
  assert.equal(seen['x-keep'], '1');
  assert.equal(seen.host, 'h.test');
  assert.equal(r.headers['x-secret-hop'], undefined);
  assert.equal(r.headers['x-kept'], 'yes');
});

test('a backend declining an upgrade has its answer relayed', async () => {
  const b = await listen(http.createServer((_req, res) => { res.writeHead(426, { 'content-type': 'text/plain' }); res.end('no upgrade here'); }));
  const port = await proxyTo({ target: { host: '127.0.0.1', port: b } });
  const raw = await new Promise<string>((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write('GET /ws HTTP/1.1\r\nHost: h.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n'));
    let out = ''; s.on('data', (c) => { out += c; }); s.on('end', () => resolve(out)); s.on('error', reject);
  });
  assert.match(raw, /^HTTP\/1\.1 426 /);
  assert.match(raw, /no upgrade here/);
});

test('an idempotent request whose connection fails is tried on the next endpoint; a POST is not', async () => {
  const dead = await listen(http.createServer());
  servers.pop()!.close();
  const live = await listen(http.createServer((req, res) => { res.writeHead(200, { 'content-length': 4 }); res.end('live'); }));
  let n = 0;
  const p = createProxy(() => ({ target: { host: '127.0.0.1', port: n++ % 2 === 0 ? dead : live } }), { proto: 'http', port: () => 80 });
  const port = await listen(http.createServer(p.onRequest));
  await new Promise((r) => setTimeout(r, 50));
  const r = await get(port);
  assert.deepEqual([r.status, r.body], [200, 'live']);
  const post = await new Promise<number>((resolve, reject) => {
    n = 0;
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/', agent: false, headers: { 'content-length': 2 } }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
    req.on('error', reject);
    req.end('hi');
  });
  assert.equal(post, 502);
  p.agent.destroy();
});
