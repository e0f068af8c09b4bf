// APIService registration and availability (upstream kube-aggregator's autoregister, crdregistration
// and availability controllers, for an API server that proxies to no aggregated API server): every
// group version the server serves has a local APIService, Available (built-in ones and
// metrics.k8s.io labelled automanaged "onstart", those of CustomResourceDefinitions "true" and
// removed with their version). An APIService that names a Service is reported unavailable, since
// nothing here forwards requests to it.
import type { KObject } from '../api/types.js';
import {
  isAlreadyExists, isConflict, isNotFound, rfc3339, WorkQueue, type ResourceRef, type RestClient, type SharedInformer, type SharedInformerFactory,
} from '../client/index.js';
import { deepEqual } from '../util/deep.js';

export const apiServicesResource: ResourceRef = { group: 'apiregistration.k8s.io', version: 'v1', plural: 'apiservices', namespaced: false, kind: 'APIService' };
const crdsResource: ResourceRef = { group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions', namespaced: false, kind: 'CustomResourceDefinition' };
const servicesResource: ResourceRef = { group: '', version: 'v1', plural: 'services', namespaced: true, kind: 'Service' };

export const automanagedLabel = 'kube-aggregator.kubernetes.io/automanaged';

/** upstream's groupPriorityMinimum and versionPriority for the group versions it serves itself */
const priorities: Record<string, [number, number]> = {
  'v1': [18000, 1], 'apiregistration.k8s.io/v1': [18000, 15], 'apps/v1': [17800, 15], 'events.k8s.io/v1': [17750, 15],
  'authentication.k8s.io/v1': [17700, 15], 'authorization.k8s.io/v1': [17600, 15], 'autoscaling/v1': [17500, 15],
  'autoscaling/v2': [17500, 30], 'batch/v1': [17400, 15], 'certificates.k8s.io/v1': [17300, 15], 'networking.k8s.io/v1': [17200, 15],
  'policy/v1': [17100, 15], 'rbac.authorization.k8s.io/v1': [17000, 15], 'storage.k8s.io/v1': [16800, 15],
  'apiextensions.k8s.io/v1': [16700, 15], 'admissionregistration.k8s.io/v1': [16700, 15], 'scheduling.k8s.io/v1': [16600, 15],
  'coordination.k8s.io/v1': [16500, 15], 'node.k8s.io/v1': [16300, 15], 'discovery.k8s.io/v1': [16200, 15],
  'flowcontrol.apiserver.k8s.io/v1': [16100, 21],
  // metrics-server's manifest (its API is served by the API server itself here)
  'metrics.k8s.io/v1beta1': [100, 100],
};

const apiServiceName = (gv: string) => (gv.includes('/') ? `${gv.slice(gv.indexOf('/') + 1)}.${gv.slice(0, gv.indexOf('/'))}` : `${gv}.`);

interface Desired { name: string; group: string; version: string; groupPriorityMinimum: number; versionPriority: number; managed: 'onstart' | 'true' }

export interface APIServiceOptions { client: RestClient; informers: SharedInformerFactory; log?: (msg: string) => void; resyncMs?: number }

export class APIServiceController {
  readonly queue: WorkQueue<string>;
  private readonly apiServices: SharedInformer;
  private readonly crds: SharedInformer;

  constructor(private readonly opts: APIServiceOptions) {
    this.apiServices = opts.informers.informerFor(apiServicesResource);
    this.crds = opts.informers.informerFor(crdsResource);
    this.queue = new WorkQueue<string>({ name: 'apiservice', onError: (k, e) => opts.log?.(`apiservice: ${k}: ${e instanceof Error ? e.message : e}`) });
    const sync = () => this.queue.add('sync');
    this.crds.addEventHandler({ add: sync, update: sync, delete: sync });
    this.apiServices.addEventHandler({ add: sync, update: (o, n) => { if (!deepEqual(o.spec, n.spec) || !deepEqual(o.metadata.labels, n.metadata.labels)) sync(); }, delete: sync });
  }

  async run(_workers: number, signal: AbortSignal): Promise<void> {
    if (!(await this.apiServices.waitForSync(signal)) || !(await this.crds.waitForSync(signal))) return;
    this.queue.add('sync');
    await this.queue.runWorkers(1, () => this.sync(), signal);
  }

  /** the group versions the server lists (/api, /apis) */
  private async served(): Promise<string[]> {
    const [core, groups] = await Promise.all([this.opts.client.request('GET', '/api'), this.opts.client.request('GET', '/apis')]);
    return [...(core?.versions ?? []), ...(groups?.groups ?? []).flatMap((g: any) => (g.versions ?? []).map((v: any) => v.groupVersion))];
  }

  async sync(): Promise<{ requeueAfter: number }> {
    const crdVersions = new Set<string>();
    for (const crd of this.crds.lister.list()) {
      for (const v of crd.spec?.versions ?? []) if (v.served) crdVersions.add(`${crd.spec.group}/${v.name}`);
    }
    const desired = new Map<string, Desired>();
    for (const gv of await this.served()) {
      const [group, version] = gv.includes('/') ? gv.split('/') : ['', gv];
      const crd = crdVersions.has(gv);
      // CRDs sort low, by version name (upstream crdregistration); unknown built-ins are left alone, as upstream
      const p = crd ? [1000, 100] : priorities[gv];
      if (!p) continue;
      desired.set(apiServiceName(gv), { name: apiServiceName(gv), group, version, groupPriorityMinimum: p[0], versionPriority: p[1], managed: crd ? 'true' : 'onstart' });
    }
    const c = this.opts.client;
    for (const d of desired.values()) {
      const cur = this.apiServices.lister.get('', d.name);
      const spec = { group: d.group, version: d.version, groupPriorityMinimum: d.groupPriorityMinimum, versionPriority: d.versionPriority };
      if (!cur) {
        try {
          await c.create(apiServicesResource, { apiVersion: 'apiregistration.k8s.io/v1', kind: 'APIService', metadata: { name: d.name, labels: { [automanagedLabel]: d.managed } }, spec } as KObject);
        } catch (e) { if (!isAlreadyExists(e)) throw e; }
        continue;
      }
      // a user's APIService for the same version (one that names a Service, or without the label) is theirs
      if (!cur.metadata.labels?.[automanagedLabel] || cur.spec?.service) continue;
      if (!deepEqual(cur.spec, spec) || cur.metadata.labels[automanagedLabel] !== d.managed) {
        await this.write(() => c.update(apiServicesResource, { ...cur, metadata: { ...cur.metadata, labels: { ...cur.metadata.labels, [automanagedLabel]: d.managed } }, spec } as KObject));
      }
    }
    for (const cur of this.apiServices.lister.list()) {
      const name = cur.metadata.name!;
      // a version a CRD no longer serves
      if (cur.metadata.labels?.[automanagedLabel] === 'true' && !cur.spec?.service && !desired.has(name)) {
        await this.write(() => c.delete(apiServicesResource, name, { preconditions: { uid: cur.metadata.uid } }));
        continue;
      }
      await this.updateAvailability(cur);
    }
    return { requeueAfter: this.opts.resyncMs ?? 60_000 };
  }

  /** the Available condition (upstream's availability controller, without the discovery check it would proxy) */
  private async updateAvailability(cur: KObject): Promise<void> {
    const svc = cur.spec?.service;
    let cond: { status: string; reason: string; message: string };
    if (!svc) cond = { status: 'True', reason: 'Local', message: 'Local APIServices are always available' };
    else {
      let exists = true;
      try { await this.opts.client.get(servicesResource, svc.name, { namespace: svc.namespace }); } catch (e) { if (!isNotFound(e)) throw e; exists = false; }
      cond = exists
        ? { status: 'False', reason: 'FailedDiscoveryCheck', message: `k8ts does not proxy to aggregated API servers: requests for ${cur.spec.group}/${cur.spec.version} are not forwarded to service/${svc.name} in "${svc.namespace}"` }
        : { status: 'False', reason: 'ServiceNotFound', message: `service/${svc.name} in "${svc.namespace}" is not present` };
    }
    const conds: any[] = cur.status?.conditions ?? [];
    const old = conds.find((x) => x.type === 'Available');
    if (old && old.status === cond.status && old.reason === cond.reason && old.message === cond.message) return;
    const next = { type: 'Available', ...cond, lastTransitionTime: old?.status === cond.status ? old.lastTransitionTime : rfc3339() };
    await this.write(() => this.opts.client.updateStatus(apiServicesResource, { ...cur, status: { ...cur.status, conditions: [...conds.filter((x) => x !== old), next] } } as KObject));
  }

  /** a write that loses to a newer object or a delete is left to the next sync */
  private async write(f: () => Promise<unknown>): Promise<void> {
    try { await f(); } catch (e) { if (!isConflict(e) && !isNotFound(e)) throw e; this.queue.add('sync'); }
  }
}
