// Who may query: the DNS server listens on the node's address, so like dnsmasq's --local-service it
// answers only loopback clients, hosts on the node's own subnets, and given CIDRs (the pod network);
// others get REFUSED, so the node is not an open resolver.
import * as os from 'node:os';
import { isIPv4, isIPv6 } from 'node:net';
import { expandIPv6 } from './names.js';

interface Net { v6: boolean; base: bigint; bits: number }

function toBig(ip: string): { v6: boolean; n: bigint } | undefined {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) ip = mapped[1];
  if (isIPv4(ip)) return { v6: false, n: ip.split('.').reduce((a, p) => (a << 8n) | BigInt(Number(p)), 0n) };
  if (isIPv6(ip)) return { v6: true, n: BigInt(`0x${expandIPv6(ip.replace(/%.*$/, '')).replace(/:/g, '')}`) };
  return undefined;
}

export function parseCidr(cidr: string): Net {
  const [ip, bitsText] = cidr.split('/');
  const a = toBig(ip);
  if (!a) throw new Error(`invalid CIDR ${cidr}`);
  const width = a.v6 ? 128 : 32;
  const bits = bitsText === undefined ? width : Number(bitsText);
  if (!Number.isInteger(bits) || bits < 0 || bits > width) throw new Error(`invalid CIDR ${cidr}`);
  return { v6: a.v6, bits, base: (a.n >> BigInt(width - bits)) };
}

export function inNet(ip: string, net: Net): boolean {
  const a = toBig(ip);
  if (!a || a.v6 !== net.v6) return false;
  return (a.n >> BigInt((a.v6 ? 128 : 32) - net.bits)) === net.base;
}

/** the subnets of this machine's interfaces (loopback included) */
export function localNets(): Net[] {
  const out: Net[] = [];
  for (const addrs of Object.values(os.networkInterfaces())) {
    for (const a of addrs ?? []) if (a.cidr) { try { out.push(parseCidr(a.cidr)); } catch { /* odd address */ } }
  }
  return out;
}

/** a client check: loopback, local subnets (re-read every refreshMs, as bridges come and go) and extra CIDRs */
export function localServiceAcl(extraCidrs: string[] = [], refreshMs = 30_000): (ip: string) => boolean {
  const extra = extraCidrs.map(parseCidr);
  const fixed = [parseCidr('127.0.0.0/8'), parseCidr('::1/128'), ...extra];
  let nets = localNets();
  let at = Date.now();
  const cache = new Map<string, boolean>();
  return (ip) => {
    if (Date.now() - at > refreshMs) { nets = localNets(); at = Date.now(); cache.clear(); }
    let ok = cache.get(ip);
    if (ok === undefined) {
      ok = fixed.some((n) => inNet(ip, n)) || nets.some((n) => inNet(ip, n));
      if (cache.size > 10_000) cache.clear();
      cache.set(ip, ok);
    }
    return ok;
  };
}
