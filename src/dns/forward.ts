// Forwarding names outside the cluster zone to the host's resolvers (CoreDNS `forward . /etc/resolv.conf`):
// over the client's transport (a truncated UDP answer is passed on, so the client retries over TCP),
// upstreams tried in turn until an overall deadline; no answer in time means the caller replies SERVFAIL.
import { createSocket } from 'node:dgram';
import { connect, isIP, isIPv6 } from 'node:net';
import { readFileSync } from 'node:fs';
import { randomInt } from 'node:crypto';

export interface Upstream { host: string; port: number }

/** "127.0.0.1:5353,10.0.0.2,[fd00::1]:53" */
export function parseUpstreams(spec: string): Upstream[] {
  const out: Upstream[] = [];
  for (const part of spec.split(/[,\s]+/).filter(Boolean)) {
    const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(part) ?? (isIP(part) ? [part, part, undefined] : /^([^:]+):(\d+)$/.exec(part));
    if (!m || !isIP(m[1])) throw new Error(`invalid DNS upstream ${JSON.stringify(part)} (want IP or IP:PORT)`);
    out.push({ host: m[1], port: m[2] ? Number(m[2]) : 53 });
  }
  return out;
}

const isLoopback = (ip: string) => /^127\./.test(ip) || ip === '::1';
const isWildcard = (ip: string) => ip === '0.0.0.0' || ip === '::';

/**
 * The nameservers of a resolv.conf, without those that would send queries back to us (the address
 * and port we serve on, or a loopback address while we serve on a loopback or wildcard address).
 */
export function resolvConfUpstreams(self: Upstream, path = '/etc/resolv.conf'): Upstream[] {
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch { return []; }
  const out: Upstream[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (!m) continue;
    const host = m[1].replace(/%.*$/, '');
    if (!isIP(host)) continue;
    const up = { host, port: 53 };
    if (up.port === self.port && (host === self.host || (isLoopback(host) && (isLoopback(self.host) || isWildcard(self.host))))) continue;
    out.push(up);
  }
  return out;
}

export interface ForwarderOptions {
  /** overall time for one forwarded query (default 1800 ms) */
  timeoutMs?: number;
  /** time for one attempt at one upstream (default 700 ms) */
  attemptMs?: number;
}

export class Forwarder {
  private next = 0;
  constructor(readonly upstreams: Upstream[], private readonly opts: ForwarderOptions = {}) {}

  /**
   * The upstream's reply to a query message (with the query's own id), or undefined when no
   * upstream answered in time.
   */
  async forward(query: Buffer, opts: { tcp?: boolean } = {}): Promise<Buffer | undefined> {
    if (!this.upstreams.length || query.length < 12) return undefined;
    const deadline = Date.now() + (this.opts.timeoutMs ?? 1800);
    const start = this.next++ % this.upstreams.length;
    for (let i = 0; Date.now() < deadline; i++) {
      const up = this.upstreams[(start + i) % this.upstreams.length];
      const ms = Math.min(this.opts.attemptMs ?? 700, deadline - Date.now());
      if (ms <= 0) break;
      const id = randomInt(0, 65536);
      const msg = Buffer.from(query);
      msg.writeUInt16BE(id, 0);
      const reply = opts.tcp ? await tcpExchange(up, msg, ms) : await udpExchange(up, msg, ms);
      if (reply && reply.length >= 12 && reply.readUInt16BE(0) === id) {
        reply.writeUInt16BE(query.readUInt16BE(0), 0);
        return reply;
      }
    }
    return undefined;
  }
}

function udpExchange(up: Upstream, msg: Buffer, ms: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const sock = createSocket(isIPv6(up.host) ? 'udp6' : 'udp4');
    const done = (b?: Buffer) => { clearTimeout(timer); sock.removeAllListeners('message'); try { sock.close(); } catch { /* closed */ } resolve(b); };
    const timer = setTimeout(() => done(), ms);
    sock.on('error', () => done());
    sock.on('message', (b, rinfo) => {
      if (rinfo.port === up.port && b.length >= 2 && b.readUInt16BE(0) === msg.readUInt16BE(0)) done(b);
    });
    sock.send(msg, up.port, up.host, (err) => { if (err) done(); });
  });
}

/** one length-prefixed exchange over a fresh TCP connection */
export function tcpExchange(up: Upstream, msg: Buffer, ms: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const sock = connect({ host: up.host, port: up.port });
    let buf = Buffer.alloc(0);
    const done = (b?: Buffer) => { clearTimeout(timer); sock.destroy(); resolve(b); };
    const timer = setTimeout(() => done(), ms);
    sock.on('error', () => done());
    sock.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(msg.length);
      sock.write(Buffer.concat([len, msg]));
    });
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) done(buf.subarray(2, 2 + buf.readUInt16BE(0)));
    });
    sock.on('end', () => done());
  });
}
