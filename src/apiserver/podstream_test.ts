// pods/exec, attach, portforward in the API server: validation, the kubelet path, and the upgrade
// proxy against a stand-in kubelet (TLS with a client CA, answering 101 and echoing).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { StatusError } from '../api/status.js';
import { MemoryBackend } from '../storage/memory.js';
import type { ApiServer } from './server.js';
import { startTestApi } from './testing/server.js';
import { ensurePki, issueClientCert, issueServingCert } from './auth/pki.js';
import { kubeletStreamPath, streamContainer } from './podstream.js';

const pod = (containers: string[], init: string[] = []) => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' },
  spec: { containers: containers.map((name) => ({ name })), initContainers: init.map((name) => ({ name })) },
});

function status(fn: () => unknown): StatusError {
  try { fn(); } catch (e) { if (e instanceof StatusError) return e; throw e; }
  assert.fail('no error');
}

test('streamContainer: the only container by default; upstream messages otherwise', () => {
  assert.equal(streamContainer(pod(['a']), null), 'a');
  assert.equal(streamContainer(pod(['a', 'b'], ['i']), 'i'), 'i');
  let e = status(() => streamContainer(pod(['a', 'b'], ['i']), null));
  assert.equal(e.code, 400);
  assert.equal(e.message, 'a container name must be specified for pod p, choose one of: [a b] or one of the init containers: [i]');
  e = status(() => streamContainer(pod(['a']), 'x'));
  assert.equal(e.message, 'container x is not valid for pod p');
});

test('kubeletStreamPath: upstream kubelet parameters; stdout and stderr default to true', () => {
  const q = (s: string) => new URLSearchParams(s);
  assert.equal(kubeletStreamPath('exec', pod(['a']), q('command=sh&command=-c&command=echo%20hi&stdin=true&tty=true')),
    '/exec/default/p/a?command=sh&command=-c&command=echo+hi&input=1&output=1&error=1&tty=1');
  assert.equal(kubeletStreamPath('exec', pod(['a', 'b']), q('container=b&command=ls&stdout=true&stderr=false')), '/exec/default/p/b?command=ls&output=1');
  assert.equal(kubeletStreamPath('attach', pod(['a']), q('stdin=true&stdout=true&stderr=true&tty=false')), '/attach/default/p/a?input=1&output=1&error=1');
  assert.equal(kubeletStreamPath('portforward', pod(['a', 'b']), q('ports=80&ports=443')), '/portForward/default/p?port=80&port=443');
});

let dir: string;
let api: ApiServer;
let kubelet: https.Server;
let kubeletPort: number;
const backend = new MemoryBackend();
const seen: { path: string; headers: IncomingMessage['headers']; cn?: string; method?: string }[] = [];
let answer: (req: IncomingMessage, socket: Duplex) => void;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'k8ts-podstream-'));
  const pki = await ensurePki(dir, { hosts: [] });
  const serving = await issueServingCert(pki, { cn: 'kubelet', hosts: ['127.0.0.1'] });
  const client = await issueClientCert(pki, { cn: 'kube-apiserver-kubelet-client', orgs: ['system:masters'] });
  kubelet = https.createServer({ ...serving, ca: pki.clientCa.cert, requestCert: true, rejectUnauthorized: true });
  kubelet.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
    seen.push({ path: req.url ?? '', headers: req.headers, cn: String((req.socket as TLSSocket).getPeerCertificate().subject?.CN), method: req.method });
    answer(req, socket);
  });
  await new Promise<void>((r) => kubelet.listen(0, '127.0.0.1', r));
  kubeletPort = (kubelet.address() as net.AddressInfo).port;
  api = await startTestApi(backend, { kubeletClient: { cert: client.cert, key: client.key, ca: pki.serverCa.cert } });
  const nodes = api.registry.find('', 'nodes')!;
  await nodes.create(undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } });
  const node = await nodes.get(undefined, 'n1');
  node.status = { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: kubeletPort } } };
  await nodes.update(undefined, 'n1', node, { subresource: 'status' });
  const pods = api.registry.find('', 'pods')!;
  for (const [name, phase] of [['web', 'Running'], ['done', 'Succeeded']]) {
    await pods.create('default', { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'busybox' }] } });
    const p = await pods.get('default', name);
    p.status = { phase };
    await pods.update('default', name, p, { subresource: 'status' });
  }
  await pods.create('default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'pending', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
});

after(async () => {
  await api.stop();
  await new Promise<void>((r) => { kubelet.close(() => r()); kubelet.closeAllConnections(); });
  await backend.close();
  rmSync(dir, { recursive: true, force: true });
});

/** a raw HTTP/1.1 request on a new connection; resolves with everything read until `until` matches or the connection ends */
function raw(request: string, opts: { send?: string; until?: RegExp } = {}): Promise<string> {
  const port = api.port;
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(request));
    let got = '';
    let sent = false;
    const t = setTimeout(() => { s.destroy(); reject(new Error(`timed out; got ${JSON.stringify(got)}`)); }, 5000);
    s.on('data', (d) => {
      got += d;
      if (opts.send && !sent && got.includes('\r\n\r\n')) { sent = true; s.write(opts.send); }
      if (opts.until?.test(got)) { clearTimeout(t); s.destroy(); resolve(got); }
    });
    s.on('end', () => { clearTimeout(t); resolve(got); });
    s.on('error', (e) => { clearTimeout(t); reject(e); });
  });
}

const upgradeReq = (path: string, method = 'GET') =>
  `${method} ${path} HTTP/1.1\r\nHost: api\r\nConnection: Upgrade\r\nUpgrade: test/1\r\nAuthorization: Bearer secret\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n`;

test('an exec upgrade reaches the kubelet over TLS with the client certificate, and the connection is joined both ways', async () => {
  answer = (_req, socket) => {
    socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: test/1\r\n\r\n');
    socket.on('data', (d: Buffer) => socket.write(d.toString().toUpperCase()));
  };
  seen.length = 0;
  const out = await raw(upgradeReq('/api/v1/namespaces/default/pods/web/exec?command=sh&command=-c&command=id&stdin=true&tty=true'), { send: 'ping', until: /PING$/ });
  assert.match(out, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
  assert.match(out, /\r\n\r\nPING$/);
  assert.equal(seen.length, 1);
  assert.equal(seen[0].path, '/exec/default/web/c?command=sh&command=-c&command=id&input=1&output=1&error=1&tty=1');
  assert.equal(seen[0].cn, 'kube-apiserver-kubelet-client');
  assert.equal(seen[0].headers.authorization, undefined, 'client credentials are not passed on');
  assert.equal(seen[0].headers['x-stream-protocol-version'], 'v4.channel.k8s.io');
  assert.equal(seen[0].headers.host, `127.0.0.1:${kubeletPort}`);
});

test('attach (POST, as SPDY clients send) and portforward map to the kubelet paths', async () => {
  answer = (_req, socket) => socket.end('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: test/1\r\n\r\n');
  seen.length = 0;
  await raw(upgradeReq('/api/v1/namespaces/default/pods/web/attach?stdin=true&stdout=true&stderr=false', 'POST'));
  await raw(upgradeReq('/api/v1/namespaces/default/pods/web/portforward?ports=8080'));
  assert.deepEqual(seen.map((s) => [s.method, s.path]), [['POST', '/attach/default/web/c?input=1&output=1'], ['GET', '/portForward/default/web?port=8080']]);
});

test('the kubelet\'s refusal reaches the client as it is', async () => {
  answer = (_req, socket) => socket.end('HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 29\r\n\r\ncontainer not found ("c")\n\n\n\n');
  const out = await raw(upgradeReq('/api/v1/namespaces/default/pods/web/exec?command=ls'));
  assert.match(out, /^HTTP\/1\.1 404 Not Found\r\n/);
  assert.match(out, /container not found \("c"\)/);
});

test('validation errors are Status responses, as upstream', async () => {
  const body = (s: string) => JSON.parse(s.slice(s.indexOf('\r\n\r\n') + 4));
  let out = await raw(upgradeReq('/api/v1/namespaces/default/pods/done/exec?command=ls'));
  assert.match(out, /^HTTP\/1\.1 400 /);
  assert.equal(body(out).message, 'cannot exec into a container in a completed pod; current phase is Succeeded');
  out = await raw(upgradeReq('/api/v1/namespaces/default/pods/web/exec?command=ls&container=nope'));
  assert.equal(body(out).message, 'container nope is not valid for pod web');
  out = await raw(upgradeReq('/api/v1/namespaces/default/pods/pending/exec?command=ls'));
  assert.equal(body(out).message, 'pod pending does not have a host assigned');
  out = await raw(upgradeReq('/api/v1/namespaces/default/pods/gone/exec?command=ls'));
  assert.match(out, /^HTTP\/1\.1 404 /);
  assert.equal(body(out).message, 'pods "gone" not found');
  // without an upgrade: upstream's UpgradeAwareHandler answer
  const plain = await fetch(`${api.url()}/api/v1/namespaces/default/pods/web/exec?command=ls`, { method: 'POST' });
  assert.equal(plain.status, 400);
  assert.equal((await plain.json()).message, 'Upgrade request required');
});

test('other upgrade requests are answered normally on their connection', async () => {
  const out = await raw(upgradeReq('/api/v1/namespaces/default/pods/web'));
  assert.match(out, /^HTTP\/1\.1 200 OK\r\n/);
  assert.equal(JSON.parse(out.slice(out.indexOf('\r\n\r\n') + 4)).metadata.name, 'web');
});
