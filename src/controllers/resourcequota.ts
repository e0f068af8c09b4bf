// ResourceQuota controller (upstream pkg/controller/resourcequota): keeps each quota's status —
// hard as in spec, used recounted from the objects of its namespace (pods under the quota's
// scopes, services, claims, secrets, config maps, replication controllers, quotas, and
// count/<resource>.<group> of any kind) — when they change and every 30 s.
import { countsKind, formatQuantity, podInScopes, usageOf } from '../api/quota.js';
import type { KObject } from '../api/types.js';
import { isNotFound, keyOf, splitKey, WorkQueue, type ResourceRef, type RestClient, type SharedInformer, type SharedInformerFactory } from '../client/index.js';
import { deepEqual } from '../util/deep.js';
import type { Discovery } from './discovery.js';
import { replicationControllerKind } from './replicaset.js';
import { configMapsResource, podsResource } from './resources.js';
import { servicesResource } from './endpointsutil.js';
import { pvcsResource } from './volume/resources.js';

export const quotasResource: ResourceRef = { group: '', version: 'v1', plural: 'resourcequotas', namespaced: true, kind: 'ResourceQuota' };
const core = (plural: string, kind: string): ResourceRef => ({ group: '', version: 'v1', plural, namespaced: true, kind });
const tracked = [podsResource, servicesResource, pvcsResource, core('secrets', 'Secret'),
  configMapsResource, replicationControllerKind.resource, quotasResource];

/** upstream's --resource-quota-sync-period is 5 minutes; counts of other kinds are refreshed this often */
const resyncMs = 30_000;

export interface QuotaControllerOptions { client: RestClient; informers: SharedInformerFactory; discovery: Discovery; log?: (msg: string) => void }

export class ResourceQuotaController {
  readonly queue: WorkQueue<string>;
  private readonly quotas: SharedInformer;
  private readonly kinds = new Map<string, SharedInformer>();

  constructor(private readonly opts: QuotaControllerOptions) {
    this.quotas = opts.informers.informerFor(quotasResource);
    for (const r of tracked) this.kinds.set(r.plural, opts.informers.informerFor(r));
    this.queue = new WorkQueue<string>({ name: 'resourcequota', onError: (k, e) => opts.log?.(`resourcequota: ${k}: ${e instanceof Error ? e.message : e}`) });
    this.quotas.addEventHandler({ add: (q) => this.queue.add(keyOf(q)), update: (o, q) => { if (!deepEqual(o.spec, q.spec) || !q.status?.hard) this.queue.add(keyOf(q)); } });
    const touched = (o: KObject) => { for (const q of this.quotas.lister.list(o.metadata.namespace)) this.queue.add(keyOf(q)); };
    for (const [plural, inf] of this.kinds) if (plural !== 'resourcequotas') inf.addEventHandler({ add: touched, update: (_o, n) => touched(n), delete: touched });
  }

  async run(workers: number, signal: AbortSignal): Promise<void> {
    for (const i of [this.quotas, ...this.kinds.values()]) if (!(await i.waitForSync(signal))) return;
    await this.queue.runWorkers(workers, (k) => this.reconcile(k), signal);
  }

  /** the objects of group/plural in ns: from an informer for the core kinds, else listed */
  private async objects(group: string, plural: string, ns: string): Promise<KObject[]> {
    if (!group && this.kinds.has(plural)) return this.kinds.get(plural)!.lister.list(ns);
    const r = (await this.opts.discovery.discover()).resources.find((x) => x.group === group && x.plural === plural);
    if (!r) return [];
    return (await this.opts.client.list(r, { namespace: ns })).items;
  }

  async reconcile(key: string): Promise<void | { requeueAfter: number }> {
    const { namespace, name } = splitKey(key);
    const quota = this.quotas.lister.get(namespace, name);
    if (!quota || quota.metadata.deletionTimestamp) return;
    const hard: Record<string, string> = quota.spec?.hard ?? {};
    const used: Record<string, number> = {};
    const kinds = new Map<string, { group: string; plural: string }>();
    for (const r of Object.keys(hard)) {
      used[r] = 0;
      const m = /^count\/([^.]+)(?:\.(.+))?$/.exec(r);
      if (m) kinds.set(`${m[2] ?? ''}/${m[1]}`, { group: m[2] ?? '', plural: m[1] });
      for (const t of tracked) if (countsKind(r, '', t.plural)) kinds.set(`/${t.plural}`, { group: '', plural: t.plural });
    }
    for (const { group, plural } of kinds.values()) {
      for (const o of await this.objects(group, plural, namespace)) {
        if (plural === 'pods' && !group && !podInScopes(quota, o)) continue;
        const u = usageOf(group, plural, o);
        for (const r of Object.keys(hard)) if (u[r] !== undefined && countsKind(r, group, plural)) used[r] += u[r];
      }
    }
    const status = { hard: { ...hard }, used: Object.fromEntries(Object.entries(used).map(([r, n]) => [r, formatQuantity(r, n)])) };
    if (!deepEqual(status, quota.status ?? {})) {
      try {
        await this.opts.client.updateStatus(quotasResource, { ...quota, status });
      } catch (e) { if (!isNotFound(e)) throw e; }
    }
    return { requeueAfter: resyncMs };
  }
}
