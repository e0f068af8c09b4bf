// Authorization of every request (upstream's WithAuthorization and WithImpersonation filters over
// the RBAC authorizer): members of system:masters may do anything; everyone else needs an RBAC
// rule, from Roles and ClusterRoles bound to them. A denied request gets upstream's 403 message.
// Impersonation (kubectl --as) needs the `impersonate` verb on what is impersonated.
import type { IncomingMessage } from 'node:http';
import { errors, StatusError } from '../api/status.js';
import type { KObject } from '../api/types.js';
import type { UserInfo } from './auth/authn.js';
import { impersonated } from './auth/impersonation.js';
import { authorize, forbiddenMessage, rulesFor, type Attributes, type Decision, type RbacObjects } from './auth/rbac.js';
import { requestInfo } from './auth/requestinfo.js';

const RBAC_GROUP = 'rbac.authorization.k8s.io';
export const SYSTEM_MASTERS = 'system:masters';

export type AuthorizationMode = 'RBAC' | 'AlwaysAllow';

export class Authorizer {
  constructor(private readonly list: (group: string, plural: string) => Promise<KObject[]>, readonly mode: AuthorizationMode = 'RBAC') {}

  private async objects(): Promise<RbacObjects> {
    const [clusterRoles, roles, clusterRoleBindings, roleBindings] = await Promise.all(
      ['clusterroles', 'roles', 'clusterrolebindings', 'rolebindings'].map((p) => this.list(RBAC_GROUP, p)));
    return { clusterRoles, roles, clusterRoleBindings, roleBindings };
  }

  async decide(a: Attributes): Promise<Decision> {
    if (this.mode === 'AlwaysAllow' || a.user.groups.includes(SYSTEM_MASTERS)) return { allowed: true, reason: '' };
    return authorize(a, await this.objects());
  }

  async rules(user: UserInfo, namespace: string): Promise<{ resourceRules: unknown[]; nonResourceRules: unknown[] }> {
    if (this.mode === 'AlwaysAllow') return { resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }] };
    return rulesFor(user, namespace, await this.objects());
  }

  /** throws 403 unless `a` is allowed */
  async require(a: Attributes): Promise<void> {
    const d = await this.decide(a);
    if (d.allowed) return;
    const msg = d.reason ? `${forbiddenMessage(a)}: ${d.reason}` : forbiddenMessage(a);
    if (!a.resourceRequest) throw new StatusError(403, 'Forbidden', `forbidden: ${msg}`, {});
    throw errors.forbidden({ group: a.apiGroup ?? '', resource: a.resource ?? '' }, a.name ?? '', msg);
  }

  /** the request's own check */
  async check(req: IncomingMessage, url: URL, user: UserInfo): Promise<void> {
    if (this.mode === 'AlwaysAllow' || user.groups.includes(SYSTEM_MASTERS)) return;
    const info = requestInfo(req.method ?? 'GET', url.pathname, url.searchParams);
    await this.require({ user, ...info });
  }

  /** the user the request acts as: the impersonated one, if the caller may impersonate it */
  async impersonate(req: IncomingMessage, user: UserInfo): Promise<UserInfo> {
    const as = impersonated(req);
    if (!as) return user;
    const h = req.headersDistinct;
    const checks: Omit<Attributes, 'user' | 'verb' | 'resourceRequest'>[] = [];
    const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(as.name);
    checks.push(sa ? { apiGroup: '', resource: 'serviceaccounts', namespace: sa[1], name: sa[2] } : { apiGroup: '', resource: 'users', name: as.name });
    for (const g of h['impersonate-group'] ?? []) checks.push({ apiGroup: '', resource: 'groups', name: g });
    if (as.uid) checks.push({ apiGroup: 'authentication.k8s.io', resource: 'uids', name: as.uid });
    for (const [k, vs] of Object.entries(as.extra ?? {})) for (const v of vs) checks.push({ apiGroup: 'authentication.k8s.io', resource: 'userextras', subresource: k, name: v });
    for (const c of checks) await this.require({ user, verb: 'impersonate', resourceRequest: true, ...c });
    return as;
  }
}
