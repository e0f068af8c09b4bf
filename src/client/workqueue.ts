// Rate-limited work queue (as client-go's workqueue): keys are deduplicated while queued, a key
// is never handed to two workers at once, and failed keys come back after a back-off.
import { defaultControllerRateLimiter, type RateLimiter } from './ratelimit.js';

export type { RateLimiter } from './ratelimit.js';
export * from './ratelimit.js';

export interface ReconcileResult { requeueAfter?: number }
export type Reconcile<T> = (key: T) => Promise<void | ReconcileResult>;

export interface WorkQueueOptions<T> {
  rateLimiter?: RateLimiter<T>;
  /** called when reconcile throws (default: console.error) */
  onError?: (key: T, err: unknown) => void;
  name?: string;
}

export class WorkQueue<T = string> {
  private queue: T[] = [];
  private dirty = new Set<T>();
  private processing = new Set<T>();
  private waiting = new Map<T, { at: number; timer: NodeJS.Timeout }>();
  private getters: Array<(v: T | undefined) => void> = [];
  private drained: Array<() => void> = [];
  private shutting = false;
  private readonly limiter: RateLimiter<T>;

  constructor(private readonly opts: WorkQueueOptions<T> = {}) {
    this.limiter = opts.rateLimiter ?? defaultControllerRateLimiter<T>();
  }

  /** queued (not processing, not waiting) items */
  len(): number { return this.queue.length; }
  get shuttingDown(): boolean { return this.shutting; }

  add(item: T): void {
    if (this.shutting || this.dirty.has(item)) return;
    this.dirty.add(item);
    if (this.processing.has(item)) return;   // queued again by done()
    const g = this.getters.shift();
    if (g) { this.dirty.delete(item); this.processing.add(item); g(item); }
    else this.queue.push(item);
  }

  /** the next item, waiting if none; undefined once shut down. Call done(item) when finished. */
  get(): Promise<T | undefined> {
    if (this.queue.length) {
      const item = this.queue.shift()!;
      this.dirty.delete(item);
      this.processing.add(item);
      return Promise.resolve(item);
    }
    if (this.shutting) return Promise.resolve(undefined);
    return new Promise((resolve) => this.getters.push(resolve));
  }

  done(item: T): void {
    this.processing.delete(item);
    if (this.dirty.has(item)) {
      this.dirty.delete(item);
      this.add(item);
    }
    if (this.shutting && !this.processing.size) this.drained.splice(0).forEach((f) => f());
  }

  /** adds the item after a delay; an earlier pending time wins */
  addAfter(item: T, delayMs: number): void {
    if (this.shutting) return;
    if (delayMs <= 0) return this.add(item);
    const at = Date.now() + delayMs;
    const w = this.waiting.get(item);
    if (w && w.at <= at) return;
    if (w) clearTimeout(w.timer);
    const timer = setTimeout(() => { this.waiting.delete(item); this.add(item); }, delayMs);
    this.waiting.set(item, { at, timer });
  }

  /** adds the item once the rate limiter says so (per-item back-off, overall bucket) */
  addRateLimited(item: T): void { this.addAfter(item, this.limiter.when(item)); }
  /** resets the item's back-off (call after success) */
  forget(item: T): void { this.limiter.forget(item); }
  numRequeues(item: T): number { return this.limiter.numRequeues(item); }

  /** stops accepting items; getters get undefined once the queue is empty */
  shutDown(): void {
    if (this.shutting) return;
    this.shutting = true;
    for (const w of this.waiting.values()) clearTimeout(w.timer);
    this.waiting.clear();
    this.queue.length = 0;
    this.dirty.clear();
    this.getters.splice(0).forEach((g) => g(undefined));
  }

  /** shutDown, then wait until items being processed are done */
  async shutDownWithDrain(): Promise<void> {
    this.shutDown();
    if (this.processing.size) await new Promise<void>((r) => this.drained.push(r));
  }

  /**
   * n workers calling reconcile(key). Success forgets the key's back-off (and honours requeueAfter);
   * a throw requeues it rate-limited. Resolves when the queue is shut down (the signal does that)
   * and the workers have finished their current keys.
   */
  async runWorkers(n: number, reconcile: Reconcile<T>, signal?: AbortSignal): Promise<void> {
    const stop = () => this.shutDown();
    if (signal?.aborted) stop();
    signal?.addEventListener('abort', stop, { once: true });
    const worker = async () => {
      for (let key = await this.get(); key !== undefined; key = await this.get()) {
        try {
          const r = await reconcile(key);
          this.forget(key);
          if (r && r.requeueAfter !== undefined) this.addAfter(key, r.requeueAfter);
        } catch (e) {
          (this.opts.onError ?? ((k, err) => console.error(`${this.opts.name ?? 'workqueue'}: error syncing ${String(k)}:`, err)))(key, e);
          this.addRateLimited(key);
        } finally {
          this.done(key);
        }
      }
    };
    try { await Promise.all(Array.from({ length: n }, worker)); } finally { signal?.removeEventListener('abort', stop); }
  }
}
