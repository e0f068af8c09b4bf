// Name helpers for cluster DNS: normalising query names, reverse (in-addr.arpa / ip6.arpa) names,
// and the dashed IP labels used for pods and for endpoints without a hostname.
import { isIPv4, isIPv6 } from 'node:net';

/** lower case, without the trailing dot ('' for the root) */
export function normalize(name: string): string {
  return name.replace(/\.$/, '').toLowerCase();
}

/** the labels of name left of zone, outermost last ([] for the apex); undefined when name is not in zone */
export function relativeLabels(name: string, zone: string): string[] | undefined {
  if (name === zone) return [];
  if (!name.endsWith(`.${zone}`)) return undefined;
  return name.slice(0, -zone.length - 1).split('.');
}

/** the fully expanded form of an IPv6 address (8 groups of 4 hex digits) */
export function expandIPv6(ip: string): string {
  let [head, tail] = ip.toLowerCase().split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const last = (tail === undefined ? h : t).at(-1) ?? '';
  if (isIPv4(last)) {
    // an embedded IPv4 tail (::ffff:1.2.3.4) becomes two groups
    const [a, b, c, d] = last.split('.').map(Number);
    const groups = [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
    if (tail === undefined) h.splice(-1, 1, ...groups); else t.splice(-1, 1, ...groups);
  }
  const fill = tail === undefined ? [] : Array(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t].map((g) => g.padStart(4, '0')).join(':');
}

/** '10.43.0.1' -> '1.0.43.10.in-addr.arpa' (and the nibble form for IPv6) */
export function reverseName(ip: string): string {
  if (isIPv4(ip)) return `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
  return `${expandIPv6(ip).replace(/:/g, '').split('').reverse().join('.')}.ip6.arpa`;
}

/** the IP a reverse name stands for, if it is a complete one */
export function ipFromReverse(name: string): string | undefined {
  let m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.in-addr\.arpa$/.exec(name);
  if (m) {
    const ip = [m[4], m[3], m[2], m[1]].map(Number).join('.');
    return isIPv4(ip) ? ip : undefined;
  }
  m = /^((?:[0-9a-f]\.){32})ip6\.arpa$/.exec(name);
  if (m) {
    const hex = m[1].replace(/\./g, '').split('').reverse().join('');
    return canonicalIP(hex.match(/.{4}/g)!.join(':'));
  }
  return undefined;
}

/** a comparable form of an IP: IPv4 as is, IPv6 fully expanded */
export function canonicalIP(ip: string): string {
  return isIPv6(ip) ? expandIPv6(ip) : ip;
}

/** '10.42.0.5' -> '10-42-0-5'; '2001:db8::1' -> '2001-db8--1' (CoreDNS's endpoint and pod labels) */
export function dashedIP(ip: string): string {
  return ip.toLowerCase().replace(/[.:]/g, '-');
}

/** the IP a dashed label stands for, if any ('10-42-0-5' -> '10.42.0.5') */
export function ipFromDashed(label: string): string | undefined {
  const v4 = label.replace(/-/g, '.');
  if (isIPv4(v4)) return v4;
  const v6 = label.replace(/-/g, ':');
  return isIPv6(v6) ? v6 : undefined;
}
