// Endpoints controller (upstream pkg/controller/endpoint): for every Service with a selector, an
// Endpoints object of the same name listing the selected pods' IPs per port set — ready pods under
// addresses, unready ones under notReadyAddresses — with named targetPorts resolved per pod.
import type { KObject } from '../api/types.js';
import {
  EventRecorder, isAlreadyExists, isConflict, isNotFound, splitKey, WorkQueue,
  type RestClient, type SharedInformer, type SharedInformerFactory,
} from '../client/index.js';
import {
  canonical, findPort, headlessLabel, hostnameFor, isHeadless, isPodReady, lastChangeTriggerTimeAnnotation, podIPv4,
  rfc3339Nano, servicesResource, shouldPodBeInEndpoints, wireServicePodHandlers,
} from './endpointsutil.js';
import { isNamespaceTerminating, podsResource } from './resources.js';

export const endpointsResource = { group: '', version: 'v1', plural: 'endpoints', namespaced: true, kind: 'Endpoints' };
export const overCapacityAnnotation = 'endpoints.kubernetes.io/over-capacity';
const maxCapacity = 1000;

export interface EndpointsControllerOptions {
  client: RestClient; informers: SharedInformerFactory; recorder?: EventRecorder;
  now?: () => number; log?: (msg: string) => void;
}

interface Address { ip: string; hostname?: string; nodeName?: string; targetRef: Record<string, string> }
interface Port { name?: string; port: number; protocol: string; appProtocol?: string }
interface Subset { addresses?: Address[]; notReadyAddresses?: Address[]; ports?: Port[] }

const portKey = (p: Port) => `${p.name ?? ''}/${p.port}/${p.protocol}/${p.appProtocol ?? ''}`;
const addrKey = (a: Address) => `${a.ip}/${a.targetRef?.uid ?? ''}`;

/** upstream RepackSubsets: one subset per distinct port set, addresses and ports sorted */
export function repackSubsets(entries: { addr: Address; ready: boolean; port?: Port }[]): Subset[] {
  const byAddr = new Map<string, { addr: Address; ready: boolean; ports: Map<string, Port> }>();
  for (const e of entries) {
    const k = `${addrKey(e.addr)}/${e.ready}`;
    let a = byAddr.get(k);
    if (!a) byAddr.set(k, (a = { addr: e.addr, ready: e.ready, ports: new Map() }));
    if (e.port) a.ports.set(portKey(e.port), e.port);
  }
  const bySet = new Map<string, Subset & { key: string }>();
  for (const a of byAddr.values()) {
    const ports = [...a.ports.values()].sort((x, y) => (portKey(x) < portKey(y) ? -1 : 1));
    const k = ports.map(portKey).join(',');
    let s = bySet.get(k);
    if (!s) bySet.set(k, (s = { key: k, ...(ports.length ? { ports } : {}) }));
    const list = a.ready ? (s.addresses ??= []) : (s.notReadyAddresses ??= []);
    list.push(a.addr);
  }
  const cmp = (x: Address, y: Address) => (addrKey(x) < addrKey(y) ? -1 : addrKey(x) > addrKey(y) ? 1 : 0);
  return [...bySet.values()].sort((x, y) => (x.key < y.key ? -1 : 1)).map(({ key: _k, ...s }) => {
    s.addresses?.sort(cmp); s.notReadyAddresses?.sort(cmp);
    return s;
  });
}

/** the subsets an Endpoints object for svc should have, given all pods in its namespace */
export function desiredSubsets(svc: KObject, pods: KObject[]): Subset[] {
  const tolerate = svc.spec?.publishNotReadyAddresses === true;
  const entries: { addr: Address; ready: boolean; port?: Port }[] = [];
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, tolerate)) continue;
    const ip = podIPv4(pod);
    if (!ip) continue;
    const addr: Address = { ip, targetRef: { kind: 'Pod', namespace: pod.metadata.namespace!, name: pod.metadata.name!, uid: pod.metadata.uid! } };
    const hn = hostnameFor(pod, svc);
    if (hn) addr.hostname = hn;
    if (pod.spec?.nodeName) addr.nodeName = pod.spec.nodeName;
    const ready = tolerate || isPodReady(pod);
    const svcPorts: any[] = svc.spec?.ports ?? [];
    if (!svcPorts.length) {
      if (isHeadless(svc)) entries.push({ addr, ready });
      continue;
    }
    for (const sp of svcPorts) {
      const n = findPort(pod, sp);
      if (n === undefined) continue;
      const port: Port = { port: n, protocol: sp.protocol ?? 'TCP' };
      if (sp.name) port.name = sp.name;
      if (sp.appProtocol) port.appProtocol = sp.appProtocol;
      entries.push({ addr, ready, port });
    }
  }
  return repackSubsets(entries);
}

/** cuts subsets to 1000 addresses in total, ready ones first (upstream capacity rule) */
function truncate(subsets: Subset[]): boolean {
  let total = 0;
  for (const s of subsets) total += (s.addresses?.length ?? 0) + (s.notReadyAddresses?.length ?? 0);
  if (total <= maxCapacity) return false;
  let left = maxCapacity;
  for (const s of subsets) { if (s.addresses) { s.addresses = s.addresses.slice(0, left); left -= s.addresses.length; } }
  for (const s of subsets) { if (s.notReadyAddresses) { s.notReadyAddresses = s.notReadyAddresses.slice(0, Math.max(0, left)); left -= s.notReadyAddresses.length; } }
  return true;
}

export class EndpointsController {
  readonly queue: WorkQueue<string>;
  readonly services: SharedInformer;
  readonly pods: SharedInformer;
  readonly endpoints: SharedInformer;
  private readonly recorder: EventRecorder;
  private readonly triggers: Map<string, number>;
  private readonly now: () => number;

  constructor(private readonly opts: EndpointsControllerOptions) {
    this.now = opts.now ?? Date.now;
    this.recorder = opts.recorder ?? new EventRecorder(opts.client, { component: 'endpoint-controller' });
    // conflicts and already-exists come from a lagging cache: retried quietly
    this.queue = new WorkQueue<string>({ name: 'endpoint', onError: (k, e) => isConflict(e) || isAlreadyExists(e) || opts.log?.(`endpoint controller: syncing ${k}: ${e instanceof Error ? e.message : e}`) });
    this.services = opts.informers.informerFor(servicesResource);
    this.pods = opts.informers.informerFor(podsResource);
    this.endpoints = opts.informers.informerFor(endpointsResource);
    this.triggers = wireServicePodHandlers(this.services, this.pods, this.queue, this.now);
    // an Endpoints object changed or deleted by someone else: put it right
    this.endpoints.addEventHandler({ update: (_o, e) => this.queue.add(`${e.metadata.namespace}/${e.metadata.name}`), delete: (e) => this.queue.add(`${e.metadata.namespace}/${e.metadata.name}`) });
  }

  async run(workers: number, signal: AbortSignal): Promise<void> {
    const synced = await Promise.all([this.services.waitForSync(signal), this.pods.waitForSync(signal), this.endpoints.waitForSync(signal)]);
    if (!synced.every(Boolean)) return;
    // Endpoints whose Service is gone (the controller was down when it went)
    for (const e of this.endpoints.lister.list()) if (!this.services.lister.get(e.metadata.namespace!, e.metadata.name!)) this.queue.add(`${e.metadata.namespace}/${e.metadata.name}`);
    await this.queue.runWorkers(workers, (k) => this.reconcile(k), signal);
  }

  async reconcile(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const client = this.opts.client;
    const svc = this.services.lister.get(namespace, name);
    const current = this.endpoints.lister.get(namespace, name);
    if (!svc) {
      // the service is gone: so are its endpoints (only those this controller would have made)
      if (current && !(namespace === 'default' && name === 'kubernetes')) {
        try { await client.delete(endpointsResource, name, { namespace }); } catch (e) { if (!isNotFound(e)) throw e; }
      }
      this.triggers.delete(key);
      return;
    }
    if (!svc.spec?.selector || svc.spec.type === 'ExternalName') return;
    const trigger = this.triggers.get(key);
    const pods = this.pods.lister.list(namespace, { matchLabels: svc.spec.selector });
    const subsets = desiredSubsets(svc, pods);
    const truncated = truncate(subsets);
    const labels: Record<string, string> = { ...(svc.metadata.labels ?? {}) };
    if (isHeadless(svc)) labels[headlessLabel] = ''; else delete labels[headlessLabel];
    const annotations: Record<string, string> = { ...(current?.metadata.annotations ?? {}) };
    if (truncated) annotations[overCapacityAnnotation] = 'truncated'; else delete annotations[overCapacityAnnotation];
    const sameLabels = canonical(current?.metadata.labels ?? {}) === canonical(labels);
    if (current && sameLabels && canonical(current.subsets ?? []) === canonical(subsets)
      && (current.metadata.annotations?.[overCapacityAnnotation] === undefined) === !truncated) {
      this.triggers.delete(key);
      return;
    }
    if (trigger !== undefined) annotations[lastChangeTriggerTimeAnnotation] = rfc3339Nano(trigger);
    else delete annotations[lastChangeTriggerTimeAnnotation];
    const ep: KObject = {
      apiVersion: 'v1', kind: 'Endpoints',
      metadata: { name, namespace, ...(Object.keys(labels).length ? { labels } : {}), ...(Object.keys(annotations).length ? { annotations } : {}) },
      subsets,
    };
    try {
      if (current) {
        ep.metadata.resourceVersion = current.metadata.resourceVersion;
        await client.update(endpointsResource, ep, { namespace });
      } else {
        await client.create(endpointsResource, ep, { namespace });
      }
      this.triggers.delete(key);
    } catch (e) {
      if (!current && isNamespaceTerminating(e)) return;
      // AlreadyExists: the cache has not yet seen an Endpoints written (by us, a moment ago, or by
      // someone else). Its watch event is an add, which requeues nothing, so retry (rate-limited)
      // until the cache has it and the update path applies the change, as upstream does.
      if (!current && isAlreadyExists(e)) throw e;
      this.recorder.event(svc, 'Warning', 'FailedToUpdateEndpoint', `Failed to update endpoint ${key}: ${e instanceof Error ? e.message : e}`);
      throw e;
    }
  }
}
