// The DNS listeners: UDP and TCP (length-prefixed, several queries per connection) on one address
// and port. Port 0 picks a free port that is free for both.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, isIPv6, type Server, type Socket } from 'node:net';

export type Handler = (msg: Buffer, transport: 'udp' | 'tcp') => Promise<Buffer | undefined>;

export interface ListenOptions {
  host: string; port: number; handler: Handler; log?: (msg: string) => void;
  /** which client addresses are served (default all); others get REFUSED over UDP, a closed connection over TCP */
  allow?: (ip: string) => boolean;
}

/** a header-only REFUSED reply to a query message (undefined for responses and scraps) */
export function refused(msg: Buffer): Buffer | undefined {
  if (msg.length < 12 || msg[2] & 0x80) return undefined;
  const r = Buffer.alloc(12);
  r.writeUInt16BE(msg.readUInt16BE(0), 0);
  r.writeUInt16BE(0x8000 | (msg.readUInt16BE(2) & 0x7900) | 5, 2);
  return r;
}

export interface DnsListener { host: string; port: number; close(): Promise<void> }

const TCP_IDLE_MS = 10_000;

export async function listenDns(o: ListenOptions): Promise<DnsListener> {
  // with port 0, the UDP port the kernel picks may be taken for TCP: try a few times
  for (let attempt = 0; ; attempt++) {
    const udp = createSocket({ type: isIPv6(o.host) ? 'udp6' : 'udp4' });
    await new Promise<void>((resolve, reject) => { udp.once('error', reject); udp.bind(o.port, o.host, () => { udp.off('error', reject); resolve(); }); });
    const port = udp.address().port;
    const conns = new Set<Socket>();
    const tcp = createServer((s) => {
      if (o.allow && !o.allow(s.remoteAddress ?? '')) { s.destroy(); return; }
      conns.add(s);
      s.on('close', () => conns.delete(s));
      serveTcp(s, o.handler);
    });
    try {
      await new Promise<void>((resolve, reject) => { tcp.once('error', reject); tcp.listen(port, o.host, () => { tcp.off('error', reject); resolve(); }); });
    } catch (e) {
      udp.close();
      if (o.port === 0 && attempt < 5 && (e as NodeJS.ErrnoException).code === 'EADDRINUSE') continue;
      throw e;
    }
    serveUdp(udp, o.handler, o.log, o.allow);
    return { host: o.host, port, close: () => closeBoth(udp, tcp, conns) };
  }
}

function serveUdp(udp: UdpSocket, handler: Handler, log?: (msg: string) => void, allow?: (ip: string) => boolean): void {
  udp.on('error', (e) => log?.(`dns: udp: ${e.message}`));
  udp.on('message', (msg, rinfo) => {
    if (allow && !allow(rinfo.address)) {
      const r = refused(msg);
      if (r) udp.send(r, rinfo.port, rinfo.address, () => {});
      return;
    }
    handler(msg, 'udp').then((reply) => {
      if (reply) udp.send(reply, rinfo.port, rinfo.address, () => { /* a lost UDP reply is retried by the client */ });
    }, (e) => log?.(`dns: ${e?.message ?? e}`));
  });
}

function serveTcp(s: Socket, handler: Handler): void {
  let buf = Buffer.alloc(0);
  s.setTimeout(TCP_IDLE_MS, () => s.destroy());
  s.on('error', () => s.destroy());
  s.on('data', (d) => {
    buf = buf.length ? Buffer.concat([buf, d]) : d;
    while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
      const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
      buf = buf.subarray(2 + msg.length);
      handler(msg, 'tcp').then((reply) => {
        if (!reply || s.destroyed) return;
        const len = Buffer.alloc(2);
        len.writeUInt16BE(reply.length);
        s.write(Buffer.concat([len, reply]));
      }, () => s.destroy());
    }
  });
}

async function closeBoth(udp: UdpSocket, tcp: Server, conns: Set<Socket>): Promise<void> {
  await new Promise<void>((r) => { try { udp.close(() => r()); } catch { r(); } });
  for (const c of conns) c.destroy();
  await new Promise<void>((r) => tcp.close(() => r()));
}
