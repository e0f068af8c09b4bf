// Impersonation headers (kubectl --as / --as-group / --as-uid): the request acts as that user
// (authorization.ts checks that the caller may: the `impersonate` verb on each part). The groups
// are the ones asked for, plus system:authenticated; a service account user also gets its
// service-account groups.
import type { IncomingMessage } from 'node:http';
import type { UserInfo } from './authn.js';

export function impersonated(req: IncomingMessage): UserInfo | undefined {
  const h = req.headersDistinct;
  const name = h['impersonate-user']?.[0];
  if (!name) return undefined;
  const groups = [...(h['impersonate-group'] ?? [])];
  const sa = /^system:serviceaccount:([^:]+):[^:]+$/.exec(name);
  if (sa) groups.push('system:serviceaccounts', `system:serviceaccounts:${sa[1]}`);
  if (name !== 'system:anonymous' && !groups.includes('system:authenticated')) groups.push('system:authenticated');
  const extra: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(h)) {
    if (k.startsWith('impersonate-extra-') && v) extra[decodeURIComponent(k.slice('impersonate-extra-'.length))] = v;
  }
  const uid = h['impersonate-uid']?.[0];
  return { name, groups: [...new Set(groups)], ...(uid ? { uid } : {}), ...(Object.keys(extra).length ? { extra } : {}) };
}
