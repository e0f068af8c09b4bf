// EndpointSlice controller (upstream pkg/controller/endpointslice + staging endpointslice
// reconciler): for every Service with a selector, IPv4 EndpointSlices owned by the Service, one
// group per distinct port set, at most 100 endpoints each. Every selected pod with an IP is listed
// with ready/serving/terminating conditions; endpoints stay in the slice that already holds them.
// A Service without endpoints keeps one empty placeholder slice.
import type { KObject } from '../api/types.js';
import {
  EventRecorder, isConflict, isNotFound, splitKey, WorkQueue,
  type RestClient, type SharedInformer, type SharedInformerFactory,
} from '../client/index.js';
import {
  canonical, findPort, headlessLabel, hostnameFor, isHeadless, isPodReady, lastChangeTriggerTimeAnnotation, nodesResource,
  podIPv4, rfc3339Nano, servicesResource, shouldPodBeInEndpoints, wireServicePodHandlers,
} from './endpointsutil.js';
import { isNamespaceTerminating, podsResource } from './resources.js';

export const endpointSlicesResource = { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', namespaced: true, kind: 'EndpointSlice' };
export const serviceNameLabel = 'kubernetes.io/service-name';
export const managedByLabel = 'endpointslice.kubernetes.io/managed-by';
export const controllerName = 'endpointslice-controller.k8s.io';
export const maxEndpointsPerSlice = 100;

export interface SlicePort { name: string; port: number; protocol: string; appProtocol?: string }
export interface SliceEndpoint {
  addresses: string[];
  conditions: { ready: boolean; serving: boolean; terminating: boolean };
  hostname?: string; nodeName?: string; zone?: string;
  targetRef: { kind: string; namespace: string; name: string; uid: string };
}

export interface EndpointSliceControllerOptions {
  client: RestClient; informers: SharedInformerFactory; recorder?: EventRecorder;
  maxEndpointsPerSlice?: number; now?: () => number; log?: (msg: string) => void;
}

const epKey = (e: SliceEndpoint) => e.targetRef.uid || e.addresses[0];

/** desired endpoints of a service grouped by port set (key: canonical JSON of the ports) */
export function desiredEndpoints(svc: KObject, pods: KObject[], zoneOf: (node: string) => string | undefined = () => undefined): Map<string, { ports: SlicePort[]; endpoints: SliceEndpoint[] }> {
  const out = new Map<string, { ports: SlicePort[]; endpoints: SliceEndpoint[] }>();
  const publishNotReady = svc.spec?.publishNotReadyAddresses === true;
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, true)) continue;
    const ip = podIPv4(pod);
    if (!ip) continue;
    const ports: SlicePort[] = [];
    for (const sp of svc.spec?.ports ?? []) {
      const n = findPort(pod, sp);
      if (n === undefined) continue;
      const p: SlicePort = { name: sp.name ?? '', port: n, protocol: sp.protocol ?? 'TCP' };
      if (sp.appProtocol) p.appProtocol = sp.appProtocol;
      ports.push(p);
    }
    ports.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.port - b.port));
    const serving = isPodReady(pod);
    const terminating = !!pod.metadata.deletionTimestamp;
    const ep: SliceEndpoint = {
      addresses: [ip],
      conditions: { ready: publishNotReady || (serving && !terminating), serving, terminating },
      targetRef: { kind: 'Pod', namespace: pod.metadata.namespace!, name: pod.metadata.name!, uid: pod.metadata.uid! },
    };
    const hn = hostnameFor(pod, svc);
    if (hn) ep.hostname = hn;
    if (pod.spec?.nodeName) {
      ep.nodeName = pod.spec.nodeName;
      const z = zoneOf(pod.spec.nodeName);
      if (z) ep.zone = z;
    }
    const k = canonical(ports);
    let g = out.get(k);
    if (!g) out.set(k, (g = { ports, endpoints: [] }));
    g.endpoints.push(ep);
  }
  return out;
}

export class EndpointSliceController {
  readonly queue: WorkQueue<string>;
  readonly services: SharedInformer;
  readonly pods: SharedInformer;
  readonly nodes: SharedInformer;
  readonly slices: SharedInformer;
  private readonly recorder: EventRecorder;
  private readonly triggers: Map<string, number>;
  private readonly max: number;
  /** per service: slices we wrote (name -> resourceVersion, '' when deleted) the cache has yet to show */
  private readonly written = new Map<string, Map<string, { rv: string; at: number }>>();

  constructor(private readonly opts: EndpointSliceControllerOptions) {
    this.max = opts.maxEndpointsPerSlice ?? maxEndpointsPerSlice;
    this.recorder = opts.recorder ?? new EventRecorder(opts.client, { component: 'endpoint-slice-controller' });
    this.queue = new WorkQueue<string>({ name: 'endpoint_slice', onError: (k, e) => isConflict(e) || opts.log?.(`endpointslice controller: syncing ${k}: ${e instanceof Error ? e.message : e}`) });
    this.services = opts.informers.informerFor(servicesResource);
    this.pods = opts.informers.informerFor(podsResource);
    this.nodes = opts.informers.informerFor(nodesResource);
    this.slices = opts.informers.informerFor(endpointSlicesResource);
    this.triggers = wireServicePodHandlers(this.services, this.pods, this.queue, opts.now ?? Date.now);
    const onSlice = (s: KObject) => {
      const svc = s.metadata.labels?.[serviceNameLabel];
      if (svc && s.metadata.labels?.[managedByLabel] === controllerName) this.queue.add(`${s.metadata.namespace}/${svc}`);
    };
    this.slices.addEventHandler({ add: onSlice, update: (o, s) => { if (o.metadata.resourceVersion !== s.metadata.resourceVersion) onSlice(s); }, delete: onSlice });
  }

  async run(workers: number, signal: AbortSignal): Promise<void> {
    const synced = await Promise.all([this.services, this.pods, this.nodes, this.slices].map((i) => i.waitForSync(signal)));
    if (!synced.every(Boolean)) return;
    await this.queue.runWorkers(workers, (k) => this.reconcile(k), signal);
  }

  private managedSlices(namespace: string, name: string): KObject[] {
    return this.slices.lister.list(namespace, (s) => s.metadata.labels?.[serviceNameLabel] === name && s.metadata.labels?.[managedByLabel] === controllerName);
  }

  /** whether the slice cache still lags behind this controller's own writes for a service */
  private cacheStale(key: string, namespace: string): boolean {
    const w = this.written.get(key);
    if (!w) return false;
    for (const [name, { rv, at }] of w) {
      const cur = this.slices.lister.get(namespace, name);
      const seen = rv === '' ? !cur : !!cur && newerOrSame(cur.metadata.resourceVersion, rv);
      // give up waiting after 10s (e.g. someone else deleted the slice meanwhile)
      if (seen || Date.now() - at > 10_000) w.delete(name);
    }
    if (!w.size) this.written.delete(key);
    return w.size > 0;
  }

  async reconcile(key: string): Promise<void | { requeueAfter: number }> {
    const { namespace, name } = splitKey(key);
    const svc = this.services.lister.get(namespace, name);
    if (!svc) { this.triggers.delete(key); this.written.delete(key); return; }
    if (this.cacheStale(key, namespace)) return { requeueAfter: 50 };   // owned slices go with the Service (garbage collector)
    if (!svc.spec?.selector || svc.spec.type === 'ExternalName') return;
    const existing = this.managedSlices(namespace, name).filter((s) => !s.metadata.deletionTimestamp && (s.addressType ?? 'IPv4') === 'IPv4');
    const pods = this.pods.lister.list(namespace, { matchLabels: svc.spec.selector });
    const zoneOf = (n: string) => this.nodes.lister.get('', n)?.metadata.labels?.['topology.kubernetes.io/zone'];
    const desired = desiredEndpoints(svc, pods, zoneOf);
    const trigger = this.triggers.get(key);
    try {
      await this.apply(svc, existing, desired, trigger, key);
      this.triggers.delete(key);
    } catch (e) {
      if (isNamespaceTerminating(e)) return;
      this.recorder.event(svc, 'Warning', 'FailedToUpdateEndpointSlices', `Error updating Endpoint Slices for Service ${key}: ${e instanceof Error ? e.message : e}`);
      throw e;
    }
  }

  private labelsFor(svc: KObject): Record<string, string> {
    const l: Record<string, string> = {};
    for (const [k, v] of Object.entries(svc.metadata.labels ?? {})) if (k !== serviceNameLabel && k !== managedByLabel && k !== headlessLabel) l[k] = v;
    l[serviceNameLabel] = svc.metadata.name!;
    l[managedByLabel] = controllerName;
    if (isHeadless(svc)) l[headlessLabel] = '';
    return l;
  }

  private async apply(svc: KObject, existing: KObject[], desired: Map<string, { ports: SlicePort[]; endpoints: SliceEndpoint[] }>, trigger: number | undefined, key: string): Promise<void> {
    const client = this.opts.client;
    const wrote = (n: string, rv: string) => { let w = this.written.get(key); if (!w) this.written.set(key, (w = new Map())); w.set(n, { rv, at: Date.now() }); };
    const ns = svc.metadata.namespace!;
    const labels = this.labelsFor(svc);
    const plans: { slice?: KObject; ports: SlicePort[]; endpoints: SliceEndpoint[] }[] = [];
    const unused = new Set(existing);
    const byPorts = new Map<string, KObject[]>();
    for (const s of existing) {
      const k = canonical([...(s.ports ?? [])].sort((a: any, b: any) => ((a.name ?? '') < (b.name ?? '') ? -1 : (a.name ?? '') > (b.name ?? '') ? 1 : a.port - b.port)));
      const l = byPorts.get(k) ?? []; l.push(s); byPorts.set(k, l);
    }
    for (const [k, g] of desired) {
      const slices = [...(byPorts.get(k) ?? [])].sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1));
      const want = new Map(g.endpoints.map((e) => [epKey(e), e]));
      const placed = new Set<string>();
      const groupPlans = slices.map((s) => {
        // keep each endpoint in the slice that already has it
        const eps: SliceEndpoint[] = [];
        for (const e of s.endpoints ?? []) {
          const k2 = epKey(e);
          const d = want.get(k2);
          if (d && !placed.has(k2) && eps.length < this.max) { eps.push(d); placed.add(k2); }
        }
        return { slice: s as KObject | undefined, ports: g.ports, endpoints: eps };
      });
      const rest = g.endpoints.filter((e) => !placed.has(epKey(e)));
      for (const p of groupPlans) while (rest.length && p.endpoints.length < this.max) p.endpoints.push(rest.shift()!);
      while (rest.length) groupPlans.push({ slice: undefined, ports: g.ports, endpoints: rest.splice(0, this.max) });
      for (const p of groupPlans) {
        if (p.slice && !p.endpoints.length) continue;   // emptied: deleted below
        if (p.slice) unused.delete(p.slice);
        plans.push(p);
      }
    }
    if (!plans.length) {
      // no endpoints at all: one placeholder slice without ports or endpoints
      const ph = existing.find((s) => !(s.ports ?? []).length) ?? existing[0];
      if (ph) unused.delete(ph);
      plans.push({ slice: ph, ports: [], endpoints: [] });
    }
    const annotations = trigger !== undefined ? { [lastChangeTriggerTimeAnnotation]: rfc3339Nano(trigger) } : undefined;
    for (const p of plans) {
      const body: KObject = {
        apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
        metadata: {
          ...(p.slice ? { name: p.slice.metadata.name, resourceVersion: p.slice.metadata.resourceVersion } : { generateName: `${svc.metadata.name!.slice(0, 57)}-` }),
          namespace: ns, labels,
          ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: svc.metadata.name!, uid: svc.metadata.uid!, controller: true, blockOwnerDeletion: true }],
        },
        addressType: 'IPv4',
        endpoints: p.endpoints,
        ports: p.ports,
      };
      if (p.slice) {
        const same = canonical(p.slice.endpoints ?? []) === canonical(p.endpoints) && canonical(p.slice.ports ?? []) === canonical(p.ports)
          && canonical(p.slice.metadata.labels ?? {}) === canonical(labels)
          && p.slice.metadata.ownerReferences?.some((r: any) => r.uid === svc.metadata.uid && r.controller);
        if (same) continue;
        const ann = { ...(p.slice.metadata.annotations ?? {}) };
        if (annotations) Object.assign(ann, annotations); else delete ann[lastChangeTriggerTimeAnnotation];
        if (Object.keys(ann).length) body.metadata.annotations = ann;
        const r = await client.update(endpointSlicesResource, body, { namespace: ns });
        wrote(r.metadata.name!, r.metadata.resourceVersion!);
      } else {
        if (annotations) body.metadata.annotations = annotations;
        const r = await client.create(endpointSlicesResource, body, { namespace: ns });
        wrote(r.metadata.name!, r.metadata.resourceVersion!);
      }
    }
    for (const s of unused) {
      try { await client.delete(endpointSlicesResource, s.metadata.name!, { namespace: ns }); } catch (e) { if (!isNotFound(e)) throw e; }
      wrote(s.metadata.name!, '');
    }
  }
}

function newerOrSame(cur: string | undefined, want: string): boolean {
  if (cur === want) return true;
  if (cur && /^\d+$/.test(cur) && /^\d+$/.test(want)) return BigInt(cur) >= BigInt(want);
  return false;
}
