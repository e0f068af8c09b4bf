// The Ingress controller: serves networking.k8s.io/v1 Ingresses of class `k8ts` (or of any other
// IngressClass with spec.controller k8ts.io/ingress-controller, or without a class while one of
// those is the default IngressClass) with an HTTP and an HTTPS listener on the node,
// and reports the node address in status.loadBalancer.ingress.
//
// Listeners: $K8TS_NODE_IP (else 0.0.0.0) on $K8TS_INGRESS_HTTP_PORT / $K8TS_INGRESS_HTTPS_PORT
// (default 80 / 443; 0 = any free port). Where they really listen is logged
// ("ingress: serving http on ADDR:PORT, https on ADDR:PORT") and written into each served Ingress's
// status: loadBalancer.ingress = [{ip, ports: [{port: http, protocol: TCP}, {port: https, protocol: TCP}]}].
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as tls from 'node:tls';
import type { KObject } from '../api/types.js';
import { RestClient, SharedInformerFactory, WorkQueue, isAlreadyExists, isNotFound, keyOf, splitKey, type SharedInformer } from '../client/index.js';
import { Backends } from './backends.js';
import { Certificates, defaultCertCN, selfSignedCert } from './certs.js';
import { buildRoutes, className, controllerName, defaultClassAnnotation, ourClasses, servesIngress, type RouteTable } from './match.js';
import { createProxy, type Router } from './proxy.js';
import { FastPath, UpstreamPool } from './fastpath.js';

export * from './match.js';
export { Backends, type Target } from './backends.js';
export { Certificates, selfSignedCert, defaultCertCN } from './certs.js';
export { createProxy } from './proxy.js';
export { FastPath, UpstreamPool } from './fastpath.js';

export const ingressesResource = { group: 'networking.k8s.io', version: 'v1', plural: 'ingresses', namespaced: true, kind: 'Ingress' };
export const ingressClassesResource = { group: 'networking.k8s.io', version: 'v1', plural: 'ingressclasses', namespaced: false, kind: 'IngressClass' };
const servicesResource = { group: '', version: 'v1', plural: 'services', namespaced: true, kind: 'Service' };
const endpointSlicesResource = { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', namespaced: true, kind: 'EndpointSlice' };
const secretsResource = { group: '', version: 'v1', plural: 'secrets', namespaced: true, kind: 'Secret' };

export interface IngressOptions {
  kubeconfigPath?: string;
  client?: RestClient;
  /** bind address (default $K8TS_NODE_IP, else 0.0.0.0) */
  host?: string;
  /** default $K8TS_INGRESS_HTTP_PORT / $K8TS_INGRESS_HTTPS_PORT, else 80 / 443; 0 = any free port */
  httpPort?: number;
  httpsPort?: number;
  /** the address written into Ingress status (default: the bind address, or the node's first IPv4 address) */
  address?: string;
  log?: (msg: string) => void;
}

export interface RunningIngress {
  host: string; httpPort: number; httpsPort: number; address: string;
  stop(): Promise<void>;
}

function envPort(name: string, dflt: number): number {
  const v = process.env[name];
  const n = v === undefined || v === '' ? dflt : Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`invalid ${name} ${v}`);
  return n;
}

function nodeAddress(): string {
  for (const addrs of Object.values(os.networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

function listen(server: net.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => { server.off('error', reject); resolve((server.address() as { port: number }).port); });
  });
}

export function desiredIngressClass(): KObject {
  return {
    apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass',
    metadata: { name: className, annotations: { [defaultClassAnnotation]: 'true' }, labels: { 'app.kubernetes.io/managed-by': 'k8ts' } },
    spec: { controller: controllerName },
  };
}

export async function startIngress(opts: IngressOptions): Promise<RunningIngress> {
  const log = opts.log ?? (() => {});
  const host = opts.host ?? (process.env.K8TS_NODE_IP || '0.0.0.0');
  const httpPort = opts.httpPort ?? envPort('K8TS_INGRESS_HTTP_PORT', 80);
  const httpsPort = opts.httpsPort ?? envPort('K8TS_INGRESS_HTTPS_PORT', 443);
  const address = opts.address ?? (host === '0.0.0.0' || host === '::' ? nodeAddress() : host);
  const client = opts.client ?? RestClient.fromKubeconfig(opts.kubeconfigPath!, { userAgent: 'k8ts-ingress/v0.1.0' });
  const ownClient = !opts.client;
  const ac = new AbortController();
  const informers = new SharedInformerFactory(client);
  const ingresses: SharedInformer<KObject> = informers.informerFor(ingressesResource);
  const classes: SharedInformer<KObject> = informers.informerFor(ingressClassesResource);
  const services = informers.informerFor(servicesResource);
  const slices = informers.informerFor(endpointSlicesResource);
  const secrets = informers.informerFor(secretsResource);
  const queue = new WorkQueue<string>({ name: 'ingress-status', onError: (k, e) => log(`ingress: status of ${String(k)}: ${(e as Error)?.message ?? e}`) });
  const backends = new Backends(services.lister, slices.lister);
  // RSA on purpose: when SNICallback switches to a Secret's context, OpenSSL keeps the key of the
  // listener's own context in the slot of its type, and prefers ECDSA. An ECDSA default certificate
  // would so shadow every RSA Secret; an RSA one is replaced by RSA Secrets and loses to ECDSA ones.
  // (RSA key generation takes a few hundred ms: it runs while the informers sync)
  const defaultCertP = selfSignedCert(defaultCertCN, ['ingress.local'], 365, 'rsa');
  defaultCertP.catch(() => {});
  let certs: Certificates | undefined;

  // the route table is rebuilt lazily, on the first request after an Ingress or class change
  let table: RouteTable | undefined;
  const served = () => {
    const ours = ourClasses(classes.lister.list());
    return ingresses.lister.list().filter((i) => servesIngress(i, ours));
  };
  const current = (): RouteTable => {
    if (!table) { const s = served(); table = buildRoutes(s); certs?.setIngresses(s); }
    return table;
  };
  const routesChanged = () => { table = undefined; };
  ingresses.addEventHandler({
    add: (o) => { routesChanged(); queue.add(keyOf(o)); },
    update: (_, o) => { routesChanged(); queue.add(keyOf(o)); },
    delete: () => routesChanged(),
  });
  classes.addEventHandler({
    add: () => { routesChanged(); for (const i of ingresses.lister.list()) queue.add(keyOf(i)); },
    update: () => { routesChanged(); for (const i of ingresses.lister.list()) queue.add(keyOf(i)); },
    delete: () => { routesChanged(); for (const i of ingresses.lister.list()) queue.add(keyOf(i)); },
  });
  for (const inf of [services, slices]) inf.addEventHandler({ add: () => backends.invalidate(), update: () => backends.invalidate(), delete: () => backends.invalidate() });
  secrets.addEventHandler({ add: () => {}, update: () => {}, delete: () => {} });

  const router: Router = (h, path) => {
    const b = current().lookup(h, path);
    if (!b) return { status: 404, reason: '' };
    const p = backends.pick(b);
    return 'target' in p ? p : { status: p.status, reason: '' };
  };

  informers.start(ac.signal);
  const servers: net.Server[] = [];
  const fallbacks: http.Server[] = [];
  const fast: FastPath[] = [];
  const pool = new UpstreamPool();
  const cleanup = async () => {
    ac.abort();
    queue.shutDown();
    for (const s of servers) s.close();
    for (const f of fast) f.closeAll();
    for (const s of fallbacks) s.closeAllConnections();
    pool.destroy();
    await informers.stop();
    if (ownClient) client.close();
  };
  try {
    await informers.waitForCacheSync(ac.signal);
    const defaultCert = await defaultCertP;
    const tlsCerts = (certs = new Certificates(secrets.lister, tls.createSecureContext(defaultCert), log));
    table = undefined; // the next lookup also gives the certificates their hosts
    await ensureIngressClass(client, classes, log);
    let ports = { http: 0, https: 0 };
    const plainProxy = createProxy(router, { proto: 'http', port: () => ports.http, log });
    const tlsProxy = createProxy(router, { proto: 'https', port: () => ports.https, agent: plainProxy.agent, log });
    // connections start on the fast path (fastpath.ts); it hands those it does not handle to node's
    // HTTP server running the general proxy (these servers never listen themselves)
    const fallback = (p: ReturnType<typeof createProxy>) => {
      const s = http.createServer({ keepAliveTimeout: 60_000 }, p.onRequest);
      s.on('upgrade', p.onUpgrade);
      fallbacks.push(s);
      return s;
    };
    const plainFast = new FastPath(router, { proto: 'http', port: () => ports.http, fallback: fallback(plainProxy), pool, log });
    const tlsFast = new FastPath(router, { proto: 'https', port: () => ports.https, fallback: fallback(tlsProxy), pool, log });
    fast.push(plainFast, tlsFast);
    const httpServer = net.createServer({ allowHalfOpen: true }, plainFast.onConnection);
    const httpsServer = tls.createServer({
      ...defaultCert, ALPNProtocols: ['http/1.1'], allowHalfOpen: true,
      SNICallback: (name, cb) => { current(); cb(null, tlsCerts.contextFor(name)); },
    }, tlsFast.onConnection);
    httpsServer.on('tlsClientError', () => {});
    servers.push(httpServer, httpsServer);
    ports = { http: await listen(httpServer, httpPort, host), https: await listen(httpsServer, httpsPort, host) };
    const shown = host.includes(':') ? `[${host}]` : host;
    log(`ingress: serving http on ${shown}:${ports.http}, https on ${shown}:${ports.https}; class ${className} (${controllerName}), status address ${address}`);

    const lb = [{ ...(net.isIP(address) ? { ip: address } : { hostname: address }), ports: [{ port: ports.http, protocol: 'TCP' }, { port: ports.https, protocol: 'TCP' }] }];
    const reconcile = async (key: string) => {
      const { namespace, name } = splitKey(key);
      const ing = ingresses.lister.get(namespace, name);
      if (!ing) return;
      const ours = ourClasses(classes.lister.list());
      const have = ing.status?.loadBalancer?.ingress ?? [];
      const want = servesIngress(ing, ours) ? lb : (JSON.stringify(have) === JSON.stringify(lb) ? [] : have);
      if (JSON.stringify(have) === JSON.stringify(want)) return;
      try {
        await client.patch(ingressesResource, name, { namespace, subresource: 'status', type: 'merge', patch: { status: { loadBalancer: { ingress: want } } }, signal: ac.signal });
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    };
    void queue.runWorkers(1, reconcile, ac.signal).catch(() => {});
    for (const i of ingresses.lister.list()) queue.add(keyOf(i));
    return {
      host, httpPort: ports.http, httpsPort: ports.https, address,
      async stop() { plainProxy.agent.destroy(); await cleanup(); },
    };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

/** creates IngressClass k8ts (default class) when missing; an existing one is left as the admin set it */
async function ensureIngressClass(client: RestClient, classes: SharedInformer<KObject>, log: (m: string) => void): Promise<void> {
  const have = classes.lister.get('', className);
  if (have) {
    if (have.spec?.controller !== controllerName) log(`ingress: IngressClass ${className} names controller ${have.spec?.controller}, not ${controllerName}`);
    return;
  }
  try {
    await client.create(ingressClassesResource, desiredIngressClass());
    log(`ingress: created IngressClass ${className} (default class)`);
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
  }
}
