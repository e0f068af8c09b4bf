// The ingress's fast path. Most proxied traffic is plain HTTP/1.x: an origin-form target, one Host,
// no body or a Content-Length body. Such requests are parsed and forwarded here directly on the
// sockets, over pooled keep-alive connections to each endpoint, with the same routing, headers,
// retries and error answers as the general proxy (proxy.ts). That costs about half the CPU of going
// through node's http server and client, which matters because the proxy shares its CPU with
// everything else on the node.
//
// Anything else (Transfer-Encoding or Expect on the request, Upgrade, an absolute-form target, an
// obsolete line fold, a malformed or oversized head, ...) is not handled here: the connection, with
// the bytes not consumed yet, is handed to node's HTTP server running the general proxy, which
// answers that request (or rejects it, as node's strict parser does) and every later one on that
// connection. What decides framing is checked as strictly as node does (CR and LF only as CRLF,
// header names are tokens, one Host, at most one all-digit Content-Length, no Transfer-Encoding),
// so a request cannot mean one thing here and another to the backend; header values are passed on
// as they are (but NUL), as nginx does.
//
// Listeners must be created with allowHalfOpen (as node's HTTP server is): a client that half-closes
// after its request still gets the answer.
//
// Responses: Content-Length, chunked (passed through as is to HTTP/1.1 clients, decoded for
// HTTP/1.0 ones) or delimited by the backend closing (the client connection then closes too).
import * as http from 'node:http';
import * as net from 'node:net';
import { hopByHop, statusText, type Router } from './proxy.js';
import type { Target } from './backends.js';

export interface FastPathOptions {
  proto: 'http' | 'https';
  /** the listener's port, for X-Forwarded-Port */
  port: () => number;
  /** node's HTTP server running the general proxy; gets the connections the fast path hands off */
  fallback: http.Server;
  pool: UpstreamPool;
  /** no bytes from the backend for this long: 504 (default 60 s, as ingress-nginx's proxy-read-timeout) */
  timeoutMs?: number;
  /** an idle client connection is closed after this long (default 60 s) */
  idleMs?: number;
  log?: (m: string) => void;
}

const CRLF2 = Buffer.from('\r\n\r\n');
const LF2 = Buffer.from('\n\n');
/** node's default limit for a request head (--max-http-header-size) */
const maxRequestHead = 16 * 1024;
const maxResponseHead = 64 * 1024;
/** pipelined bytes buffered from a client while its request is answered, before reading pauses */
const maxBuffered = 1024 * 1024;
const maxRetries = 2;
// node's parser knows more methods; the others go to it
const methods = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']);
const targetRe = /^\/[\x21-\x7e]*$/;

/** idle keep-alive connections to endpoints, newest first, shared by the listeners */
export class UpstreamPool {
  private idle = new Map<string, Upstream[]>();
  private all = new Set<Upstream>();
  /** every backend connection reads into this buffer; its data is copied out at once */
  private readonly readBuffer = Buffer.allocUnsafe(64 * 1024);

  private sweeper: NodeJS.Timeout | undefined;

  constructor(private readonly maxIdlePerTarget = 512, readonly idleMs = 60_000) {}

  /** an idle connection to the target, or a new one */
  take(t: Target): Upstream {
    const key = (t.key ??= `${t.host}:${t.port}`);
    const list = this.idle.get(key);
    const u = list?.pop();
    if (u) { u.pooled = false; return u; }
    const n = new Upstream(this, key, t, this.readBuffer);
    this.all.add(n);
    return n;
  }

  give(u: Upstream): void {
    if (u.socket.destroyed) return;
    let list = this.idle.get(u.key);
    if (!list) this.idle.set(u.key, (list = []));
    if (list.length >= this.maxIdlePerTarget) { u.socket.destroy(); return; }
    u.exchange = undefined;
    u.pooled = true;
    u.idleSince = Date.now();
    list.push(u);
    // idle connections are closed by a sweep: a timer per socket costs a re-arm on every read and write
    this.sweeper ??= setInterval(() => this.sweep(), Math.min(1000, this.idleMs / 2)).unref();
  }

  private sweep(): void {
    const old = Date.now() - this.idleMs;
    for (const list of this.idle.values()) {
      // newest last: the oldest are at the front
      while (list.length && list[0].idleSince <= old) list.shift()!.socket.destroy();
    }
  }

  /** @internal the socket closed */
  gone(u: Upstream): void {
    this.all.delete(u);
    if (!u.pooled) return;
    const list = this.idle.get(u.key);
    const i = list?.indexOf(u) ?? -1;
    if (i >= 0) list!.splice(i, 1);
    if (list && !list.length) this.idle.delete(u.key);
  }

  destroy(): void {
    clearInterval(this.sweeper);
    for (const u of this.all) u.socket.destroy();
    this.all.clear();
    this.idle.clear();
  }
}

/** one connection to an endpoint; its listeners stay for its life and pass events to the exchange using it */
export class Upstream {
  exchange: Exchange | undefined;
  pooled = false;
  /** when it went back to the pool */
  idleSince = 0;

  readonly socket: net.Socket;

  constructor(pool: UpstreamPool, readonly key: string, t: Target, readBuffer: Buffer) {
    // `onread` skips the readable stream machinery, a good part of the cost of a small response.
    // The exchange gets a view of the shared buffer: what it keeps or writes, it copies first.
    const socket = (this.socket = net.connect({
      host: t.host, port: t.port, noDelay: true,
      onread: {
        buffer: readBuffer,
        callback: (n: number, buf: Uint8Array) => {
          if (this.exchange) this.exchange.upData((buf as Buffer).subarray(0, n));
          else socket.destroy();
          return true;
        },
      },
    }));
    socket.on('drain', () => this.exchange?.upDrain());
    socket.on('error', () => {});
    socket.on('close', () => { pool.gone(this); this.exchange?.upClosed(); });
  }

}

interface Request {
  method: string; target: string; host: string; http10: boolean; keepAlive: boolean;
  /** the head to send upstream, without the body */
  head: string; bodyLength: number;
}

/** the header lines of a head: those passed on, joined (each with its CRLF), and the ones the proxy reads */
interface Headers { kept: string; /** name, value, name, value, ... (names lower case, values trimmed) */ read: string[] }

/** the lower-case names the proxy reads, indexed by length: other headers pass through without being lower-cased */
const byLength = (names: string[]) => {
  const m: string[][] = [];
  for (const n of names) (m[n.length] ??= []).push(n);
  return m;
};
// the general proxy's hop-by-hop headers (with host, which the proxy sets), X-Real-IP (also set), and framing
const requestRead = byLength([...hopByHop, 'x-real-ip', 'content-length', 'expect']);
const responseRead = byLength([...hopByHop, 'content-length']);
/** tchar (RFC 9110 5.6.2) */
const tokenChar = new Uint8Array(128);
for (const ch of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") tokenChar[ch.charCodeAt(0)] = 1;

/** the name at head[pos, pos + n.length) if it is one of `names` (all of that length; ASCII case-insensitively) */
function oneOf(head: string, pos: number, names: string[] | undefined): string | undefined {
  if (!names) return undefined;
  next: for (const n of names) {
    // names are lower case; `| 32` lower-cases letters (and leaves '-' and digits as they are)
    for (let i = 0; i < n.length; i++) if ((head.charCodeAt(pos + i) | 32) !== n.charCodeAt(i)) continue next;
    return n;
  }
  return undefined;
}

const isOWS = (c: number) => c === 32 || c === 9;

/**
 * splits the header lines of a head, from `pos`. undefined: malformed (a CR or LF outside a CRLF,
 * a line without a colon, a name that is not a token). Written for speed: this runs for every
 * request and response, so names are matched without copies, only the values the proxy reads are
 * copied, and runs of kept lines are copied as one slice. (String builtins beat a loop over the
 * bytes of a Buffer here, measured in place.)
 */
function scanHeaders(head: string, pos: number, read: string[][], forwarded: boolean): Headers | undefined {
  let kept = '';
  let run = pos; // the start of the current run of kept lines
  const got: string[] = [];
  const n = head.length;
  while (pos < n) {
    // the name: token characters up to the colon
    let c = pos;
    for (let ch = head.charCodeAt(c); ch !== 58 /* : */; ch = head.charCodeAt(++c)) if (!(ch < 128 && tokenChar[ch] === 1)) return undefined;
    if (c === pos) return undefined;
    // the line ends at the first CR, which must be followed by LF; no LF before it
    let eol = head.indexOf('\r', c);
    if (eol < 0) eol = n;
    else if (head.charCodeAt(eol + 1) !== 10) return undefined;
    const lf = head.indexOf('\n', c);
    if (lf >= 0 && lf !== eol + 1) return undefined;
    const len = c - pos;
    let k = oneOf(head, pos, read[len]);
    if (!k && forwarded && len > 12 && (head.charCodeAt(pos) | 32) === 120 /* x */) { const l = head.slice(pos, c).toLowerCase(); if (l.startsWith('x-forwarded-')) k = l; }
    if (k) {
      let vs = c + 1, ve = eol;
      while (vs < ve && isOWS(head.charCodeAt(vs))) vs++;
      while (ve > vs && isOWS(head.charCodeAt(ve - 1))) ve--;
      got.push(k, head.slice(vs, ve));
      if (pos > run) kept += head.slice(run, pos);
      run = eol + 2;
    }
    pos = eol + 2;
  }
  if (run < n) kept += `${head.slice(run)}\r\n`;
  return { kept, read: got };
}

/** the lower-case tokens of Connection header values */
const connectionTokens = (v: string) => (!v ? [] : v.includes(',') ? v.toLowerCase().split(',').map((s) => s.trim()) : [v.toLowerCase()]);

/** the kept lines without those the Connection header lists (beyond keep-alive and close) */
function keptLines(h: Headers, tokens: string[]): string {
  if (!tokens.some((t) => t && t !== 'keep-alive' && t !== 'close')) return h.kept;
  return h.kept.split('\r\n').filter((l) => l && !tokens.includes(l.slice(0, l.indexOf(':')).toLowerCase())).map((l) => `${l}\r\n`).join('');
}

/** parses a request head the fast path takes; undefined: hand the connection to node's server */
function parseRequest(head: string, o: FastPathOptions, remote: string): Request | undefined {
  if (head.includes('\0')) return undefined;
  let eol = head.indexOf('\r\n');
  if (eol < 0) eol = head.length;
  const sp1 = head.indexOf(' '), sp2 = head.lastIndexOf(' ', eol);
  if (sp1 <= 0 || sp2 <= sp1) return undefined;
  const method = head.slice(0, sp1), target = head.slice(sp1 + 1, sp2), version = head.slice(sp2 + 1, eol);
  if (!methods.has(method) || !targetRe.test(target)) return undefined;
  const http10 = version === 'HTTP/1.0';
  if (!http10 && version !== 'HTTP/1.1') return undefined;
  const h = scanHeaders(head, eol + 2, requestRead, true);
  if (!h) return undefined;
  let host: string | undefined, length: string | undefined, connection = '';
  for (let i = 0; i < h.read.length; i += 2) {
    const k = h.read[i], v = h.read[i + 1];
    switch (k) {
      case 'host': if (host !== undefined) return undefined; host = v; break;
      case 'content-length': if (length !== undefined || !/^\d{1,15}$/.test(v)) return undefined; length = v; break;
      case 'transfer-encoding': case 'upgrade': case 'expect': return undefined;
      case 'connection': connection += (connection ? ',' : '') + v; break;
      default: // hop-by-hop and X-Forwarded-*: dropped
    }
  }
  if (host === undefined) { if (!http10) return undefined; host = ''; }
  const tokens = connectionTokens(connection);
  const keepAlive = http10 ? tokens.includes('keep-alive') : !tokens.includes('close');
  const bodyLength = length === undefined ? 0 : Number(length);
  // client-sent X-Forwarded-* are not trusted (ingress-nginx's default, use-forwarded-headers: false)
  const out = `${method} ${target} HTTP/1.1\r\n${keptLines(h, tokens)}${length === undefined ? '' : `content-length: ${bodyLength}\r\n`}` +
    `host: ${host}\r\nx-forwarded-for: ${remote}\r\nx-real-ip: ${remote}\r\nx-forwarded-proto: ${o.proto}\r\nx-forwarded-host: ${host}\r\nx-forwarded-port: ${o.port()}\r\n\r\n`;
  return { method, target, host, http10, keepAlive, head: out, bodyLength };
}


/** finds where a chunked body ends, and (for HTTP/1.0 clients) the data in it */
class Dechunker {
  private state: 'size' | 'data' | 'crlf' | 'trailer' | 'done' = 'size';
  private line = '';
  private left = 0;

  get done(): boolean { return this.state === 'done'; }

  /** consumes b up to the body's end; returns bytes consumed, or -1 for a malformed body. `data` gets the chunk data */
  feed(b: Buffer, data?: (d: Buffer) => void): number {
    let i = 0;
    while (i < b.length && this.state !== 'done') {
      if (this.state === 'data') {
        const n = Math.min(this.left, b.length - i);
        data?.(b.subarray(i, i + n));
        i += n;
        this.left -= n;
        if (!this.left) this.state = 'crlf';
        continue;
      }
      const nl = b.indexOf(10, i);
      const end = nl < 0 ? b.length : nl + 1;
      this.line += b.toString('latin1', i, end);
      i = end;
      if (this.line.length > 4096) return -1;
      if (nl < 0) break;
      const l = this.line.endsWith('\r\n') ? this.line.slice(0, -2) : undefined;
      this.line = '';
      if (l === undefined) return -1;
      if (this.state === 'crlf') { if (l !== '') return -1; this.state = 'size'; }
      else if (this.state === 'size') {
        const hex = l.split(';', 1)[0].trim();
        if (!/^[0-9a-fA-F]{1,12}$/.test(hex)) return -1;
        this.left = parseInt(hex, 16);
        this.state = this.left ? 'data' : 'trailer';
      } else if (l === '') this.state = 'done'; // the end of the trailer section
    }
    return i;
  }
}

/** one request and its response, from routing to the last byte */
class Exchange {
  up: Upstream | undefined;
  private attempt = 0;
  private answered = false; // a response byte came from the backend
  private headSent = false; // a response head went to the client
  private bodySent = 0;
  private rbuf: Buffer | undefined;
  private mode: 'head' | 'none' | 'length' | 'chunked' | 'close' = 'head';
  private left = 0;
  private chunks: Dechunker | undefined;
  private reusable = false;
  private closeClient = false;
  private done = false;

  constructor(private readonly conn: Conn, readonly req: Request, private readonly retriable: boolean) {}

  start(body: Buffer | undefined): void {
    const t = this.req.target;
    const q = t.indexOf('?');
    const r = this.conn.route(this.req.host, q < 0 ? t : t.slice(0, q));
    if (!('target' in r)) { this.conn.plain(this, r.status, r.reason); return; }
    const u = (this.up = this.conn.o.pool.take(r.target));
    u.exchange = this;
    this.upActive = Date.now();
    if (body?.length) { this.bodySent += body.length; u.socket.write(this.req.head, 'latin1'); if (!u.socket.write(body)) this.conn.pauseBody(); }
    else u.socket.write(this.req.head, 'latin1');
  }

  /** more request body bytes from the client */
  body(b: Buffer): void {
    this.upActive = Date.now();
    this.bodySent += b.length;
    if (this.up && !this.up.socket.destroyed && !this.up.socket.write(b)) this.conn.pauseBody();
  }

  upDrain(): void { this.conn.resumeBody(); }

  /** bytes from the backend: `d` is a view of the pool's read buffer, valid only during this call */
  upData(d: Buffer): void {
    this.upActive = Date.now();
    this.answered = true;
    if (this.mode === 'head') {
      const b = this.rbuf ? Buffer.concat([this.rbuf, d]) : d;
      let end = b.indexOf(CRLF2), sep = 4;
      let head = end < 0 ? undefined : this.responseHead(b.toString('latin1', 0, end));
      if (head === undefined) {
        // a head whose lines end in a bare LF (a hand-written CGI script, say): accepted, as nginx
        // and Go's HTTP client do, and passed on with CRLFs
        const lf = b.indexOf(LF2);
        if (lf >= 0 && (end < 0 || lf < end)) {
          end = lf; sep = 2;
          head = this.responseHead(b.toString('latin1', 0, lf).replace(/\r?\n/g, '\r\n').replace(/\r$/, ''));
        }
      }
      if (end < 0) {
        if (b.length > maxResponseHead) { this.fail(502, 'invalid response from the backend'); return; }
        this.rbuf = b === d ? Buffer.from(d) : b;
        return;
      }
      this.rbuf = undefined;
      if (head === undefined) { this.fail(502, 'invalid response from the backend'); return; }
      if (head === '') { if (b.length > end + sep) this.upData(b.subarray(end + sep)); return; } // 1xx: another head follows
      this.headSent = true;
      const rest = b.subarray(end + sep);
      const mode = this.mode as Exchange['mode']; // responseHead chose it
      if (mode === 'length' && rest.length >= this.left) {
        // the whole (small) answer arrived: head and body in one write
        const out = Buffer.allocUnsafe(head.length + this.left);
        out.write(head, 0, 'latin1');
        rest.copy(out, head.length, 0, this.left);
        this.conn.write(out);
        if (rest.length > this.left) this.reusable = false; // bytes after the body: not a connection to reuse
        this.left = 0;
        this.finish();
        return;
      }
      this.conn.write(head);
      if (mode === 'none') { this.finish(); return; }
      if (rest.length) this.body2client(rest);
      return;
    }
    this.body2client(d);
  }

  /** body bytes (a view that must be copied to be kept) to the client */
  private body2client(d: Buffer): void {
    let ok = true;
    if (this.mode === 'length') {
      const n = Math.min(this.left, d.length);
      ok = this.conn.write(Buffer.from(n === d.length ? d : d.subarray(0, n)));
      if (n < d.length) this.reusable = false; // bytes after the body: not a connection to reuse
      this.left -= n;
      if (!this.left) { this.finish(); return; }
    } else if (this.mode === 'chunked') {
      const http10 = this.req.http10;
      const n = this.chunks!.feed(d, http10 ? (c) => { ok = this.conn.write(Buffer.from(c)) && ok; } : undefined);
      if (n < 0) { this.conn.destroy(); this.abandon(); return; }
      if (!http10) ok = this.conn.write(Buffer.from(n === d.length ? d : d.subarray(0, n)));
      if (n < d.length) this.reusable = false;
      if (this.chunks!.done) { this.finish(); return; }
    } else ok = this.conn.write(Buffer.from(d));
    if (!ok) this.up?.socket.pause();
  }

  /** the client drained: read from the backend again */
  clientDrain(): void { this.up?.socket.resume(); }

  /** the response head for the client; '' for a 1xx that is passed on (or dropped); undefined if malformed */
  private responseHead(head: string): string | undefined {
    let eol = head.indexOf('\r\n');
    if (eol < 0) eol = head.length;
    // HTTP/1.x NNN[ reason]
    const minor = head.charCodeAt(7) - 48;
    const status = Number(head.slice(9, 12));
    if (!head.startsWith('HTTP/1.') || (minor !== 0 && minor !== 1) || head.charCodeAt(8) !== 32 || !(status >= 100 && status <= 999) || (eol > 12 && head.charCodeAt(12) !== 32)) return undefined;
    const reason = eol > 13 ? head.slice(13, eol) : '';
    if (reason.includes('\n') || reason.includes('\r')) return undefined;
    if (status < 200) {
      if (status === 101) return undefined; // no upgrade was asked for
      if (!this.req.http10) this.conn.write(`${head}\r\n\r\n`);
      return '';
    }
    const h = scanHeaders(head, eol + 2, responseRead, false);
    if (!h) return undefined;
    let length: number | undefined, chunked = false, te = false, connection = '';
    for (let i = 0; i < h.read.length; i += 2) {
      const k = h.read[i], v = h.read[i + 1];
      if (k === 'content-length') {
        if (!/^\d{1,15}$/.test(v) || (length !== undefined && length !== Number(v))) return undefined;
        length = Number(v);
      } else if (k === 'transfer-encoding') {
        te = true;
        chunked = v.toLowerCase().split(',').pop()!.trim() === 'chunked';
      } else if (k === 'connection') connection += (connection ? ',' : '') + v;
    }
    const tokens = connectionTokens(connection);
    const upstreamKeepAlive = minor === 1 ? !tokens.includes('close') : tokens.includes('keep-alive');
    const noBody = this.req.method === 'HEAD' || status === 204 || status === 304;
    let framing = '';
    if (noBody) { this.mode = 'none'; if (length !== undefined) framing = `content-length: ${length}\r\n`; if (te && !this.req.http10 && status !== 204) framing += 'transfer-encoding: chunked\r\n'; }
    else if (te) {
      if (chunked) { this.mode = 'chunked'; this.chunks = new Dechunker(); if (!this.req.http10) framing = 'transfer-encoding: chunked\r\n'; else this.closeClient = true; }
      else { this.mode = 'close'; this.closeClient = true; }
    } else if (length !== undefined) { this.mode = 'length'; this.left = length; framing = `content-length: ${length}\r\n`; }
    else { this.mode = 'close'; this.closeClient = true; }
    this.reusable = upstreamKeepAlive && this.mode !== 'close';
    if (!this.req.keepAlive) this.closeClient = true;
    let out = `HTTP/1.1 ${status} ${reason}\r\n${keptLines(h, tokens)}${framing}`;
    out += this.closeClient ? 'connection: close\r\n\r\n' : this.req.http10 ? 'connection: keep-alive\r\n\r\n' : '\r\n';
    return out;
  }

  /** the response is complete */
  private finish(): void {
    if (this.done) return;
    this.done = true;
    const u = this.up;
    this.up = undefined;
    const bodyDone = this.bodySent >= this.req.bodyLength;
    if (u) {
      u.exchange = undefined;
      if (this.reusable && bodyDone && !u.socket.destroyed) { u.socket.resume(); this.conn.o.pool.give(u); } else u.socket.destroy();
    }
    this.conn.finished(this, this.closeClient || !bodyDone);
  }

  /** drops the backend connection without finishing */
  private abandon(): void {
    this.done = true;
    const u = this.up;
    this.up = undefined;
    if (u) { u.exchange = undefined; u.socket.destroy(); }
  }

  private fail(status: number, reason: string): void {
    const target = this.up?.key;
    this.abandon();
    this.conn.o.log?.(`ingress: ${this.req.method} ${this.req.host}${this.req.target} -> ${target}: ${reason}`);
    if (this.headSent) { this.conn.destroy(); return; }
    this.conn.plain(this, status, status === 502 ? 'backend unreachable' : reason); // the detail is in the log
  }

  /** when the backend connection last had traffic (for the read timeout) */
  upActive = 0;

  upTimeout(): void { this.fail(504, 'backend timed out'); }

  upClosed(): void {
    if (this.done) return;
    if (this.mode === 'close' && this.headSent) { this.finish(); return; }
    if (!this.answered && this.retriable && this.attempt < maxRetries && !this.conn.closed) {
      this.attempt++;
      this.up = undefined;
      this.start(undefined);
      return;
    }
    this.fail(502, 'backend unreachable');
  }

  /** the client went away */
  clientClosed(): void { if (!this.done) this.abandon(); }
}

/** one client connection */
class Conn {
  private buf: Buffer | undefined;
  private ex: Exchange | undefined;
  private bodyLeft = 0;
  private paused = false;
  closed = false;
  /** when the client last sent bytes or got an answer (for the idle timeout) */
  active = Date.now();
  /** when the bytes of the request head now buffered began to arrive (a head must be complete within the idle timeout, as node's headersTimeout) */
  private headSince = 0;
  private readonly onData = (d: Buffer) => this.data(d);
  private readonly onDrain = () => this.ex?.clientDrain();
  private readonly onClose = () => { this.closed = true; this.owner.conns.delete(this); this.ex?.clientClosed(); };
  private readonly onError = () => {};
  /** the client sent FIN: the requests it sent are still answered, then the connection ends */
  private eof = false;
  private readonly onEnd = () => { this.eof = true; this.next(); };

  constructor(private readonly owner: FastPath, readonly socket: net.Socket, readonly o: FastPathOptions, readonly route: Router) {
    socket.setNoDelay(true);
    socket.on('data', this.onData);
    socket.on('drain', this.onDrain);
    socket.on('close', this.onClose);
    socket.on('error', this.onError);
    socket.on('end', this.onEnd);
  }

  write(d: Buffer | string): boolean { return this.closed ? true : this.socket.write(typeof d === 'string' ? Buffer.from(d, 'latin1') : d); }
  destroy(): void { this.socket.destroy(); }
  pauseBody(): void { this.socket.pause(); this.paused = true; }
  resumeBody(): void { if (this.paused) { this.paused = false; this.socket.resume(); } }

  private data(d: Buffer): void {
    this.active = Date.now();
    if (this.bodyLeft > 0) {
      const n = Math.min(this.bodyLeft, d.length);
      this.bodyLeft -= n;
      this.ex?.body(n === d.length ? d : d.subarray(0, n));
      if (n === d.length) return;
      d = d.subarray(n);
    }
    if (!this.buf) this.headSince = this.active;
    this.buf = this.buf ? Buffer.concat([this.buf, d]) : d;
    if (this.ex) { if (this.buf.length > maxBuffered) this.pauseBody(); return; }
    this.next();
  }

  /** starts the next buffered request, if its head is complete */
  private next(): void {
    const b = this.buf;
    if (this.ex || this.closed) return;
    if (!b) { if (this.eof) this.socket.end(); return; }
    const end = b.indexOf(CRLF2);
    if (end < 0) {
      if (b.length > maxRequestHead) this.handOff();
      else if (this.eof) this.socket.end(); // an incomplete request: nothing to answer
      return;
    }
    if (end > maxRequestHead) { this.handOff(); return; }
    const req = parseRequest(b.toString('latin1', 0, end), this.o, this.socket.remoteAddress ?? '');
    if (!req) { this.handOff(); return; }
    const rest = b.subarray(end + 4);
    const inBuf = Math.min(req.bodyLength, rest.length);
    this.buf = rest.length > inBuf ? rest.subarray(inBuf) : undefined;
    this.headSince = this.active; // a pipelined head starts its clock now
    this.bodyLeft = req.bodyLength - inBuf;
    const retriable = req.bodyLength === 0 && (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS');
    const ex = (this.ex = new Exchange(this, req, retriable));
    ex.start(inBuf ? rest.subarray(0, inBuf) : undefined);
  }

  /** answers the exchange's request itself, as the general proxy does */
  plain(ex: Exchange, status: number, reason: string): void {
    const text = statusText(status, reason);
    const close = !ex.req.keepAlive || this.bodyLeft > 0;
    const conn = close ? 'connection: close\r\n' : ex.req.http10 ? 'connection: keep-alive\r\n' : '';
    this.write(Buffer.from(`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(text)}\r\n${conn}\r\n${ex.req.method === 'HEAD' ? '' : text}`));
    this.finished(ex, close);
  }

  finished(ex: Exchange, close: boolean): void {
    if (this.ex !== ex) return;
    this.ex = undefined;
    this.active = Date.now();
    if (close || this.bodyLeft > 0) { this.bodyLeft = 0; this.socket.end(); return; }
    this.resumeBody();
    this.next();
  }

  /** closes the connection if idle too long; answers 504 if the backend has been silent too long */
  sweep(now: number, idleMs: number, timeoutMs: number): void {
    const ex = this.ex;
    if (!ex) { if (now - this.active >= idleMs || (this.buf && now - this.headSince >= idleMs)) this.socket.destroy(); return; }
    if (ex.up && now - ex.upActive >= timeoutMs) ex.upTimeout();
  }

  /** node's HTTP server takes the connection over, starting with the bytes not consumed yet */
  private handOff(): void {
    const s = this.socket;
    s.off('data', this.onData);
    s.off('drain', this.onDrain);
    s.off('close', this.onClose);
    s.off('error', this.onError);
    s.off('end', this.onEnd);
    this.owner.conns.delete(this);
    s.pause();
    if (this.buf) s.unshift(this.buf);
    this.buf = undefined;
    this.o.fallback.emit('connection', s);
    s.resume();
  }
}

export class FastPath {
  /** @internal */ readonly conns = new Set<Conn>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(private readonly route: Router, private readonly o: FastPathOptions) {}

  /** takes a new (plain or TLS) client connection */
  readonly onConnection = (socket: net.Socket): void => {
    this.conns.add(new Conn(this, socket, this.o, this.route));
    // timeouts are checked by a sweep: a timer per socket costs a re-arm on every read and write
    const idleMs = this.o.idleMs ?? 60_000, timeoutMs = this.o.timeoutMs ?? 60_000;
    this.sweeper ??= setInterval(() => {
      const now = Date.now();
      for (const c of this.conns) c.sweep(now, idleMs, timeoutMs);
    }, Math.max(10, Math.min(1000, idleMs / 4, timeoutMs / 4))).unref();
  };

  /** closes every client connection it holds */
  closeAll(): void {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
    for (const c of this.conns) c.destroy();
  }
}
