// EndpointSlice mirroring controller (upstream pkg/controller/endpointslicemirroring): the
// Endpoints a user writes for a Service without a selector (an external database, say) are
// mirrored into EndpointSlices, managed-by endpointslicemirroring-controller.k8s.io and owned by
// the Endpoints, so that everything reading slices (the proxy, DNS) sees them. One slice per port
// set and address family, at most 1000 endpoints each; ready addresses are ready, notReady ones
// are not. Endpoints labelled endpointslice.kubernetes.io/skip-mirror=true are left alone.
import type { KObject } from '../api/types.js';
import { ipFamilyOf } from '../api/validation/index.js';
import { isNotFound, keyOf, splitKey, WorkQueue, type RestClient, type SharedInformer, type SharedInformerFactory } from '../client/index.js';
import { deepEqual } from '../util/deep.js';
import { endpointSlicesResource, managedByLabel, serviceNameLabel } from './endpointslice.js';
import { servicesResource } from './endpointsutil.js';

export const mirroringControllerName = 'endpointslicemirroring-controller.k8s.io';
const endpointsResource = { group: '', version: 'v1', plural: 'endpoints', namespaced: true, kind: 'Endpoints' };
const skipMirrorLabel = 'endpointslice.kubernetes.io/skip-mirror';
const maxPerSlice = 1000;
/** annotations of the Endpoints a slice does not copy */
const notCopied = new Set(['endpoints.kubernetes.io/last-change-trigger-time', 'kubectl.kubernetes.io/last-applied-configuration']);

interface DesiredSlice { addressType: string; ports: any[]; endpoints: any[] }

/** the slices an Endpoints object mirrors to (upstream's reconcile: subsets grouped by ports and address family) */
export function mirroredSlices(ep: KObject): DesiredSlice[] {
  const groups = new Map<string, DesiredSlice>();
  for (const subset of ep.subsets ?? []) {
    const ports = (subset.ports ?? []).map((p: any) => ({ name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP', ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}) }));
    const add = (a: any, ready: boolean) => {
      const family = ipFamilyOf(a?.ip ?? '');
      if (!family) return; // not an IP: upstream skips it too
      const addressType = family === 'IPv6' ? 'IPv6' : 'IPv4';
      const key = `${addressType}|${JSON.stringify(ports)}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { addressType, ports, endpoints: [] }));
      g.endpoints.push({
        addresses: [a.ip], conditions: { ready },
        ...(a.hostname ? { hostname: a.hostname } : {}), ...(a.nodeName ? { nodeName: a.nodeName } : {}), ...(a.targetRef ? { targetRef: a.targetRef } : {}),
      });
    };
    for (const a of subset.addresses ?? []) add(a, true);
    for (const a of subset.notReadyAddresses ?? []) add(a, false);
  }
  const out: DesiredSlice[] = [];
  for (const g of groups.values()) {
    for (let i = 0; i < g.endpoints.length; i += maxPerSlice) out.push({ ...g, endpoints: g.endpoints.slice(i, i + maxPerSlice) });
  }
  return out;
}

export interface MirroringOptions { client: RestClient; informers: SharedInformerFactory; log?: (msg: string) => void }

export class EndpointSliceMirroringController {
  readonly queue: WorkQueue<string>;
  private readonly endpoints: SharedInformer;
  private readonly services: SharedInformer;
  private readonly slices: SharedInformer;

  constructor(private readonly opts: MirroringOptions) {
    this.endpoints = opts.informers.informerFor(endpointsResource);
    this.services = opts.informers.informerFor(servicesResource);
    this.slices = opts.informers.informerFor(endpointSlicesResource);
    this.queue = new WorkQueue<string>({ name: 'endpoint_slice_mirroring', onError: (k, e) => opts.log?.(`endpointslice-mirroring: ${k}: ${e instanceof Error ? e.message : e}`) });
    const byName = (o: KObject) => this.queue.add(keyOf(o));
    this.endpoints.addEventHandler({ add: byName, update: (_o, n) => byName(n), delete: byName });
    this.services.addEventHandler({ add: byName, update: (o, n) => { if (!deepEqual(o.spec?.selector, n.spec?.selector)) byName(n); }, delete: byName });
    const bySlice = (s: KObject) => {
      const svc = s.metadata.labels?.[serviceNameLabel];
      if (svc && s.metadata.labels?.[managedByLabel] === mirroringControllerName) this.queue.add(`${s.metadata.namespace}/${svc}`);
    };
    this.slices.addEventHandler({ add: bySlice, update: (_o, n) => bySlice(n), delete: bySlice });
  }

  async run(workers: number, signal: AbortSignal): Promise<void> {
    for (const inf of [this.endpoints, this.services, this.slices]) if (!(await inf.waitForSync(signal))) return;
    await this.queue.runWorkers(workers, (k) => this.reconcile(k), signal);
  }

  private mirrored(ns: string, name: string): KObject[] {
    return this.slices.lister.list(ns).filter((s) => s.metadata.labels?.[serviceNameLabel] === name && s.metadata.labels?.[managedByLabel] === mirroringControllerName);
  }

  async reconcile(key: string): Promise<void> {
    const { namespace: ns, name } = splitKey(key);
    const svc = this.services.lister.get(ns, name);
    const ep = this.endpoints.lister.get(ns, name);
    const existing = this.mirrored(ns!, name);
    const c = this.opts.client;
    const mirror = svc && !Object.keys(svc.spec?.selector ?? {}).length && ep && !ep.metadata.deletionTimestamp && ep.metadata.labels?.[skipMirrorLabel] !== 'true';
    const desired = mirror ? mirroredSlices(ep) : [];
    const labels = mirror ? { ...(ep.metadata.labels ?? {}), [serviceNameLabel]: name, [managedByLabel]: mirroringControllerName } : {};
    const annotations = mirror ? Object.fromEntries(Object.entries(ep.metadata.annotations ?? {}).filter(([k]) => !notCopied.has(k))) : {};
    const unused = [...existing];
    for (const d of desired) {
      // a slice of the same address type and ports is reused, else any spare one, else a new one
      let i = unused.findIndex((s) => s.addressType === d.addressType && deepEqual(s.ports ?? [], d.ports));
      if (i < 0) i = unused.findIndex((s) => s.addressType === d.addressType);
      const cur = i >= 0 ? unused.splice(i, 1)[0] : undefined;
      const body = {
        apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
        metadata: {
          ...(cur ? cur.metadata : { generateName: /^[a-z0-9]([-a-z0-9.]*)?$/.test(`${name}-`) ? `${name}-` : 'endpointslice-', namespace: ns }),
          labels, annotations: Object.keys(annotations).length ? annotations : undefined,
          ownerReferences: [{ apiVersion: 'v1', kind: 'Endpoints', name, uid: ep!.metadata.uid, controller: true, blockOwnerDeletion: true }],
        },
        addressType: d.addressType, ports: d.ports, endpoints: d.endpoints,
      } as KObject;
      if (!body.metadata.annotations) delete body.metadata.annotations;
      if (cur && deepEqual({ l: cur.metadata.labels, a: cur.metadata.annotations ?? {}, p: cur.ports ?? [], e: cur.endpoints ?? [], o: cur.metadata.ownerReferences }, { l: labels, a: annotations, p: d.ports, e: d.endpoints, o: body.metadata.ownerReferences })) continue;
      await this.write(() => (cur ? c.update(endpointSlicesResource, body) : c.create(endpointSlicesResource, body, { namespace: ns })));
    }
    for (const s of unused) await this.write(() => c.delete(endpointSlicesResource, s.metadata.name!, { namespace: ns, preconditions: { uid: s.metadata.uid } }));
  }

  /** a slice deleted meanwhile is fine; a conflict is retried (the queue requeues on errors) */
  private async write(f: () => Promise<unknown>): Promise<void> {
    try { await f(); } catch (e) { if (!isNotFound(e)) throw e; }
  }
}
