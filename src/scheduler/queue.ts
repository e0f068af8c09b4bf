// The scheduling queue (upstream's PriorityQueue): an active heap (higher priority first, then
// FIFO), a back-off area for pods that failed recently, and the unschedulable pods, which move
// back when the cluster changes (moveAll) or after maxUnschedulableMs.

export interface QueuedPod { key: string; priority: number; seq: number; attempts: number; lastAttempt: number; since: number; plugins?: Set<string> }

type Place = 'active' | 'backoff' | 'unschedulable' | 'flight';

export interface QueueOptions { initialBackoffMs?: number; maxBackoffMs?: number; maxUnschedulableMs?: number; now?: () => number }

class Heap {
  private a: QueuedPod[] = [];
  get size(): number { return this.a.length; }
  private less(x: QueuedPod, y: QueuedPod): boolean { return x.priority !== y.priority ? x.priority > y.priority : x.seq < y.seq; }
  push(v: QueuedPod): void {
    const a = this.a; a.push(v);
    for (let i = a.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (!this.less(a[i], a[p])) break;
      [a[i], a[p]] = [a[p], a[i]]; i = p;
    }
  }
  pop(): QueuedPod | undefined {
    const a = this.a;
    if (!a.length) return undefined;
    const top = a[0]; const last = a.pop()!;
    if (a.length) {
      a[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1; const r = l + 1; let m = i;
        if (l < a.length && this.less(a[l], a[m])) m = l;
        if (r < a.length && this.less(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]]; i = m;
      }
    }
    return top;
  }
}

export class SchedulingQueue {
  private active = new Heap();
  /** key -> entry, for every pod the queue knows (active, backoff, unschedulable or in flight) */
  private entries = new Map<string, QueuedPod>();
  private where = new Map<string, Place>();
  /** keys per place other than active (so moves and flushes touch only what they need) */
  private sets: Record<Exclude<Place, 'active'>, Set<string>> = { backoff: new Set(), unschedulable: new Set(), flight: new Set() };
  /** a cluster change seen while these pods were being scheduled: retry them after back-off */
  private movedDuringFlight = new Set<string>();
  private waiters: Array<(p: QueuedPod | undefined) => void> = [];
  private seq = 0;
  private closed = false;
  private timer?: NodeJS.Timeout;
  private readonly initialBackoff: number;
  private readonly maxBackoff: number;
  private readonly maxUnschedulable: number;
  private readonly now: () => number;

  constructor(opts: QueueOptions = {}) {
    this.initialBackoff = opts.initialBackoffMs ?? 1000;
    this.maxBackoff = opts.maxBackoffMs ?? 10_000;
    this.maxUnschedulable = opts.maxUnschedulableMs ?? 300_000;
    this.now = opts.now ?? Date.now;
  }

  /** starts the periodic flush of back-off and long-unschedulable pods */
  start(periodMs = 1000): void {
    this.timer = setInterval(() => this.flush(), periodMs);
    this.timer.unref();
  }

  get activeLen(): number { return this.active.size; }
  has(key: string): boolean { return this.entries.has(key); }
  state(key: string): string | undefined { return this.where.get(key); }

  /** a new or changed pending pod: to the active queue (unless being scheduled right now) */
  add(key: string, priority = 0): void {
    if (this.closed) return;
    let e = this.entries.get(key);
    const w = this.where.get(key);
    if (e && (w === 'active')) return;
    if (e && w === 'flight') { this.movedDuringFlight.add(key); return; }
    if (!e) { e = { key, priority, seq: this.seq++, attempts: 0, lastAttempt: 0, since: this.now() }; this.entries.set(key, e); }
    e.priority = priority;
    this.toActive(e);
  }

  private place(key: string, p: Place | undefined): void {
    const prev = this.where.get(key);
    if (prev && prev !== 'active') this.sets[prev].delete(key);
    if (!p) { this.where.delete(key); return; }
    this.where.set(key, p);
    if (p !== 'active') this.sets[p].add(key);
  }

  delete(key: string): void {
    this.entries.delete(key);
    this.place(key, undefined);
    this.movedDuringFlight.delete(key);
  }

  private toActive(e: QueuedPod): void {
    this.place(e.key, 'active');
    const w = this.waiters.shift();
    if (w) { this.place(e.key, 'flight'); w(e); } else this.active.push(e);
  }

  /** the next pod to schedule; undefined once closed */
  pop(): Promise<QueuedPod | undefined> {
    while (this.active.size) {
      const e = this.active.pop()!;
      // stale heap entries (deleted, or moved elsewhere since) are skipped
      if (this.entries.get(e.key) !== e || this.where.get(e.key) !== 'active') continue;
      this.place(e.key, 'flight');
      return Promise.resolve(e);
    }
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((r) => this.waiters.push(r));
  }

  /** the attempt succeeded (the pod is assumed/bound): forget it */
  done(key: string): void { this.delete(key); }

  backoffMs(e: QueuedPod): number { return Math.min(this.maxBackoff, this.initialBackoff * 2 ** Math.max(0, e.attempts - 1)); }

  /** the attempt failed: unschedulable (waits for a cluster change) or an error (back-off) */
  requeue(key: string, unschedulable: boolean, plugins?: Set<string>): void {
    const e = this.entries.get(key);
    if (!e || this.closed) return;
    e.plugins = plugins;
    e.attempts++;
    e.lastAttempt = this.now();
    const moved = this.movedDuringFlight.delete(key);
    if (unschedulable && !moved) { this.place(key, 'unschedulable'); e.since = this.now(); }
    else this.place(key, 'backoff');
  }

  /** a cluster change that may make unschedulable pods fit */
  moveAll(onlyIfRejectedBy?: string[]): void {
    const rejected = (k: string) => !onlyIfRejectedBy || onlyIfRejectedBy.some((p) => this.entries.get(k)!.plugins?.has(p));
    for (const k of [...this.sets.unschedulable]) if (rejected(k)) this.place(k, 'backoff');
    if (!onlyIfRejectedBy) for (const k of this.sets.flight) this.movedDuringFlight.add(k);
    this.flush();
  }

  /** back-off pods whose time is up, and pods unschedulable for too long, go active */
  flush(): void {
    const now = this.now();
    for (const k of [...this.sets.unschedulable]) {
      if (now - this.entries.get(k)!.since >= this.maxUnschedulable) this.place(k, 'backoff');
    }
    for (const k of [...this.sets.backoff]) {
      const e = this.entries.get(k)!;
      if (now >= e.lastAttempt + this.backoffMs(e)) this.toActive(e);
    }
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.waiters.splice(0).forEach((w) => w(undefined));
  }
}
