// Cluster DNS: answers the cluster zone from Service and EndpointSlice informers, forwards other
// names to the host's resolvers, and publishes itself as kube-system/kube-dns.
import * as os from 'node:os';
import { RestClient, SharedInformerFactory, type SharedInformer } from '../client/index.js';
import type { KObject } from '../api/types.js';
import { ClusterView } from './view.js';
import { Forwarder, parseUpstreams, resolvConfUpstreams, type Upstream } from './forward.js';
import { Resolver } from './resolver.js';
import { listenDns } from './server.js';
import { localServiceAcl } from './acl.js';
import { clusterDnsIP, dnsNamespace, dnsServiceName, endpointSlicesResource, publishKubeDns, servicesResource } from './publish.js';

export { ClusterView } from './view.js';
export { Resolver } from './resolver.js';
export { Forwarder, parseUpstreams, resolvConfUpstreams, type Upstream } from './forward.js';
export { answerQuestion, type ZoneOptions, type ZoneReply } from './answer.js';
export { respond, encodeFitting, decodeMessage, type Message } from './message.js';
export { publishKubeDns, clusterDnsIP } from './publish.js';

export interface DnsOptions {
  /** admin kubeconfig (or pass client) */
  kubeconfigPath?: string;
  client?: RestClient;
  /** listen address (default: $K8TS_NODE_IP, else the first non-loopback IPv4 address) */
  host?: string;
  /** listen port (default: $K8TS_DNS_PORT, else 53; 0 = any free port) */
  port?: number;
  /** upstream resolvers (default: $K8TS_DNS_UPSTREAM, else the nameservers of $K8TS_RESOLV_CONF or /etc/resolv.conf) */
  upstreams?: Upstream[];
  /** the kube-dns Service's ClusterIP (default: the 10th address of the service CIDR, read from the kubernetes Service) */
  clusterIP?: string;
  /** cluster domain (default cluster.local) and TTL (default 5 s) */
  zone?: string;
  ttl?: number;
  /**
   * clients served besides loopback and the node's own subnets (default: $K8TS_CLUSTER_CIDR, else
   * 10.42.0.0/16, the pod network); ['0.0.0.0/0', '::/0'] serves everyone
   */
  allowCidrs?: string[];
  /** publish the kube-dns Service and EndpointSlice (default true) */
  publish?: boolean;
  log?: (msg: string) => void;
}

export interface RunningDns {
  host: string;
  port: number;
  upstreams: Upstream[];
  view: ClusterView;
  stop(): Promise<void>;
}

/** the first non-loopback IPv4 address, else 127.0.0.1 (as the kubelet's InternalIP) */
export function nodeAddress(): string {
  for (const addrs of Object.values(os.networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

export async function startDns(opts: DnsOptions): Promise<RunningDns> {
  const log = opts.log ?? (() => {});
  const host = opts.host ?? (process.env.K8TS_NODE_IP || nodeAddress());
  const envPort = process.env.K8TS_DNS_PORT;
  const port = opts.port ?? (envPort !== undefined && envPort !== '' ? Number(envPort) : 53);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid DNS port ${envPort}`);
  const client = opts.client ?? RestClient.fromKubeconfig(opts.kubeconfigPath!, { userAgent: 'k8ts-dns/v0.1.0' });
  const ownClient = !opts.client;
  const ac = new AbortController();
  const informers = new SharedInformerFactory(client);
  const services: SharedInformer<KObject> = informers.informerFor(servicesResource);
  const slices: SharedInformer<KObject> = informers.informerFor(endpointSlicesResource);
  const zone = opts.zone ?? 'cluster.local';
  const view = new ClusterView(services.lister, slices.lister, zone);
  let republish = () => {};
  const onChange = (o: KObject) => {
    view.invalidate();
    if (o.metadata.namespace === dnsNamespace && o.metadata.name === dnsServiceName) republish();
  };
  for (const inf of [services, slices]) inf.addEventHandler({ add: onChange, update: (_, n) => onChange(n), delete: onChange });
  informers.start(ac.signal);
  const cleanup = async () => { ac.abort(); await informers.stop(); if (ownClient) client.close(); };
  try {
    await informers.waitForCacheSync(ac.signal);
    const self = { host, port };
    const upstreams = opts.upstreams
      ?? (process.env.K8TS_DNS_UPSTREAM ? parseUpstreams(process.env.K8TS_DNS_UPSTREAM) : resolvConfUpstreams(self, process.env.K8TS_RESOLV_CONF || '/etc/resolv.conf'));
    const resolver = new Resolver(view, { zone, ttl: opts.ttl, forwarder: new Forwarder(upstreams) });
    const allow = localServiceAcl(opts.allowCidrs ?? (process.env.K8TS_CLUSTER_CIDR || '10.42.0.0/16').split(',').map((c) => c.trim()).filter(Boolean));
    const listener = await listenDns({ host, port, handler: (m, t) => resolver.handle(m, t), log, allow });
    log(`dns: serving ${zone} on ${host}:${listener.port} (udp, tcp); upstream ${upstreams.map((u) => `${u.host}:${u.port}`).join(', ') || 'none (SERVFAIL for other names)'}`);

    let publishing: Promise<void> = Promise.resolve();
    if (opts.publish ?? true) {
      const kubernetes = services.lister.get('default', 'kubernetes');
      const clusterIP = opts.clusterIP ?? clusterDnsIP(kubernetes?.spec?.clusterIP ?? '10.43.0.1');
      const pub = { clusterIP, address: host, port: listener.port, nodeName: process.env.K8TS_NODE_NAME ?? os.hostname().toLowerCase(), signal: ac.signal };
      // level-based with one run at a time; a failed run is tried again after a back-off
      let running = false, again = false, timer: NodeJS.Timeout | undefined, backoff = 1_000, lastLog = '';
      const say = (line: string) => { if (line !== lastLog) log(`dns: ${(lastLog = line)}`); };
      const run = async (): Promise<void> => {
        if (running) { again = true; return; }
        running = true;
        try {
          for (const line of await publishKubeDns(client, pub)) say(line);
          backoff = 1_000;
        } catch (e) {
          if (!ac.signal.aborted) {
            say(`publishing ${dnsNamespace}/${dnsServiceName}: ${(e as Error)?.message ?? e}`);
            clearTimeout(timer);
            timer = setTimeout(() => void run(), (backoff = Math.min(backoff * 2, 60_000)));
          }
        } finally {
          running = false;
          if (again && !ac.signal.aborted) { again = false; void run(); }
        }
      };
      republish = () => { if (!ac.signal.aborted) void run(); };
      publishing = run();
      ac.signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
    }
    await publishing;
    return {
      host, port: listener.port, upstreams, view,
      async stop() { await listener.close(); await cleanup(); },
    };
  } catch (e) {
    await cleanup();
    throw e;
  }
}
