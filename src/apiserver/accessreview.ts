// authorization.k8s.io/v1 access reviews (what `kubectl auth can-i` asks): SelfSubjectAccessReview,
// SelfSubjectRulesReview, SubjectAccessReview and LocalSubjectAccessReview, answered by the same
// authorizer that guards every request, so `kubectl auth can-i` says what the server will do.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors, type FieldError } from '../api/status.js';
import type { ResourceInfo } from '../api/types.js';
import type { UserInfo } from './auth/authn.js';
import type { Attributes, Decision } from './auth/rbac.js';
import { decodeBody, readBody, sendJSON } from './http.js';

export interface ReviewContext {
  /** who is asking (the subject of the Self* reviews) */
  user: UserInfo;
  authorize(a: Attributes): Promise<Decision>;
  rules(user: UserInfo, namespace: string): Promise<{ resourceRules: unknown[]; nonResourceRules: unknown[] }>;
}

const GROUP = 'authorization.k8s.io';
const kinds: Record<string, string> = {
  selfsubjectaccessreviews: 'SelfSubjectAccessReview', selfsubjectrulesreviews: 'SelfSubjectRulesReview',
  subjectaccessreviews: 'SubjectAccessReview', localsubjectaccessreviews: 'LocalSubjectAccessReview',
};

export const accessReviewPath = /^\/apis\/authorization\.k8s\.io\/v1\/(?:namespaces\/([^/]+)\/)?(selfsubjectaccessreviews|selfsubjectrulesreviews|subjectaccessreviews|localsubjectaccessreviews)\/?$/;

/** discovery entries (create-only, no storage) */
export const authorizationResources: ResourceInfo[] = Object.entries(kinds).map(([plural, kind]) => ({
  group: GROUP, version: 'v1', kind, plural, singular: plural.slice(0, -1), namespaced: plural === 'localsubjectaccessreviews', verbs: ['create'],
}));

/** the review's subject: the caller for Self* reviews, spec.user/groups/uid/extra otherwise */
function subject(plural: string, spec: any, caller: UserInfo): UserInfo {
  if (plural.startsWith('self')) return caller;
  const u: UserInfo = { name: spec.user ?? '', groups: Array.isArray(spec.groups) ? spec.groups : [] };
  if (spec.uid) u.uid = spec.uid;
  if (spec.extra && typeof spec.extra === 'object') u.extra = spec.extra;
  return u;
}

/** upstream's ValidateSubjectAccessReview / ValidateSelfSubjectAccessReview / ValidateLocalSubjectAccessReview (the spec part) */
function validateReview(plural: string, spec: any, ns: string | undefined): FieldError[] {
  if (plural === 'selfsubjectrulesreviews') return [];
  const errs: FieldError[] = [];
  const ra = spec.resourceAttributes ?? undefined, na = spec.nonResourceAttributes ?? undefined;
  if (ra && na) errs.push({ type: 'FieldValueInvalid', field: 'spec.nonResourceAttributes', value: na, detail: 'cannot be specified in combination with resourceAttributes' });
  if (!ra && !na) errs.push({ type: 'FieldValueInvalid', field: 'spec.resourceAttributes', value: 'null', detail: 'exactly one of nonResourceAttributes or resourceAttributes must be specified' });
  if (!plural.startsWith('self') && !spec.user && !(Array.isArray(spec.groups) && spec.groups.length)) {
    errs.push({ type: 'FieldValueInvalid', field: 'spec.user', value: spec.user ?? '', detail: 'at least one of user or group must be specified' });
  }
  if (plural === 'localsubjectaccessreviews') {
    if (ra && (ra.namespace ?? '') !== ns) errs.push({ type: 'FieldValueInvalid', field: 'spec.resourceAttributes.namespace', value: ra.namespace ?? '', detail: 'must match metadata.namespace' });
    if (na) errs.push({ type: 'FieldValueInvalid', field: 'spec.nonResourceAttributes', value: na, detail: 'disallowed on this kind of request' });
  }
  return errs;
}

export async function handleAccessReview(req: IncomingMessage, res: ServerResponse, m: RegExpExecArray, ctx: ReviewContext): Promise<void> {
  const [, ns, plural] = m;
  const kind = kinds[plural];
  if ((plural === 'localsubjectaccessreviews') !== (ns !== undefined)) throw errors.notFound({ group: GROUP, resource: plural }, '');
  if (req.method !== 'POST') throw errors.methodNotAllowed(`the server does not allow this method on the requested resource`);
  const body = decodeBody(await readBody(req), req.headers['content-type']);
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw errors.badRequest('the object provided is unrecognized (must be of type object)');
  if (body.kind !== undefined && body.kind !== kind) throw errors.badRequest(`the API version in the data (${body.apiVersion}) does not match the expected API version (${GROUP}/v1)`);
  const spec = body.spec ?? {};
  const errs = validateReview(plural, spec, ns);
  if (errs.length) throw errors.invalid(GROUP, kind, '', errs);
  const who = subject(plural, spec, ctx.user);
  let status: Record<string, unknown>;
  if (plural === 'selfsubjectrulesreviews') {
    status = { ...(await ctx.rules(who, spec.namespace ?? '')), incomplete: false };
  } else {
    const ra = spec.resourceAttributes;
    const na = spec.nonResourceAttributes;
    const a: Attributes = ra
      ? { user: who, resourceRequest: true, verb: ra.verb ?? '', apiGroup: ra.group ?? '', resource: ra.resource ?? '', subresource: ra.subresource || undefined, namespace: (plural === 'localsubjectaccessreviews' ? ns : ra.namespace) || undefined, name: ra.name || undefined }
      : { user: who, resourceRequest: false, verb: na.verb ?? '', path: na.path ?? '' };
    const d = await ctx.authorize(a);
    status = d.allowed ? { allowed: true, reason: d.reason } : { allowed: false, ...(d.reason ? { reason: d.reason } : {}) };
  }
  sendJSON(res, 201, { kind, apiVersion: `${GROUP}/v1`, metadata: { ...(ns ? { namespace: ns } : {}), creationTimestamp: null }, spec, status });
}
