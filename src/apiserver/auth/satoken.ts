// Bound service account tokens (upstream pkg/serviceaccount: claims.go, jwt.go, the bound-token validator).
//
//   new ServiceAccountTokens({key, issuer?, audiences?, get})
//     issue({serviceAccount, audiences, expirationSeconds, pod?, secret?, node?}) -> {token, expiresAt}
//       a JWT (RS256/ES256, see jwt.ts) with iss, sub system:serviceaccount:<ns>:<name>, aud, iat,
//       nbf, exp, jti and the `kubernetes.io` claim {namespace, serviceaccount, pod?, secret?, node?}.
//     authenticate(token) -> UserInfo | undefined   (a TokenAuthenticator for authn.ts)
//     review(token, audiences) -> {user, audiences} | undefined   the same for other audiences (TokenReview)
//       the token must carry our issuer, verify with our key, be within nbf..exp (60 s leeway, as
//       go-jose), name one of the API audiences, and its service account (and bound pod or secret;
//       node when bound to a node) must still exist with the same uid (deleting: for up to a minute past its deletionTimestamp).
//       The user is system:serviceaccount:<ns>:<name> (uid: the service account's) in the groups
//       system:serviceaccounts and system:serviceaccounts:<ns>, with upstream's extra keys.
//     Legacy tokens (issuer `kubernetes/serviceaccount`, no expiry, no audience: they count for the
//     API audiences), which the tokens controller writes into Secrets of type
//     kubernetes.io/service-account-token, are valid while that Secret holds the same token (and is
//     not marked kubernetes.io/legacy-token-invalid-since) and the account exists with the same uid.
//     Each day a legacy token is used, its Secret gets the label kubernetes.io/legacy-token-last-used
//     (YYYY-MM-DD), as upstream's LegacyServiceAccountTokenTracking.
import { createPublicKey, randomUUID, type KeyObject } from 'node:crypto';
import type { KObject } from '../../api/types.js';
import { algFor, decodeJwt, keyId, verifyJwt, signJwt, type JwtClaims } from '../../util/jwt.js';
import type { UserInfo } from './authn.js';

export const DEFAULT_ISSUER = 'https://kubernetes.default.svc.cluster.local';
/** k3s runs kube-apiserver with --api-audiences=<issuer>,k3s */
export const DEFAULT_API_AUDIENCES: readonly string[] = [DEFAULT_ISSUER, 'k3s'];
export const SERVICE_ACCOUNT_USER_PREFIX = 'system:serviceaccount:';
export const SERVICE_ACCOUNTS_GROUP = 'system:serviceaccounts';
/** the issuer of legacy (Secret-based) tokens */
export const LEGACY_ISSUER = 'kubernetes/serviceaccount';
export const LEGACY_LAST_USED_LABEL = 'kubernetes.io/legacy-token-last-used';
export const LEGACY_INVALID_SINCE_LABEL = 'kubernetes.io/legacy-token-invalid-since';
const LEEWAY_SECONDS = 60;

export type ObjectGetter = (resource: 'serviceaccounts' | 'pods' | 'secrets' | 'nodes', ns: string | undefined, name: string) => Promise<KObject | undefined>;

export interface ServiceAccountTokensOptions {
  /** the private signing key (RSA or EC P-256) */
  key: KeyObject;
  issuer?: string;
  /** the API server's audiences: what issued tokens default to, and what presented tokens must name one of */
  audiences?: readonly string[];
  /** reads live objects (service accounts, pods, secrets, nodes) */
  get: ObjectGetter;
  /** milliseconds since the epoch (tests) */
  now?: () => number;
  /** records that a legacy token Secret was used today (sets LEGACY_LAST_USED_LABEL); errors are ignored */
  markLegacyUsed?: (ns: string, name: string, day: string) => Promise<void>;
}

export interface IssueRequest {
  serviceAccount: KObject;
  audiences: string[];
  expirationSeconds: number;
  pod?: KObject;
  secret?: KObject;
  node?: { name: string; uid?: string };
  /** the token's exp is extended to expirationSeconds; clients are warned after this many seconds (the `warnafter` claim) */
  warnAfterSeconds?: number;
}

interface Ref { name: string; uid: string }

export function serviceAccountUsername(ns: string, name: string): string {
  return `${SERVICE_ACCOUNT_USER_PREFIX}${ns}:${name}`;
}

export class ServiceAccountTokens {
  readonly issuer: string;
  readonly audiences: readonly string[];
  private readonly publicKey: KeyObject;
  private readonly now: () => number;

  constructor(private readonly opts: ServiceAccountTokensOptions) {
    this.issuer = opts.issuer ?? DEFAULT_ISSUER;
    this.audiences = opts.audiences?.length ? opts.audiences : [this.issuer];
    this.publicKey = createPublicKey(opts.key);
    this.now = opts.now ?? Date.now;
  }

  issue(req: IssueRequest): { token: string; expiresAt: Date } {
    const sa = req.serviceAccount;
    const ns = sa.metadata.namespace!;
    const iat = Math.floor(this.now() / 1000);
    const exp = iat + req.expirationSeconds;
    const k8s: Record<string, unknown> = { namespace: ns };
    if (req.node) k8s.node = req.node.uid ? { name: req.node.name, uid: req.node.uid } : { name: req.node.name };
    if (req.pod) k8s.pod = ref(req.pod);
    if (req.secret) k8s.secret = ref(req.secret);
    k8s.serviceaccount = ref(sa);
    if (req.warnAfterSeconds !== undefined) k8s.warnafter = iat + req.warnAfterSeconds;
    const claims: JwtClaims = {
      aud: req.audiences.length ? req.audiences : [...this.audiences],
      exp, iat, iss: this.issuer, jti: randomUUID(), 'kubernetes.io': k8s, nbf: iat,
      sub: serviceAccountUsername(ns, sa.metadata.name!),
    };
    return { token: signJwt(claims, this.opts.key), expiresAt: new Date(exp * 1000) };
  }

  /** the OpenID Connect discovery documents (upstream's ServiceAccountIssuerDiscovery): the configuration, and the key set verifying tokens */
  discovery(jwksUri: string): { configuration: object; jwks: object } {
    const alg = algFor(this.publicKey);
    return {
      configuration: { issuer: this.issuer, jwks_uri: jwksUri, response_types_supported: ['id_token'], subject_types_supported: ['public'], id_token_signing_alg_values_supported: [alg] },
      jwks: { keys: [{ use: 'sig', ...this.publicKey.export({ format: 'jwk' }), kid: keyId(this.publicKey), alg }] },
    };
  }

  /** the user a token stands for; undefined when it is not ours or not valid (the server answers 401) */
  async authenticate(token: string): Promise<UserInfo | undefined> {
    return (await this.review(token, this.audiences))?.user;
  }

  /** as authenticate, for a token that must name one of `audiences`; also gives the audiences it names (TokenReview) */
  async review(token: string, audiences: readonly string[]): Promise<{ user: UserInfo; audiences: string[] } | undefined> {
    const d = decodeJwt(token);
    if (d?.claims.iss === LEGACY_ISSUER) return this.reviewLegacy(token, audiences);
    if (!d || d.claims.iss !== this.issuer) return undefined; // not a token of ours
    const c = verifyJwt(token, [this.publicKey]);
    if (!c) return undefined;
    const now = this.now() / 1000;
    if (typeof c.exp !== 'number' || now > c.exp + LEEWAY_SECONDS) return undefined;
    if (typeof c.nbf === 'number' && now < c.nbf - LEEWAY_SECONDS) return undefined;
    if (typeof c.iat === 'number' && now < c.iat - LEEWAY_SECONDS) return undefined;
    const aud = typeof c.aud === 'string' ? [c.aud] : Array.isArray(c.aud) ? c.aud : [];
    const matched = audiences.filter((a) => aud.includes(a));
    if (!matched.length) return undefined;
    const k = c['kubernetes.io'] as { namespace?: string; serviceaccount?: Ref; pod?: Ref; secret?: Ref; node?: Partial<Ref> } | undefined;
    const ns = k?.namespace;
    if (!ns || !k.serviceaccount?.name || c.sub !== serviceAccountUsername(ns, k.serviceaccount.name)) return undefined;

    if (!live(await this.opts.get('serviceaccounts', ns, k.serviceaccount.name), k.serviceaccount.uid, now * 1000)) return undefined;
    if (k.pod && !live(await this.opts.get('pods', ns, k.pod.name), k.pod.uid, now * 1000)) return undefined;
    if (k.secret && !live(await this.opts.get('secrets', ns, k.secret.name), k.secret.uid, now * 1000)) return undefined;
    if (k.node?.name && !k.pod && !live(await this.opts.get('nodes', undefined, k.node.name), k.node.uid ?? '', now * 1000)) return undefined;

    const extra: Record<string, string[]> = {};
    if (typeof c.jti === 'string') extra['authentication.kubernetes.io/credential-id'] = [`JTI=${c.jti}`];
    if (k.node?.name) extra['authentication.kubernetes.io/node-name'] = [k.node.name];
    if (k.node?.uid) extra['authentication.kubernetes.io/node-uid'] = [k.node.uid];
    if (k.pod) {
      extra['authentication.kubernetes.io/pod-name'] = [k.pod.name];
      extra['authentication.kubernetes.io/pod-uid'] = [k.pod.uid];
    }
    const user: UserInfo = {
      name: serviceAccountUsername(ns, k.serviceaccount.name), uid: k.serviceaccount.uid,
      groups: [SERVICE_ACCOUNTS_GROUP, `${SERVICE_ACCOUNTS_GROUP}:${ns}`],
      ...(Object.keys(extra).length ? { extra } : {}),
    };
    return { user, audiences: matched };
  }

  /** upstream pkg/serviceaccount/legacy.go: validator.Validate, with the lookups on */
  private async reviewLegacy(token: string, audiences: readonly string[]): Promise<{ user: UserInfo; audiences: string[] } | undefined> {
    const c = verifyJwt(token, [this.publicKey]);
    if (!c) return undefined;
    // a legacy token names no audience: it is good for the API server's own
    const matched = audiences.filter((a) => this.audiences.includes(a));
    if (!matched.length) return undefined;
    const claim = (k: string) => { const v = c[`kubernetes.io/serviceaccount/${k}`]; return typeof v === 'string' ? v : ''; };
    const ns = claim('namespace'), secretName = claim('secret.name'), saName = claim('service-account.name'), saUid = claim('service-account.uid');
    if (!ns || !secretName || !saName || !saUid || c.sub !== serviceAccountUsername(ns, saName)) return undefined;
    const secret = await this.opts.get('secrets', ns, secretName);
    if (!secret || secret.metadata.deletionTimestamp || secret.metadata.labels?.[LEGACY_INVALID_SINCE_LABEL] !== undefined) return undefined;
    if (Buffer.from(String(secret.data?.token ?? ''), 'base64').toString() !== token) return undefined;
    const sa = await this.opts.get('serviceaccounts', ns, saName);
    if (!sa || sa.metadata.deletionTimestamp || sa.metadata.uid !== saUid) return undefined;
    const day = new Date(this.now()).toISOString().slice(0, 10);
    if (this.opts.markLegacyUsed && secret.metadata.labels?.[LEGACY_LAST_USED_LABEL] !== day) this.opts.markLegacyUsed(ns, secretName, day).catch(() => {});
    return { user: { name: serviceAccountUsername(ns, saName), uid: saUid, groups: [SERVICE_ACCOUNTS_GROUP, `${SERVICE_ACCOUNTS_GROUP}:${ns}`] }, audiences: matched };
  }
}

function ref(o: KObject): Ref {
  return { name: o.metadata.name!, uid: o.metadata.uid! };
}

/** the object exists with that uid, and if it is being deleted, its deletionTimestamp is less than a minute past (as upstream) */
function live(o: KObject | undefined, uid: string, nowMs: number): boolean {
  if (!o || o.metadata.uid !== uid) return false;
  const del = o.metadata.deletionTimestamp ? Date.parse(o.metadata.deletionTimestamp) : NaN;
  return Number.isNaN(del) || del >= nowMs - LEEWAY_SECONDS * 1000;
}
