// Garbage collector (as upstream's pkg/controller/garbagecollector): metadata informers over every
// deletable resource (found by discovery, custom resources included, re-discovered when CRDs change
// and every 30 s) feed the ownerReferences graph; two queues act on it:
//  - attemptToDelete: an object whose owners are all gone (absent, or another uid) is deleted;
//    dangling references are removed when a solid owner remains; owners deleting in foreground
//    (finalizer foregroundDeletion) get their dependents deleted and lose the finalizer once no
//    dependent with blockOwnerDeletion=true is left.
//  - attemptToOrphan: an owner being deleted with the `orphan` finalizer has its reference removed
//    from every dependent, then loses the finalizer.
import { isConflict, isNotFound, WorkQueue, type RestClient, type SharedInformer, type SharedInformerFactory } from '../client/index.js';
import type { KObject, ObjectMeta, OwnerReference } from '../api/types.js';
import { hasVerbs, RestMapper, type APIResource, type Discovery } from './discovery.js';
import { DependencyGraph, finalizerForeground, finalizerOrphan, GraphNode, type ChangeType, type Identity } from './gcgraph.js';

export interface GarbageCollectorOptions {
  /** writes (delete, patch) */
  client: RestClient;
  /** reads of metadata (a MetadataClient; a plain RestClient works too) */
  metadataClient: RestClient;
  metadataInformers: SharedInformerFactory;
  discovery: Discovery & { invalidate?(): void };
  log?: (msg: string) => void;
  /** how often to re-run discovery for new resource types (default 30 s) */
  resyncPeriodMs?: number;
  /** "group/plural" never monitored (default: core and events.k8s.io events, as upstream) */
  ignoredResources?: string[];
}

interface Monitor { resource: APIResource; informer: SharedInformer; unregister: () => void }

/** the node needs another look later (an unobserved owner that exists); requeued without logging */
class RequeueError extends Error {}
/** a reference that can never resolve (a cluster-scoped object with a namespaced owner) */
class InvalidReferenceError extends Error {}

const defaultIgnored = ['/events', 'events.k8s.io/events'];
const absentCacheSize = 10_000;

export class GarbageCollector {
  readonly graph: DependencyGraph;
  readonly mapper = new RestMapper();
  readonly deleteQueue: WorkQueue<GraphNode>;
  readonly orphanQueue: WorkQueue<GraphNode>;
  private monitors = new Map<string, Monitor>();
  private absent = new Set<string>();
  private readonly log: (msg: string) => void;
  private signal?: AbortSignal;
  private resyncTimers = new Set<NodeJS.Timeout>();
  private syncing?: Promise<void>;

  constructor(private readonly opts: GarbageCollectorOptions) {
    this.log = opts.log ?? (() => {});
    const onError = (what: string) => (n: GraphNode, e: unknown) => {
      if (!(e instanceof RequeueError)) this.log(`garbage collector: ${what} ${n}: ${e instanceof Error ? e.message : e}`);
    };
    this.deleteQueue = new WorkQueue<GraphNode>({ name: 'garbage_collector_attempt_to_delete', onError: onError('attempt to delete') });
    this.orphanQueue = new WorkQueue<GraphNode>({ name: 'garbage_collector_attempt_to_orphan', onError: onError('attempt to orphan') });
    this.graph = new DependencyGraph({ attemptToDelete: (n) => this.deleteQueue.add(n), attemptToOrphan: (n) => this.orphanQueue.add(n) });
  }

  /** resources currently monitored ("group/version/plural") */
  monitored(): string[] { return [...this.monitors.values()].map((m) => `${m.resource.group}/${m.resource.version}/${m.resource.plural}`); }

  async run(workers: number, signal: AbortSignal): Promise<void> {
    this.signal = signal;
    while (!signal.aborted) {
      try { await this.resyncMonitors(); break; } catch (e) {
        this.log(`garbage collector: discovery failed: ${e instanceof Error ? e.message : e}`);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    if (signal.aborted) return;
    await Promise.all([...this.monitors.values()].map((m) => m.informer.waitForSync(signal)));
    if (signal.aborted) return;
    this.log(`garbage collector: all resource monitors have synced (${this.monitors.size} resources, ${this.graph.size} objects)`);
    const period = setInterval(() => this.scheduleResync(0), this.opts.resyncPeriodMs ?? 30_000);
    period.unref();
    try {
      await Promise.all([
        this.deleteQueue.runWorkers(workers, (n) => this.processDelete(n), signal),
        this.orphanQueue.runWorkers(Math.max(1, Math.ceil(workers / 4)), (n) => this.processOrphan(n), signal),
      ]);
    } finally {
      clearInterval(period);
      for (const t of this.resyncTimers) clearTimeout(t);
      for (const m of this.monitors.values()) m.unregister();
    }
  }

  /** re-discovers resources soon (CRDs changed) */
  scheduleResync(delayMs: number): void {
    if (this.signal?.aborted) return;
    const t = setTimeout(() => {
      this.resyncTimers.delete(t);
      this.opts.discovery.invalidate?.();
      this.resyncMonitors().catch((e) => this.log(`garbage collector: resync failed: ${e instanceof Error ? e.message : e}`));
    }, delayMs);
    t.unref();
    this.resyncTimers.add(t);
  }

  /** starts monitors for new deletable resources and stops those no longer served */
  async resyncMonitors(): Promise<void> {
    while (this.syncing) await this.syncing;
    this.syncing = this.doResync().finally(() => { this.syncing = undefined; });
    return this.syncing;
  }

  private async doResync(): Promise<void> {
    const { resources } = await this.opts.discovery.discover(this.signal);
    this.mapper.reset(resources);
    const ignored = new Set(this.opts.ignoredResources ?? defaultIgnored);
    const want = new Map<string, APIResource>();
    for (const r of resources) {
      if (!hasVerbs(r, 'delete', 'list', 'watch') || ignored.has(`${r.group}/${r.plural}`)) continue;
      want.set(`${r.group}/${r.version}/${r.plural}`, r);
    }
    for (const [k, m] of this.monitors) {
      if (want.has(k)) continue;
      m.unregister();
      await m.informer.stop();
      this.monitors.delete(k);
    }
    for (const [k, r] of want) {
      if (this.monitors.has(k)) continue;
      const informer = this.opts.metadataInformers.informerFor(r);
      const unregister = informer.addEventHandler({
        add: (o) => this.observe('add', r, o),
        update: (old, o) => { if (old !== o) this.observe('update', r, o, old); },
        delete: (o) => this.observe('delete', r, o),
      });
      if (this.signal && !informer.running) informer.start(this.signal);
      this.monitors.set(k, { resource: r, informer, unregister });
    }
  }

  private observe(type: ChangeType, r: APIResource, o: KObject, old?: KObject): void {
    const m = o.metadata;
    if (!m?.uid) return;
    const id: Identity = { apiVersion: r.group ? `${r.group}/${r.version}` : r.version, kind: r.kind, namespace: m.namespace ?? '', name: m.name ?? '', uid: m.uid };
    this.graph.observe(type, id, m, old?.metadata);
    if (r.group === 'apiextensions.k8s.io' && r.plural === 'customresourcedefinitions') {
      // new or removed custom resource types: look again once the API server serves them
      this.scheduleResync(200);
      this.scheduleResync(2000);
    }
  }

  // ---- attemptToDelete ----

  async processDelete(n: GraphNode): Promise<void> {
    if (n.virtual && this.graph.nodes.get(n.identity.uid) !== n) return;  // observed or removed meanwhile
    try {
      await this.attemptToDeleteItem(n);
    } catch (e) {
      if (e instanceof InvalidReferenceError) { this.log(`garbage collector: ${n}: ${e.message}`); return; }
      throw e;
    }
    // an owner that exists but has not been observed yet: look again until the informer has it
    if (n.virtual && this.graph.nodes.get(n.identity.uid) === n) throw new RequeueError('not observed yet');
  }

  private async attemptToDeleteItem(item: GraphNode): Promise<void> {
    if (item.beingDeleted && !item.deletingDependents) return;
    const latest = await this.getMeta(item.identity);
    if (!latest || latest.uid !== item.identity.uid) { this.graph.virtualDelete(item); return; }
    if (item.deletingDependents) return this.processDeletingDependents(item);
    const refs = latest.ownerReferences ?? [];
    if (!refs.length) return;
    const { solid, dangling, waiting } = await this.classify(item.identity, refs);
    if (solid.length) {
      if (!dangling.length && !waiting.length) return;
      // a solid owner remains: only drop the references to owners that are gone or deleting
      const drop = new Set([...dangling, ...waiting].map((r) => r.uid));
      await this.patchMeta(item.identity, (m) => {
        const left = (m.ownerReferences ?? []).filter((r) => !drop.has(r.uid));
        return left.length === (m.ownerReferences ?? []).length ? undefined : { ownerReferences: left.length ? left : null };
      });
      return;
    }
    if (waiting.length && item.dependents.size) {
      if ([...item.dependents].some((d) => d.deletingDependents)) {
        // a possible cycle: stop blocking our owners, then delete in foreground
        await this.patchMeta(item.identity, (m) => {
          if (!(m.ownerReferences ?? []).some((r) => r.blockOwnerDeletion)) return undefined;
          return { ownerReferences: (m.ownerReferences ?? []).map((r) => ({ ...r, blockOwnerDeletion: false })) };
        });
      }
      return this.deleteObject(item.identity, 'Foreground');
    }
    const fin = latest.finalizers ?? [];
    const policy = fin.includes(finalizerOrphan) ? 'Orphan' : fin.includes(finalizerForeground) ? 'Foreground' : 'Background';
    this.log(`garbage collector: deleting ${item} (owners gone), propagationPolicy=${policy}`);
    return this.deleteObject(item.identity, policy);
  }

  private async processDeletingDependents(item: GraphNode): Promise<void> {
    const blocking = item.blockingDependents();
    if (!blocking.length) { await this.removeFinalizer(item.identity, finalizerForeground); return; }
    for (const dep of blocking) if (!dep.deletingDependents) this.deleteQueue.add(dep);
  }

  private async classify(item: Identity, refs: OwnerReference[]) {
    const solid: OwnerReference[] = [], dangling: OwnerReference[] = [], waiting: OwnerReference[] = [];
    await Promise.all(refs.map(async (ref) => {
      const owner = await this.lookupOwner(item, ref);
      if (!owner) dangling.push(ref);
      else if (owner.deletionTimestamp && owner.finalizers?.includes(finalizerForeground)) waiting.push(ref);
      else solid.push(ref);
    }));
    return { solid, dangling, waiting };
  }

  /** the owner's live metadata, or undefined when it is absent or has another uid */
  private async lookupOwner(item: Identity, ref: OwnerReference): Promise<ObjectMeta | undefined> {
    const r = this.mapper.forKind(ref.apiVersion, ref.kind);
    if (!r) throw new Error(`unable to get REST mapping for ${ref.apiVersion}/${ref.kind}`);
    if (r.namespaced && !item.namespace) throw new InvalidReferenceError(`cluster-scoped object refers to namespaced owner ${ref.kind} ${ref.name}`);
    const namespace = r.namespaced ? item.namespace : '';
    const key = `${ref.uid}|${r.group}|${ref.kind}|${namespace}|${ref.name}`;
    if (this.absent.has(key)) return undefined;
    let meta: ObjectMeta | undefined;
    try {
      meta = (await this.opts.metadataClient.get<KObject>(r, ref.name, { namespace: namespace || undefined, signal: this.signal })).metadata;
    } catch (e) { if (!isNotFound(e)) throw e; }
    if (meta?.uid === ref.uid) return meta;
    this.absent.add(key);
    if (this.absent.size > absentCacheSize) this.absent.delete(this.absent.values().next().value!);
    return undefined;
  }

  // ---- attemptToOrphan ----

  async processOrphan(owner: GraphNode): Promise<void> {
    const uid = owner.identity.uid;
    await Promise.all([...owner.dependents].map((d) => this.patchMeta(d.identity, (m) => {
      const refs = m.ownerReferences ?? [];
      const left = refs.filter((r) => r.uid !== uid);
      return left.length === refs.length ? undefined : { ownerReferences: left.length ? left : null };
    })));
    await this.removeFinalizer(owner.identity, finalizerOrphan);
  }

  // ---- API helpers ----

  private resourceFor(id: Identity): APIResource {
    const r = this.mapper.forKind(id.apiVersion, id.kind);
    if (!r) throw new Error(`unable to get REST mapping for ${id.apiVersion}/${id.kind}`);
    return r;
  }

  private nsOf(r: APIResource, id: Identity): string | undefined { return r.namespaced && id.namespace ? id.namespace : undefined; }

  private async getMeta(id: Identity): Promise<ObjectMeta | undefined> {
    const r = this.resourceFor(id);
    try {
      return (await this.opts.metadataClient.get<KObject>(r, id.name, { namespace: this.nsOf(r, id), signal: this.signal })).metadata;
    } catch (e) { if (isNotFound(e)) return undefined; throw e; }
  }

  private async deleteObject(id: Identity, policy: 'Orphan' | 'Background' | 'Foreground'): Promise<void> {
    const r = this.resourceFor(id);
    try {
      await this.opts.client.delete(r, id.name, { namespace: this.nsOf(r, id), propagationPolicy: policy, preconditions: { uid: id.uid } });
    } catch (e) { if (!isNotFound(e) && !isConflict(e)) throw e; }
  }

  /**
   * Read-modify-write of metadata with a merge patch carrying the resourceVersion read (so a
   * concurrent change means 409 and another try). change returns the fields to set, or undefined.
   */
  private async patchMeta(id: Identity, change: (m: ObjectMeta) => Record<string, unknown> | undefined): Promise<void> {
    const r = this.resourceFor(id);
    const namespace = this.nsOf(r, id);
    for (let attempt = 0; ; attempt++) {
      const m = await this.getMeta(id);
      if (!m || m.uid !== id.uid) return;
      const fields = change(m);
      if (!fields) return;
      try {
        await this.opts.client.patch(r, id.name, { namespace, type: 'merge', patch: { metadata: { resourceVersion: m.resourceVersion, ...fields } } });
        return;
      } catch (e) {
        if (isNotFound(e)) return;
        if (!isConflict(e) || attempt >= 5) throw e;
      }
    }
  }

  private removeFinalizer(id: Identity, finalizer: string): Promise<void> {
    return this.patchMeta(id, (m) => {
      const fin = m.finalizers ?? [];
      if (!fin.includes(finalizer)) return undefined;
      const left = fin.filter((f) => f !== finalizer);
      return { finalizers: left.length ? left : null };
    });
  }
}
