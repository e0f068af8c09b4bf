// DNS messages around the zone answers: response headers (id, opcode, RD echoed; AA, RA, rcode),
// EDNS payload size, and truncation to fit a UDP reply.
import * as packet from 'dns-packet';
import type { Answer, DecodedPacket, OptAnswer, Packet } from 'dns-packet';
import { answerQuestion, type Rcode, type ZoneOptions, type ZoneReply } from './answer.js';
import type { ClusterView } from './view.js';

const rcodes: Record<Rcode, number> = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 };
const OPCODE_AND_RD = 0x7800 | packet.RECURSION_DESIRED;

/** a decoded message with the header fields dns-packet's types leave out */
export type Message = DecodedPacket & { rcode: string; opcode: string };

export function decodeMessage(buf: Buffer): Message {
  return packet.decode(buf) as Message;
}

/** the OPT pseudo-record of a message, if any */
export function optOf(p: Packet): OptAnswer | undefined {
  return (p.additionals ?? []).find((a): a is OptAnswer => a.type === 'OPT');
}

/** the largest UDP reply the client accepts: 512, or its EDNS payload size (capped at 4096) */
export function maxUdpSize(query: Packet): number {
  const opt = optOf(query);
  return opt ? Math.min(4096, Math.max(512, opt.udpPayloadSize ?? 512)) : 512;
}

/** a reply to query with the given rcode and sections (an OPT record is echoed when the query had one) */
export function buildResponse(query: DecodedPacket, r: Partial<ZoneReply> & { rcode: Rcode }, authoritative: boolean): Packet {
  const flags = ((query.flags ?? 0) & OPCODE_AND_RD) | packet.RECURSION_AVAILABLE | (authoritative ? packet.AUTHORITATIVE_ANSWER : 0) | rcodes[r.rcode];
  const additionals: Answer[] = [...(r.additionals ?? [])];
  if (optOf(query)) additionals.push({ name: '.', type: 'OPT', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] });
  return {
    type: 'response', id: query.id, flags,
    questions: query.questions ?? [], answers: r.answers ?? [], authorities: r.authorities ?? [], additionals,
  };
}

/**
 * The reply from the cluster zone, or undefined when the question is not ours (forward it).
 * Non-QUERY opcodes get NOTIMP, messages without exactly one question FORMERR.
 */
export function respond(query: DecodedPacket, view: ClusterView, opts: ZoneOptions = {}): Packet | undefined {
  if (((query.flags ?? 0) >> 11) & 0xf) return buildResponse(query, { rcode: 'NOTIMP' }, false);
  if (query.questions?.length !== 1) return buildResponse(query, { rcode: 'FORMERR' }, false);
  const r = answerQuestion(query.questions[0], view, opts);
  return r && buildResponse(query, r, true);
}

/**
 * Encodes a reply that must fit in max bytes: additional records go first, then answers from the
 * end; a reply that lost answers has TC set so the client retries over TCP.
 */
export function encodeFitting(p: Packet, max: number): Buffer {
  let buf = packet.encode(p);
  if (buf.length <= max) return buf;
  const opt = (p.additionals ?? []).filter((a) => a.type === 'OPT');
  const fitted: Packet = { ...p, additionals: opt, authorities: [] };
  buf = packet.encode(fitted);
  const answers = [...(p.answers ?? [])];
  let truncated = false;
  while (buf.length > max && answers.length) {
    answers.pop();
    truncated = true;
    buf = packet.encode({ ...fitted, answers });
  }
  if (truncated || buf.length > max) {
    buf = packet.encode({ ...fitted, answers, flags: (p.flags ?? 0) | packet.TRUNCATED_RESPONSE });
  }
  return buf;
}
