// One query message in, one reply message out: the cluster zone first, other names upstream,
// SERVFAIL when upstream is silent; an ExternalName CNAME is followed to its target's addresses.
import * as packet from 'dns-packet';
import type { Answer, Packet } from 'dns-packet';
import type { ZoneOptions } from './answer.js';
import { buildResponse, decodeMessage, encodeFitting, maxUdpSize, respond, type Message } from './message.js';
import type { Forwarder } from './forward.js';
import type { ClusterView } from './view.js';

export interface ResolverOptions extends ZoneOptions {
  forwarder?: Forwarder;
  /** called for each answered query (metrics, logs) */
  onQuery?(q: { name: string; type: string; rcode: string; forwarded: boolean }): void;
}

export class Resolver {
  constructor(private readonly view: ClusterView, private readonly opts: ResolverOptions = {}) {}

  /** the encoded reply to a query message; undefined for messages too broken to answer */
  async handle(msg: Buffer, transport: 'udp' | 'tcp'): Promise<Buffer | undefined> {
    let query: Message;
    try {
      query = decodeMessage(msg);
    } catch {
      if (msg.length < 12 || msg[2] & 0x80) return undefined;
      // FORMERR with just the header's id (RFC 1035 4.1.1)
      return packet.encode({ type: 'response', id: msg.readUInt16BE(0), flags: 1, questions: [], answers: [], authorities: [], additionals: [] });
    }
    if (query.type === 'response') return undefined;
    const max = transport === 'tcp' ? 65535 : maxUdpSize(query);
    const q = query.questions?.[0];
    let reply = respond(query, this.view, this.opts);
    if (!reply) {
      const up = await this.opts.forwarder?.forward(msg, { tcp: transport === 'tcp' });
      this.opts.onQuery?.({ name: q?.name ?? '', type: String(q?.type), rcode: up ? rcodeOf(up) : 'SERVFAIL', forwarded: true });
      if (up) return up;
      return encodeFitting(buildResponse(query, { rcode: 'SERVFAIL' }, false), max);
    }
    reply = await this.chase(query, reply, transport);
    this.opts.onQuery?.({ name: q?.name ?? '', type: String(q?.type), rcode: rcodeName((reply.flags ?? 0) & 0xf), forwarded: false });
    return encodeFitting(reply, max);
  }

  /** an A/AAAA question answered with a CNAME gets the target's records appended (as CoreDNS does) */
  private async chase(query: Message, reply: Packet, transport: 'udp' | 'tcp'): Promise<Packet> {
    const q = query.questions![0];
    const last = reply.answers?.at(-1);
    if ((q.type !== 'A' && q.type !== 'AAAA') || last?.type !== 'CNAME') return reply;
    const sub: Message = { ...query, questions: [{ name: last.data, type: q.type, class: 'IN' }] };
    let more: Answer[] = [];
    const local = respond(sub, this.view, this.opts);
    if (local) more = local.answers ?? [];
    else if (this.opts.forwarder) {
      const up = await this.opts.forwarder.forward(packet.encode({ ...sub, additionals: [] }), { tcp: transport === 'tcp' });
      if (up) { try { more = decodeMessage(up).answers ?? []; } catch { /* keep the CNAME alone */ } }
    }
    return { ...reply, answers: [...(reply.answers ?? []), ...more] };
  }
}

const rcodeName = (n: number) => ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'][n] ?? `RCODE_${n}`;
const rcodeOf = (b: Buffer) => rcodeName(b.length >= 4 ? b[3] & 0xf : 2);
