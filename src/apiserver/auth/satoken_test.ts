// JWT signing/verification (jwt.ts) and service account token issue/authenticate (satoken.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, createPublicKey, createHmac } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KObject } from '../../api/types.js';
import { decodeJwt, keyId, signJwt, verifyJwt } from '../../util/jwt.js';
import { ServiceAccountTokens, DEFAULT_ISSUER, type ObjectGetter } from './satoken.js';
import { ensureServiceAccountKey } from './sakey.js';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;

function tamper(token: string, f: (claims: any) => void): string {
  const [h, p, s] = token.split('.');
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
  f(claims);
  return `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
}

test('jwt: RS256 and ES256 tokens verify with their key only', () => {
  for (const [key, alg] of [[rsa, 'RS256'], [ec, 'ES256']] as const) {
    const t = signJwt({ sub: 'x', n: 1 }, key);
    const d = decodeJwt(t)!;
    assert.equal(d.header.alg, alg);
    assert.equal(d.header.kid, keyId(key));
    assert.equal(keyId(key), keyId(createPublicKey(key)));
    assert.deepEqual(verifyJwt(t, [createPublicKey(key)]), { sub: 'x', n: 1 });
    if (alg === 'ES256') assert.equal(Buffer.from(t.split('.')[2], 'base64url').length, 64, 'JWS ES256 signatures are raw r||s');
    assert.equal(verifyJwt(t, [createPublicKey(key === rsa ? ec : rsa)]), undefined);
    assert.equal(verifyJwt(tamper(t, (c) => { c.sub = 'y'; }), [createPublicKey(key)]), undefined);
  }
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  assert.equal(verifyJwt(signJwt({ a: 1 }, other), [createPublicKey(rsa)]), undefined);
});

test('jwt: the token cannot choose alg none or HS256 keyed with the public key', () => {
  const pub = createPublicKey(rsa);
  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const none = `${enc({ alg: 'none' })}.${enc({ sub: 'x' })}.`;
  assert.equal(verifyJwt(none, [pub]), undefined);
  const input = `${enc({ alg: 'HS256' })}.${enc({ sub: 'x' })}`;
  const hs = `${input}.${createHmac('sha256', pub.export({ type: 'spki', format: 'pem' })).update(input).digest('base64url')}`;
  assert.equal(verifyJwt(hs, [pub]), undefined);
  assert.equal(decodeJwt('a.b'), undefined);
  assert.equal(decodeJwt('!!.b.c'), undefined);
});

function fixture() {
  const objs = new Map<string, KObject>();
  const put = (resource: string, ns: string | undefined, name: string, uid: string, extra: Partial<KObject['metadata']> = {}) => {
    const o = { metadata: { name, namespace: ns, uid, ...extra } } as KObject;
    objs.set(`${resource}/${ns ?? ''}/${name}`, o);
    return o;
  };
  const get: ObjectGetter = async (resource, ns, name) => objs.get(`${resource}/${ns ?? ''}/${name}`);
  let now = Date.parse('2026-01-01T00:00:00Z');
  const tokens = new ServiceAccountTokens({ key: rsa, audiences: [DEFAULT_ISSUER, 'k3s'], get, now: () => now });
  return { objs, put, tokens, tick: (s: number) => { now += s * 1000; } };
}

test('issue: upstream claims; authenticate: the service account user', async () => {
  const f = fixture();
  const sa = f.put('serviceaccounts', 'ns1', 'builder', 'sa-uid');
  const pod = f.put('pods', 'ns1', 'web', 'pod-uid');
  const { token, expiresAt } = f.tokens.issue({ serviceAccount: sa, audiences: [], expirationSeconds: 3600, pod, node: { name: 'n1', uid: 'node-uid' } });
  assert.equal(expiresAt.toISOString(), '2026-01-01T01:00:00.000Z');
  const c = decodeJwt(token)!.claims as any;
  assert.equal(c.iss, 'https://kubernetes.default.svc.cluster.local');
  assert.equal(c.sub, 'system:serviceaccount:ns1:builder');
  assert.deepEqual(c.aud, [DEFAULT_ISSUER, 'k3s']);
  assert.equal(c.iat, Date.parse('2026-01-01T00:00:00Z') / 1000);
  assert.equal(c.nbf, c.iat);
  assert.equal(c.exp, c.iat + 3600);
  assert.match(c.jti, /^[0-9a-f-]{36}$/);
  assert.deepEqual(c['kubernetes.io'], { namespace: 'ns1', node: { name: 'n1', uid: 'node-uid' }, pod: { name: 'web', uid: 'pod-uid' }, serviceaccount: { name: 'builder', uid: 'sa-uid' } });

  const ext = decodeJwt(f.tokens.issue({ serviceAccount: sa, audiences: ['k3s'], expirationSeconds: 86400, pod, warnAfterSeconds: 3607 }).token)!.claims as any;
  assert.equal(ext['kubernetes.io'].warnafter, ext.iat + 3607);
  assert.equal(ext.exp, ext.iat + 86400);

  const user = await f.tokens.authenticate(token);
  assert.deepEqual(user, {
    name: 'system:serviceaccount:ns1:builder', uid: 'sa-uid', groups: ['system:serviceaccounts', 'system:serviceaccounts:ns1'],
    extra: {
      'authentication.kubernetes.io/credential-id': [`JTI=${c.jti}`], 'authentication.kubernetes.io/node-name': ['n1'], 'authentication.kubernetes.io/node-uid': ['node-uid'],
      'authentication.kubernetes.io/pod-name': ['web'], 'authentication.kubernetes.io/pod-uid': ['pod-uid'],
    },
  });
});

test('authenticate rejects expired, not-yet-valid, foreign-audience, tampered and foreign tokens', async () => {
  const f = fixture();
  const sa = f.put('serviceaccounts', 'default', 'default', 'u1');
  const t = f.tokens.issue({ serviceAccount: sa, audiences: [], expirationSeconds: 600 }).token;
  assert.ok(await f.tokens.authenticate(t));
  f.tick(600 + 59);
  assert.ok(await f.tokens.authenticate(t), 'a minute of leeway');
  f.tick(2);
  assert.equal(await f.tokens.authenticate(t), undefined, 'expired');

  const g = fixture();
  g.put('serviceaccounts', 'default', 'default', 'u1');
  const t2 = g.tokens.issue({ serviceAccount: sa, audiences: [], expirationSeconds: 600 }).token;
  g.tick(-120);
  assert.equal(await g.tokens.authenticate(t2), undefined, 'not yet valid');
  g.tick(120);
  assert.equal(await g.tokens.authenticate(g.tokens.issue({ serviceAccount: sa, audiences: ['vault'], expirationSeconds: 600 }).token), undefined, 'audience');
  assert.ok(await g.tokens.authenticate(g.tokens.issue({ serviceAccount: sa, audiences: ['vault', 'k3s'], expirationSeconds: 600 }).token));
  assert.equal(await g.tokens.authenticate(tamper(t2, (c) => { c['kubernetes.io'].serviceaccount.name = 'admin'; })), undefined, 'tampered');
  const foreign = new ServiceAccountTokens({ key: ec, get: async () => sa });
  assert.equal(await g.tokens.authenticate(foreign.issue({ serviceAccount: sa, audiences: [], expirationSeconds: 600 }).token), undefined, 'other key');
  assert.equal(await g.tokens.authenticate('K10abc::server:xyz'), undefined);
});

test('authenticate follows the service account and the bound pod', async () => {
  const f = fixture();
  const sa = f.put('serviceaccounts', 'default', 'default', 'u1');
  const pod = f.put('pods', 'default', 'p', 'p1');
  const plain = f.tokens.issue({ serviceAccount: sa, audiences: [], expirationSeconds: 3600 }).token;
  const bound = f.tokens.issue({ serviceAccount: sa, audiences: [], expirationSeconds: 3600, pod }).token;
  assert.ok(await f.tokens.authenticate(bound));
  // pod recreated under the same name
  f.put('pods', 'default', 'p', 'p2');
  assert.equal(await f.tokens.authenticate(bound), undefined);
  // pod being deleted: valid until a minute past its deletionTimestamp
  f.put('pods', 'default', 'p', 'p1', { deletionTimestamp: '2026-01-01T00:00:30Z' });
  assert.ok(await f.tokens.authenticate(bound));
  f.tick(100);
  assert.equal(await f.tokens.authenticate(bound), undefined);
  f.objs.delete('pods/default/p');
  assert.equal(await f.tokens.authenticate(bound), undefined);
  assert.ok(await f.tokens.authenticate(plain));
  // service account recreated
  f.put('serviceaccounts', 'default', 'default', 'u2');
  assert.equal(await f.tokens.authenticate(plain), undefined);
  f.objs.delete('serviceaccounts/default/default');
  assert.equal(await f.tokens.authenticate(plain), undefined);
});

test('ensureServiceAccountKey creates service.key once (0600) and reuses it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-sakey-'));
  try {
    const k1 = await ensureServiceAccountKey(dir);
    assert.equal(k1.asymmetricKeyType, 'ec');
    assert.equal(k1.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.equal((await stat(join(dir, 'service.key'))).mode & 0o777, 0o600);
    const pem = await readFile(join(dir, 'service.key'), 'utf8');
    const k2 = await ensureServiceAccountKey(dir);
    assert.equal(keyId(k2), keyId(k1));
    assert.equal(await readFile(join(dir, 'service.key'), 'utf8'), pem);
    // a cluster made when keys were RSA keeps its key
    await writeFile(join(dir, 'service.key'), rsa.export({ type: 'pkcs8', format: 'pem' }) as string, { mode: 0o600 });
    assert.equal(keyId(await ensureServiceAccountKey(dir)), keyId(rsa));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
