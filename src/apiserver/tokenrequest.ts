// serviceaccounts/token (the TokenRequest API, upstream pkg/registry/core/serviceaccount/storage/token.go)
// and selfsubjectreviews (authentication.k8s.io, what `kubectl auth whoami` asks).
//
//   handleTokenRequest(req, res, {tokens, get, ns, name})
//     POST an authentication.k8s.io/v1 TokenRequest: spec.expirationSeconds defaults to 3600 (at
//     least 600, at most 2^32), spec.audiences to the API audiences; spec.boundObjectRef may name a
//     Pod, Secret or Node (the pod must run as this service account; a uid that does not match is
//     409). Answers 201 with the TokenRequest and status {token, expirationTimestamp}.
//     As kube-apiserver's --service-account-extend-token-expiration (on by default): a pod-bound
//     token for the API audiences asked for 3607 s (what the kubelet's kube-api-access volume asks)
//     is valid for a year with `warnafter` at 3607 s; the status still reports 3607 s.
//   handleSelfSubjectReview(req, res, {user, version}) 201 with status.userInfo of the caller.
//   selfSubjectReviewPath                              /apis/authentication.k8s.io/<v1|v1beta1|v1alpha1>/selfsubjectreviews
//   handleTokenReview(req, res, review)                POST authentication.k8s.io/v1 TokenReview: 201 with status
//     {authenticated, user, audiences} (spec.audiences default to the API audiences), or {error}
//   authenticationResources                            the group's create-only resources, for discovery
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors, StatusError } from '../api/status.js';
import type { KObject, ResourceInfo } from '../api/types.js';
import { decodeBody, readBody, sendJSON } from './http.js';
import type { ObjectGetter, ServiceAccountTokens } from './auth/satoken.js';
import type { UserInfo } from './auth/authn.js';

export const AUTHN_GROUP = 'authentication.k8s.io';
const MIN_EXPIRATION_SECONDS = 600;
const MAX_EXPIRATION_SECONDS = 2 ** 32;
const DEFAULT_EXPIRATION_SECONDS = 3600;
/** upstream serviceaccount.WarnOnlyBoundTokenExpirationSeconds and ExpirationExtensionSeconds */
const WARN_ONLY_EXPIRATION_SECONDS = 3607;
const EXTENDED_EXPIRATION_SECONDS = 24 * 365 * 3600;

export interface TokenRequestContext {
  tokens: ServiceAccountTokens;
  get: ObjectGetter;
  ns: string;
  name: string;
}

export async function handleTokenRequest(req: IncomingMessage, res: ServerResponse, ctx: TokenRequestContext): Promise<void> {
  if (req.method !== 'POST') throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
  const body = decodeBody(await readBody(req), req.headers['content-type']);
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw errors.badRequest('the object provided is unrecognized (must be of type object)');
  if (body.kind !== undefined && body.kind !== 'TokenRequest') throw errors.badRequest(`no kind "${body.kind}" is registered for version "${body.apiVersion ?? ''}"`);
  if (body.apiVersion !== undefined && body.apiVersion !== `${AUTHN_GROUP}/v1`) throw errors.badRequest(`the API version in the data (${body.apiVersion}) does not match the expected API version (${AUTHN_GROUP}/v1)`);
  const spec = body.spec && typeof body.spec === 'object' ? { ...body.spec } : {};
  spec.expirationSeconds ??= DEFAULT_EXPIRATION_SECONDS;
  const { name, ns } = ctx;
  const exp = spec.expirationSeconds;
  if (typeof exp !== 'number' || !Number.isInteger(exp)) throw invalid(name, 'FieldValueInvalid', 'spec.expirationSeconds', exp, 'must be an integer');
  if (exp < MIN_EXPIRATION_SECONDS) throw invalid(name, 'FieldValueInvalid', 'spec.expirationSeconds', exp, 'may not specify a duration less than 10 minutes');
  if (exp > MAX_EXPIRATION_SECONDS) throw invalid(name, 'FieldValueTooLong', 'spec.expirationSeconds', exp, 'may not specify a duration larger than 2^32 seconds');
  if (spec.audiences !== undefined && spec.audiences !== null && (!Array.isArray(spec.audiences) || spec.audiences.some((a: unknown) => typeof a !== 'string'))) {
    throw errors.badRequest('spec.audiences must be a list of strings');
  }
  spec.audiences = spec.audiences?.length ? [...spec.audiences] : [...ctx.tokens.audiences];

  const sa = await ctx.get('serviceaccounts', ns, name);
  if (!sa) throw errors.notFound({ group: '', resource: 'serviceaccounts' }, name);

  let pod: KObject | undefined;
  let secret: KObject | undefined;
  let node: { name: string; uid?: string } | undefined;
  const ref = spec.boundObjectRef;
  if (ref !== undefined && ref !== null) {
    const apiVersion = String(ref.apiVersion ?? '');
    const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
    const version = apiVersion.includes('/') ? apiVersion.slice(apiVersion.indexOf('/') + 1) : apiVersion;
    const kind = String(ref.kind ?? '');
    const refName = String(ref.name ?? '');
    let uid: string | undefined;
    if (group === '' && kind === 'Pod') {
      pod = await ctx.get('pods', ns, refName);
      if (!pod) throw errors.notFound({ group: '', resource: 'pods' }, refName);
      if ((pod.spec?.serviceAccountName ?? '') !== name) throw errors.badRequest(`cannot bind token for serviceaccount "${name}" to pod running with different serviceaccount name.`);
      uid = pod.metadata.uid;
      const nodeName = pod.spec?.nodeName;
      if (nodeName) node = { name: nodeName, uid: (await ctx.get('nodes', undefined, nodeName))?.metadata.uid };
    } else if (group === '' && kind === 'Secret') {
      secret = await ctx.get('secrets', ns, refName);
      if (!secret) throw errors.notFound({ group: '', resource: 'secrets' }, refName);
      uid = secret.metadata.uid;
    } else if (group === '' && kind === 'Node') {
      const n = await ctx.get('nodes', undefined, refName);
      if (!n) throw errors.notFound({ group: '', resource: 'nodes' }, refName);
      node = { name: refName, uid: n.metadata.uid };
      uid = n.metadata.uid;
    } else {
      throw errors.badRequest(`cannot bind token to object of type ${group}/${version}, Kind=${kind}`);
    }
    if (ref.uid && ref.uid !== uid) {
      throw errors.conflict({ group: '', resource: kind }, refName, `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
    }
  }

  const extend = pod !== undefined && exp === WARN_ONLY_EXPIRATION_SECONDS && sameSet(spec.audiences, ctx.tokens.audiences);
  const { token } = ctx.tokens.issue({
    serviceAccount: sa, audiences: spec.audiences, expirationSeconds: extend ? EXTENDED_EXPIRATION_SECONDS : exp, pod, secret, node,
    ...(extend ? { warnAfterSeconds: exp } : {}),
  });
  const expiresAt = new Date((Math.floor(Date.now() / 1000) + exp) * 1000);
  sendJSON(res, 201, {
    kind: 'TokenRequest', apiVersion: `${AUTHN_GROUP}/v1`,
    metadata: { ...(body.metadata && typeof body.metadata === 'object' ? body.metadata : {}), name, namespace: ns, creationTimestamp: null },
    spec,
    status: { token, expirationTimestamp: expiresAt.toISOString().replace(/\.\d+Z$/, 'Z') },
  });
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

function invalid(name: string, type: 'FieldValueInvalid' | 'FieldValueTooLong', field: string, value: unknown, detail: string): StatusError {
  return errors.invalid(AUTHN_GROUP, 'TokenRequest', name, [{ type, field, value, detail }]);
}

export const selfSubjectReviewPath = /^\/apis\/authentication\.k8s\.io\/(v1|v1beta1|v1alpha1)\/selfsubjectreviews\/?$/;

export async function handleSelfSubjectReview(req: IncomingMessage, res: ServerResponse, { user, version }: { user: UserInfo; version: string }): Promise<void> {
  if (req.method !== 'POST') throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
  await readBody(req);
  const userInfo: Record<string, unknown> = { username: user.name };
  if (user.uid) userInfo.uid = user.uid;
  userInfo.groups = user.groups;
  if (user.extra && Object.keys(user.extra).length) userInfo.extra = user.extra;
  sendJSON(res, 201, { kind: 'SelfSubjectReview', apiVersion: `${AUTHN_GROUP}/${version}`, metadata: { creationTimestamp: null }, status: { userInfo } });
}

export const tokenReviewPath = /^\/apis\/authentication\.k8s\.io\/v1\/tokenreviews\/?$/;

/** reviews a bearer token for audiences (empty: the API audiences) */
export type TokenReviewer = (token: string, audiences: string[]) => Promise<{ user: UserInfo; audiences: string[] } | undefined>;

export async function handleTokenReview(req: IncomingMessage, res: ServerResponse, review: TokenReviewer): Promise<void> {
  if (req.method !== 'POST') throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
  const body = decodeBody(await readBody(req), req.headers['content-type']);
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw errors.badRequest('the object provided is unrecognized (must be of type object)');
  if (body.kind !== undefined && body.kind !== 'TokenReview') throw errors.badRequest(`no kind "${body.kind}" is registered for version "${body.apiVersion ?? ''}"`);
  const spec = body.spec && typeof body.spec === 'object' ? body.spec : {};
  if (typeof spec.token !== 'string' || !spec.token) throw errors.badRequest('token is required for TokenReview in authentication');
  const audiences = Array.isArray(spec.audiences) ? spec.audiences.filter((a: unknown): a is string => typeof a === 'string') : [];
  const r = await review(spec.token, audiences);
  let status: Record<string, unknown>;
  if (r) {
    const user: Record<string, unknown> = { username: r.user.name };
    if (r.user.uid) user.uid = r.user.uid;
    user.groups = r.user.groups;
    if (r.user.extra && Object.keys(r.user.extra).length) user.extra = r.user.extra;
    status = { authenticated: true, user, audiences: r.audiences };
  } else {
    status = { user: {}, error: '[invalid bearer token, token lookup failed]' };
  }
  sendJSON(res, 201, { kind: 'TokenReview', apiVersion: `${AUTHN_GROUP}/v1`, metadata: { creationTimestamp: null }, spec, status });
}

export const authenticationResources: ResourceInfo[] = [
  { group: AUTHN_GROUP, version: 'v1', kind: 'SelfSubjectReview', plural: 'selfsubjectreviews', singular: 'selfsubjectreview', namespaced: false, verbs: ['create'] },
  { group: AUTHN_GROUP, version: 'v1', kind: 'TokenReview', plural: 'tokenreviews', singular: 'tokenreview', namespaced: false, verbs: ['create'] },
];
