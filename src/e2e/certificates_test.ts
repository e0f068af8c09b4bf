// End to end: a user gets a client certificate through the CertificateSigningRequest API, as in
// the Kubernetes docs (openssl key and request, kubectl certificate approve, the issued certificate
// in a kubeconfig), then logs in with it: authenticated by the API server, authorized by RBAC.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { kc, kubectl, startK8ts, type ServerHandle } from './harness.js';
import { eventually } from './poll.js';

let srv: ServerHandle;
let dir: string;
const k = (...args: string[]) => kc(srv.kubeconfig, args);

/** an RSA key and a PKCS#10 request for CN=user, O=group (and the subjectAltNames in `san`, openssl's syntax) */
function keyAndRequest(user: string, group: string, san?: string): { key: string; request: string } {
  const keyFile = join(dir, `${user.replace(/:/g, '_')}.key`);
  execFileSync('openssl', ['genrsa', '-out', keyFile, '2048'], { stdio: 'ignore' });
  const request = execFileSync('openssl', ['req', '-new', '-key', keyFile, '-subj', `/CN=${user}/O=${group}`, ...(san ? ['-addext', `subjectAltName=${san}`] : [])], { encoding: 'utf8' });
  return { key: readFileSync(keyFile, 'utf8'), request };
}

const csr = (name: string, request: string, extra: object = {}) => JSON.stringify({
  apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', metadata: { name },
  spec: { request: Buffer.from(request).toString('base64'), signerName: 'kubernetes.io/kube-apiserver-client', expirationSeconds: 86400, usages: ['client auth'], ...extra },
});

describe('CertificateSigningRequests: a user certificate signed by the cluster', { timeout: 120_000 }, () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'k8ts-csr-'));
    srv = await startK8ts();
  });
  after(async () => { await srv?.stop(); rmSync(dir, { recursive: true, force: true }); });

  it('kubectl certificate approve issues a certificate the API server accepts, and RBAC decides what it may do', async () => {
    const { key, request } = keyAndRequest('jane', 'devs');
    kc(srv.kubeconfig, ['apply', '-f', '-'], { input: csr('jane', request) });
    assert.match(k('get', 'csr', 'jane'), /^jane\s+\S+\s+kubernetes.io\/kube-apiserver-client\s+system:admin\s+24h\s+Pending$/m);
    assert.match(k('certificate', 'approve', 'jane'), /certificatesigningrequest.certificates.k8s.io\/jane approved/);
    const cert = await eventually('issued', () => { const c = JSON.parse(k('get', 'csr', 'jane', '-o', 'json')).status?.certificate; return c ? Buffer.from(c, 'base64').toString() : undefined; });
    assert.match(k('get', 'csr', 'jane'), /Approved,Issued$/m);
    const text = execFileSync('openssl', ['x509', '-noout', '-subject', '-ext', 'extendedKeyUsage'], { input: cert, encoding: 'utf8' });
    assert.match(text, /CN ?= ?jane/);
    assert.match(text, /TLS Web Client Authentication/);

    // jane's kubeconfig: the cluster of the admin's, her key and certificate
    const cfg = parse(readFileSync(srv.kubeconfig, 'utf8'));
    cfg.users = [{ name: 'jane', user: { 'client-certificate-data': Buffer.from(cert).toString('base64'), 'client-key-data': Buffer.from(key).toString('base64') } }];
    cfg.contexts = [{ name: 'jane', context: { cluster: cfg.clusters[0].name, user: 'jane' } }];
    cfg['current-context'] = 'jane';
    const janeCfg = join(dir, 'jane.yaml');
    writeFileSync(janeCfg, stringify(cfg));
    const who = JSON.parse(kc(janeCfg, ['auth', 'whoami', '-o', 'json']));
    assert.equal(who.status.userInfo.username, 'jane');
    assert.deepEqual(who.status.userInfo.groups, ['devs', 'system:authenticated']);
    assert.match(kubectl(janeCfg, ['get', 'pods']).stderr, /pods is forbidden: User "jane" cannot list resource "pods"/);
    k('create', 'rolebinding', 'devs-view', '--clusterrole=view', '--group=devs');
    await eventually('view through the group', () => (kubectl(janeCfg, ['get', 'pods']).code === 0 ? true : undefined));
  });

  it('deny, a refused usage, and invalid requests', async () => {
    const { request } = keyAndRequest('joe', 'ops');
    kc(srv.kubeconfig, ['apply', '-f', '-'], { input: csr('joe', request) });
    k('certificate', 'deny', 'joe');
    assert.match(k('get', 'csr', 'joe'), /Denied$/m);
    assert.equal(JSON.parse(k('get', 'csr', 'joe', '-o', 'json')).status.certificate, undefined);
    // a server usage for a client signer: approved, but the signer refuses it
    kc(srv.kubeconfig, ['apply', '-f', '-'], { input: csr('joe-server', request, { usages: ['client auth', 'server auth'] }) });
    k('certificate', 'approve', 'joe-server');
    const failed = await eventually('Failed', () => JSON.parse(k('get', 'csr', 'joe-server', '-o', 'json')).status?.conditions?.find((c: any) => c.type === 'Failed'));
    assert.equal(failed.reason, 'SignerValidationFailure');
    assert.match(k('get', 'csr', 'joe-server'), /Approved,Failed$/m);
    const bad = kubectl(srv.kubeconfig, ['apply', '-f', '-'], { input: csr('bad', 'not a request', { expirationSeconds: 60 }) });
    assert.match(bad.stderr, /spec.request: Invalid value: .*PEM block type must be CERTIFICATE REQUEST/);
    assert.match(bad.stderr, /spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 600 seconds \(10 minutes\)/);
  });

  it('admission and signers check the subject: no system:masters, kubelet signers only for system:nodes', async () => {
    const masters = kubectl(srv.kubeconfig, ['apply', '-f', '-'], { input: csr('evil', keyAndRequest('evil', 'system:masters').request) });
    assert.match(masters.stderr, /certificatesigningrequests.certificates.k8s.io "evil" is forbidden: use of kubernetes.io\/kube-apiserver-client signer with system:masters group is not allowed/);
    const legacy = kubectl(srv.kubeconfig, ['apply', '-f', '-'], { input: csr('legacy', keyAndRequest('old', 'x').request, { signerName: 'kubernetes.io/legacy-unknown' }) });
    assert.match(legacy.stderr, /spec.signerName: Invalid value: "kubernetes.io\/legacy-unknown": the legacy signerName is not allowed via this API version/);

    const failure = async (name: string) => (await eventually(`${name} Failed`, () => JSON.parse(k('get', 'csr', name, '-o', 'json')).status?.conditions?.find((c: any) => c.type === 'Failed'))).message;
    kc(srv.kubeconfig, ['apply', '-f', '-'], { input: csr('not-a-node', keyAndRequest('notanode', 'devs').request, { signerName: 'kubernetes.io/kube-apiserver-client-kubelet' }) });
    k('certificate', 'approve', 'not-a-node');
    assert.equal(await failure('not-a-node'), 'subject organization is not system:nodes');
    kc(srv.kubeconfig, ['apply', '-f', '-'], { input: csr('bad-cn', keyAndRequest('n1', 'system:nodes').request, { signerName: 'kubernetes.io/kube-apiserver-client-kubelet', usages: ['digital signature', 'client auth'] }) });
    k('certificate', 'approve', 'bad-cn');
    assert.equal(await failure('bad-cn'), 'subject common name does not begin with system:node:');
    kc(srv.kubeconfig, ['apply', '-f', '-'], { input: csr('serving-nosan', keyAndRequest('system:node:n1', 'system:nodes').request, { signerName: 'kubernetes.io/kubelet-serving', usages: ['digital signature', 'key encipherment', 'server auth'] }) });
    k('certificate', 'approve', 'serving-nosan');
    assert.equal(await failure('serving-nosan'), 'DNS or IP subjectAltName is required');

    // a kubelet's serving certificate carries the names it asked for
    kc(srv.kubeconfig, ['apply', '-f', '-'], { input: csr('serving', keyAndRequest('system:node:n1', 'system:nodes', 'DNS:n1.example,IP:192.0.2.9').request, { signerName: 'kubernetes.io/kubelet-serving', usages: ['digital signature', 'key encipherment', 'server auth'] }) });
    k('certificate', 'approve', 'serving');
    const cert = await eventually('issued', () => { const c = JSON.parse(k('get', 'csr', 'serving', '-o', 'json')).status?.certificate; return c ? Buffer.from(c, 'base64').toString() : undefined; });
    const text = execFileSync('openssl', ['x509', '-noout', '-ext', 'subjectAltName,extendedKeyUsage'], { input: cert, encoding: 'utf8' });
    assert.match(text, /DNS:n1\.example, IP Address:192\.0\.2\.9/);
    assert.match(text, /TLS Web Server Authentication/);
  });
});
