// SPDY/3.1 sessions, the multiplexing Kubernetes streams exec, attach and port-forward over
// (k8s.io/apimachinery/pkg/util/httpstream/spdy on moby/spdystream). Both roles, over any byte
// Duplex (a TCP/TLS socket after an HTTP upgrade, or a WebSocket tunnel): streams are Node
// Duplexes with half-close (end() sends FIN), carry header-only SYN_STREAMs (no :method/:path, as
// Kubernetes' `streamtype`/`port`/`requestid`), and are answered with reply() or reset().
//
// Wire format (SPDY/3 draft, 3.1 flow control): 8-byte frame headers; control frames have the high
// bit, version 3 and a type; data frames a 31-bit stream id; flags byte (FIN 0x01,
// UNIDIRECTIONAL 0x02); 24-bit length. Header blocks are a count and length-prefixed lowercase
// name/value pairs (several values joined by NUL), zlib-compressed with one context per direction
// per session and the SPDY/3 dictionary. We send them as zlib stored blocks (valid deflate, so no
// async compressor between a SYN_STREAM and the data after it) and inflate what we receive with
// one persistent node:zlib Inflate.
//
// Flow control: we announce our per-stream receive window in SETTINGS and send WINDOW_UPDATEs (per
// stream and for the session) as the application consumes data, so a peer that respects windows
// never has more than a window in flight per stream. We respect the peer's windows once it has
// shown it does flow control (sent SETTINGS or WINDOW_UPDATE). moby/spdystream, which kubectl,
// the kubelet and containerd speak, never sends either (its "Implement flow control" issue #2 is
// still open) and ignores ours; enforcing the 64 KiB default window against it would stall every
// transfer after 64 KiB. For such peers, backpressure is by pausing the socket while a stream's
// read buffer is full, which is what spdystream's own blocking reads amount to.
import { Duplex } from 'node:stream';
import { EventEmitter } from 'node:events';
import {
  ByteQueue, DEFAULT_WINDOW, FLAG_FIN, FLAG_UNIDIRECTIONAL, HeaderDeflater, HeaderInflater, MAX_WINDOW, RstStatus,
  SETTINGS_INITIAL_WINDOW_SIZE, Type, controlFrame, dataFrame, decodeHeaderBlock, encodeHeaderBlock, ids, u32, type SpdyHeaders,
} from './spdyframe.js';

export {
  RstStatus, SPDY3_DICTIONARY, HeaderDeflater, decodeHeaderBlock, encodeHeaderBlock, headerValue, type SpdyHeaders,
} from './spdyframe.js';

export interface SpdySessionOptions {
  /** server role: the peer opens odd stream ids, we open even ones (and even ping ids) */
  server: boolean;
  /** our receive window per stream, announced in SETTINGS (default 64 KiB, SPDY's default) */
  initialWindowSize?: number;
  /** our session receive window (default 1 MiB; raised from 64 KiB with a session WINDOW_UPDATE) */
  sessionWindowSize?: number;
  /** largest DATA payload we send (default 32 KiB) */
  maxFrameSize?: number;
  /** close the session after this long without a frame either way (upstream kubelet: 4h) */
  idleTimeoutMs?: number;
}

export interface OpenStreamOptions {
  /** 0 (highest) .. 7 */
  priority?: number;
  /** SYN_STREAM with FIN: nothing will be sent on it */
  fin?: boolean;
}

/**
 * A SPDY stream: a Duplex whose writable side sends DATA (end() sends FIN) and whose readable side
 * ends on the peer's FIN. A peer's RST_STREAM sets `resetCode`, emits 'reset' and destroys the
 * stream without an error; destroying it ourselves before both sides finished sends RST_STREAM CANCEL.
 * Events: 'reply' (headers) when the peer answers a stream we opened, 'headers' for HEADERS frames,
 * 'reset' (status).
 */
export class SpdyStream extends Duplex {
  /** the SYN_STREAM's headers: ours for streams we opened, the peer's for streams it opened */
  readonly headers: SpdyHeaders;
  /** the SYN_REPLY's headers, once sent or received */
  replyHeaders?: SpdyHeaders;
  /** the peer's RST_STREAM status, when it reset the stream */
  resetCode?: number;
  /** @internal */ sendWindow: number;
  /** @internal */ recvWindow: number;
  /** @internal */ unacked = 0;
  /** @internal */ pendingCredit = 0;
  /** @internal */ localFin = false;
  /** @internal */ remoteFin = false;
  /** @internal */ replied = false;
  /** @internal */ rstSent = false;
  private replyWaiters: (() => void)[] = [];

  /** @internal */
  constructor(private readonly session: SpdySession, readonly id: number, headers: SpdyHeaders, readonly incoming: boolean, windows: { send: number; recv: number }) {
    super({ allowHalfOpen: true, readableHighWaterMark: windows.recv, writableHighWaterMark: 64 * 1024 });
    this.headers = headers;
    this.sendWindow = windows.send;
    this.recvWindow = windows.recv;
  }

  /** answers a stream the peer opened (SYN_REPLY); writing first replies with no headers */
  reply(headers: SpdyHeaders = {}, opts: { fin?: boolean } = {}): void {
    if (!this.incoming) throw new Error('spdy: reply() is for streams the peer opened');
    if (this.replied || this.destroyed) return;
    this.session._sendReply(this, headers, !!opts.fin);
    if (opts.fin) this.end();
  }

  /** sends RST_STREAM and destroys the stream */
  reset(status: number = RstStatus.CANCEL): void {
    if (this.destroyed) return;
    this.session._sendReset(this, status);
    this.destroy();
  }

  /** @internal resolves when the peer replied (or the stream is gone) */
  _whenReplied(): Promise<void> {
    if (this.replied || this.destroyed) return Promise.resolve();
    return new Promise((resolve) => this.replyWaiters.push(resolve));
  }

  /** @internal */
  _markReplied(): void {
    this.replied = true;
    for (const w of this.replyWaiters.splice(0)) w();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.session._sendData(this, chunk).then(() => cb(), cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.session._sendFin(this).then(() => cb(), cb);
  }

  override _read(): void {
    this.session._consumed(this);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    for (const w of this.replyWaiters.splice(0)) w();
    this.session._streamDestroyed(this);
    cb(err);
  }
}

/**
 * One SPDY/3.1 session over `socket`. Bytes already read past an HTTP upgrade belong back on the
 * socket first (`socket.unshift(head)`). Events: 'stream' (SpdyStream) for each stream the peer
 * opens (call reply() or reset(); with no listener it is refused), 'goaway' (lastGoodStreamId,
 * status), 'close' (error?) once the socket is gone.
 */
export class SpdySession extends EventEmitter {
  readonly server: boolean;
  /** true once the peer has shown it does flow control (SETTINGS or WINDOW_UPDATE) */
  peerFlowControl = false;
  closed = false;
  private streams = new Map<number, SpdyStream>();
  private nextId: number;
  private nextPingId: number;
  private lastPeerId = 0;
  private goneAway = false;
  private goawaySent = false;
  private pings = new Map<number, () => void>();
  private inq = new ByteQueue();
  private processing = false;
  private inputEnded = false;
  private deflater = new HeaderDeflater();
  private inflater = new HeaderInflater();
  private readonly recvWindowSize: number;
  private readonly sessionWindowSize: number;
  private readonly maxFrame: number;
  private peerInitialWindow = DEFAULT_WINDOW;
  private sessionSendWindow = DEFAULT_WINDOW;
  private sessionUnacked = 0;
  private waiters: (() => void)[] = [];
  private blocked = new Set<SpdyStream>();
  private lastActivity = Date.now();
  private idleTimer?: NodeJS.Timeout;

  constructor(readonly socket: Duplex, opts: SpdySessionOptions) {
    super();
    this.server = opts.server;
    this.nextId = opts.server ? 2 : 1;
    this.nextPingId = opts.server ? 2 : 1;
    this.recvWindowSize = Math.min(opts.initialWindowSize ?? DEFAULT_WINDOW, MAX_WINDOW);
    this.sessionWindowSize = Math.max(Math.min(opts.sessionWindowSize ?? 1024 * 1024, MAX_WINDOW), DEFAULT_WINDOW);
    this.maxFrame = Math.max(1, Math.min(opts.maxFrameSize ?? 32 * 1024, 0xffffff));
    if (opts.idleTimeoutMs) {
      const idle = opts.idleTimeoutMs;
      this.idleTimer = setInterval(() => {
        if (Date.now() - this.lastActivity >= idle) this.destroy(new Error(`spdy: idle for ${idle} ms`));
      }, Math.max(10, Math.min(idle / 4, 60_000)));
      this.idleTimer.unref();
    }
    socket.on('data', (d: Buffer) => { this.inq.push(d); void this.process(); });
    // the peer's EOF (or the socket closing after it) ends the session once the frames that came
    // before it are handled: processing may be awaiting a header block's inflate with data queued
    const inputDone = () => { this.inputEnded = true; if (!this.processing) this.teardown(); };
    socket.on('end', inputDone);
    socket.on('close', inputDone);
    socket.on('error', (e) => this.teardown(e));
    socket.on('drain', () => this.wake());
    // announce our stream window (which also tells the peer we do flow control), and widen the session window
    const settings = Buffer.concat([u32(1), u32(SETTINGS_INITIAL_WINDOW_SIZE), u32(this.recvWindowSize)]);
    this.write(controlFrame(Type.SETTINGS, 0, settings));
    if (this.sessionWindowSize > DEFAULT_WINDOW) this.write(controlFrame(Type.WINDOW_UPDATE, 0, ids(0, this.sessionWindowSize - DEFAULT_WINDOW)));
  }

  /** opens a stream (SYN_STREAM); data written to it waits for the peer's SYN_REPLY, as apimachinery's client does */
  openStream(headers: SpdyHeaders, opts: OpenStreamOptions = {}): SpdyStream {
    if (this.closed || this.goneAway || this.goawaySent) throw new Error('spdy: session is closing');
    const id = this.nextId;
    if (id > 0x7fffffff) throw new Error('spdy: stream ids exhausted');
    this.nextId += 2;
    const s = this.newStream(id, headers, false);
    const prio = Math.max(0, Math.min(7, opts.priority ?? 0));
    const body = Buffer.concat([ids(id, 0), Buffer.from([prio << 5, 0]), this.deflater.compress(encodeHeaderBlock(headers))]);
    this.write(controlFrame(Type.SYN_STREAM, opts.fin ? FLAG_FIN : 0, body));
    if (opts.fin) { s.localFin = true; s.end(); }
    return s;
  }

  /** sends a PING and resolves with the round trip in ms */
  ping(): Promise<number> {
    const id = this.nextPingId;
    this.nextPingId = this.nextPingId + 2 > 0x7fffffff ? (this.server ? 2 : 1) : this.nextPingId + 2;
    const start = Date.now();
    return new Promise((resolve, reject) => {
      if (this.closed) { reject(new Error('spdy: session closed')); return; }
      this.pings.set(id, () => (this.closed ? reject(new Error('spdy: session closed')) : resolve(Date.now() - start)));
      this.write(controlFrame(Type.PING, 0, ids(id)));
    });
  }

  /** graceful close: GOAWAY, refuse new streams, end the socket once the open streams are done */
  close(): void {
    if (this.closed) return;
    if (!this.goawaySent) {
      this.goawaySent = true;
      this.write(controlFrame(Type.GOAWAY, 0, ids(this.lastPeerId, 0)));
    }
    this.maybeEnd();
  }

  /** closes the socket and every stream now */
  destroy(err?: Error): void {
    this.socket.destroy();
    this.teardown(err);
  }

  /** the number of open streams */
  get streamCount(): number { return this.streams.size; }

  private newStream(id: number, headers: SpdyHeaders, incoming: boolean): SpdyStream {
    const s = new SpdyStream(this, id, headers, incoming, { send: this.peerInitialWindow, recv: this.recvWindowSize });
    this.streams.set(id, s);
    return s;
  }

  private write(frame: Buffer): boolean {
    this.lastActivity = Date.now();
    if (this.closed || this.socket.destroyed || this.socket.writableEnded) return false;
    return this.socket.write(frame);
  }

  private wake(): void { for (const w of this.waiters.splice(0)) w(); }
  private waitChange(): Promise<void> { return new Promise((r) => this.waiters.push(r)); }

  private maybeEnd(): void {
    if ((this.goawaySent || this.goneAway) && this.streams.size === 0 && !this.closed && !this.socket.writableEnded) this.socket.end();
  }

  /** @internal */
  _sendReply(s: SpdyStream, headers: SpdyHeaders, fin: boolean): void {
    s.replyHeaders = headers;
    s._markReplied();
    const body = Buffer.concat([ids(s.id), this.deflater.compress(encodeHeaderBlock(headers))]);
    this.write(controlFrame(Type.SYN_REPLY, fin ? FLAG_FIN : 0, body));
    if (fin) s.localFin = true;
  }

  /** @internal */
  _sendReset(s: SpdyStream, status: number): void {
    if (s.rstSent || s.resetCode !== undefined) return;
    s.rstSent = true;
    this.write(controlFrame(Type.RST_STREAM, 0, ids(s.id, status)));
  }

  private async ready(s: SpdyStream): Promise<void> {
    if (s.incoming) { if (!s.replied) this._sendReply(s, {}, false); }
    else await s._whenReplied();
    if (s.destroyed || this.closed) throw new Error('spdy: stream closed');
  }

  /** @internal DATA frames within the peer's windows (once it does flow control) */
  async _sendData(s: SpdyStream, chunk: Buffer): Promise<void> {
    await this.ready(s);
    let off = 0;
    while (off < chunk.length) {
      if (s.destroyed || this.closed) throw new Error('spdy: stream closed');
      let n = Math.min(this.maxFrame, chunk.length - off);
      if (this.peerFlowControl) {
        n = Math.min(n, s.sendWindow, this.sessionSendWindow);
        if (n <= 0) { await this.waitChange(); continue; }
      }
      s.sendWindow -= n;
      this.sessionSendWindow -= n;
      const ok = this.write(dataFrame(s.id, 0, chunk.subarray(off, off + n)));
      off += n;
      if (!ok && !this.closed) await this.waitChange();
    }
  }

  /** @internal */
  async _sendFin(s: SpdyStream): Promise<void> {
    if (s.localFin) return;
    await this.ready(s);
    s.localFin = true;
    this.write(dataFrame(s.id, FLAG_FIN, Buffer.alloc(0)));
    this.maybeDone(s);
  }

  /** @internal the application read from s: return the credit it held back, resume the socket */
  _consumed(s: SpdyStream): void {
    if (s.pendingCredit) { const n = s.pendingCredit; s.pendingCredit = 0; this.credit(s, n); }
    if (this.blocked.delete(s) && this.blocked.size === 0) this.socket.resume();
  }

  /** @internal */
  _streamDestroyed(s: SpdyStream): void {
    if (this.streams.get(s.id) === s) {
      this.streams.delete(s.id);
      if (!(s.localFin && s.remoteFin)) this._sendReset(s, RstStatus.CANCEL);
    }
    if (this.blocked.delete(s) && this.blocked.size === 0) this.socket.resume();
    this.wake();
    this.maybeEnd();
  }

  private maybeDone(s: SpdyStream): void {
    if (s.localFin && s.remoteFin && this.streams.get(s.id) === s) {
      this.streams.delete(s.id);
      this.maybeEnd();
    }
  }

  private credit(s: SpdyStream, n: number): void {
    s.unacked += n;
    if (!s.remoteFin && s.unacked >= this.recvWindowSize / 2) {
      this.write(controlFrame(Type.WINDOW_UPDATE, 0, ids(s.id, s.unacked)));
      s.recvWindow += s.unacked;
      s.unacked = 0;
    }
  }

  private teardown(err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.idleTimer);
    this.inflater.close();
    // a stream the peer finished keeps what it received for its reader (its output may be paused
    // by backpressure when the peer closes the connection); the others end here
    for (const s of [...this.streams.values()]) {
      if (!err && s.remoteFin && !s.readableEnded) s.once('end', () => s.destroy());
      else s.destroy();
    }
    this.streams.clear();
    for (const p of [...this.pings.values()]) p();
    this.pings.clear();
    this.wake();
    // what we already wrote still goes out before our FIN, unless the socket failed
    if (err) this.socket.destroy();
    else if (!this.socket.destroyed && !this.socket.writableEnded) this.socket.end();
    this.emit('close', err);
  }

  private async process(): Promise<void> {
    if (this.processing) return;
    this.processing = true;
    try {
      while (!this.closed && this.inq.length >= 8) {
        const head = this.inq.peek(8);
        const len = head.readUInt32BE(4) & 0xffffff;
        if (this.inq.length < 8 + len) break;
        const frame = this.inq.take(8 + len);
        this.lastActivity = Date.now();
        const flags = frame[4];
        const body = frame.subarray(8);
        if (frame[0] & 0x80) await this.onControl(frame.readUInt16BE(2), flags, body);
        else this.onData(frame.readUInt32BE(0) & 0x7fffffff, flags, body);
      }
    } catch (e) {
      this.write(controlFrame(Type.GOAWAY, 0, ids(this.lastPeerId, 1)));
      this.destroy(e instanceof Error ? e : new Error(String(e)));
    } finally {
      this.processing = false;
    }
    if (this.inputEnded) this.teardown();
  }

  private async headerBlock(b: Buffer): Promise<SpdyHeaders> {
    return decodeHeaderBlock(await this.inflater.inflate(b));
  }

  private async onControl(type: number, flags: number, body: Buffer): Promise<void> {
    switch (type) {
      case Type.SYN_STREAM: {
        const id = body.readUInt32BE(0) & 0x7fffffff;
        const headers = await this.headerBlock(body.subarray(10));
        const peerParity = this.server ? 1 : 0;
        if (id === 0 || id % 2 !== peerParity || id <= this.lastPeerId) {
          this.write(controlFrame(Type.RST_STREAM, 0, ids(id, RstStatus.PROTOCOL_ERROR)));
          return;
        }
        this.lastPeerId = id;
        if (this.goawaySent || this.listenerCount('stream') === 0) {
          this.write(controlFrame(Type.RST_STREAM, 0, ids(id, RstStatus.REFUSED_STREAM)));
          return;
        }
        const s = this.newStream(id, headers, true);
        if (flags & FLAG_UNIDIRECTIONAL) { s.replied = true; s.localFin = true; s.end(); }
        if (flags & FLAG_FIN) { s.remoteFin = true; s.push(null); }
        this.emit('stream', s);
        return;
      }
      case Type.SYN_REPLY: {
        const id = body.readUInt32BE(0) & 0x7fffffff;
        const headers = await this.headerBlock(body.subarray(4));
        const s = this.streams.get(id);
        if (!s || s.incoming || s.replied) return;
        s.replyHeaders = headers;
        s._markReplied();
        s.emit('reply', headers);
        if (flags & FLAG_FIN) this.remoteFinished(s);
        return;
      }
      case Type.HEADERS: {
        const id = body.readUInt32BE(0) & 0x7fffffff;
        const headers = await this.headerBlock(body.subarray(4));
        const s = this.streams.get(id);
        if (!s) return;
        s.emit('headers', headers);
        if (flags & FLAG_FIN) this.remoteFinished(s);
        return;
      }
      case Type.RST_STREAM: {
        const s = this.streams.get(body.readUInt32BE(0) & 0x7fffffff);
        if (!s) return;
        s.resetCode = body.readUInt32BE(4);
        this.streams.delete(s.id);
        s.emit('reset', s.resetCode);
        s.destroy();
        this.maybeEnd();
        return;
      }
      case Type.SETTINGS: {
        this.peerFlowControl = true;
        const n = body.readUInt32BE(0);
        for (let i = 0; i < n && 8 + 8 * i <= body.length - 4; i++) {
          const id = body.readUInt32BE(4 + 8 * i) & 0xffffff;
          const value = body.readUInt32BE(8 + 8 * i);
          if (id === SETTINGS_INITIAL_WINDOW_SIZE && value <= MAX_WINDOW) {
            const delta = value - this.peerInitialWindow;
            this.peerInitialWindow = value;
            for (const s of this.streams.values()) s.sendWindow += delta;
          }
        }
        this.wake();
        return;
      }
      case Type.WINDOW_UPDATE: {
        this.peerFlowControl = true;
        const id = body.readUInt32BE(0) & 0x7fffffff;
        const delta = body.readUInt32BE(4) & 0x7fffffff;
        if (id === 0) this.sessionSendWindow += delta;
        else { const s = this.streams.get(id); if (s) s.sendWindow += delta; }
        this.wake();
        return;
      }
      case Type.PING: {
        const id = body.readUInt32BE(0);
        if (id % 2 === (this.server ? 0 : 1)) { const p = this.pings.get(id); this.pings.delete(id); p?.(); } else this.write(controlFrame(Type.PING, 0, ids(id)));
        return;
      }
      case Type.GOAWAY: {
        this.goneAway = true;
        this.emit('goaway', body.readUInt32BE(0) & 0x7fffffff, body.length >= 8 ? body.readUInt32BE(4) : 0);
        this.maybeEnd();
        return;
      }
      default: // unknown control frames are ignored
    }
  }

  private onData(id: number, flags: number, payload: Buffer): void {
    if (payload.length) {
      this.sessionUnacked += payload.length;
      if (this.sessionUnacked >= this.sessionWindowSize / 2) {
        this.write(controlFrame(Type.WINDOW_UPDATE, 0, ids(0, this.sessionUnacked)));
        this.sessionUnacked = 0;
      }
    }
    const s = this.streams.get(id);
    if (!s || s.remoteFin) return; // closed or reset: data in flight is dropped
    if (payload.length) {
      s.recvWindow -= payload.length;
      if (s.push(payload)) this.credit(s, payload.length);
      else {
        s.pendingCredit += payload.length;
        if (!this.peerFlowControl && !this.blocked.has(s)) { this.blocked.add(s); this.socket.pause(); }
      }
    }
    if (flags & FLAG_FIN) this.remoteFinished(s);
  }

  private remoteFinished(s: SpdyStream): void {
    if (s.remoteFin) return;
    s.remoteFin = true;
    s.push(null);
    this.maybeDone(s);
  }
}
