// End-to-end: an HTTPS server built from createHttpsServerOptions answers GET with the user that
// authenticate() found (or a 401 Status), and real clients (kubectl, @kubernetes/client-node, Node's
// TLS client) talk to it with kubeconfigs from writeKubeconfig.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { connect } from 'node:tls';
import { KubeConfig } from '@kubernetes/client-node';
import { ensurePki, issueClientCert, type Pki } from './pki.js';
import { authenticate, createAuthnContext, type AuthnContext } from './authn.js';
import { createHttpsServerOptions } from './tls.js';
import { writeKubeconfig, kubeconfigWithToken } from '../../util/kubeconfig.js';
import { which } from '../../util/prereq.js';

let dir: string;
let pki: Pki;
let ctx: AuthnContext;
let server: Server;
let url: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8ts-authn-'));
  pki = await ensurePki(join(dir, 'tls'), { hosts: [] });
  ctx = createAuthnContext(pki);
  ctx.tokens.add('sa-token-1', { name: 'system:serviceaccount:default:builder', uid: 'u-1', groups: ['system:serviceaccounts'] });
  ctx.tokenAuthenticators.push((tok) => (tok === 'dynamic-xyz' ? { name: 'dyn', groups: [] } : undefined));
  server = createServer(createHttpsServerOptions(pki), async (req, res) => {
    const user = await authenticate(req, ctx);
    res.setHeader('Content-Type', 'application/json');
    if (!user) {
      res.writeHead(401);
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 }));
      return;
    }
    res.end(JSON.stringify({ user, path: req.url, httpVersion: req.httpVersion }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

function kubectlBinaries(): string[] {
  const k = which('kubectl');
  if (!k) return [];
  const bins = [k];
  for (const v of ['1.27', '1.32']) {
    const p = join(dirname(realpathSync(k)), `kubectl.${v}`);
    if (existsSync(p)) bins.push(p);
  }
  return bins;
}

function kubectl(bin: string, kubeconfig: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(bin, ['--kubeconfig', kubeconfig, ...args], { timeout: 20000, env: { ...process.env, HOME: dir } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

let n = 0;
async function certKubeconfig(cert: string, key: string, caPem = pki.serverCa.cert): Promise<string> {
  const path = join(dir, `kc-${n++}.yaml`);
  await writeKubeconfig(path, { server: url, caPem, clientCertPem: cert, clientKeyPem: key });
  return path;
}
async function tokenKubeconfig(token: string): Promise<string> {
  const path = join(dir, `kc-${n++}.yaml`);
  await kubeconfigWithToken(path, { server: url, caPem: pki.serverCa.cert, token });
  return path;
}

test('kubectl authenticates with the admin client certificate and the server token', async (t) => {
  const bins = kubectlBinaries();
  if (!bins.length) return t.skip('kubectl not installed');
  const certKc = await certKubeconfig(pki.admin.cert, pki.admin.key);
  const tokenKc = await tokenKubeconfig(pki.token);
  for (const bin of bins) {
    for (const kc of [certKc, tokenKc]) {
      const r = await kubectl(bin, kc, ['get', '--raw', '/whoami']);
      assert.equal(r.code, 0, `${bin}: ${r.stderr}`);
      const body = JSON.parse(r.stdout);
      assert.deepEqual(body.user, { name: 'system:admin', groups: ['system:masters', 'system:authenticated'] });
      assert.equal(body.httpVersion, '1.1', 'fell back from h2 to http/1.1');
    }
  }
});

test('kubectl: issued client certs map CN and every O; service-account style tokens resolve', async (t) => {
  const [bin] = kubectlBinaries();
  if (!bin) return t.skip('kubectl not installed');
  const alice = await issueClientCert(pki, { cn: 'alice', orgs: ['dev', 'ops'] });
  let r = await kubectl(bin, await certKubeconfig(alice.cert, alice.key), ['get', '--raw', '/api']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).user, { name: 'alice', groups: ['dev', 'ops', 'system:authenticated'] });

  r = await kubectl(bin, await tokenKubeconfig('sa-token-1'), ['get', '--raw', '/api']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).user, { name: 'system:serviceaccount:default:builder', uid: 'u-1', groups: ['system:serviceaccounts', 'system:authenticated'] });

  r = await kubectl(bin, await tokenKubeconfig('dynamic-xyz'), ['get', '--raw', '/api']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).user.name, 'dyn');
});

test('kubectl: unknown token and foreign client cert get 401; a wrong CA is refused', async (t) => {
  const [bin] = kubectlBinaries();
  if (!bin) return t.skip('kubectl not installed');
  const other = await ensurePki(join(dir, 'other-tls'), { hosts: [] });
  const foreign = await certKubeconfig(other.admin.cert, other.admin.key);
  const badToken = await tokenKubeconfig(pki.token.replace(/.$/, (c) => (c === '0' ? '1' : '0')));
  for (const kc of [foreign, badToken]) {
    const r = await kubectl(bin, kc, ['get', '--raw', '/whoami']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Unauthorized/);
  }
  // kubeconfig that trusts the wrong CA: the client refuses the server
  const wrongCa = await certKubeconfig(pki.admin.cert, pki.admin.key, other.serverCa.cert);
  const r = await kubectl(bin, wrongCa, ['get', '--raw', '/whoami']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /certificate/i);
});

function get(opts: { cert?: string; key?: string; headers?: Record<string, string> }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/x`, { ca: pki.serverCa.cert, cert: opts.cert, key: opts.key, headers: opts.headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('node client: anonymous, bearer parsing, websocket subprotocol token, server-CA-signed cert', async () => {
  assert.equal((await get({})).status, 401);
  assert.equal((await get({ headers: { Authorization: `Basic ${pki.token}` } })).status, 401);
  assert.equal((await get({ headers: { Authorization: 'Bearer ' } })).status, 401);
  assert.equal((await get({ headers: { Authorization: `bearer ${pki.token}` } })).status, 200);
  const ws = `base64url.bearer.authorization.k8s.io.${Buffer.from(pki.token).toString('base64url')}`;
  const r = await get({ headers: { 'Sec-WebSocket-Protocol': `v4.channel.k8s.io, ${ws}` } });
  assert.equal(r.status, 200);
  assert.equal(JSON.parse(r.body).user.name, 'system:admin');
  // the serving certificate is signed by the server CA, which is not trusted for client auth
  assert.equal((await get({ cert: pki.serving.cert, key: pki.serving.key })).status, 401);
  // a bad client cert does not hide a good token
  const other = await ensurePki(join(dir, 'other-tls2'), { hosts: [] });
  assert.equal((await get({ cert: other.admin.cert, key: other.admin.key, headers: { Authorization: `Bearer ${pki.token}` } })).status, 200);
});

test('ALPN: h2-preferring clients get http/1.1', async () => {
  const { port } = server.address() as AddressInfo;
  const proto = await new Promise<string | false>((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, ca: pki.serverCa.cert, servername: 'localhost', ALPNProtocols: ['h2', 'http/1.1'] }, () => {
      resolve(s.alpnProtocol ?? false);
      s.end();
    });
    s.on('error', reject);
  });
  assert.equal(proto, 'http/1.1');
});

test('@kubernetes/client-node uses the written kubeconfigs', async () => {
  for (const path of [await certKubeconfig(pki.admin.cert, pki.admin.key), await tokenKubeconfig(pki.token)]) {
    const kc = new KubeConfig();
    kc.loadFromString(readFileSync(path, 'utf8'));
    assert.equal(kc.getCurrentCluster()?.server, url);
    const opts: Parameters<typeof request>[1] = {};
    await kc.applyToHTTPSOptions(opts);
    const body = await new Promise<string>((resolve, reject) => {
      const req = request(`${url}/version`, opts, (res) => {
        let b = '';
        res.on('data', (c) => (b += c));
        res.on('end', () => (res.statusCode === 200 ? resolve(b) : reject(new Error(`status ${res.statusCode}: ${b}`))));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(JSON.parse(body).user.name, 'system:admin');
  }
});
