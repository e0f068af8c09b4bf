// Ingress end to end: a real `k8ts server` (API and controllers, no kubelet) running the Ingress
// controller on free loopback ports; backends are node:http servers on 127.0.0.1 behind selector-less
// Services with hand-written EndpointSlices. Ports are discovered from the Ingress status.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as https from 'node:https';
import * as tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { WebSocket, WebSocketServer } from 'ws';
import { startK8ts, kc, type ServerHandle } from '../e2e/harness.js';
import { RestClient } from '../client/index.js';
import type { KObject } from '../api/types.js';
import { selfSignedCert, defaultCertCN, ingressesResource, ingressClassesResource } from './index.js';
import { eventually } from '../e2e/poll.js';

const svcR = { group: '', version: 'v1', plural: 'services', namespaced: true };
const sliceR = { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', namespaced: true };
const secretR = { group: '', version: 'v1', plural: 'secrets', namespaced: true };

let server: ServerHandle;
let client: RestClient;
const backends: http.Server[] = [];
const ports: Record<string, number> = {};
let httpPort = 0;
let httpsPort = 0;
let fooCert = { cert: '', key: '' };
/** an RSA certificate (fooCert is ECDSA, like the listener's default one would be if it were not RSA) */
let rsaCert = { cert: '', key: '' };

/** a backend answering JSON {name, url, headers}; WebSocket echo on /ws */
async function backend(name: string): Promise<number> {
  const s = http.createServer((req, res) => {
    let bytes = 0;
    req.on('data', (c: Buffer) => { bytes += c.length; });
    req.on('end', () => {
      if (req.url?.endsWith('/big')) { // a large response, streamed without content-length
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'x-backend': name });
        for (let i = 0; i < 10; i++) res.write(Buffer.alloc(100_000, 'x'));
        res.end();
        return;
      }
      const body = JSON.stringify({ name, url: req.url, method: req.method, bytes, headers: req.headers });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  const wss = new WebSocketServer({ noServer: true });
  s.on('upgrade', (req, sock, head) => wss.handleUpgrade(req, sock, head, (ws) => ws.on('message', (m) => ws.send(`${name}:${m}`))));
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  backends.push(s);
  return (s.address() as { port: number }).port;
}

function service(name: string, port: number, portName: string): KObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { ports: [{ name: portName, port, targetPort: 9999, protocol: 'TCP' }] } };
}

function slice(name: string, svc: string, portName: string, eps: [number, boolean][]): KObject {
  // one backend port per endpoint is not expressible in one slice: one slice per distinct port
  return {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: { name, namespace: 'default', labels: { 'kubernetes.io/service-name': svc } },
    addressType: 'IPv4', ports: [{ name: portName, port: eps[0][0], protocol: 'TCP' }],
    endpoints: eps.map(([, ready]) => ({ addresses: ['127.0.0.1'], conditions: { ready } })),
  } as KObject;
}


interface Reply { status: number; body: string; json?: any; reused?: boolean }
function get(host: string, path: string, o: { agent?: http.Agent; tls?: boolean; servername?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const mod = o.tls ? https : http;
    const req = (mod.request as typeof https.request)({
      host: '127.0.0.1', port: o.tls ? httpsPort : httpPort, path, headers: { host }, agent: o.agent,
      ...(o.tls ? { servername: o.servername ?? host.split(':')[0], rejectUnauthorized: false } : {}),
    }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { body += c; });
      res.on('end', () => {
        let json: any;
        try { json = JSON.parse(body); } catch { /* not JSON */ }
        resolve({ status: res.statusCode ?? 0, body, json, reused: req.reusedSocket });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

before(async () => {
  ports.web1 = await backend('web-1');
  ports.web2 = await backend('web-2');
  ports.api = await backend('api');
  ports.wild = await backend('wild');
  server = await startK8ts({
    args: ['--disable', 'scheduler,dns'],
    env: { K8TS_INGRESS_HTTP_PORT: '0', K8TS_INGRESS_HTTPS_PORT: '0', K8TS_NODE_IP: '127.0.0.1' },
  });
  client = RestClient.fromKubeconfig(server.kubeconfig);
  fooCert = await selfSignedCert('foo.test', ['foo.test']);
  rsaCert = await selfSignedCert('rsa.bar.test', ['rsa.bar.test'], 365, 'rsa');
  const objs: [any, KObject][] = [
    [svcR, service('web', 80, 'http')],
    [sliceR, slice('web-a', 'web', 'http', [[ports.web1, true]])],
    [sliceR, slice('web-b', 'web', 'http', [[ports.web2, true]])],
    [svcR, service('api', 8080, 'api')],
    [sliceR, slice('api-a', 'api', 'api', [[ports.api, true]])],
    [svcR, service('wild', 80, '')],
    [sliceR, slice('wild-a', 'wild', '', [[ports.wild, true]])],
    [svcR, service('empty', 80, 'http')],
    [svcR, service('notready', 80, 'http')],
    [sliceR, slice('notready-a', 'notready', 'http', [[ports.web1, false]])],
    [secretR, {
      apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: { name: 'foo-tls', namespace: 'default' },
      data: { 'tls.crt': Buffer.from(fooCert.cert).toString('base64'), 'tls.key': Buffer.from(fooCert.key).toString('base64') },
    } as KObject],
    [secretR, {
      apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: { name: 'rsa-tls', namespace: 'default' },
      data: { 'tls.crt': Buffer.from(rsaCert.cert).toString('base64'), 'tls.key': Buffer.from(rsaCert.key).toString('base64') },
    } as KObject],
    [ingressesResource, {
      apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'main', namespace: 'default' },
      spec: {
        tls: [{ hosts: ['foo.test'], secretName: 'foo-tls' }, { hosts: ['rsa.bar.test'], secretName: 'rsa-tls' }],
        rules: [
          {
            host: 'foo.test', http: {
              paths: [
                { path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { name: 'http' } } } },
                { path: '/api', pathType: 'Prefix', backend: { service: { name: 'api', port: { number: 8080 } } } },
                { path: '/empty', pathType: 'Exact', backend: { service: { name: 'empty', port: { number: 80 } } } },
                { path: '/notready', pathType: 'Exact', backend: { service: { name: 'notready', port: { number: 80 } } } },
              ],
            },
          },
          { host: '*.bar.test', http: { paths: [{ path: '/', pathType: 'ImplementationSpecific', backend: { service: { name: 'wild', port: { number: 80 } } } }] } },
        ],
      },
    }],
    [ingressesResource, {
      apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'someone-else', namespace: 'default' },
      spec: { ingressClassName: 'nginx', rules: [{ host: 'nginx.test', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] },
    }],
  ];
  for (const [r, o] of objs) await client.create(r, o, { namespace: 'default' });
});

after(async () => {
  client?.close();
  await server?.stop();
  for (const s of backends) { s.closeAllConnections(); s.close(); }
});

test('the controller creates IngressClass k8ts as the default class and logs its listeners', async () => {
  const ic = await client.get<KObject>(ingressClassesResource, 'k8ts');
  assert.equal(ic.spec.controller, 'k8ts.io/ingress-controller');
  assert.equal(ic.metadata.annotations?.['ingressclass.kubernetes.io/is-default-class'], 'true');
  const m = /ingress: serving http on 127\.0\.0\.1:(\d+), https on 127\.0\.0\.1:(\d+)/.exec(server.output());
  assert.ok(m, server.output());
});

test('status.loadBalancer.ingress holds the node address and the listener ports; other classes are left alone', async () => {
  const ing = await eventually('main status', async () => {
    const o = await client.get<KObject>(ingressesResource, 'main', { namespace: 'default' });
    return o.status?.loadBalancer?.ingress?.length ? o : undefined;
  });
  const lb = ing.status.loadBalancer.ingress;
  assert.equal(lb.length, 1);
  assert.equal(lb[0].ip, '127.0.0.1');
  [httpPort, httpsPort] = lb[0].ports.map((p: any) => p.port);
  assert.ok(httpPort > 0 && httpsPort > 0 && httpPort !== 80);
  assert.match(server.output(), new RegExp(`serving http on 127\\.0\\.0\\.1:${httpPort}, https on 127\\.0\\.0\\.1:${httpsPort}`));
  // what kubectl shows: CLASS k8ts (the default class, set at creation by DefaultIngressClass
  // admission, as upstream), ADDRESS, PORTS 80, 443
  assert.match(kc(server.kubeconfig, ['get', 'ingress', 'main', '--no-headers']), /^main\s+k8ts\s+foo\.test,\*\.bar\.test\s+127\.0\.0\.1\s+80, 443\s/);
  assert.match(kc(server.kubeconfig, ['get', 'ingressclass', 'k8ts', '--no-headers']), /^k8ts\s+k8ts\.io\/ingress-controller\s/);
  const other = await client.get<KObject>(ingressesResource, 'someone-else', { namespace: 'default' });
  assert.equal(other.status?.loadBalancer?.ingress?.length ?? 0, 0);
});

test('hosts and paths go to their own Services; unknown hosts get 404; other classes are not served', async () => {
  assert.ok(httpPort, 'the status test found the ports');
  const api = await eventually('routes', async () => { const r = await get('foo.test', '/api/v1?x=1'); return r.status === 200 ? r : undefined; });
  assert.equal(api.json.name, 'api');
  assert.equal(api.json.url, '/api/v1?x=1');
  assert.match((await get('foo.test', '/')).json.name, /^web-[12]$/);
  assert.match((await get('foo.test', '/apix')).json.name, /^web-[12]$/, '/apix is not under /api');
  assert.equal((await get('a.bar.test', '/anything')).json.name, 'wild');
  assert.equal((await get('a.b.bar.test', '/')).status, 404, 'wildcards cover one label');
  assert.equal((await get('bar.test', '/')).status, 404);
  assert.equal((await get('nginx.test', '/')).status, 404);
});

test('503 when a backend Service has no ready endpoints', async () => {
  assert.equal((await get('foo.test', '/empty')).status, 503);
  assert.equal((await get('foo.test', '/notready')).status, 503);
  // becoming ready is picked up from the EndpointSlice watch
  const s = await client.get<KObject>(sliceR, 'notready-a', { namespace: 'default' }) as any;
  s.endpoints[0].conditions.ready = true;
  await client.update(sliceR, s, { namespace: 'default' });
  const r = await eventually('notready ready', async () => { const x = await get('foo.test', '/notready'); return x.status === 200 ? x : undefined; });
  assert.equal(r.json.name, 'web-1');
});

test('one keep-alive connection is balanced per request over the endpoints', async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const seen: string[] = [];
    let reused = 0;
    for (let i = 0; i < 6; i++) {
      const r = await get('foo.test', '/', { agent });
      seen.push(r.json.name);
      if (r.reused) reused++;
    }
    assert.ok(reused >= 5, `requests shared one connection (${reused} reused)`);
    assert.deepEqual([...new Set(seen)].sort(), ['web-1', 'web-2']);
  } finally {
    agent.destroy();
  }
});

test('request bodies and large chunked responses stream through', async () => {
  const posted = await new Promise<any>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: httpPort, method: 'POST', path: '/api/upload', headers: { host: 'foo.test' } }, (res) => {
      let b = ''; res.on('data', (c) => { b += c; }); res.on('end', () => resolve(JSON.parse(b)));
    });
    req.on('error', reject);
    for (let i = 0; i < 8; i++) req.write(Buffer.alloc(256 * 1024, 'y')); // chunked upload of 2 MiB
    req.end();
  });
  assert.deepEqual([posted.name, posted.method, posted.bytes], ['api', 'POST', 8 * 256 * 1024]);
  const big = await new Promise<{ len: number; backend: string; te: string }>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: httpPort, path: '/api/big', headers: { host: 'foo.test' } }, (res) => {
      let len = 0; res.on('data', (c: Buffer) => { len += c.length; });
      res.on('end', () => resolve({ len, backend: String(res.headers['x-backend']), te: String(res.headers['transfer-encoding']) }));
    }).on('error', reject);
  });
  assert.deepEqual(big, { len: 1_000_000, backend: 'api', te: 'chunked' });
});

test('X-Forwarded-* headers reach the backend; client-sent ones are replaced', async () => {
  const r = await new Promise<any>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: httpPort, path: '/api', headers: { host: 'foo.test', 'x-forwarded-for': '6.6.6.6' } }, (res) => {
      let b = ''; res.on('data', (c) => { b += c; }); res.on('end', () => resolve(JSON.parse(b)));
    }).on('error', reject);
  });
  assert.equal(r.headers['x-forwarded-for'], '127.0.0.1');
  assert.equal(r.headers['x-forwarded-proto'], 'http');
  assert.equal(r.headers['x-forwarded-host'], 'foo.test');
  assert.equal(r.headers['x-forwarded-port'], String(httpPort));
  assert.equal(r.headers.host, 'foo.test');
  const s = await get('foo.test', '/api', { tls: true });
  assert.equal(s.json.headers['x-forwarded-proto'], 'https');
  assert.equal(s.json.headers['x-forwarded-port'], String(httpsPort));
});

test('HTTPS presents the TLS Secret\'s certificate for its host (SNI) and a default one otherwise', async () => {
  const peer = (servername: string, ca?: string) => new Promise<tls.PeerCertificate>((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port: httpsPort, servername, ca, rejectUnauthorized: !!ca }, () => { resolve(s.getPeerCertificate()); s.end(); });
    s.on('error', reject);
  });
  const p = await peer('foo.test', fooCert.cert); // verified against the Secret's certificate
  assert.equal(p.subject.CN, 'foo.test');
  assert.match(p.subjectaltname ?? '', /DNS:foo\.test/);
  assert.equal(p.fingerprint256, new X509Certificate(fooCert.cert).fingerprint256);
  const d = await peer('unknown.test');
  assert.equal(d.subject.CN, defaultCertCN);
  // an RSA Secret too (an ECDSA default certificate used to shadow it: OpenSSL kept its key)
  const rsa = await peer('rsa.bar.test', rsaCert.cert);
  assert.equal(rsa.fingerprint256, new X509Certificate(rsaCert.cert).fingerprint256);
  const r = await new Promise<any>((resolve, reject) => {
    https.get({ host: '127.0.0.1', port: httpsPort, path: '/', servername: 'foo.test', ca: fooCert.cert, headers: { host: 'foo.test' } }, (res) => {
      let b = ''; res.on('data', (c) => { b += c; }); res.on('end', () => resolve(JSON.parse(b)));
    }).on('error', reject);
  });
  assert.match(r.name, /^web-[12]$/);
});

test('WebSocket upgrades pass through (ws and wss)', async () => {
  const echo = (url: string, opts: object) => new Promise<string>((resolve, reject) => {
    const ws = new WebSocket(url, opts);
    ws.on('open', () => ws.send('hello'));
    ws.on('message', (m) => { resolve(String(m)); ws.close(); });
    ws.on('error', reject);
  });
  assert.equal(await echo(`ws://127.0.0.1:${httpPort}/api/ws`, { headers: { host: 'foo.test' } }), 'api:hello');
  assert.equal(await echo(`wss://127.0.0.1:${httpsPort}/api/ws`, { headers: { host: 'foo.test' }, servername: 'foo.test', ca: fooCert.cert }), 'api:hello');
  assert.equal(await echo(`ws://127.0.0.1:${httpPort}/`, { headers: { host: 'x.bar.test' } }), 'wild:hello');
});

test('when k8ts stops being the default class, class-less Ingresses are dropped (and their status cleared); named ones stay', async () => {
  // admission names the default class only at creation: an update can leave an Ingress class-less
  await client.patch(ingressesResource, 'main', { namespace: 'default', patch: { spec: { ingressClassName: null } } });
  assert.equal((await client.get<KObject>(ingressesResource, 'main', { namespace: 'default' })).spec.ingressClassName, undefined);
  assert.equal((await get('foo.test', '/api')).status, 200, 'a class-less Ingress is served by the default class');
  await client.patch(ingressClassesResource, 'k8ts', { patch: { metadata: { annotations: { 'ingressclass.kubernetes.io/is-default-class': 'false' } } } });
  await client.create(ingressesResource, {
    apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'named', namespace: 'default' },
    spec: { ingressClassName: 'k8ts', rules: [{ host: 'named.test', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'api', port: { name: 'api' } } } }] } }] },
  } as KObject, { namespace: 'default' });
  await eventually('foo.test unserved', async () => ((await get('foo.test', '/api')).status === 404 ? true : undefined));
  const named = await eventually('named.test served', async () => { const r = await get('named.test', '/'); return r.status === 200 ? r : undefined; });
  assert.equal(named.json.name, 'api');
  await eventually('main status cleared', async () => {
    const o = await client.get<KObject>(ingressesResource, 'main', { namespace: 'default' });
    return (o.status?.loadBalancer?.ingress ?? []).length === 0 ? true : undefined;
  });
});
