// Compact JWS (JWT) signing and verification with node:crypto, for service account tokens.
//
//   signJwt(claims, key) -> string            RS256 for RSA keys, ES256 for P-256 keys; header {alg, kid}
//   verifyJwt(token, keys) -> claims | undefined
//       the signature must verify with one of `keys` (public or private KeyObjects) whose algorithm
//       matches the header's alg; time and audience checks are the caller's (see satoken.ts).
//   decodeJwt(token) -> {header, claims} | undefined   parses without verifying
//   keyId(key) -> string                      as upstream: base64url(sha256(DER SubjectPublicKeyInfo))
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

export type JwtClaims = Record<string, unknown>;
export interface JwtHeader { alg: string; kid?: string; typ?: string }
type Alg = 'RS256' | 'ES256';

export function algFor(key: KeyObject): Alg {
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  throw new Error(`unsupported service account signing key type ${key.asymmetricKeyType}`);
}

// deriving the public key and hashing it cost more than the ES256 signature itself: once per key
const keyIds = new WeakMap<KeyObject, string>();

export function keyId(key: KeyObject): string {
  let id = keyIds.get(key);
  if (id === undefined) {
    const pub = key.type === 'private' ? createPublicKey(key) : key;
    id = createHash('sha256').update(pub.export({ type: 'spki', format: 'der' })).digest('base64url');
    keyIds.set(key, id);
  }
  return id;
}

export function signJwt(claims: JwtClaims, key: KeyObject): string {
  const alg = algFor(key);
  const header: JwtHeader = { alg, kid: keyId(key) };
  const input = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(claims))}`;
  const sig = sign('sha256', Buffer.from(input), alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key);
  return `${input}.${sig.toString('base64url')}`;
}

export function decodeJwt(token: string): { header: JwtHeader; claims: JwtClaims } | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))) return undefined;
  try {
    const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    if (!isRecord(header) || typeof header.alg !== 'string' || !isRecord(claims)) return undefined;
    return { header: header as unknown as JwtHeader, claims };
  } catch {
    return undefined;
  }
}

export function verifyJwt(token: string, keys: KeyObject[]): JwtClaims | undefined {
  const d = decodeJwt(token);
  if (!d) return undefined;
  const [h, p, s] = token.split('.');
  const input = Buffer.from(`${h}.${p}`);
  const sig = Buffer.from(s, 'base64url');
  for (const key of keys) {
    let alg: Alg;
    try { alg = algFor(key); } catch { continue; }
    if (alg !== d.header.alg) continue; // never let the token pick the algorithm ("none", HS256 with a public key)
    if (d.header.kid && d.header.kid !== keyId(key)) continue;
    const ok = verify('sha256', input, alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key, sig);
    if (ok) return d.claims;
  }
  return undefined;
}

function b64(s: string): string { return Buffer.from(s, 'utf8').toString('base64url'); }

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
