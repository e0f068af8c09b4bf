// Shared informer: list (paginated) + watch from the list's resourceVersion into a local cache,
// fanning changes out to event handlers (as client-go's reflector + shared index informer).
import type { KObject } from '../api/types.js';
import { isResourceExpired, statusErrorFromStatus } from './errors.js';
import { deepFreeze, keyOf } from './objects.js';
import type { ResourceRef } from './resource.js';
import type { RestClient } from './rest.js';
import { Lister, Store } from './store.js';

export { SharedInformerFactory } from './factory.js';
export { Lister } from './store.js';
export { clone } from './objects.js';

export interface EventHandlers<T> {
  /** isInInitialList: the object came from the first list (or a replay to a late handler) */
  add?(obj: T, isInInitialList: boolean): void;
  /** also called with old === new on resync, and for every surviving object after a relist */
  update?(oldObj: T, newObj: T): void;
  /** finalStateUnknown: the deletion was noticed on a relist, obj is the last state seen */
  delete?(obj: T, finalStateUnknown: boolean): void;
}

export interface InformerOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** list page size (default 500; 0 = unpaginated) */
  pageSize?: number;
  /** deep-freeze cached objects (default true) */
  freeze?: boolean;
  /** server-side watch timeout range in seconds (default [300, 600), randomised as upstream) */
  watchTimeoutSeconds?: [number, number];
  /** first and maximum back-off after errors, ms (default 800 / 30000) */
  backoffMs?: [number, number];
}

interface Registration<T> { h: EventHandlers<T>; timer?: NodeJS.Timeout; resyncMs?: number }

const sleep = (ms: number, signal: AbortSignal) => new Promise<void>((resolve) => {
  if (signal.aborted) return resolve();
  const t = setTimeout(done, ms);
  function done() { clearTimeout(t); signal.removeEventListener('abort', done); resolve(); }
  signal.addEventListener('abort', done, { once: true });
});

/**
 * One list+watch loop and cache for a resource, shared by many handlers. Cached objects are
 * frozen and shared: never mutate them, clone() first.
 */
export class SharedInformer<T extends KObject = KObject> {
  readonly store = new Store<T>();
  readonly lister = new Lister<T>(this.store);
  /** resourceVersion of the last list, event or bookmark seen */
  lastSyncResourceVersion = '';
  private regs = new Set<Registration<T>>();
  private synced = false;
  private syncWaiters: Array<() => void> = [];
  private ac?: AbortController;
  private loop?: Promise<void>;

  constructor(readonly client: RestClient, readonly resource: ResourceRef, readonly opts: InformerOptions = {}) {}

  /** Registers handlers; existing cache content is replayed to them as adds. Returns an unregister function. */
  addEventHandler(h: EventHandlers<T>, opts: { resyncMs?: number } = {}): () => void {
    const reg: Registration<T> = { h, resyncMs: opts.resyncMs };
    this.regs.add(reg);
    for (const o of this.store.values()) this.call(() => h.add?.(o, true));
    if (this.ac) this.startResync(reg);
    return () => { clearInterval(reg.timer); this.regs.delete(reg); };
  }

  hasSynced(): boolean { return this.synced; }

  /** resolves true once the first list is in the cache, false if the signal aborts or the informer stops first */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    return new Promise((resolve) => {
      const onAbort = () => resolve(false);
      if (signal?.aborted) return resolve(false);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.syncWaiters.push(() => { signal?.removeEventListener('abort', onAbort); resolve(this.synced); });
    });
  }

  get running(): boolean { return !!this.ac; }

  /** starts the list+watch loop in the background (no-op if running); the signal stops it */
  start(signal?: AbortSignal): void {
    if (this.ac) return;
    const ac = (this.ac = new AbortController());
    signal?.addEventListener('abort', () => this.stop(), { once: true });
    if (signal?.aborted) { this.stop(); return; }
    for (const r of this.regs) this.startResync(r);
    this.loop = this.run(ac.signal);
  }

  /** stops watching; resolves when the loop has exited. The cache keeps its last content. */
  async stop(): Promise<void> {
    const ac = this.ac;
    if (!ac) return;
    ac.abort();
    for (const r of this.regs) clearInterval(r.timer);
    const w = this.syncWaiters.splice(0);
    w.forEach((f) => f());
    await this.loop;
  }

  private startResync(reg: Registration<T>): void {
    if (!reg.resyncMs || reg.timer) return;
    reg.timer = setInterval(() => {
      if (!this.synced) return;
      for (const o of this.store.values()) this.call(() => reg.h.update?.(o, o));
    }, reg.resyncMs);
    reg.timer.unref();
  }

  private async run(signal: AbortSignal): Promise<void> {
    const [first, max] = this.opts.backoffMs ?? [800, 30_000];
    let backoff = first;
    let needList = true;
    let paginate = true;
    while (!signal.aborted) {
      try {
        if (needList) {
          try { await this.listAndReplace(signal, paginate); } catch (e) {
            // an expired continue token: list again in one piece (as upstream's pager falls back)
            if (isResourceExpired(e) && paginate) { paginate = false; continue; }
            throw e;
          }
          needList = false;
          paginate = true;
        }
        const began = Date.now();
        const events = await this.watchOnce(signal);
        // a stream that ends at once without events: do not spin
        if (events === 0 && Date.now() - began < 1000) { await sleep(backoff, signal); backoff = Math.min(backoff * 2, max); }
        else backoff = first;
      } catch (e) {
        if (signal.aborted) break;
        if (isResourceExpired(e)) { needList = true; continue; }
        await sleep(backoff * (1 + Math.random() * 0.2), signal);
        backoff = Math.min(backoff * 2, max);
      }
    }
    if (this.ac?.signal === signal) this.ac = undefined;
  }

  private async listAndReplace(signal: AbortSignal, paginate: boolean): Promise<void> {
    const { namespace, labelSelector, fieldSelector } = this.opts;
    const limit = paginate ? this.opts.pageSize ?? 500 : 0;
    const items: T[] = [];
    let cont: string | undefined;
    let rv = '';
    do {
      const page = await this.client.list<T>(this.resource, { namespace, labelSelector, fieldSelector, limit: limit || undefined, continue: cont, signal });
      items.push(...page.items);
      cont = page.metadata.continue || undefined;
      rv = page.metadata.resourceVersion ?? '';
    } while (cont && !signal.aborted);
    if (signal.aborted) return;
    this.replace(items);
    this.lastSyncResourceVersion = rv;
    if (!this.synced) { this.synced = true; this.syncWaiters.splice(0).forEach((f) => f()); }
  }

  private replace(items: T[]): void {
    const initial = !this.synced;
    const fresh = new Set<string>();
    for (const raw of items) {
      const o = this.prepare(raw);
      fresh.add(keyOf(o));
      const old = this.store.set(o);
      if (old) this.emit((h) => h.update?.(old, o));
      else this.emit((h) => h.add?.(o, initial));
    }
    for (const k of [...this.store.keys()]) {
      if (fresh.has(k)) continue;
      const old = this.store.delete(k)!;
      this.emit((h) => h.delete?.(old, true));
    }
  }

  /** one watch stream; returns the number of events when it ends, throws on errors */
  private async watchOnce(signal: AbortSignal): Promise<number> {
    const [lo, hi] = this.opts.watchTimeoutSeconds ?? [300, 600];
    const { namespace, labelSelector, fieldSelector } = this.opts;
    let n = 0;
    for await (const ev of this.client.watch<T>(this.resource, {
      namespace, labelSelector, fieldSelector, signal, allowWatchBookmarks: true,
      resourceVersion: this.lastSyncResourceVersion, timeoutSeconds: Math.floor(lo + Math.random() * (hi - lo)),
    })) {
      n++;
      if (ev.type === 'ERROR') throw statusErrorFromStatus(ev.object as any);
      const rv = ev.object?.metadata?.resourceVersion;
      if (ev.type === 'BOOKMARK') { if (rv) this.lastSyncResourceVersion = rv; continue; }
      const o = this.prepare(ev.object);
      if (ev.type === 'ADDED' || ev.type === 'MODIFIED') {
        const old = this.store.set(o);
        if (old) this.emit((h) => h.update?.(old, o));
        else this.emit((h) => h.add?.(o, false));
      } else if (ev.type === 'DELETED') {
        this.store.delete(keyOf(o));
        this.emit((h) => h.delete?.(o, false));
      }
      if (rv) this.lastSyncResourceVersion = rv;
    }
    return n;
  }

  /** list items come without apiVersion/kind: fill them in when the descriptor knows the kind */
  private prepare(o: T): T {
    const r = this.resource;
    if (!o.kind && r.kind) o = { apiVersion: r.group ? `${r.group}/${r.version}` : r.version, kind: r.kind, ...o };
    return this.opts.freeze === false ? o : deepFreeze(o);
  }

  private emit(f: (h: EventHandlers<T>) => void): void {
    for (const r of this.regs) this.call(() => f(r.h));
  }

  private call(f: () => void): void {
    try { f(); } catch (e) { console.error(`informer ${this.resource.plural}: event handler failed:`, e); }
  }
}
