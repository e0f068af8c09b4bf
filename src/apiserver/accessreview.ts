// authorization.k8s.io/v1 access reviews (what `kubectl auth can-i` asks): SelfSubjectAccessReview,
// SelfSubjectRulesReview, SubjectAccessReview and LocalSubjectAccessReview. k8ts has no authorizer
// yet (RBAC objects are stored but not enforced): every authenticated request is allowed, and the
// reviews say exactly that, so `kubectl auth can-i` answers what the server will actually do.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors } from '../api/status.js';
import type { ResourceInfo } from '../api/types.js';
import { decodeBody, readBody, sendJSON } from './http.js';

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

const reason = 'k8ts does not enforce authorization: every authenticated request is allowed';

export async function handleAccessReview(req: IncomingMessage, res: ServerResponse, m: RegExpExecArray): Promise<void> {
  const [, ns, plural] = m;
  const kind = kinds[plural];
  if ((plural === 'localsubjectaccessreviews') !== (ns !== undefined)) throw errors.notFound({ group: GROUP, resource: plural }, '');
  if (req.method !== 'POST') throw errors.methodNotAllowed(`the server does not allow this method on the requested resource`);
  const body = decodeBody(await readBody(req), req.headers['content-type']);
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw errors.badRequest('the object provided is unrecognized (must be of type object)');
  if (body.kind !== undefined && body.kind !== kind) throw errors.badRequest(`the API version in the data (${body.apiVersion}) does not match the expected API version (${GROUP}/v1)`);
  const spec = body.spec ?? {};
  if (plural === 'localsubjectaccessreviews' && spec.resourceAttributes?.namespace !== undefined && spec.resourceAttributes.namespace !== ns) {
    throw errors.invalid(GROUP, kind, '', [{ type: 'FieldValueInvalid', field: 'spec.resourceAttributes.namespace', value: spec.resourceAttributes.namespace, detail: 'must match metadata.namespace' }]);
  }
  const status = plural === 'selfsubjectrulesreviews'
    ? { resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }], incomplete: false }
    : { allowed: true, reason };
  sendJSON(res, 201, { kind, apiVersion: `${GROUP}/v1`, metadata: { ...(ns ? { namespace: ns } : {}), creationTimestamp: null }, spec, status });
}
