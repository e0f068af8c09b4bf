// A minimal DNS client (for tests and the benchmark): one question over UDP or TCP.
import * as packet from 'dns-packet';
import type { RecordType } from 'dns-packet';
import { tcpExchange } from './forward.js';
import { decodeMessage, type Message } from './message.js';
import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';

export interface QueryOptions { transport?: 'udp' | 'tcp'; timeoutMs?: number; id?: number; ednsSize?: number }

export function queryMessage(name: string, type: RecordType, o: QueryOptions = {}): Buffer {
  return packet.encode({
    type: 'query', id: o.id ?? Math.floor(Math.random() * 65536), flags: packet.RECURSION_DESIRED,
    questions: [{ name, type, class: 'IN' }],
    additionals: o.ednsSize ? [{ name: '.', type: 'OPT', udpPayloadSize: o.ednsSize, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }] : [],
  });
}

/** asks server host:port; rejects on timeout (default 3 s) */
export async function query(host: string, port: number, name: string, type: RecordType, o: QueryOptions = {}): Promise<Message> {
  const msg = queryMessage(name, type, o);
  const ms = o.timeoutMs ?? 3000;
  const reply = o.transport === 'tcp' ? await tcpExchange({ host, port }, msg, ms) : await udpOnce(host, port, msg, ms);
  if (!reply) throw new Error(`no DNS reply from ${host}:${port} for ${name} ${type} over ${o.transport ?? 'udp'} in ${ms} ms`);
  return decodeMessage(reply);
}

function udpOnce(host: string, port: number, msg: Buffer, ms: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const sock = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
    const done = (b?: Buffer) => { clearTimeout(timer); try { sock.close(); } catch { /* closed */ } resolve(b); };
    const timer = setTimeout(() => done(), ms);
    sock.on('error', () => done());
    sock.on('message', (b) => { if (b.readUInt16BE(0) === msg.readUInt16BE(0)) done(b); });
    sock.send(msg, port, host, (err) => { if (err) done(); });
  });
}
