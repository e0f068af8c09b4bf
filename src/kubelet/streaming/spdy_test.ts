// SPDY/3.1 sessions: our client and server roles against each other over loopback TCP, and
// against hand-made frames (a peer compressing headers with real zlib, and a peer without flow
// control, as moby/spdystream is).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import zlib from 'node:zlib';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { Duplex } from 'node:stream';
import {
  HeaderDeflater, RstStatus, SPDY3_DICTIONARY, SpdySession, decodeHeaderBlock, encodeHeaderBlock, type SpdyStream,
} from './spdy.js';

/** a connected pair of loopback sockets */
async function socketPair(): Promise<{ a: net.Socket; b: net.Socket; close: () => void }> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const accepted = once(srv, 'connection');
  const a = net.connect((srv.address() as net.AddressInfo).port, '127.0.0.1');
  const [[b]] = (await Promise.all([accepted, once(a, 'connect')])) as [[net.Socket], unknown];
  srv.close();
  return { a, b, close: () => { a.destroy(); b.destroy(); } };
}

async function sessions(opts: { initialWindowSize?: number } = {}) {
  const { a, b, close } = await socketPair();
  const client = new SpdySession(a, { server: false, ...opts });
  const server = new SpdySession(b, { server: true, ...opts });
  return { client, server, close };
}

function readAll(s: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    s.on('data', (d: Buffer) => parts.push(d));
    s.on('end', () => resolve(Buffer.concat(parts)));
    s.on('error', reject);
  });
}

/** resolves once the stream has emitted 'close' (or already had) */
const closed = (s: SpdyStream) => (s.closed ? Promise.resolve() : once(s, 'close').then(() => undefined));
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('header blocks: lowercase names, NUL-joined values, round trip', () => {
  const raw = encodeHeaderBlock({ streamType: 'error', Port: '80', multi: ['a', 'b'] });
  assert.equal(raw.readUInt32BE(0), 3);
  assert.deepEqual(decodeHeaderBlock(raw), { streamtype: 'error', port: '80', multi: ['a', 'b'] });
  assert.ok(raw.includes(Buffer.from('a\0b')));
  assert.throws(() => decodeHeaderBlock(raw.subarray(0, raw.length - 1)), /truncated/);
  assert.equal(SPDY3_DICTIONARY.length, 1423);
  assert.equal(SPDY3_DICTIONARY.subarray(0, 11).toString('latin1'), '\0\0\0\x07options');
  assert.ok(SPDY3_DICTIONARY.toString('latin1').endsWith('charset=iso-8859-1,utf-,*,enq=0.'));
});

test('compressed header blocks: zlib header with the dictionary id once, each block ends as a sync flush', () => {
  const d = new HeaderDeflater();
  const first = d.compress(encodeHeaderBlock({ a: 'b' }));
  const second = d.compress(encodeHeaderBlock({}));
  assert.deepEqual([...first.subarray(0, 2)], [0x78, 0x20]);
  assert.equal((first.readUInt16BE(0)) % 31, 0);
  for (const b of [first, second]) assert.deepEqual([...b.subarray(-5)], [0, 0, 0, 0xff, 0xff]);
  assert.equal(second[0], 0, 'later blocks carry no zlib header');
  // one inflate context over both, as the peer reads them
  const all = zlib.inflateSync(Buffer.concat([first, second]), { dictionary: SPDY3_DICTIONARY, finishFlush: zlib.constants.Z_SYNC_FLUSH });
  assert.deepEqual(all, Buffer.concat([encodeHeaderBlock({ a: 'b' }), encodeHeaderBlock({})]));
  assert.throws(() => zlib.inflateSync(first, { dictionary: Buffer.from('other'), finishFlush: zlib.constants.Z_SYNC_FLUSH }), /dictionary/i);
});

test('header-only streams (no :method/:path), reply, data both ways with half-close', async () => {
  const { client, server, close } = await sessions();
  try {
    const got = new Promise<SpdyStream>((r) => server.on('stream', r));
    const cs = client.openStream({ streamType: 'data', port: '80', requestID: '7' });
    assert.equal(cs.id, 1);
    const ss = await got;
    assert.deepEqual(ss.headers, { streamtype: 'data', port: '80', requestid: '7' });
    const replied = once(cs, 'reply');
    ss.reply({ ok: 'yes' });
    assert.deepEqual((await replied)[0], { ok: 'yes' });

    // client -> server, then the client's FIN: the server reads to its end and can still answer
    const serverRead = readAll(ss);
    cs.end('hello from the client');
    assert.equal((await serverRead).toString(), 'hello from the client');
    assert.equal(ss.writable, true, 'server side still writable after the peer half-closed');
    const clientRead = readAll(cs);
    ss.end('and the server answers');
    assert.equal((await clientRead).toString(), 'and the server answers');
    await Promise.all([closed(cs), closed(ss)]);
    assert.equal(cs.resetCode, undefined);
    assert.equal(client.streamCount, 0);
    assert.equal(server.streamCount, 0);

    // a second stream gets the next odd id; the header context carries over between blocks
    const got2 = new Promise<SpdyStream>((r) => server.once('stream', r));
    const cs2 = client.openStream({ streamType: 'error', port: '80', requestID: '8' });
    assert.equal(cs2.id, 3);
    assert.deepEqual((await got2).headers, { streamtype: 'error', port: '80', requestid: '8' });
  } finally { close(); }
});

test('more than 1 MiB each way concurrently, intact, within flow control windows', async () => {
  const { client, server, close } = await sessions();
  try {
    const up = randomBytes(1536 * 1024);
    const down = randomBytes(2 * 1024 * 1024 + 17);
    server.on('stream', (s: SpdyStream) => {
      s.reply();
      readAll(s).then((b) => { s.end(down); assert.equal(sha(b), sha(up)); });
    });
    const streams = [0, 1, 2].map(() => client.openStream({ streamtype: 'data' }));
    const results = await Promise.all(streams.map((s) => { const r = readAll(s); s.end(up); return r; }));
    for (const r of results) assert.equal(sha(r), sha(down));
    assert.equal(client.peerFlowControl, true);
    assert.equal(server.peerFlowControl, true);
  } finally { close(); }
});

test('a reader that stops holds the sender back (windows), then everything arrives', async () => {
  const window = 64 * 1024;
  const { client, server, close } = await sessions({ initialWindowSize: window });
  try {
    const got = new Promise<SpdyStream>((r) => server.on('stream', r));
    const cs = client.openStream({ streamtype: 'data' });
    const ss = await got;
    ss.reply();
    const payload = randomBytes(1024 * 1024);
    let flushed = false;
    cs.end(payload, () => { flushed = true; });
    await sleep(300);
    // nothing reads ss: at most about two windows are buffered on the server, the rest waits at the client
    assert.ok(ss.readableLength > 0 && ss.readableLength <= 2 * window + 32 * 1024, `buffered ${ss.readableLength}`);
    assert.equal(flushed, false);
    assert.ok(cs.writableLength > payload.length / 2, `client still holds ${cs.writableLength}`);
    assert.equal(sha(await readAll(ss)), sha(payload));
  } finally { close(); }
});

test('reset, refused streams, ping, goaway and close', async () => {
  const { client, server, close } = await sessions();
  try {
    // no 'stream' listener: refused
    const refused = client.openStream({ streamtype: 'x' });
    assert.equal((await once(refused, 'reset'))[0], RstStatus.REFUSED_STREAM);
    assert.equal(refused.destroyed, true);

    const got = new Promise<SpdyStream>((r) => server.on('stream', r));
    const cs = client.openStream({ streamtype: 'data' });
    const ss = await got;
    ss.reply();
    const reset = once(ss, 'reset');
    cs.reset();
    assert.equal((await reset)[0], RstStatus.CANCEL);
    await closed(ss);
    assert.equal(server.streamCount, 0);

    // a stream destroyed before it finished is reset for the peer
    const got2 = new Promise<SpdyStream>((r) => server.once('stream', r));
    const cs2 = client.openStream({ streamtype: 'data' });
    const ss2 = await got2;
    ss2.reply();
    const reset2 = once(cs2, 'reset');
    ss2.destroy();
    assert.equal((await reset2)[0], RstStatus.CANCEL);

    assert.ok((await client.ping()) >= 0);
    assert.ok((await server.ping()) >= 0);

    // close(): GOAWAY, no new streams, the socket ends once open streams are done
    const got3 = new Promise<SpdyStream>((r) => server.once('stream', r));
    const cs3 = client.openStream({ streamtype: 'data' });
    const ss3 = await got3;
    ss3.reply();
    const goaway = once(server, 'goaway');
    client.close();
    assert.equal((await goaway)[0], 0);
    assert.throws(() => client.openStream({}), /closing/);
    assert.equal(client.closed, false, 'open stream keeps the session');
    const sessionsClosed = Promise.all([once(client, 'close'), once(server, 'close')]);
    const back = readAll(cs3);
    cs3.end('x');
    assert.equal((await readAll(ss3)).toString(), 'x');
    ss3.end('y');
    assert.equal((await back).toString(), 'y');
    await sessionsClosed;
    assert.equal(client.closed && server.closed, true);
  } finally { close(); }
});

test('an idle session is closed after idleTimeoutMs; traffic keeps it open', async () => {
  const { a, b, close } = await socketPair();
  try {
    const client = new SpdySession(a, { server: false });
    const server = new SpdySession(b, { server: true, idleTimeoutMs: 300 });
    for (let i = 0; i < 4; i++) { await sleep(150); await client.ping(); }
    assert.equal(server.closed, false, 'pings every 150 ms keep it open');
    const [err] = await once(server, 'close') as [Error];
    assert.match(err.message, /idle for 300 ms/);
    await once(client, 'close');
  } finally { close(); }
});

test('the peer closing the socket ends the session and its streams', async () => {
  const { client, server, close } = await sessions();
  try {
    const got = new Promise<SpdyStream>((r) => server.on('stream', r));
    const cs = client.openStream({ streamtype: 'data' });
    const ss = await got;
    ss.reply();
    const closedSession = once(server, 'close');
    client.destroy();
    await closedSession;
    await closed(ss);
    assert.equal(cs.destroyed, true);
  } finally { close(); }
});

/** frames of a raw peer: parses what the session sends */
function frameReader(sock: net.Socket) {
  let buf = Buffer.alloc(0);
  const frames: { control: boolean; type: number; id: number; flags: number; body: Buffer }[] = [];
  const waiters: (() => void)[] = [];
  sock.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 8 && buf.length >= 8 + (buf.readUInt32BE(4) & 0xffffff)) {
      const len = buf.readUInt32BE(4) & 0xffffff;
      const control = (buf[0] & 0x80) !== 0;
      const body = buf.subarray(8, 8 + len);
      frames.push({ control, type: control ? buf.readUInt16BE(2) : 0, id: control ? (len >= 4 ? body.readUInt32BE(0) & 0x7fffffff : 0) : buf.readUInt32BE(0), flags: buf[4], body });
      buf = buf.subarray(8 + len);
    }
    for (const w of waiters.splice(0)) w();
  });
  return {
    frames,
    async until(pred: () => boolean, ms = 3000): Promise<void> {
      const end = Date.now() + ms;
      while (!pred()) {
        if (Date.now() > end) throw new Error('timed out waiting for frames');
        await Promise.race([new Promise<void>((r) => waiters.push(r)), sleep(50)]);
      }
    },
  };
}

function control(type: number, flags: number, body: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(0x8003, 0);
  h.writeUInt16BE(type, 2);
  h.writeUInt32BE((flags << 24 | body.length) >>> 0, 4);
  return Buffer.concat([h, body]);
}

/** a real zlib context with the dictionary, as a Go peer compresses (flushed per block) */
function realDeflater() {
  const z = zlib.createDeflate({ dictionary: SPDY3_DICTIONARY });
  const out: Buffer[] = [];
  z.on('data', (d: Buffer) => out.push(d));
  return (raw: Buffer) => new Promise<Buffer>((r) => {
    z.write(raw);
    z.flush(zlib.constants.Z_SYNC_FLUSH, () => { const b = Buffer.concat(out); out.length = 0; r(b); });
  });
}

test('a peer without flow control (as spdystream): real zlib headers, sends beyond 64 KiB unasked', async () => {
  const { a, b, close } = await socketPair();
  try {
    const server = new SpdySession(b, { server: true });
    const big = randomBytes(300 * 1024);
    const streams: SpdyStream[] = [];
    server.on('stream', (s: SpdyStream) => { streams.push(s); s.reply(); s.end(big); });
    const peer = frameReader(a);
    const deflate = realDeflater();
    for (const id of [1, 3]) {
      const block = await deflate(encodeHeaderBlock({ streamtype: 'data', port: '80', requestid: String(id) }));
      const ids = Buffer.alloc(10);
      ids.writeUInt32BE(id, 0);
      a.write(control(1, 0, Buffer.concat([ids, block])));
    }
    await peer.until(() => peer.frames.filter((f) => !f.control && (f.flags & 1)).length === 2);
    assert.deepEqual(streams.map((s) => s.headers.requestid), ['1', '3'], 'the second block decodes against the first one\'s context');
    for (const id of [1, 3]) {
      const data = Buffer.concat(peer.frames.filter((f) => !f.control && f.id === id).map((f) => f.body));
      assert.equal(sha(data), sha(big));
    }
    const kinds = peer.frames.filter((f) => f.control).map((f) => f.type);
    assert.equal(kinds[0], 4, 'SETTINGS first');
    assert.ok(kinds.includes(2), 'SYN_REPLY');
    assert.equal(server.peerFlowControl, false);
    server.destroy();
  } finally { close(); }
});

test('a peer with flow control gets no more than its window until it sends WINDOW_UPDATE', async () => {
  const { a, b, close } = await socketPair();
  try {
    const server = new SpdySession(b, { server: true });
    const payload = randomBytes(5000);
    server.on('stream', (s: SpdyStream) => { s.reply(); s.end(payload); });
    const peer = frameReader(a);
    const deflate = realDeflater();
    const settings = Buffer.alloc(12);
    settings.writeUInt32BE(1, 0);
    settings.writeUInt32BE(7, 4); // INITIAL_WINDOW_SIZE
    settings.writeUInt32BE(1000, 8);
    a.write(control(4, 0, settings));
    const ids = Buffer.alloc(10);
    ids.writeUInt32BE(1, 0);
    a.write(control(1, 0, Buffer.concat([ids, await deflate(encodeHeaderBlock({ streamtype: 'data' }))])));
    const received = () => peer.frames.filter((f) => !f.control && f.id === 1).reduce((n, f) => n + f.body.length, 0);
    await peer.until(() => received() === 1000);
    await sleep(200);
    assert.equal(received(), 1000, 'stopped at the window');
    const wu = Buffer.alloc(8);
    wu.writeUInt32BE(1, 0);
    wu.writeUInt32BE(4000, 4);
    a.write(control(9, 0, wu));
    await peer.until(() => peer.frames.some((f) => !f.control && f.id === 1 && (f.flags & 1)));
    assert.equal(received(), 5000);
    assert.equal(server.peerFlowControl, true);

    // PING from the peer is echoed; a SYN_STREAM with an even (server-side) id is a protocol error
    a.write(control(6, 0, Buffer.from([0, 0, 0, 5])));
    await peer.until(() => peer.frames.some((f) => f.control && f.type === 6));
    assert.equal(peer.frames.find((f) => f.control && f.type === 6)!.body.readUInt32BE(0), 5);
    ids.writeUInt32BE(4, 0);
    a.write(control(1, 0, Buffer.concat([ids, await deflate(encodeHeaderBlock({}))])));
    await peer.until(() => peer.frames.some((f) => f.control && f.type === 3));
    const rst = peer.frames.find((f) => f.control && f.type === 3)!;
    assert.deepEqual([rst.body.readUInt32BE(0), rst.body.readUInt32BE(4)], [4, RstStatus.PROTOCOL_ERROR]);
    server.destroy();
  } finally { close(); }
});

test('a peer without flow control that floods a stream nobody reads: the socket is paused, nothing is lost', async () => {
  const { a, b, close } = await socketPair();
  try {
    const server = new SpdySession(b, { server: true });
    const got = new Promise<SpdyStream>((r) => server.on('stream', r));
    const deflate = realDeflater();
    const ids = Buffer.alloc(10);
    ids.writeUInt32BE(1, 0);
    a.write(control(1, 0, Buffer.concat([ids, await deflate(encodeHeaderBlock({ streamtype: 'data' }))])));
    const ss = await got;
    ss.reply();
    const payload = randomBytes(4 * 1024 * 1024);
    for (let off = 0; off < payload.length; off += 32 * 1024) {
      const chunk = payload.subarray(off, off + 32 * 1024);
      const h = Buffer.alloc(8);
      h.writeUInt32BE(1, 0);
      h.writeUInt32BE(((off + chunk.length === payload.length ? 1 : 0) << 24 | chunk.length) >>> 0, 4);
      a.write(Buffer.concat([h, chunk]));
    }
    await sleep(300);
    assert.equal(server.peerFlowControl, false);
    assert.ok(b.isPaused(), 'socket paused while the stream is full');
    assert.ok(ss.readableLength <= 512 * 1024, `buffered ${ss.readableLength}`);
    assert.ok(a.writableLength > 0 || b.readableLength > 0 || ss.readableLength < payload.length, 'the rest waits in the socket');
    assert.equal(sha(await readAll(ss)), sha(payload));
    server.destroy();
  } finally { close(); }
});

test('frames that arrived before the socket closed are all handled, even while a header block is being inflated', async () => {
  // the runtime writes its last frames and closes the connection: 'end' and 'close' come while
  // the session still awaits the SYN_STREAM's (asynchronous) inflate, with the data behind it queued
  const written: Buffer[] = [];
  const sock = new Duplex({ read() {}, write(c: Buffer, _e, cb) { written.push(c); cb(); } });
  const server = new SpdySession(sock, { server: true });
  const got = new Promise<Buffer>((resolve) => server.on('stream', (s: SpdyStream) => { s.reply(); resolve(readAll(s)); }));
  const ids = Buffer.alloc(10);
  ids.writeUInt32BE(1, 0);
  const syn = control(1, 0, Buffer.concat([ids, await realDeflater()(encodeHeaderBlock({ streamtype: 'stdout' }))]));
  const payload = randomBytes(100_000);
  const data = Buffer.alloc(8);
  data.writeUInt32BE(1, 0);
  data.writeUInt32BE(((1 << 24) | payload.length) >>> 0, 4);
  const closedSession = once(server, 'close');
  sock.emit('data', Buffer.concat([syn, data, payload]));
  sock.emit('end');
  sock.emit('close');
  const out = await Promise.race([got, sleep(2000).then(() => undefined)]);
  assert.ok(out, 'the stream arrived');
  assert.equal(sha(out), sha(payload));
  await closedSession;
});
