// Port forwarding served over a real HTTP upgrade (SPDY/3.1 and the WebSocket tunnel), driven by
// our SPDY client the way kubectl drives it: an error and a data stream per connection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { createHash, randomBytes } from 'node:crypto';
import { Duplex } from 'node:stream';
import { WebSocket } from 'ws';
import { SpdySession, type SpdyStream } from './spdy.js';
import { handlePortForwardUpgrade, WebsocketTunnelProtocol, type PortForwardTarget } from './portforward.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function readAll(s: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    s.on('data', (d: Buffer) => parts.push(d));
    s.on('end', () => resolve(Buffer.concat(parts)));
    s.on('error', reject);
  });
}

/** a "pod": port 80 answers one request line with a body of the requested size, port 81 is closed */
async function fixture() {
  const app = net.createServer({ allowHalfOpen: true }, (c) => {
    let req = '';
    c.on('data', (d) => {
      req += d;
      if (!req.includes('\n')) return;
      const n = Number(/^size (\d+)/.exec(req)?.[1] ?? 0);
      const body = Buffer.alloc(n);
      for (let i = 0; i < n; i++) body[i] = i % 251;
      c.end(body);
    });
  });
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  const closedPort = await new Promise<number>((r) => { const t = net.createServer(); t.listen(0, '127.0.0.1', () => { const p = (t.address() as net.AddressInfo).port; t.close(() => r(p)); }); });
  const ports: Record<number, number> = { 80: (app.address() as net.AddressInfo).port, 81: closedPort };
  const target: PortForwardTarget = {
    pod: 'default/web', uid: 'u-1',
    dial: (port) => new Promise((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port: ports[port] ?? 1, allowHalfOpen: true });
      s.once('connect', () => resolve(s));
      s.once('error', reject);
    }),
  };
  const srv = http.createServer((_q, res) => { res.writeHead(404); res.end(); });
  srv.on('upgrade', (req, socket, head) => handlePortForwardUpgrade(req, socket, head, target));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  return {
    port,
    close: () => { srv.closeAllConnections(); srv.close(); app.close(); },
  };
}

function spdyUpgrade(port: number, protocol = 'portforward.k8s.io'): Promise<{ session?: SpdySession; status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/portForward/default/web', agent: false, headers: { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': protocol } });
    req.on('upgrade', (res, socket, head) => {
      if (head.length) socket.unshift(head);
      resolve({ session: new SpdySession(socket, { server: false }), status: res.statusCode ?? 0, headers: res.headers, body: '' });
    });
    req.on('response', async (res) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: (await readAll(res)).toString() }));
    req.on('error', reject);
    req.end();
  });
}

/**
 * A minimal WebSocket client (masked binary frames out, unmasked frames in) as a Duplex: the ws
 * package's client refuses the subprotocol "SPDY/3.1+portforward.k8s.io" ("/" is no token char),
 * which kubectl's gorilla/websocket sends as is.
 */
async function wsUpgrade(port: number): Promise<SpdySession> {
  const key = randomBytes(16).toString('base64');
  const { socket, head, res } = await new Promise<{ socket: net.Socket; head: Buffer; res: http.IncomingMessage }>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/portForward/default/web', agent: false, headers: {
      Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': key, 'Sec-WebSocket-Protocol': WebsocketTunnelProtocol,
    } });
    req.on('upgrade', (r, s, h) => resolve({ socket: s as net.Socket, head: h, res: r }));
    req.on('response', (r) => reject(new Error(`no upgrade: ${r.statusCode}`)));
    req.on('error', reject);
    req.end();
  });
  assert.equal(res.headers['sec-websocket-protocol'], WebsocketTunnelProtocol);
  assert.equal(res.headers['sec-websocket-accept'], createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64'));
  let inbuf = head;
  const duplex: Duplex = new Duplex({
    read() { socket.resume(); },
    write(chunk: Buffer, _e, cb) {
      const mask = randomBytes(4);
      const len = chunk.length;
      const hdr = len < 126 ? Buffer.from([0x82, 0x80 | len]) : len < 65536 ? Buffer.from([0x82, 0x80 | 126, len >> 8, len & 0xff]) : Buffer.concat([Buffer.from([0x82, 0x80 | 127]), Buffer.from(BigInt(len).toString(16).padStart(16, '0'), 'hex')]);
      const body = Buffer.from(chunk);
      for (let i = 0; i < body.length; i++) body[i] ^= mask[i & 3];
      socket.write(Buffer.concat([hdr, mask, body]), cb);
    },
    final(cb) { socket.end(Buffer.from([0x88, 0x80, 0, 0, 0, 0]), cb); },
    destroy(err, cb) { socket.destroy(); cb(err); },
  });
  const parse = () => {
    for (;;) {
      if (inbuf.length < 2) return;
      let len = inbuf[1] & 0x7f;
      let off = 2;
      if (len === 126) { if (inbuf.length < 4) return; len = inbuf.readUInt16BE(2); off = 4; }
      else if (len === 127) { if (inbuf.length < 10) return; len = Number(inbuf.readBigUInt64BE(2)); off = 10; }
      if (inbuf.length < off + len) return;
      const opcode = inbuf[0] & 0x0f;
      const payload = inbuf.subarray(off, off + len);
      inbuf = inbuf.subarray(off + len);
      if (opcode === 0x8) { duplex.push(null); return; }
      assert.ok(opcode === 0x2 || opcode === 0x0, `binary messages only, got opcode ${opcode}`);
      if (!duplex.push(payload)) socket.pause();
    }
  };
  socket.on('data', (d: Buffer) => { inbuf = Buffer.concat([inbuf, d]); parse(); });
  socket.on('end', () => duplex.push(null));
  socket.on('close', () => duplex.destroy());
  parse();
  return new SpdySession(duplex, { server: false });
}

/** one forwarded connection, as kubectl's handleConnection: error stream (closed at once), data stream */
async function forwardOnce(session: SpdySession, requestID: number, request: string, remotePort = 80): Promise<{ data: Buffer; error: string }> {
  const error = session.openStream({ streamtype: 'error', port: String(remotePort), requestid: String(requestID) });
  error.end();
  const errorText = readAll(error);
  const data: SpdyStream = session.openStream({ streamtype: 'data', port: String(remotePort), requestid: String(requestID) });
  const body = readAll(data);
  data.write(request);
  const out = await body;
  data.reset();
  return { data: out, error: (await errorText).toString() };
}

test('port-forward over SPDY/3.1: sequential and concurrent connections, 2 MiB intact, errors', async () => {
  const f = await fixture();
  try {
    const r = await spdyUpgrade(f.port);
    assert.equal(r.status, 101);
    assert.equal(r.headers['x-stream-protocol-version'], 'portforward.k8s.io');
    const session = r.session!;
    const expect = (n: number) => { const b = Buffer.alloc(n); for (let i = 0; i < n; i++) b[i] = i % 251; return b; };
    for (let i = 0; i < 3; i++) {
      const got = await forwardOnce(session, i, 'size 100\n');
      assert.deepEqual(got, { data: expect(100), error: '' });
    }
    const all = await Promise.all([3, 4, 5, 6, 7].map((i) => forwardOnce(session, i, `size ${1000 * i}\n`)));
    all.forEach((g, k) => assert.equal(sha(g.data), sha(expect(1000 * (k + 3)))));
    const big = await forwardOnce(session, 8, `size ${2 * 1024 * 1024}\n`);
    assert.equal(big.data.length, 2 * 1024 * 1024);
    assert.equal(sha(big.data), sha(expect(2 * 1024 * 1024)));

    // nothing listens on the port: the error stream says so, the data stream just ends
    const refused = await forwardOnce(session, 9, 'size 1\n', 81);
    assert.equal(refused.data.length, 0);
    assert.match(refused.error, /^error forwarding port 81 to pod default\/web, uid u-1: connect ECONNREFUSED/);

    // a stream without a port header is reset
    const bad = session.openStream({ streamtype: 'data', requestid: '10' });
    await once(bad, 'reset');
    session.destroy();
  } finally { f.close(); }
});

test('port-forward over the WebSocket tunnel (SPDY/3.1+portforward.k8s.io)', async () => {
  const f = await fixture();
  try {
    const session = await wsUpgrade(f.port);
    const results = await Promise.all([0, 1, 2].map((i) => forwardOnce(session, i, `size ${300 * 1024}\n`)));
    for (const r of results) { assert.equal(r.data.length, 300 * 1024); assert.equal(r.error, ''); }
    session.destroy();
  } finally { f.close(); }
});

test('port-forward upgrade errors as upstream', async () => {
  const f = await fixture();
  try {
    const wrong = await spdyUpgrade(f.port, 'v4.channel.k8s.io');
    assert.equal(wrong.status, 403);
    assert.equal(wrong.headers['x-accepted-stream-protocol-versions'], 'portforward.k8s.io');
    assert.match(wrong.body, /unable to upgrade: unable to negotiate protocol: client supports \[v4.channel.k8s.io\], server accepts \[portforward.k8s.io\]/);
    const ws = new WebSocket(`ws://127.0.0.1:${f.port}/portForward/default/web`, ['v5.channel.k8s.io']);
    ws.on('error', () => undefined);
    const [, res] = await once(ws, 'unexpected-response') as [unknown, http.IncomingMessage];
    assert.equal(res.statusCode, 400);
    res.resume();
  } finally { f.close(); }
});

/** a channel websocket (v4.channel.k8s.io or base64): messages by channel, as client-node reads them */
async function channelSocket(port: number, path: string, protocol: string) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, protocol ? [protocol] : []);
  const channels = new Map<number, Buffer[]>();
  ws.on('message', (m: Buffer, isBinary: boolean) => {
    const ch = isBinary ? m[0] : m.toString('latin1').charCodeAt(0) - 48;
    const payload = isBinary ? m.subarray(1) : Buffer.from(m.toString('latin1').slice(1), 'base64');
    channels.set(ch, [...(channels.get(ch) ?? []), payload]);
  });
  const closed = once(ws, 'close');
  await once(ws, 'open');
  return { ws, channels, closed, text: (ch: number) => Buffer.concat(channels.get(ch) ?? []) };
}

test('port-forward over a channel websocket (v4 binary, v4 base64): port prefixes, data, errors, close', async () => {
  const f = await fixture();
  try {
    for (const protocol of ['v4.channel.k8s.io', 'v4.base64.channel.k8s.io']) {
      const c = await channelSocket(f.port, '/portForward/default/web?port=80&port=81', protocol);
      assert.equal(c.ws.protocol, protocol);
      const send = (ch: number, s: string) => c.ws.send(protocol.includes('base64') ? String(ch) + Buffer.from(s).toString('base64') : Buffer.concat([Buffer.from([ch]), Buffer.from(s)]));
      send(0, 'size 200000\n');
      await c.closed; // both ports' connections ended: the app answered, 81 was refused
      const port80 = Buffer.from([80, 0]);
      const port81 = Buffer.from([81, 0]);
      for (const [ch, prefix] of [[0, port80], [1, port80], [2, port81], [3, port81]] as const) assert.deepEqual(c.channels.get(ch)?.[0], prefix, `channel ${ch} starts with its port`);
      const data = c.text(0).subarray(2);
      assert.equal(data.length, 200000);
      assert.ok(data.every((b, i) => b === i % 251));
      assert.equal(c.text(1).length, 2, 'no error for port 80');
      assert.match(c.text(3).subarray(2).toString(), /^error forwarding port 81 to pod default\/web, uid u-1: connect ECONNREFUSED/);
    }
    const noPort = new WebSocket(`ws://127.0.0.1:${f.port}/portForward/default/web`, ['v4.channel.k8s.io']);
    noPort.on('error', () => undefined);
    const [, res] = await once(noPort, 'unexpected-response') as [unknown, http.IncomingMessage];
    assert.equal(res.statusCode, 400);
    assert.equal((await readAll(res)).toString(), 'query parameter "port" is required');
  } finally { f.close(); }
});
