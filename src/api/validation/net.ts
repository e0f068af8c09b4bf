// IP and CIDR checks, with upstream's messages.
import { isIP } from 'node:net';

export function isValidIP(v: string): string[] {
  return isIP(v) ? [] : ['must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'];
}

export function isValidCIDR(v: string): string[] {
  const i = v.indexOf('/');
  const ok = i > 0 && isIP(v.slice(0, i)) !== 0 && /^\d{1,3}$/.test(v.slice(i + 1)) &&
    Number(v.slice(i + 1)) <= (isIP(v.slice(0, i)) === 4 ? 32 : 128);
  return ok ? [] : ['must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'];
}

export function ipFamilyOf(v: string): 'IPv4' | 'IPv6' | undefined {
  const f = isIP(v);
  return f === 4 ? 'IPv4' : f === 6 ? 'IPv6' : undefined;
}
