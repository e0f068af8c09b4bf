// Rate limiters for the work queue (as client-go's workqueue rate limiters).

export interface RateLimiter<T = string> {
  /** how long to wait before handling the item again (ms); counts a failure */
  when(item: T): number;
  /** stop tracking the item (it succeeded) */
  forget(item: T): void;
  numRequeues(item: T): number;
}

/** baseMs * 2^failures per item, capped at maxMs */
export class ItemExponentialFailureRateLimiter<T = string> implements RateLimiter<T> {
  private failures = new Map<T, number>();
  constructor(private readonly baseMs = 5, private readonly maxMs = 1000_000) {}
  when(item: T): number {
    const n = this.failures.get(item) ?? 0;
    this.failures.set(item, n + 1);
    return Math.min(this.baseMs * 2 ** n, this.maxMs);
  }
  forget(item: T): void { this.failures.delete(item); }
  numRequeues(item: T): number { return this.failures.get(item) ?? 0; }
}

/** overall token bucket (qps, burst) shared by all items; each call reserves one token */
export class BucketRateLimiter<T = string> implements RateLimiter<T> {
  private tokens: number;
  private last: number;
  constructor(private readonly qps = 10, private readonly burst = 100, private readonly now = () => Date.now()) {
    this.tokens = burst;
    this.last = now();
  }
  when(_item: T): number {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.qps);
    this.last = t;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.qps) * 1000;
  }
  forget(_item: T): void {}
  numRequeues(_item: T): number { return 0; }
}

/** the longest delay of several limiters */
export class MaxOfRateLimiter<T = string> implements RateLimiter<T> {
  private readonly limiters: RateLimiter<T>[];
  constructor(...limiters: RateLimiter<T>[]) { this.limiters = limiters; }
  when(item: T): number { return Math.max(0, ...this.limiters.map((l) => l.when(item))); }
  forget(item: T): void { for (const l of this.limiters) l.forget(item); }
  numRequeues(item: T): number { return Math.max(0, ...this.limiters.map((l) => l.numRequeues(item))); }
}

/** client-go's DefaultControllerRateLimiter: per-item 5ms..1000s exponential, overall 10 qps / burst 100 */
export function defaultControllerRateLimiter<T = string>(): RateLimiter<T> {
  return new MaxOfRateLimiter<T>(new ItemExponentialFailureRateLimiter<T>(5, 1000_000), new BucketRateLimiter<T>(10, 100));
}
