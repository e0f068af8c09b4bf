// Service account tokens end to end (API only): TokenRequest via `kubectl create token`, bearer
// authentication with those tokens (kubectl auth whoami, @kubernetes/client-node, python), 401 for
// expired / tampered / orphaned tokens, and the kube-api-access volume added to new pods.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { join } from 'node:path';
import { get as httpsGet } from 'node:https';
import { connect as tlsConnect, checkServerIdentity, type PeerCertificate } from 'node:tls';
import { parse, stringify } from 'yaml';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { startK8ts, kubectl, kc, kubectlPath, type ServerHandle } from './harness.js';
import { decodeJwt, signJwt, verifyJwt } from '../util/jwt.js';
import { requirePrereq } from '../util/prereq.js';
import { eventually } from './poll.js';

const NS = 'sa-e2e';

describe('service account tokens', () => {
  let srv: ServerHandle;
  let caData: string;
  let n = 0;

  /** a kubeconfig that authenticates with `token` only */
  function tokenKubeconfig(token: string): string {
    const path = join(srv.dataDir, `token-${++n}.kubeconfig`);
    writeFileSync(path, stringify({
      apiVersion: 'v1', kind: 'Config', 'current-context': 't',
      clusters: [{ name: 't', cluster: { server: srv.url, 'certificate-authority-data': caData } }],
      users: [{ name: 't', user: { token } }],
      contexts: [{ name: 't', context: { cluster: 't', user: 't', namespace: NS } }],
    }));
    return path;
  }

  function createToken(args: string[] = []): string {
    return kc(srv.kubeconfig, ['-n', NS, 'create', 'token', 'default', ...args]).trim();
  }

  before(async () => {
    // a service CIDR other than the default: in-cluster clients connect to its first address
    srv = await startK8ts({ args: ['--service-cidr', '10.44.0.0/24'] });
    caData = parse(readFileSync(srv.kubeconfig, 'utf8')).clusters[0].cluster['certificate-authority-data'];
    kc(srv.kubeconfig, ['create', 'namespace', NS]);
    // the serviceaccount controller creates `default`
    for (let i = 0; i < 100 && kubectl(srv.kubeconfig, ['-n', NS, 'get', 'sa', 'default']).code !== 0; i++) await new Promise((r) => setTimeout(r, 100));
  });
  after(async () => { await srv?.stop(); });

  it('kubectl create token gives a signed JWT with upstream claims', () => {
    const token = createToken();
    const d = decodeJwt(token);
    assert.ok(d, token);
    assert.equal(d.header.alg, 'ES256');
    const c = d.claims as any;
    const uid = kc(srv.kubeconfig, ['-n', NS, 'get', 'sa', 'default', '-o', 'jsonpath={.metadata.uid}']);
    assert.equal(c.iss, 'https://kubernetes.default.svc.cluster.local');
    assert.equal(c.sub, `system:serviceaccount:${NS}:default`);
    assert.deepEqual(c.aud, ['https://kubernetes.default.svc.cluster.local', 'k3s']);
    assert.equal(c.exp - c.iat, 3600);
    assert.deepEqual(c['kubernetes.io'], { namespace: NS, serviceaccount: { name: 'default', uid } });

    const c2 = decodeJwt(createToken(['--duration=20m', '--audience=vault']))!.claims as any;
    assert.equal(c2.exp - c2.iat, 1200);
    assert.deepEqual(c2.aud, ['vault']);
  });

  it('kubectl auth whoami (1.32 and 1.27) and GETs authenticate as the service account', () => {
    const cfg = tokenKubeconfig(createToken());
    const uid = kc(srv.kubeconfig, ['-n', NS, 'get', 'sa', 'default', '-o', 'jsonpath={.metadata.uid}']);
    for (const version of [undefined, '1.27']) {
      if (version && !existsSync(kubectlPath(version))) continue;
      const who = JSON.parse(kc(cfg, ['auth', 'whoami', '-o', 'json'], { version }));
      assert.equal(who.kind, 'SelfSubjectReview');
      assert.equal(who.status.userInfo.username, `system:serviceaccount:${NS}:default`);
      assert.equal(who.status.userInfo.uid, uid);
      assert.deepEqual(who.status.userInfo.groups, ['system:serviceaccounts', `system:serviceaccounts:${NS}`, 'system:authenticated']);
      assert.match(who.status.userInfo.extra['authentication.kubernetes.io/credential-id'][0], /^JTI=/);
    }
    // RBAC: a service account may do nothing until a role is bound to it
    const denied = kubectl(cfg, ['get', 'serviceaccounts']);
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, new RegExp(`serviceaccounts is forbidden: User "system:serviceaccount:${NS}:default" cannot list resource "serviceaccounts" in API group "" in the namespace "${NS}"`));
    assert.equal(kubectl(cfg, ['auth', 'can-i', 'list', 'pods']).stdout.trim(), 'no');
    // `view` for every service account of the namespace: reads, but no writes and no secrets
    kc(srv.kubeconfig, ['-n', NS, 'create', 'rolebinding', 'sa-view', '--clusterrole=view', `--group=system:serviceaccounts:${NS}`]);
    assert.match(kc(cfg, ['get', 'serviceaccounts', '-o', 'name']), /serviceaccount\/default/);
    assert.equal(kubectl(cfg, ['auth', 'can-i', 'list', 'pods']).stdout.trim(), 'yes');
    assert.equal(kubectl(cfg, ['auth', 'can-i', 'list', 'pods', '-n', 'default']).stdout.trim(), 'no');
    assert.equal(kubectl(cfg, ['auth', 'can-i', 'get', 'secrets']).stdout.trim(), 'no');
    assert.match(kubectl(cfg, ['create', 'configmap', 'from-sa', '--from-literal=a=b']).stderr, /configmaps is forbidden: .* cannot create resource "configmaps"/);
    // `edit` for this account: it may write
    kc(srv.kubeconfig, ['-n', NS, 'create', 'rolebinding', 'sa-edit', '--clusterrole=edit', `--serviceaccount=${NS}:default`]);
    kc(cfg, ['create', 'configmap', 'from-sa', '--from-literal=a=b']);
    assert.match(kubectl(cfg, ['auth', 'can-i', '--list']).stdout, /^configmaps\s+\[\]\s+\[\]\s+\[[^\]]*create[^\]]*\]/m);
    // and the admin may act as it (impersonation), which it may not do itself
    assert.equal(kubectl(srv.kubeconfig, ['auth', 'can-i', 'create', 'configmaps', '-n', NS, `--as=system:serviceaccount:${NS}:default`]).stdout.trim(), 'yes');
    assert.match(kubectl(cfg, ['get', 'pods', '--as=system:admin']).stderr, /users "system:admin" is forbidden: User "system:serviceaccount:[^"]+" cannot impersonate resource "users" in API group "" at the cluster scope/);
  });

  it('expired, tampered, foreign-audience and orphaned tokens get 401', () => {
    const good = createToken();
    const [h, p, s] = good.split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: 'system:serviceaccount:kube-system:default' })).toString('base64url')}.${s}`;
    // signed with the cluster's own key, but expired two minutes ago (past the one minute leeway)
    const key = createPrivateKey(readFileSync(join(srv.dataDir, 'tls', 'service.key')));
    const now = Math.floor(Date.now() / 1000);
    const expired = signJwt({ ...claims, iat: now - 1000, nbf: now - 1000, exp: now - 120 }, key);
    const stillValid = signJwt({ ...claims, iat: now - 1000, nbf: now - 1000, exp: now + 600 }, key);
    const vault = createToken(['--audience=vault']);
    assert.equal(kubectl(tokenKubeconfig(stillValid), ['get', 'sa']).code, 0, 'a token signed with service.key is accepted');
    for (const [what, t] of [['expired', expired], ['tampered', tampered], ['audience', vault], ['garbage', 'a.b.c']]) {
      const r = kubectl(tokenKubeconfig(t), ['get', 'sa']);
      assert.notEqual(r.code, 0, what);
      assert.match(r.stderr, /You must be logged in to the server|Unauthorized/, what);
    }
    // the service account is deleted and created again: its old tokens stop working
    kc(srv.kubeconfig, ['-n', NS, 'create', 'sa', 'temp']);
    const temp = kc(srv.kubeconfig, ['-n', NS, 'create', 'token', 'temp']).trim();
    assert.equal(kubectl(tokenKubeconfig(temp), ['get', 'sa']).code, 0);
    kc(srv.kubeconfig, ['-n', NS, 'delete', 'sa', 'temp']);
    kc(srv.kubeconfig, ['-n', NS, 'create', 'sa', 'temp']);
    assert.notEqual(kubectl(tokenKubeconfig(temp), ['get', 'sa']).code, 0);
  });

  it('TokenRequest errors as upstream; pod-bound tokens', () => {
    let r = kubectl(srv.kubeconfig, ['-n', NS, 'create', 'token', 'ghost']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /serviceaccounts "ghost" not found/);
    r = kubectl(srv.kubeconfig, ['-n', NS, 'create', 'token', 'default', '--duration=1m']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /may not specify a duration less than 10 minutes/);

    kc(srv.kubeconfig, ['-n', NS, 'run', 'bound', '--image=busybox']);
    const podUid = kc(srv.kubeconfig, ['-n', NS, 'get', 'pod', 'bound', '-o', 'jsonpath={.metadata.uid}']);
    const t = kc(srv.kubeconfig, ['-n', NS, 'create', 'token', 'default', '--bound-object-kind=Pod', '--bound-object-name=bound', `--bound-object-uid=${podUid}`]).trim();
    assert.deepEqual((decodeJwt(t)!.claims as any)['kubernetes.io'].pod, { name: 'bound', uid: podUid });
    const who = JSON.parse(kc(tokenKubeconfig(t), ['auth', 'whoami', '-o', 'json']));
    assert.deepEqual(who.status.userInfo.extra['authentication.kubernetes.io/pod-uid'], [podUid]);
    r = kubectl(srv.kubeconfig, ['-n', NS, 'create', 'token', 'default', '--bound-object-kind=Pod', '--bound-object-name=bound', '--bound-object-uid=nope']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /the UID in the bound object reference \(nope\) does not match the UID in record/);
    // what the kubelet asks for a kube-api-access volume: 3607 s, pod-bound, the API audiences -> a
    // token valid for a year that carries warnafter (--service-account-extend-token-expiration)
    const tr = JSON.parse(kc(srv.kubeconfig, ['create', '--raw', `/api/v1/namespaces/${NS}/serviceaccounts/default/token`, '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { audiences: [], expirationSeconds: 3607, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'bound', uid: podUid } } }),
    }));
    assert.equal(tr.kind, 'TokenRequest');
    assert.deepEqual(tr.spec.audiences, ['https://kubernetes.default.svc.cluster.local', 'k3s']);
    const left = Date.parse(tr.status.expirationTimestamp) - Date.now();
    assert.ok(left > 3500_000 && left <= 3608_000, tr.status.expirationTimestamp);
    const ext = decodeJwt(tr.status.token)!.claims as any;
    assert.equal(ext.exp - ext.iat, 365 * 24 * 3600);
    assert.equal(ext['kubernetes.io'].warnafter, ext.iat + 3607);
    const plain = JSON.parse(kc(srv.kubeconfig, ['create', '--raw', `/api/v1/namespaces/${NS}/serviceaccounts/default/token`, '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3607 } }),
    }));
    const pc = decodeJwt(plain.status.token)!.claims as any;
    assert.equal(pc.exp - pc.iat, 3607, 'only pod-bound tokens are extended');
    assert.equal(pc['kubernetes.io'].warnafter, undefined);
    // the pod goes away: the bound token stops working
    kc(srv.kubeconfig, ['-n', NS, 'delete', 'pod', 'bound', '--grace-period=0', '--force', '--wait=false']);
    assert.notEqual(kubectl(tokenKubeconfig(t), ['get', 'sa']).code, 0);
    assert.notEqual(kubectl(tokenKubeconfig(tr.status.token), ['get', 'sa']).code, 0);
  });

  it('new pods get the kube-api-access projected volume and mounts', () => {
    kc(srv.kubeconfig, ['-n', NS, 'apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1', kind: 'Pod', metadata: { name: 'mounted' },
        spec: { initContainers: [{ name: 'init', image: 'busybox' }], containers: [{ name: 'a', image: 'busybox' }, { name: 'b', image: 'busybox' }] },
      }),
    });
    const pod = JSON.parse(kc(srv.kubeconfig, ['-n', NS, 'get', 'pod', 'mounted', '-o', 'json']));
    assert.equal(pod.spec.serviceAccountName, 'default');
    const vols = pod.spec.volumes.filter((v: any) => v.name.startsWith('kube-api-access-'));
    assert.equal(vols.length, 1);
    assert.match(vols[0].name, /^kube-api-access-[a-z0-9]{5}$/);
    assert.deepEqual(vols[0].projected.sources.map((s: any) => Object.keys(s)[0]), ['serviceAccountToken', 'configMap', 'downwardAPI']);
    assert.deepEqual(vols[0].projected.sources[0].serviceAccountToken, { expirationSeconds: 3607, path: 'token' });
    for (const c of [...pod.spec.initContainers, ...pod.spec.containers]) {
      assert.deepEqual(c.volumeMounts, [{ name: vols[0].name, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }], c.name);
    }
    // the ConfigMap the volume reads is published in the namespace
    assert.match(kc(srv.kubeconfig, ['-n', NS, 'get', 'configmap', 'kube-root-ca.crt', '-o', 'jsonpath={.data.ca\\.crt}']), /BEGIN CERTIFICATE/);

    kc(srv.kubeconfig, ['-n', NS, 'run', 'quiet', '--image=busybox', '--overrides={"spec":{"automountServiceAccountToken":false}}']);
    const quiet = JSON.parse(kc(srv.kubeconfig, ['-n', NS, 'get', 'pod', 'quiet', '-o', 'json']));
    assert.equal(quiet.spec.volumes, undefined);
    const r = kubectl(srv.kubeconfig, ['-n', NS, 'run', 'orphan', '--image=busybox', '--overrides={"spec":{"serviceAccountName":"ghost"}}']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /pods "orphan" is forbidden: error looking up service account sa-e2e\/ghost: serviceaccount "ghost" not found/);
  });

  it('TokenReview and discovery of authentication.k8s.io', () => {
    const listed = kc(srv.kubeconfig, ['api-resources', '--api-group=authentication.k8s.io', '-o', 'name']).trim().split('\n').sort();
    assert.deepEqual(listed, ['selfsubjectreviews.authentication.k8s.io', 'tokenreviews.authentication.k8s.io']);
    const review = (token: string, audiences?: string[]) => JSON.parse(kc(srv.kubeconfig, ['create', '-o', 'json', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, ...(audiences ? { audiences } : {}) } }),
    })).status;
    let st = review(createToken());
    assert.equal(st.authenticated, true);
    assert.equal(st.user.username, `system:serviceaccount:${NS}:default`);
    assert.deepEqual(st.user.groups, ['system:serviceaccounts', `system:serviceaccounts:${NS}`, 'system:authenticated']);
    assert.deepEqual(st.audiences, ['https://kubernetes.default.svc.cluster.local', 'k3s']);
    st = review(createToken(['--audience=vault']), ['vault']);
    assert.equal(st.authenticated, true);
    assert.deepEqual(st.audiences, ['vault']);
    st = review(createToken(), ['vault']);
    assert.notEqual(st.authenticated, true);
    assert.ok(st.error);
    assert.notEqual(review('not-a-token').authenticated, true);
  });

  it('@kubernetes/client-node authenticates with the token', async () => {
    const cfg = new KubeConfig();
    cfg.loadFromFile(tokenKubeconfig(createToken()));
    const core = cfg.makeApiClient(CoreV1Api);
    const sa = await core.readNamespacedServiceAccount({ name: 'default', namespace: NS });
    assert.equal(sa.metadata?.name, 'default');
    const bad = new KubeConfig();
    bad.loadFromFile(tokenKubeconfig(createToken() + 'x'));
    await assert.rejects(bad.makeApiClient(CoreV1Api).readNamespacedServiceAccount({ name: 'default', namespace: NS }), (e: any) => e.code === 401);
  });

  it('python kubernetes client authenticates with the token', (t) => {
    const python = '/usr/bin/python3';
    const hasPy = existsSync(python) && spawnSync(python, ['-c', 'import kubernetes'], { encoding: 'utf8' }).status === 0;
    const skip = requirePrereq(hasPy, 'python3-kubernetes (apt-get install python3-kubernetes)');
    if (skip) return t.skip(skip);
    const script = `
import os, kubernetes
from kubernetes import client, config
config.load_kube_config(config_file=os.environ['TOKEN_KUBECONFIG'])
v1 = client.CoreV1Api()
print(v1.read_namespaced_service_account('default', '${NS}').metadata.name)
`;
    const r = spawnSync(python, ['-c', script], { encoding: 'utf8', env: { ...process.env, TOKEN_KUBECONFIG: tokenKubeconfig(createToken()) }, timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'default');
  });

  it('the serving certificate names the kubernetes Service IP of the service CIDR', async () => {
    const ip = kc(srv.kubeconfig, ['get', 'svc', 'kubernetes', '-n', 'default', '-o', 'jsonpath={.spec.clusterIP}']);
    assert.equal(ip, '10.44.0.1');
    const port = Number(new URL(srv.url).port);
    const cert = await new Promise<PeerCertificate>((resolve, reject) => {
      const s = tlsConnect({ host: '127.0.0.1', port, ca: Buffer.from(caData, 'base64'), checkServerIdentity: () => undefined }, () => { resolve(s.getPeerCertificate()); s.end(); });
      s.on('error', reject);
    });
    // as client-go, the Python and JS clients check it when they connect to KUBERNETES_SERVICE_HOST
    assert.equal(checkServerIdentity('10.44.0.1', cert), undefined);
    assert.ok(checkServerIdentity('10.43.0.1', cert), 'the default CIDR\'s address is not claimed');
  });

  it('a Secret of type service-account-token gets a legacy token that authenticates while it exists', async () => {
    kc(srv.kubeconfig, ['-n', NS, 'create', 'sa', 'legacy']);
    const uid = kc(srv.kubeconfig, ['-n', NS, 'get', 'sa', 'legacy', '-o', 'jsonpath={.metadata.uid}']);
    const secret = (name: string) => JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name, annotations: { 'kubernetes.io/service-account.name': 'legacy' } }, type: 'kubernetes.io/service-account-token' });
    kc(srv.kubeconfig, ['-n', NS, 'apply', '-f', '-'], { input: secret('legacy-token') });
    const filled = await eventually('the token in the Secret', () => {
      const s = JSON.parse(kc(srv.kubeconfig, ['-n', NS, 'get', 'secret', 'legacy-token', '-o', 'json']));
      return s.data?.token ? s : undefined;
    });
    assert.equal(filled.metadata.annotations['kubernetes.io/service-account.uid'], uid);
    assert.equal(Buffer.from(filled.data.namespace, 'base64').toString(), NS);
    assert.equal(Buffer.from(filled.data['ca.crt'], 'base64').toString().trim(), Buffer.from(caData, 'base64').toString().trim());
    const token = Buffer.from(filled.data.token, 'base64').toString();
    const c = decodeJwt(token)!.claims as any;
    assert.equal(c.iss, 'kubernetes/serviceaccount');
    assert.equal(c.sub, `system:serviceaccount:${NS}:legacy`);
    assert.equal(c['kubernetes.io/serviceaccount/secret.name'], 'legacy-token');
    assert.equal(c['kubernetes.io/serviceaccount/service-account.uid'], uid);
    assert.equal(c.exp, undefined);

    const cfg = tokenKubeconfig(token);
    const who = JSON.parse(kc(cfg, ['auth', 'whoami', '-o', 'json']));
    assert.equal(who.status.userInfo.username, `system:serviceaccount:${NS}:legacy`);
    assert.deepEqual(who.status.userInfo.groups, ['system:serviceaccounts', `system:serviceaccounts:${NS}`, 'system:authenticated']);
    // each day of use is recorded on the Secret
    const day = new Date().toISOString().slice(0, 10);
    await eventually('the last-used label', () => (kc(srv.kubeconfig, ['-n', NS, 'get', 'secret', 'legacy-token', '-o', 'jsonpath={.metadata.labels.kubernetes\\.io/legacy-token-last-used}']) === day ? true : undefined));

    // the Secret goes: so does the token
    kc(srv.kubeconfig, ['-n', NS, 'delete', 'secret', 'legacy-token']);
    assert.match(kubectl(cfg, ['auth', 'whoami']).stderr, /You must be logged in to the server|Unauthorized/);

    // the account goes: its token Secrets are deleted; a Secret naming no existing account is deleted too
    kc(srv.kubeconfig, ['-n', NS, 'apply', '-f', '-'], { input: secret('legacy-token2') });
    await eventually('the second token', () => (kc(srv.kubeconfig, ['-n', NS, 'get', 'secret', 'legacy-token2', '-o', 'jsonpath={.data.token}']) ? true : undefined));
    kc(srv.kubeconfig, ['-n', NS, 'delete', 'sa', 'legacy']);
    await eventually('the token Secret deleted with its account', () => (kubectl(srv.kubeconfig, ['-n', NS, 'get', 'secret', 'legacy-token2']).code !== 0 ? true : undefined));
    kc(srv.kubeconfig, ['-n', NS, 'apply', '-f', '-'], { input: secret('orphan-token') });
    await eventually('the orphan token Secret deleted', () => (kubectl(srv.kubeconfig, ['-n', NS, 'get', 'secret', 'orphan-token']).code !== 0 ? true : undefined));
  });

  it('OpenID discovery: a service account reads the issuer configuration and the key set that verifies its tokens', () => {
    const cfg = tokenKubeconfig(createToken());
    const conf = JSON.parse(kc(cfg, ['get', '--raw', '/.well-known/openid-configuration']));
    assert.equal(conf.issuer, 'https://kubernetes.default.svc.cluster.local');
    assert.equal(conf.jwks_uri, `${srv.url}/openid/v1/jwks`);
    assert.deepEqual(conf.response_types_supported, ['id_token']);
    assert.deepEqual(conf.id_token_signing_alg_values_supported, ['ES256']);
    const jwks = JSON.parse(kc(cfg, ['get', '--raw', '/openid/v1/jwks']));
    assert.equal(jwks.keys.length, 1);
    const token = createToken();
    assert.equal(jwks.keys[0].kid, decodeJwt(token)!.header.kid);
    assert.ok(verifyJwt(token, [createPublicKey({ key: jwks.keys[0], format: 'jwk' })]), 'the published key verifies a token');
  });

  it('health endpoints: open to anyone, but a token that does not authenticate gets 401', async () => {
    const get = (headers: Record<string, string>) => new Promise<number>((resolve, reject) => {
      httpsGet(`${srv.url}/readyz`, { ca: Buffer.from(caData, 'base64'), headers }, (res) => { res.resume(); resolve(res.statusCode ?? 0); }).on('error', reject);
    });
    assert.equal(await get({}), 200);
    assert.equal(await get({ Authorization: `Bearer ${createToken()}` }), 200);
    assert.equal(await get({ Authorization: 'Bearer not-a-token' }), 401);
  });
});
