// Impersonation headers (kubectl --as / --as-group / --as-uid): the request acts as that user
// (authorization.ts checks that the caller may: the `impersonate` verb on each part). The groups
// are the ones asked for (a service account asked for without groups gets its service-account
// groups), plus system:authenticated unless system:authenticated or system:unauthenticated is among
// them; system:anonymous gets system:unauthenticated instead (upstream's WithImpersonation).
import type { IncomingMessage } from 'node:http';
import { errors } from '../../api/status.js';
import type { UserInfo } from './authn.js';

export function impersonated(req: IncomingMessage): UserInfo | undefined {
  const h = req.headersDistinct;
  const name = h['impersonate-user']?.[0];
  const asked = [...(h['impersonate-group'] ?? [])];
  const extra: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(h)) {
    if (k.startsWith('impersonate-extra-') && v) extra[decodeURIComponent(k.slice('impersonate-extra-'.length))] = v;
  }
  const uid = h['impersonate-uid']?.[0];
  if (!name) {
    if (!asked.length && !Object.keys(extra).length && !uid) return undefined;
    // as upstream: a 500 naming the requests as Go prints them
    const reqs = [...asked.map((g) => `{Group  ${g}    }`), ...Object.entries(extra).flatMap(([k, vs]) => vs.map((v) => `{UserExtra  ${v}    ${k}}`)), ...(uid ? [`{UID  ${uid}    }`] : [])];
    throw errors.internal(`requested [${reqs.join(' ')}] without impersonating a user`);
  }
  const groups = [...asked];
  const sa = /^system:serviceaccount:([^:]+):[^:]+$/.exec(name);
  if (sa && !asked.length) groups.push('system:serviceaccounts', `system:serviceaccounts:${sa[1]}`);
  if (name === 'system:anonymous') {
    if (!groups.includes('system:unauthenticated')) groups.push('system:unauthenticated');
  } else if (!groups.includes('system:authenticated') && !groups.includes('system:unauthenticated')) groups.push('system:authenticated');
  return { name, groups, ...(uid ? { uid } : {}), ...(Object.keys(extra).length ? { extra } : {}) };
}
