// Serves a client's remotecommand websocket (v5 or v4) from a SPDY/3.1 session with the runtime's
// stream server, as upstream's StreamTranslator does between websocket clients and kubelets:
// the runtime's protocol is v4.channel.k8s.io over SPDY, one stream per channel (streamType error,
// stdin, stdout, stderr, resize). SPDY's half-close lets v5's stdin close reach the process as EOF,
// which containerd's websocket server cannot carry.
import net from 'node:net';
import WebSocket from 'ws';
import { channel, frame, parseFrame } from './channels.js';
import { SpdySession, type SpdyStream } from './spdy.js';
import type { StreamOptions } from './exec.js';
import { replayCut, type Replay } from './replay.js';

const runtimeProtocol = 'v4.channel.k8s.io';
/** how much output may wait unsent to the client before the runtime's streams are paused */
const highWater = 1 << 20;

/** the upgraded connection to target (101 Switching Protocols to SPDY/3.1), paused */
export function dialSpdy(target: URL, timeoutMs = 30_000): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(target.port || 80), target.hostname);
    const fail = (e: Error) => { sock.destroy(); reject(e); };
    const timer = setTimeout(() => fail(new Error(`timed out upgrading ${target.origin}`)), timeoutMs);
    let buf = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      clearTimeout(timer);
      sock.off('data', onData);
      sock.off('error', onError);
      sock.pause();
      const head = buf.subarray(0, end).toString('latin1');
      const rest = buf.subarray(end + 4);
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
      if (status !== 101) return fail(new Error(`unable to upgrade connection: ${head.split('\r\n')[0]} ${rest.toString().trim()}`.trim()));
      if (rest.length) sock.unshift(rest);
      resolve(sock);
    };
    const onError = (e: Error) => { clearTimeout(timer); fail(e); };
    sock.on('data', onData);
    sock.on('error', onError);
    sock.on('connect', () => {
      sock.write(`POST ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n`
        + `X-Stream-Protocol-Version: ${runtimeProtocol}\r\nContent-Length: 0\r\n\r\n`);
    });
  });
}

/**
 * moby/spdystream (containerd's stream server) does no flow control and stops reading once its
 * handler closes the connection; WINDOW_UPDATEs spdy.ts sends for output still arriving then are
 * unread data at its close(), so its kernel answers with RST and ours drops the tail of the output
 * (seen as truncated `kubectl exec -- cat` and `kubectl cp` from a pod). spdystream ignores them
 * anyway, so we leave them out on this connection.
 */
function withoutWindowUpdates(sock: net.Socket): void {
  const write = sock.write.bind(sock) as (b: Buffer, ...rest: unknown[]) => boolean;
  (sock as any).write = (b: unknown, ...rest: unknown[]) => {
    if (Buffer.isBuffer(b) && b.length >= 8 && b[0] === 0x80 && b[1] === 3 && b.readUInt16BE(2) === 9 && (b.readUInt32BE(4) & 0xffffff) === b.length - 8) {
      const cb = rest.find((x) => typeof x === 'function') as (() => void) | undefined;
      if (cb) process.nextTick(cb);
      return true;
    }
    return write(b as Buffer, ...rest);
  };
}

/** how long after the runtime took the streams its attach is taken to be live, and how long live output may lag the log, ms */
const attachSettleMs = 100;

/** whether an error-channel Status says the attach itself failed (not an exit code) */
function attachRefused(raw: Buffer): boolean {
  if (!raw.length) return false;
  try {
    const st = JSON.parse(raw.toString('utf8'));
    return st?.status === 'Failure' && st?.reason !== 'NonZeroExitCode';
  } catch {
    return false;
  }
}

/**
 * bridges `client` to the runtime's session over `sock` (from dialSpdy). Resolves when both are closed.
 * The error channel gets the runtime's Status as one message, after stdout and stderr have drained.
 * With `replay`, the output starts with what it returns (read once the attach is live: the log so
 * far), minus what the live streams also carried (replay.ts).
 */
export function bridgeSpdy(client: WebSocket, sock: net.Socket, opts: StreamOptions, log?: (m: string) => void, replay?: () => Promise<Replay>): Promise<void> {
  withoutWindowUpdates(sock);
  const session = new SpdySession(sock, { server: false });
  sock.resume();
  const open = (type: string) => session.openStream({ streamtype: type });
  const error = open('error');
  const stdin = opts.stdin ? open('stdin') : undefined;
  const stdout = opts.stdout ? open('stdout') : undefined;
  const stderr = opts.stderr ? open('stderr') : undefined;
  const resize = opts.tty ? open('resize') : undefined;
  const outputs: [SpdyStream, number][] = [];
  if (stdout) outputs.push([stdout, channel.stdout]);
  if (stderr) outputs.push([stderr, channel.stderr]);

  const send = (m: Buffer) => { if (client.readyState === WebSocket.OPEN) client.send(m, { binary: true }); };
  // upstream servers announce the connection with an empty message on the lowest writable channel
  send(frame(outputs[0]?.[1] ?? channel.error));

  client.on('message', (data: Buffer, isBinary: boolean) => {
    const f = isBinary ? parseFrame(data) : undefined;
    if (!f) return;
    if (f.ch === channel.stdin && stdin && !stdin.writableEnded) {
      // backpressure: stop reading the client while the runtime's stdin is behind
      if (!stdin.write(f.data) && !client.isPaused) {
        client.pause();
        stdin.once('drain', () => client.resume());
        stdin.once('close', () => client.resume());
      }
    }
    else if (f.ch === channel.resize && resize && !resize.writableEnded) resize.write(f.data);
    else if (f.ch === channel.close && f.data[0] === channel.stdin && stdin && !stdin.writableEnded) stdin.end();
  });

  const ended = (s: SpdyStream) => new Promise<void>((resolve) => {
    if (s.readableEnded || s.destroyed) return resolve();
    s.once('end', resolve);
    s.once('close', resolve);
  });
  // backpressure: output waits while the client has more than highWater unsent
  let waiting: NodeJS.Timeout | undefined;
  // while the replay is prepared, live output is held here
  let held: Map<number, Buffer[]> | undefined;
  const onOutput = (ch: number) => (d: Buffer) => {
    if (held) { held.get(ch)?.push(d); return; }
    send(frame(ch, d));
    if (waiting || client.bufferedAmount < highWater) return;
    for (const [s] of outputs) s.pause();
    waiting = setInterval(() => {
      if (client.readyState === WebSocket.OPEN && client.bufferedAmount > highWater / 4) return;
      clearInterval(waiting);
      waiting = undefined;
      for (const [s] of outputs) s.resume();
    }, 10);
  };
  for (const [s, ch] of outputs) s.on('data', onOutput(ch));
  const status: Buffer[] = [];
  error.on('data', (d: Buffer) => status.push(d));
  let replayed: Promise<void> = Promise.resolve();
  if (replay && outputs.length) {
    held = new Map(outputs.map(([, ch]) => [ch, []]));
    const settle = () => new Promise((r) => setTimeout(r, attachSettleMs));
    replayed = Promise.all([error, ...outputs.map(([s]) => s), stdin, resize].map((s) => s?._whenReplied()))
      .then(settle).then(replay).then(async (logged) => {
        await settle();
        const h = held!;
        held = undefined;
        // an attach the runtime refused (the container exited meanwhile: a Failure status, not the
        // Success of an attach that ran to the end) replays nothing: the client falls back to the
        // logs, which would print the same output again
        const refused = attachRefused(Buffer.concat(status));
        for (const [, ch] of outputs) {
          const live = Buffer.concat(h.get(ch)!);
          const before = ch === channel.stdout ? logged.stdout : logged.stderr;
          const cut = refused ? 0 : replayCut(before, live);
          if (cut) send(frame(ch, before.subarray(0, cut)));
          if (live.length) send(frame(ch, live));
        }
      })
      .catch((e) => {
        log?.(`kubelet attach: replay: ${e instanceof Error ? e.message : e}`);
        const h = held;
        held = undefined;
        for (const [, ch] of outputs) for (const d of h?.get(ch) ?? []) send(frame(ch, d));
      });
  }

  return new Promise<void>((resolve) => {
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearInterval(waiting);
      const st = Buffer.concat(status);
      if (st.length) send(frame(channel.error, st));
      if (client.readyState === WebSocket.OPEN) client.close(1000);
      else if (client.readyState !== WebSocket.CLOSED) client.terminate();
      session.destroy();
      resolve();
    };
    const drained = Promise.all([...outputs.map(([s]) => ended(s)), replayed]);
    void Promise.all([ended(error), drained]).then(finish);
    // the runtime closes its connection right after the last frames: output still held back for a
    // slow client (streams it finished keep their data) goes out before we close
    session.on('close', (e?: Error) => { if (e) log?.(`kubelet stream: runtime session: ${e.message}`); void drained.then(finish); });
    client.on('close', () => finish());
    client.on('error', () => finish());
    for (const s of [stdin, resize]) s?.on('error', () => undefined);
    for (const [s] of outputs) s.on('error', () => undefined);
    error.on('error', () => undefined);
  });
}
