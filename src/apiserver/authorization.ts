// Authorization of every request (upstream's WithAuthorization and WithImpersonation filters over
// the RBAC authorizer): members of system:masters may do anything; everyone else needs an RBAC
// rule, from Roles and ClusterRoles bound to them. A denied request gets upstream's 403 message.
// Impersonation (kubectl --as) needs the `impersonate` verb on what is impersonated.
import type { IncomingMessage } from 'node:http';
import { errors, StatusError } from '../api/status.js';
import type { KObject } from '../api/types.js';
import type { UserInfo } from './auth/authn.js';
import { impersonated } from './auth/impersonation.js';
import {
  authorize, compactRule, compactRules, forbiddenMessage, goQuote, rulesFor, uncoveredRules, type Attributes, type Decision, type RbacObjects,
} from './auth/rbac.js';
import { requestInfo } from './auth/requestinfo.js';

const RBAC_GROUP = 'rbac.authorization.k8s.io';
export const SYSTEM_MASTERS = 'system:masters';

export type AuthorizationMode = 'RBAC' | 'AlwaysAllow';

export class Authorizer {
  constructor(private readonly list: (group: string, plural: string) => Promise<KObject[]>, readonly mode: AuthorizationMode = 'RBAC') {}

  async objects(): Promise<RbacObjects> {
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

  /**
   * upstream's escalation prevention for a Role or ClusterRole (unless the user may `escalate` it)
   * and for a binding (unless the user may `bind` its role): the user must already hold every
   * permission it grants, in that namespace (cluster-wide for the cluster kinds)
   */
  async checkEscalation(plural: string, obj: KObject, user: UserInfo): Promise<void> {
    if (this.mode === 'AlwaysAllow' || user.groups.includes(SYSTEM_MASTERS)) return;
    const ns = plural === 'roles' || plural === 'rolebindings' ? obj.metadata.namespace ?? '' : '';
    const name = obj.metadata.name ?? '';
    const gr = { group: RBAC_GROUP, resource: plural };
    const p = await this.objects();
    const may = (verb: string, resource: string, n: string) =>
      authorize({ user, verb, resourceRequest: true, apiGroup: RBAC_GROUP, resource, namespace: ns || undefined, name: n }, p).allowed;
    let wanted: any[];
    if (plural === 'roles' || plural === 'clusterroles') {
      if (may('escalate', plural, name)) return;
      if (obj.aggregationRule) wanted = [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, { verbs: ['*'], nonResourceURLs: ['*'] }];
      else wanted = Array.isArray(obj.rules) ? obj.rules : [];
    } else {
      const ref = obj.roleRef ?? {};
      const refPlural = ref.kind === 'Role' ? 'roles' : 'clusterroles';
      if (may('bind', refPlural, ref.name ?? '')) return;
      const role = (ref.kind === 'Role' ? p.roles.filter((r) => r.metadata.namespace === ns) : p.clusterRoles).find((r) => r.metadata.name === ref.name);
      if (!role) throw errors.forbidden(gr, name, `${ref.kind === 'Role' ? 'roles' : 'clusterroles'}.${RBAC_GROUP} ${goQuote(ref.name ?? '')} not found`);
      wanted = Array.isArray(role.rules) ? role.rules : [];
    }
    const owned = rulesFor(user, ns, p);
    const missing = uncoveredRules([...owned.resourceRules, ...owned.nonResourceRules], wanted);
    if (!missing.length) return;
    if (obj.aggregationRule && (plural === 'clusterroles')) throw errors.forbidden(gr, name, 'must have cluster-admin privileges to use the aggregationRule');
    // as upstream: compacted, then as a sorted set of strings
    const lines = [...new Set(compactRules(missing).map(compactRule))].sort();
    throw errors.forbidden(gr, name, `user ${goQuote(user.name)} (groups=[${user.groups.map(goQuote).join(' ')}]) is attempting to grant RBAC permissions not currently held:\n${lines.join('\n')}`);
  }

  /**
   * upstream's certificatesigningrequests/approval check: the `approve` verb on the resource
   * "signers" of certificates.k8s.io, named the CSR's signerName or "<domain>/*"
   */
  async checkSignerApproval(csr: KObject, user: UserInfo): Promise<void> {
    if (this.mode === 'AlwaysAllow' || user.groups.includes(SYSTEM_MASTERS)) return;
    const signer: string = csr.spec?.signerName ?? '';
    for (const name of [signer, `${signer.split('/')[0]}/*`]) {
      if ((await this.decide({ user, verb: 'approve', resourceRequest: true, apiGroup: 'certificates.k8s.io', resource: 'signers', name })).allowed) return;
    }
    throw errors.forbidden({ group: 'certificates.k8s.io', resource: 'certificatesigningrequests' }, csr.metadata.name ?? '',
      `user not permitted to approve requests with signerName ${goQuote(signer)}`);
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
