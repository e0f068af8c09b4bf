// The websocket <-> SPDY bridge against a stand-in runtime stream server (spdy.ts in the server
// role, speaking the v4 remotecommand stream layout): channel framing both ways, v5's stdin close
// as the stream's FIN, the Status on the error channel after the output, then a normal close.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';
import { SpdySession, headerValue, type SpdyStream } from './spdy.js';
import { bridgeSpdy, dialSpdy } from './spdybridge.js';
import { channel, frame, pickProtocol, parseFrame, protocolV4, protocolV5 } from './channels.js';
import { streamOptions, runningContainerId, type StreamOptions } from './exec.js';
import { StreamError } from './routes.js';

test('channels: framing and subprotocol choice', () => {
  assert.deepEqual(frame(channel.stdout, 'hi'), Buffer.from([1, 0x68, 0x69]));
  assert.deepEqual(frame(channel.close, Buffer.from([channel.stdin])), Buffer.from([255, 0]));
  assert.deepEqual(parseFrame(Buffer.from([2, 0x61])), { ch: 2, data: Buffer.from('a') });
  assert.equal(parseFrame(Buffer.alloc(0)), undefined);
  assert.equal(pickProtocol(['v4.channel.k8s.io', 'v5.channel.k8s.io', 'channel.k8s.io']), protocolV5);
  assert.equal(pickProtocol([' v4.channel.k8s.io', 'base64.channel.k8s.io']), protocolV4);
  assert.equal(pickProtocol(['channel.k8s.io']), undefined);
});

test('streamOptions and runningContainerId follow upstream kubelet rules', () => {
  assert.deepEqual(streamOptions(new URLSearchParams('input=1&output=1&error=1&tty=1')), { stdin: true, stdout: true, stderr: false, tty: true });
  assert.throws(() => streamOptions(new URLSearchParams('tty=1')), (e: unknown) => e instanceof StreamError && e.code === 400 && /at least 1 of stdin, stdout, stderr/.test(e.message));
  const pod = {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' },
    status: { containerStatuses: [
      { name: 'a', containerID: 'containerd://abc', state: { running: {} } },
      { name: 'b', containerID: 'containerd://def', state: { terminated: { exitCode: 0 } } },
    ] },
  };
  assert.equal(runningContainerId(pod, 'a'), 'abc');
  assert.throws(() => runningContainerId(pod, 'b'), /container not found \("b"\)/);
});

/**
 * a runtime stream server: answers the SPDY upgrade, and once `count` streams are open hands them
 * (by stream type) to `ready`
 */
function spdyRuntime(count: number, ready: (streams: Map<string, SpdyStream>, session: SpdySession, socket: Duplex) => void, onUpgrade?: (req: http.IncomingMessage) => void): http.Server {
  const server = http.createServer((_req, res) => { res.writeHead(400); res.end('Upgrade request required'); });
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    onUpgrade?.(req);
    socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n');
    if (head.length) socket.unshift(head);
    const session = new SpdySession(socket, { server: true });
    const streams = new Map<string, SpdyStream>();
    session.on('stream', (st: SpdyStream) => {
      st.reply();
      streams.set(headerValue(st.headers, 'streamtype') ?? '', st);
      if (streams.size === count) ready(streams, session, socket);
    });
  });
  return server;
}

/** a runtime stream server: uppercases stdin to stdout until stdin's FIN, then exit code 7 */
function fakeRuntime(): { server: http.Server; seen: string[] } {
  const seen: string[] = [];
  const server = spdyRuntime(4, (streams, session) => {
    const [stdin, stdout, stderr, error] = ['stdin', 'stdout', 'stderr', 'error'].map((k) => streams.get(k)!);
    seen.push([...streams.keys()].sort().join(','));
    stdin.on('data', (d: Buffer) => stdout.write(d.toString().toUpperCase()));
    stdin.on('end', () => {
      stderr.write('eof');
      stdout.end();
      stderr.end();
      error.end(JSON.stringify({ metadata: {}, status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '7' }] } }));
      session.close();
    });
  }, (req) => seen.push(`${req.method} ${req.url} ${req.headers.upgrade} ${req.headers['x-stream-protocol-version']}`));
  return { server, seen };
}

const closers: (() => Promise<void>)[] = [];
after(async () => { for (const c of closers) await c(); });

/**
 * a websocket server that bridges each client to a SPDY session dialled to target; as the kubelet
 * does, the runtime's session is up before the client's upgrade is answered
 */
async function serveBridged(target: URL, opts: StreamOptions): Promise<{ port: number; bridged: Promise<void> }> {
  let runtime: Promise<import('node:net').Socket> | undefined;
  const wss = new WebSocketServer({
    port: 0, host: '127.0.0.1', handleProtocols: (p) => pickProtocol(p) ?? false,
    verifyClient: (_info, cb) => { runtime = dialSpdy(target); runtime.then(() => cb(true), () => cb(false, 500)); },
  });
  closers.push(() => new Promise((r) => wss.close(() => r())));
  const bridged = new Promise<void>((resolve) => wss.on('connection', (client) => {
    void runtime!.then((sock) => bridgeSpdy(client, sock, opts)).then(resolve);
  }));
  await new Promise<void>((r) => wss.once('listening', r));
  return { port: (wss.address() as AddressInfo).port, bridged };
}

test('a v5 websocket client is served from the runtime\'s SPDY session', async () => {
  const rt = fakeRuntime();
  await new Promise<void>((r) => rt.server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise((r) => { rt.server.close(() => r()); rt.server.closeAllConnections(); }));
  const target = new URL(`http://127.0.0.1:${(rt.server.address() as AddressInfo).port}/exec/tok3n`);
  const { port, bridged } = await serveBridged(target, { stdin: true, stdout: true, stderr: true, tty: false });
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`, [protocolV5, protocolV4]);
  const got: { ch: number; data: string }[] = [];
  ws.on('message', (d: Buffer) => { const f = parseFrame(d)!; got.push({ ch: f.ch, data: f.data.toString() }); });
  await new Promise<void>((r) => ws.once('open', r));
  assert.equal(ws.protocol, protocolV5);
  ws.send(frame(channel.stdin, 'abc'));
  ws.send(frame(channel.stdin, 'def'));
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(got.filter((g) => g.ch === channel.stdout).map((g) => g.data).join(''), 'ABCDEF', 'output before stdin closes');
  ws.send(frame(channel.close, Buffer.from([channel.stdin])));
  const code = await new Promise<number>((r) => ws.once('close', (c) => r(c)));
  await bridged;
  assert.equal(code, 1000);
  assert.deepEqual(rt.seen, ['POST /exec/tok3n SPDY/3.1 v4.channel.k8s.io', 'error,stderr,stdin,stdout']);
  const status = got.filter((g) => g.ch === channel.error && g.data);
  assert.equal(status.length, 1);
  assert.equal(JSON.parse(status[0].data).details.causes[0].message, '7');
  assert.equal(got.indexOf(status[0]), got.length - 1, 'the Status comes last');
  assert.equal(got.filter((g) => g.ch === channel.stderr).map((g) => g.data).join(''), 'eof');
  assert.deepEqual(got[0], { ch: channel.stdout, data: '' }, 'the connection is announced on stdout first');
});

test('dialSpdy reports a refused upgrade', async () => {
  const server = http.createServer();
  server.on('upgrade', (_req, socket: Duplex) => socket.end('HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\nnope'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise((r) => { server.close(() => r()); server.closeAllConnections(); }));
  await assert.rejects(dialSpdy(new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/exec/x`)), /unable to upgrade connection: HTTP\/1\.1 500 Internal Server Error nope/);
});

/** a SPDY data frame (as moby/spdystream writes them: no flow control) */
function dataFrame(id: number, data: Buffer, fin = false): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(id & 0x7fffffff, 0);
  head.writeUInt32BE(((fin ? 1 : 0) << 24) | data.length, 4);
  return Buffer.concat([head, data]);
}

test('output the client has not read yet when the runtime closes the connection is still delivered', async () => {
  // containerd's stream server writes everything, then closes the connection: a slow client must
  // still get all of it (a `kubectl cp` from a pod lost its tail this way)
  const payload = Buffer.alloc(12 << 20, 'x');
  const server = spdyRuntime(2, (streams, _session, socket) => {
    const out = streams.get('stdout')!.id;
    for (let i = 0; i < payload.length; i += 32 * 1024) socket.write(dataFrame(out, payload.subarray(i, i + 32 * 1024)));
    socket.write(dataFrame(out, Buffer.alloc(0), true));
    socket.write(dataFrame(streams.get('error')!.id, Buffer.alloc(0), true));
    socket.end(() => socket.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise((r) => { server.close(() => r()); server.closeAllConnections(); }));
  const target = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/exec/big`);
  const { port } = await serveBridged(target, { stdin: false, stdout: true, stderr: false, tty: false });
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`, [protocolV5]);
  let received = 0;
  ws.on('message', (d: Buffer) => { const f = parseFrame(d)!; if (f.ch === channel.stdout) received += f.data.length; });
  await new Promise<void>((r) => ws.once('open', r));
  ws.pause(); // a slow reader: the bridge's output backs up past its high-water mark
  await new Promise((r) => setTimeout(r, 500));
  ws.resume();
  const code = await new Promise<number>((r) => ws.once('close', (c) => r(c)));
  assert.equal(code, 1000);
  assert.equal(received, payload.length);
});

/** a runtime whose attach answers at once with `status` on the error stream, then closes */
function answeringRuntime(status: object): http.Server {
  return spdyRuntime(3, (streams, session) => {
    streams.get('stdout')!.end();
    streams.get('stderr')!.end();
    streams.get('error')!.end(JSON.stringify(status));
    setTimeout(() => session.close(), 50);
  });
}

test('the first attach replays what the container wrote, unless the runtime refused the attach (kubectl then reads the logs)', async () => {
  const cases: [object, string][] = [
    [{ metadata: {}, status: 'Success' }, 'hi\n'],
    [{ metadata: {}, status: 'Failure', reason: 'InternalError', message: 'error attaching to container: container is in CONTAINER_EXITED state' }, ''],
  ];
  for (const [status, want] of cases) {
    const server = answeringRuntime(status);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise((r) => { server.close(() => r()); server.closeAllConnections(); }));
    const target = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/attach/tok`);
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: (p) => pickProtocol(p) ?? false });
    closers.push(() => new Promise((r) => wss.close(() => r())));
    const opts = { stdin: false, stdout: true, stderr: true, tty: false };
    const bridged = new Promise<void>((resolve) => wss.on('connection', (client) => {
      void dialSpdy(target).then((sock) => bridgeSpdy(client, sock, opts, undefined, async () => ({ stdout: Buffer.from('hi\n'), stderr: Buffer.alloc(0) }))).then(resolve);
    }));
    await new Promise<void>((r) => wss.once('listening', r));
    const ws = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`, [protocolV5]);
    const out: string[] = [];
    ws.on('message', (d: Buffer) => { const f = parseFrame(d)!; if (f.ch === channel.stdout) out.push(f.data.toString()); });
    await new Promise<void>((r) => ws.once('close', () => r()));
    await bridged;
    assert.equal(out.join(''), want, JSON.stringify(status));
  }
});
