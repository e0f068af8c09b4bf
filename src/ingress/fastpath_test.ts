// The fast path alone, over raw sockets: framing both ways, keep-alive for HTTP/1.1 and 1.0
// clients, pipelining, hand-off of unusual requests to node's server, retries and error answers.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import { FastPath, UpstreamPool } from './fastpath.js';
import { createProxy, type Route, type Router } from './proxy.js';

const servers: net.Server[] = [];
const pools: UpstreamPool[] = [];
const fastPaths: FastPath[] = [];
const clients: net.Socket[] = [];
after(() => {
  for (const f of fastPaths) f.closeAll();
  for (const c of clients) c.destroy();
  for (const p of pools) p.destroy();
  for (const s of servers) { (s as http.Server).closeAllConnections?.(); s.close(); }
});

async function listen<S extends net.Server>(s: S): Promise<number> {
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as net.AddressInfo).port;
}

/** connections handed to node's server so far */
let handOffs = 0;

/** a fast path listener whose router answers `route` (a function for per-request routes) */
async function fastTo(route: Route | Router, opts: { timeoutMs?: number; idleMs?: number; poolIdleMs?: number } = {}): Promise<number> {
  const r: Router = typeof route === 'function' ? route : () => route;
  const general = createProxy(r, { proto: 'http', port: () => 80, timeoutMs: opts.timeoutMs });
  const fallback = http.createServer(general.onRequest);
  fallback.on('upgrade', general.onUpgrade);
  fallback.on('connection', () => { handOffs++; });
  servers.push(fallback);
  const pool = new UpstreamPool(512, opts.poolIdleMs);
  pools.push(pool);
  const fp = new FastPath(r, { proto: 'http', port: () => 80, fallback, pool, timeoutMs: opts.timeoutMs, idleMs: opts.idleMs });
  fastPaths.push(fp);
  return listen(net.createServer({ allowHalfOpen: true }, fp.onConnection));
}

/** what a backend saw of one request */
interface Seen { method: string; url: string; headers: http.IncomingHttpHeaders; body: string; port: number }

/** a backend that answers `hello` (or what `answer` writes) and records each request */
async function backend(answer?: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void): Promise<{ port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  const s = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('latin1');
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body, port: req.socket.remotePort! });
      if (answer) answer(req, res, body);
      else { res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 5 }); res.end('hello'); }
    });
  });
  return { port: await listen(s), seen };
}

/** a raw client connection: send bytes, then read until `done` holds for what arrived (or it closes) */
class Raw {
  readonly socket: net.Socket;
  data = '';
  closed = false;
  private waiter: (() => void) | undefined;

  constructor(port: number) {
    this.socket = net.connect(port, '127.0.0.1');
    clients.push(this.socket);
    this.socket.setEncoding('latin1');
    this.socket.on('data', (d: string) => { this.data += d; this.waiter?.(); });
    this.socket.on('close', () => { this.closed = true; this.waiter?.(); });
    this.socket.on('error', () => {});
  }

  send(s: string | Buffer): this { this.socket.write(s); return this; }

  async until(done: (data: string) => boolean, what: string): Promise<string> {
    const deadline = Date.now() + 5000;
    while (!done(this.data)) {
      if (this.closed) throw new Error(`closed before ${what}; got ${JSON.stringify(this.data)}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.data)}`);
      await new Promise<void>((r) => { this.waiter = r; setTimeout(r, 50); });
    }
    return this.data;
  }

  /** the number of complete responses so far with a given marker in them */
  count(marker: string): number { return this.data.split(marker).length - 1; }

  async closedOrFail(): Promise<void> { await this.until(() => this.closed, 'the connection to close').catch(() => {}); assert.ok(this.closed, 'the proxy closes the connection'); }
  end(): void { this.socket.destroy(); }
}

test('an HTTP/1.1 GET: X-Forwarded-* set, client-sent ones replaced, hop-by-hop headers dropped both ways', async () => {
  const handedOff = handOffs;
  const b = await backend((_, res) => {
    res.writeHead(200, { 'content-length': 2, 'x-hop': 'no', connection: 'x-hop', 'keep-alive': 'timeout=5', 'x-kept': 'yes' });
    res.end('ok');
  });
  const p = await fastTo({ target: { host: '127.0.0.1', port: b.port } });
  const c = new Raw(p).send('GET /a/b?q=1 HTTP/1.1\r\nHost: Web.Test:8080\r\nX-Forwarded-For: 6.6.6.6\r\nConnection: x-drop\r\nX-Drop: 1\r\nTE: trailers\r\nX-Keep: 1\r\n\r\n');
  const r = await c.until((d) => d.endsWith('ok'), 'the response');
  assert.match(r, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(r, /\r\nx-kept: yes\r\n/i);
  assert.doesNotMatch(r, /x-hop|keep-alive/i);
  const s = b.seen[0];
  assert.equal(s.url, '/a/b?q=1');
  assert.equal(s.headers.host, 'Web.Test:8080');
  assert.equal(s.headers['x-forwarded-for'], '127.0.0.1');
  assert.equal(s.headers['x-real-ip'], '127.0.0.1');
  assert.equal(s.headers['x-forwarded-host'], 'Web.Test:8080');
  assert.equal(s.headers['x-forwarded-proto'], 'http');
  assert.equal(s.headers['x-forwarded-port'], '80');
  assert.equal(s.headers['x-keep'], '1');
  assert.equal(s.headers['x-drop'], undefined);
  assert.equal(s.headers.te, undefined);
  // the connection stays open for the next request; names match in any case, values lose the
  // spaces and tabs around them
  c.send('GET /second HTTP/1.1\r\nHOST:\t web.test \t\r\nx-forwarded-HOST: evil\r\n\r\n');
  await c.until((d) => c.count('HTTP/1.1 200') === 2 && d.endsWith('ok'), 'the second response');
  assert.equal(b.seen[1].url, '/second');
  assert.equal(b.seen[1].headers.host, 'web.test');
  assert.equal(b.seen[1].headers['x-forwarded-host'], 'web.test');
  c.end();
  assert.equal(handOffs, handedOff, 'the fast path answered every request itself');
});

test('HTTP/1.0 clients: keep-alive when asked for (as ab -k does), else the connection closes', async () => {
  const handedOff = handOffs;
  const b = await backend();
  const p = await fastTo({ target: { host: '127.0.0.1', port: b.port } });
  const c = new Raw(p).send('GET / HTTP/1.0\r\nHost: h\r\nConnection: Keep-Alive\r\n\r\n');
  await c.until((d) => d.endsWith('hello'), 'the response');
  assert.match(c.data, /\r\nconnection: keep-alive\r\n/i);
  c.send('GET / HTTP/1.0\r\nHost: h\r\nConnection: Keep-Alive\r\n\r\n');
  await c.until(() => c.count('hello') === 2, 'the second response');
  c.end();
  const d = new Raw(p).send('GET / HTTP/1.0\r\n\r\n');
  await d.until((x) => x.endsWith('hello'), 'the response');
  assert.match(d.data, /\r\nconnection: close\r\n/i);
  await d.closedOrFail();
  // the backend was reached over HTTP/1.1, on pooled connections
  assert.equal(new Set(b.seen.map((s) => s.port)).size, 1);
  assert.equal(handOffs, handedOff, 'the fast path answered every request itself');
});

test('a Content-Length body arriving in pieces, then a pipelined request in the same packet', async () => {
  const handedOff = handOffs;
  const b = await backend((req, res, body) => { const out = `${req.method} ${body}`; res.writeHead(200, { 'content-length': out.length }); res.end(out); });
  const p = await fastTo({ target: { host: '127.0.0.1', port: b.port } });
  const c = new Raw(p).send('POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello');
  await new Promise((r) => setTimeout(r, 50));
  c.send(' world' + 'GET /next HTTP/1.1\r\nHost: h\r\n\r\n');
  await c.until((d) => d.includes('POST hello world') && d.endsWith('GET '), 'both responses');
  assert.deepEqual(b.seen.map((s) => [s.method, s.url, s.body]), [['POST', '/p', 'hello world'], ['GET', '/next', '']]);
  c.end();
  assert.equal(handOffs, handedOff, 'the fast path answered every request itself');
});

test('chunked responses pass through to HTTP/1.1 clients and are decoded for HTTP/1.0 ones', async () => {
  const handedOff = handOffs;
  const b = await backend((_, res) => { res.writeHead(200, { 'content-type': 'text/plain' }); res.write('part one, '); setTimeout(() => res.end('part two'), 20); });
  const p = await fastTo({ target: { host: '127.0.0.1', port: b.port } });
  const c = new Raw(p).send('GET / HTTP/1.1\r\nHost: h\r\n\r\n');
  await c.until((d) => d.endsWith('0\r\n\r\n'), 'the last chunk');
  assert.match(c.data, /\r\ntransfer-encoding: chunked\r\n/i);
  assert.match(c.data, /\r\n\r\na\r\npart one, \r\n8\r\npart two\r\n0\r\n\r\n$/);
  c.send('GET / HTTP/1.1\r\nHost: h\r\n\r\n'); // still usable
  await c.until(() => c.count('0\r\n\r\n') === 2, 'the second response');
  c.end();
  const d = new Raw(p).send('GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
  await d.closedOrFail(); // delimited by closing: an HTTP/1.0 client cannot read chunks
  assert.match(d.data, /\r\n\r\npart one, part two$/);
  assert.doesNotMatch(d.data, /transfer-encoding/i);
  assert.equal(handOffs, handedOff, 'the fast path answered every request itself');
});

test('HEAD, 204 and 304 have no body; a close-delimited response closes the client connection', async () => {
  const handedOff = handOffs;
  const b = await backend((req, res) => {
    if (req.url === '/204') { res.writeHead(204); res.end(); return; }
    if (req.url === '/304') { res.writeHead(304, { etag: '"x"' }); res.end(); return; }
    if (req.url === '/close') { res.socket!.end('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nuntil the end'); return; }
    res.writeHead(200, { 'content-length': 5 }); res.end(req.method === 'HEAD' ? undefined : 'hello');
  });
  const p = await fastTo({ target: { host: '127.0.0.1', port: b.port } });
  const c = new Raw(p).send('HEAD / HTTP/1.1\r\nHost: h\r\n\r\nGET /204 HTTP/1.1\r\nHost: h\r\n\r\nGET /304 HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n');
  await c.until((d) => d.endsWith('hello'), 'four responses');
  const heads = c.data.split('\r\n\r\n');
  assert.match(heads[0], /^HTTP\/1\.1 200 OK\r\n[\s\S]*content-length: 5/i);
  assert.match(heads[1], /^HTTP\/1\.1 204 No Content/);
  assert.match(heads[2], /^HTTP\/1\.1 304 Not Modified/);
  assert.match(heads[3], /^HTTP\/1\.1 200 OK/);
  assert.equal(heads[4], 'hello');
  c.end();
  const d = new Raw(p).send('GET /close HTTP/1.1\r\nHost: h\r\n\r\n');
  await d.closedOrFail();
  assert.match(d.data, /\r\nconnection: close\r\n\r\nuntil the end$/i);
  assert.equal(handOffs, handedOff, 'the fast path answered every request itself');
});

test('a 1xx informational response is relayed before the final one', async () => {
  const handedOff = handOffs;
  const b = await backend((_, res) => { res.writeEarlyHints({ link: '</style.css>; rel=preload' }); res.writeHead(200, { 'content-length': 2 }); res.end('ok'); });
  const p = await fastTo({ target: { host: '127.0.0.1', port: b.port } });
  const c = new Raw(p).send('GET / HTTP/1.1\r\nHost: h\r\n\r\n');
  await c.until((d) => d.endsWith('ok'), 'the response');
  assert.match(c.data, /^HTTP\/1\.1 103 Early Hints\r\nlink: <\/style\.css>; rel=preload\r\n\r\nHTTP\/1\.1 200 OK\r\n/i);
  c.end();
  assert.equal(handOffs, handedOff, 'the fast path answered every request itself');
});

test('requests the fast path does not take go to node\'s server, on the same connection', async () => {
  const handedOff = handOffs;
  const b = await backend((req, res, body) => { const out = `${req.method} ${req.url} ${body}`; res.writeHead(200, { 'content-length': out.length }); res.end(out); });
  const p = await fastTo({ target: { host: '127.0.0.1', port: b.port } });
  // a chunked request body: handed over with the bytes already read; later requests follow it there
  const c = new Raw(p).send('GET /first HTTP/1.1\r\nHost: h\r\n\r\n');
  await c.until((d) => d.endsWith('GET /first '), 'the first response');
  c.send('POST /chunked HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\nGET /after HTTP/1.1\r\nHost: h\r\n\r\n');
  await c.until((d) => d.endsWith('GET /after '), 'the responses after the hand-off');
  assert.match(c.data, /POST \/chunked hello/);
  assert.equal(handOffs, handedOff + 1);
  c.end();
  // a malformed request is rejected by node's strict parser, not forwarded
  const before = b.seen.length;
  const d = new Raw(p).send('GET / HTTP/1.1\r\nHost: h\r\nBad Header: x\r\n\r\n');
  await d.until((x) => /^HTTP\/1\.1 400/.test(x), 'a 400');
  const e = new Raw(p).send('GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab');
  await e.until((x) => /^HTTP\/1\.1 400/.test(x), 'a 400 for two Content-Lengths');
  // a CR that is not part of a CRLF, a bare LF, a NUL: not forwarded either
  const bad = ['X: a\rb', 'X: a\nb', 'X: a\u0000b'].map((h) => new Raw(p).send(`GET / HTTP/1.1\r\nHost: h\r\n${h}\r\n\r\n`));
  for (const x of bad) await x.until((y) => /^HTTP\/1\.1 400/.test(y), 'a 400 for a stray CR, LF or NUL');
  assert.equal(b.seen.length, before);
  d.end(); e.end();
  for (const x of bad) x.end();
});

test('router answers, 502 for an unreachable endpoint, 504 for a silent one; keep-alive survives them', async () => {
  const handedOff = handOffs;
  const c = new Raw(await fastTo({ status: 404, reason: '' })).send('GET / HTTP/1.1\r\nHost: h\r\n\r\nHEAD / HTTP/1.1\r\nHost: h\r\n\r\n');
  await c.until((d) => d.split('HTTP/1.1 404').length === 3, 'two 404s');
  assert.match(c.data, /content-length: 14\r\n\r\n404 Not Found\n/);
  assert.ok(c.data.endsWith('\r\n\r\n'), 'HEAD has no body');
  c.end();
  const gone = await listen(net.createServer());
  servers.pop()!.close();
  await new Promise((r) => setTimeout(r, 50));
  const d = new Raw(await fastTo({ target: { host: '127.0.0.1', port: gone } })).send('GET / HTTP/1.1\r\nHost: h\r\n\r\n');
  await d.until((x) => x.endsWith('backend unreachable\n'), 'a 502');
  assert.match(d.data, /^HTTP\/1\.1 502 Bad Gateway/);
  const silent = await listen(net.createServer(() => { /* never answers */ }));
  const t0 = Date.now();
  const e = new Raw(await fastTo({ target: { host: '127.0.0.1', port: silent } }, { timeoutMs: 300 })).send('GET / HTTP/1.1\r\nHost: h\r\n\r\n');
  await e.until((x) => x.endsWith('backend timed out\n'), 'a 504');
  assert.match(e.data, /^HTTP\/1\.1 504 Gateway Timeout/);
  assert.ok(Date.now() - t0 >= 250);
  d.end(); e.end();
  assert.equal(handOffs, handedOff, 'the fast path answered every request itself');
});

test('an idempotent request whose connection fails is tried on the next endpoint; a POST is not', async () => {
  const handedOff = handOffs;
  const b = await backend();
  const gone = await listen(net.createServer());
  servers.pop()!.close();
  await new Promise((r) => setTimeout(r, 50));
  let n = 0;
  const p = await fastTo(() => ({ target: { host: '127.0.0.1', port: n++ % 2 === 0 ? gone : b.port } }));
  const c = new Raw(p).send('GET / HTTP/1.1\r\nHost: h\r\n\r\n');
  await c.until((d) => d.endsWith('hello'), 'the retried GET');
  n = 0;
  c.send('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\nx');
  await c.until((d) => d.endsWith('backend unreachable\n'), 'a 502 for the POST');
  c.end();
  assert.equal(handOffs, handedOff, 'the fast path answered every request itself');
});

test('a pooled connection the backend closed is not used for a request that cannot be retried', async () => {
  const handedOff = handOffs;
  // the backend closes idle connections after 100 ms; a GET then a POST after that both succeed
  const b = await backend();
  (servers.at(-1) as http.Server).keepAliveTimeout = 100;
  const p = await fastTo({ target: { host: '127.0.0.1', port: b.port } });
  const c = new Raw(p).send('GET / HTTP/1.1\r\nHost: h\r\n\r\n');
  await c.until((d) => d.endsWith('hello'), 'the GET');
  await new Promise((r) => setTimeout(r, 300));
  c.send('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\nx');
  await c.until(() => c.count('hello') === 2, 'the POST');
  assert.equal(b.seen.length, 2);
  c.end();
  assert.equal(handOffs, handedOff, 'the fast path answered every request itself');
});

test('large responses reach a slow reader whole and unchanged (Content-Length and chunked)', async () => {
  const handedOff = handOffs;
  const size = 8 * 1024 * 1024;
  const big = Buffer.alloc(size);
  for (let i = 0; i < size; i += 4) big.writeUInt32LE((i * 2654435761) >>> 0, i);
  const b = await backend((req, res) => {
    if (req.url === '/chunked') { res.writeHead(200); for (let i = 0; i < size; i += 100_000) res.write(big.subarray(i, i + 100_000)); res.end(); return; }
    res.writeHead(200, { 'content-length': size }); res.end(big);
  });
  const p = await fastTo({ target: { host: '127.0.0.1', port: b.port } });
  for (const [path, version] of [['/', 'HTTP/1.1'], ['/chunked', 'HTTP/1.0']]) {
    const s = net.connect(p, '127.0.0.1');
    clients.push(s);
    s.write(`GET ${path} ${version}\r\nHost: h\r\nConnection: close\r\n\r\n`);
    s.pause();
    await new Promise((r) => setTimeout(r, 200)); // the proxy meets back-pressure
    const chunks: Buffer[] = [];
    s.on('data', (d: Buffer) => { chunks.push(d); });
    s.resume();
    await new Promise((r) => s.on('close', r));
    const all = Buffer.concat(chunks);
    const body = all.subarray(all.indexOf('\r\n\r\n') + 4);
    assert.equal(body.length, size, `${path}: body length`);
    assert.ok(body.equals(big), `${path}: body bytes unchanged`);
  }
  assert.equal(handOffs, handedOff);
});

test('a client that half-closes after its requests gets every answer, then the connection ends', async () => {
  const handedOff = handOffs;
  const b = await backend();
  const p = await fastTo({ target: { host: '127.0.0.1', port: b.port } });
  const c = new Raw(p).send('GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n');
  c.socket.end();
  await c.closedOrFail();
  assert.equal(c.count('hello'), 2);
  assert.equal(handOffs, handedOff, 'the fast path answered every request itself');
});

test('idle client connections and idle pooled backend connections are closed after their timeouts', async () => {
  const handedOff = handOffs;
  let backendConns = 0, backendClosed = 0;
  const b = await backend();
  (servers.at(-1) as http.Server).on('connection', (s: net.Socket) => { backendConns++; s.on('close', () => { backendClosed++; }); });
  const p = await fastTo({ target: { host: '127.0.0.1', port: b.port } }, { idleMs: 200, poolIdleMs: 300 });
  const c = new Raw(p).send('GET / HTTP/1.1\r\nHost: h\r\n\r\n');
  await c.until((d) => d.endsWith('hello'), 'the response');
  const t0 = Date.now();
  await c.closedOrFail();
  assert.ok(Date.now() - t0 >= 150, 'not closed before the idle timeout');
  for (let i = 0; i < 40 && backendClosed < 1; i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(backendConns, 1);
  assert.equal(backendClosed, 1, 'the pooled backend connection was closed once idle');
  assert.equal(handOffs, handedOff);
});

test('the router gets the path without the query string; the backend gets the whole target', async () => {
  const b = await backend();
  const paths: string[] = [];
  const p = await fastTo((_, path) => { paths.push(path); return { target: { host: '127.0.0.1', port: b.port } }; });
  const c = new Raw(p).send('GET /exact?x=1&y=/z HTTP/1.1\r\nHost: h\r\n\r\n');
  await c.until((d) => d.endsWith('hello'), 'the response');
  assert.deepEqual(paths, ['/exact']);
  assert.equal(b.seen.at(-1)!.url, '/exact?x=1&y=/z');
  c.end();
});

test('a backend that sends more than its Content-Length does not get its connection reused', async () => {
  const handedOff = handOffs;
  let conns = 0;
  const raw = await listen(net.createServer((s) => {
    conns++;
    s.on('data', () => s.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nokJUNK'));
  }));
  const p = await fastTo({ target: { host: '127.0.0.1', port: raw } });
  const c = new Raw(p).send('GET / HTTP/1.1\r\nHost: h\r\n\r\n');
  await c.until((d) => d.endsWith('ok'), 'the first response');
  c.send('GET / HTTP/1.1\r\nHost: h\r\n\r\n');
  await c.until(() => c.count('HTTP/1.1 200') === 2, 'the second response');
  assert.doesNotMatch(c.data, /JUNK/);
  assert.equal(conns, 2, 'a new backend connection for the second request');
  c.end();
  assert.equal(handOffs, handedOff);
});

test('a request head that trickles in is cut off after the idle timeout (slowloris)', async () => {
  const b = await backend();
  const p = await fastTo({ target: { host: '127.0.0.1', port: b.port } }, { idleMs: 300 });
  const c = new Raw(p).send('GET / HTTP/1.1\r\nHost: h\r\nX-Slow: ');
  const t0 = Date.now();
  const drip = setInterval(() => { if (!c.closed) c.send('a'); }, 50);
  try { await c.closedOrFail(); } finally { clearInterval(drip); }
  assert.ok(Date.now() - t0 < 2000, 'closed within a few idle periods');
  assert.equal(b.seen.length, 0);
});

test('a backend answering with bare LF line endings (a CGI script) is passed on with CRLFs, as nginx does', async () => {
  const raw = await listen(net.createServer((s) => {
    // the head in two writes: the end of the head arrives with the body
    s.on('data', () => { s.write('HTTP/1.1 200 OK\ncontent-type: text/plain\n'); setTimeout(() => s.write('content-length: 5\n\nhello\r\n\r\n'), 20); });
  }));
  const p = await fastTo({ target: { host: '127.0.0.1', port: raw } });
  const c = new Raw(p).send('GET / HTTP/1.1\r\nHost: h\r\n\r\n');
  await c.until((d) => d.endsWith('hello'), 'the response');
  assert.match(c.data, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(c.data, /\r\ncontent-type: text\/plain\r\n/i);
  assert.match(c.data, /\r\n\r\nhello$/);
  c.end();
});
