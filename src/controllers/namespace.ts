// Namespace lifecycle controller (as upstream's pkg/controller/namespace): for a namespace with
// deletionTimestamp, delete everything in it (every namespaced resource discovery lists with the
// delete verb, custom resources included), keep the deletion conditions in status, wait while
// content remains (graceful pods, finalizers), then remove 'kubernetes' from spec.finalizers
// through the finalize subresource, which lets the API server remove the namespace.
import {
  BucketRateLimiter, clone, isConflict, isNotFound, ItemExponentialFailureRateLimiter, MaxOfRateLimiter, WorkQueue,
  type KList, type RestClient, type SharedInformerFactory,
} from '../client/index.js';
import { StatusError } from '../api/status.js';
import type { KObject } from '../api/types.js';
import { hasVerbs, type APIResource, type Discovery } from './discovery.js';
import { ConditionUpdater, type ContentTotals } from './nsconditions.js';
import { namespacesResource, podsResource } from './resources.js';

export const finalizerKubernetes = 'kubernetes';
/** default wait for finalizers held by other controllers (upstream's finalizerEstimateSeconds) */
const finalizerEstimateSeconds = 15;

export interface NamespaceControllerOptions {
  client: RestClient;
  informers: SharedInformerFactory;
  discovery: Discovery;
  log?: (msg: string) => void;
  /** resync period of the namespace informer handler (default 5 min, as upstream) */
  resyncMs?: number;
}

/** thrown (returned) when content is still going away; estimate in seconds */
export class ResourcesRemainingError extends Error {
  constructor(readonly estimate: number) { super(`some content remains in the namespace, estimate ${estimate} seconds before it is removed`); }
}

export class NamespaceController {
  // upstream's nsControllerRateLimiter: 5 ms .. 60 s per namespace, 10 qps / burst 100 overall
  readonly queue = new WorkQueue<string>({
    name: 'namespace',
    rateLimiter: new MaxOfRateLimiter<string>(new ItemExponentialFailureRateLimiter<string>(5, 60_000), new BucketRateLimiter<string>(10, 100)),
    onError: (k, e) => this.log(`namespace controller: deletion of namespace ${k} failed: ${e instanceof Error ? e.message : e}`),
  });
  private readonly informer;
  private readonly log: (msg: string) => void;
  /** consecutive "content remaining" passes per namespace, for the requeue back-off */
  private waits = new Map<string, number>();
  /** resources where deletecollection / list turned out unsupported */
  private unsupported = new Set<string>();

  constructor(private readonly opts: NamespaceControllerOptions) {
    this.log = opts.log ?? (() => {});
    this.informer = opts.informers.informerFor(namespacesResource);
    const enqueue = (o: KObject) => { if (o.metadata.deletionTimestamp) this.queue.add(o.metadata.name!); };
    this.informer.addEventHandler({ add: enqueue, update: (_o, n) => enqueue(n) }, { resyncMs: opts.resyncMs ?? 300_000 });
  }

  async run(workers: number, signal: AbortSignal): Promise<void> {
    if (!(await this.informer.waitForSync(signal))) return;
    await this.queue.runWorkers(workers, (k) => this.reconcile(k), signal);
  }

  /** one pass; content still remaining becomes a requeue after a short, growing delay */
  async reconcile(name: string): Promise<void | { requeueAfter: number }> {
    try {
      await this.sync(name);
      this.waits.delete(name);
    } catch (e) {
      if (!(e instanceof ResourcesRemainingError)) throw e;
      const n = this.waits.get(name) ?? 0;
      this.waits.set(name, n + 1);
      // upstream waits estimate/2+1 s; we poll sooner at first so short waits end quickly
      const ms = Math.min((e.estimate / 2 + 1) * 1000, 250 * 2 ** n, 10_000);
      return { requeueAfter: ms };
    }
  }

  /** deletes the namespace's content and finalizes it; throws ResourcesRemainingError while waiting */
  async sync(name: string): Promise<void> {
    const { client } = this.opts;
    let ns: KObject;
    try { ns = await client.get(namespacesResource, name); } catch (e) { if (isNotFound(e)) return; throw e; }
    if (!ns.metadata.deletionTimestamp) return;
    if (ns.status?.phase !== 'Terminating') {
      const next = clone(ns);
      next.status = { ...(next.status ?? {}), phase: 'Terminating' };
      try { ns = await client.updateStatus(namespacesResource, next); } catch (e) { if (isNotFound(e)) return; throw e; }
    }
    if (!(ns.spec?.finalizers ?? []).includes(finalizerKubernetes)) return;
    const estimate = await this.deleteAllContent(ns);
    if (estimate > 0) throw new ResourcesRemainingError(estimate);
    await this.finalize(ns);
  }

  private async finalize(ns: KObject): Promise<void> {
    const { client } = this.opts;
    for (let cur = ns; ;) {
      const body = clone(cur);
      body.spec = { ...(body.spec ?? {}), finalizers: (cur.spec?.finalizers ?? []).filter((f: string) => f !== finalizerKubernetes) };
      try {
        await client.request('PUT', `/api/v1/namespaces/${encodeURIComponent(ns.metadata.name!)}/finalize`, body);
        this.log(`namespace controller: namespace ${ns.metadata.name} finalized`);
        return;
      } catch (e) {
        if (isNotFound(e)) return;
        if (!isConflict(e)) throw e;
      }
      try { cur = await client.get(namespacesResource, ns.metadata.name!); } catch (e) { if (isNotFound(e)) return; throw e; }
      if (cur.metadata.uid !== ns.metadata.uid) throw new Error('namespace uid has changed across retries');
      if (!(cur.spec?.finalizers ?? []).includes(finalizerKubernetes)) return;
    }
  }

  /** returns the estimated seconds until the remaining content is gone (0 = all gone) */
  private async deleteAllContent(ns: KObject): Promise<number> {
    const name = ns.metadata.name!;
    const updater = new ConditionUpdater();
    const errs: string[] = [];
    const { resources, failed } = await this.opts.discovery.discover();
    if (failed.size) { updater.discoveryFailed(failed); errs.push(`discovery failed for ${[...failed.keys()].join(', ')}`); }
    const deletable = resources.filter((r) => r.namespaced && hasVerbs(r, 'delete'));
    const totals: ContentTotals = { remaining: new Map(), finalizers: new Map() };
    let estimate = 0;
    await Promise.all(deletable.map(async (r) => {
      try {
        const m = await this.deleteAllOf(r, name);
        estimate = Math.max(estimate, m.estimate);
        if (m.remaining) totals.remaining.set(`${r.plural}.${r.group}`, m.remaining);
        for (const [f, n] of m.finalizers) totals.finalizers.set(f, (totals.finalizers.get(f) ?? 0) + n);
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        errs.push(msg);
        updater.contentError(msg);
        if (e instanceof RemainingContent) {
          estimate = Math.max(estimate, e.estimate);
          totals.remaining.set(`${r.plural}.${r.group}`, e.remaining);
        }
      }
    }));
    updater.totals(totals);
    const next = clone(ns);
    next.status ??= {};
    if (updater.apply(next.status)) {
      try { await this.opts.client.updateStatus(namespacesResource, next); } catch (e) {
        if (!isNotFound(e) && !isConflict(e)) this.log(`namespace controller: updating conditions of ${name}: ${e instanceof Error ? e.message : e}`);
      }
    }
    if (errs.length) throw new Error(errs.sort().join('; '));
    return estimate;
  }

  private async deleteAllOf(r: APIResource, ns: string): Promise<{ estimate: number; remaining: number; finalizers: Map<string, number> }> {
    const { client } = this.opts;
    const id = `${r.group}/${r.version}/${r.plural}`;
    const estimate = r.group === '' && r.plural === podsResource.plural ? await this.podsEstimate(ns) : 0;
    let collected = false;
    if (hasVerbs(r, 'deletecollection') && !this.unsupported.has(`deletecollection ${id}`)) {
      try {
        await client.deleteCollection(r, { namespace: ns, propagationPolicy: 'Background' });
        collected = true;
      } catch (e) {
        if (!unsupported(e)) throw e;
        this.unsupported.add(`deletecollection ${id}`);
      }
    }
    if (!hasVerbs(r, 'list') || this.unsupported.has(`list ${id}`)) return { estimate, remaining: 0, finalizers: new Map() };
    let items: KObject[];
    try { items = await this.listAll(r, ns); } catch (e) {
      if (!unsupported(e)) throw e;
      this.unsupported.add(`list ${id}`);
      return { estimate, remaining: 0, finalizers: new Map() };
    }
    if (!collected && items.length) {
      await Promise.all(items.map(async (o) => {
        if (o.metadata.deletionTimestamp) return;
        try {
          await client.delete(r, o.metadata.name!, { namespace: ns, propagationPolicy: 'Background', preconditions: { uid: o.metadata.uid } });
        } catch (e) { if (!isNotFound(e) && !isConflict(e)) throw e; }
      }));
      items = await this.listAll(r, ns);
    }
    if (!items.length) return { estimate: 0, remaining: 0, finalizers: new Map() };
    const finalizers = new Map<string, number>();
    for (const o of items) for (const f of o.metadata.finalizers ?? []) finalizers.set(f, (finalizers.get(f) ?? 0) + 1);
    if (estimate > 0) return { estimate, remaining: items.length, finalizers };
    if (finalizers.size) return { estimate: finalizerEstimateSeconds, remaining: items.length, finalizers };
    // an object with no finalizer should have gone: something unexpected (it may be graceful or racing a create)
    throw new RemainingContent(`unexpected items still remain in namespace: ${ns} for gvr: ${r.group}/${r.version}, Resource=${r.plural}`, Math.max(estimate, 1), items.length);
  }

  private async listAll(r: APIResource, ns: string): Promise<KObject[]> {
    const out: KObject[] = [];
    let cont: string | undefined;
    do {
      const page: KList = await this.opts.client.list(r, { namespace: ns, limit: 500, continue: cont });
      out.push(...page.items);
      cont = page.metadata.continue || undefined;
    } while (cont);
    return out;
  }

  /** the longest termination grace period of the namespace's non-terminal pods (upstream's estimateGracefulTermination) */
  private async podsEstimate(ns: string): Promise<number> {
    let est = 0;
    try {
      for (const p of await this.listAll(podsResource as APIResource, ns)) {
        const phase = p.status?.phase;
        if (phase === 'Succeeded' || phase === 'Failed') continue;
        est = Math.max(est, p.spec?.terminationGracePeriodSeconds ?? 0);
      }
    } catch (e) { if (!isNotFound(e)) throw e; }
    return est;
  }
}

class RemainingContent extends Error {
  constructor(message: string, readonly estimate: number, readonly remaining: number) { super(message); }
}

/** MethodNotAllowed and NotFound both mean "this collection does not support the verb" (upstream's workaround) */
function unsupported(e: unknown): boolean {
  return e instanceof StatusError && (e.code === 405 || e.code === 404);
}
