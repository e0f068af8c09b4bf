// In-process watch fan-out for the backends that own their writes (memory, sqlite).
// Writers publish each committed event once; every watcher whose prefix matches queues it,
// and queued events are delivered in one callback per microtask.
import type { WatchCallback, WatchEvent, Watcher } from './backend.js';

export class HubWatcher implements Watcher {
  readonly done: Promise<void>;
  private pending: WatchEvent[] = [];
  private scheduled = false;
  private closed = false;
  private settle!: (err?: Error) => void;
  private unlisten = (): void => {};

  constructor(readonly prefix: string, private cb: WatchCallback, private onEnd: (w: HubWatcher) => void, signal?: AbortSignal) {
    this.done = new Promise<void>((resolve, reject) => { this.settle = (err) => (err ? reject(err) : resolve()); });
    // a caller that ignores `done` must not crash the process with an unhandled rejection
    this.done.catch(() => {});
    if (signal) {
      if (signal.aborted) queueMicrotask(() => this.end());
      const onAbort = (): void => this.end();
      signal.addEventListener('abort', onAbort, { once: true });
      this.unlisten = () => signal.removeEventListener('abort', onAbort);
    }
  }

  get isClosed(): boolean { return this.closed; }

  push(events: WatchEvent[]): void {
    if (this.closed || events.length === 0) return;
    for (const ev of events) this.pending.push(ev);
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.flush);
    }
  }

  private flush = (): void => {
    this.scheduled = false;
    if (this.closed || this.pending.length === 0) return;
    const events = this.pending;
    this.pending = [];
    try {
      this.cb(events);
    } catch (err) {
      this.end(err instanceof Error ? err : new Error(String(err)));
    }
  };

  /** stop delivery; `done` resolves, or rejects with err */
  end(err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.pending = [];
    this.unlisten();
    this.onEnd(this);
    this.settle(err);
  }
}

export class WatchHub {
  /** watchers grouped by prefix, so one event costs one prefix test per distinct prefix */
  private byPrefix = new Map<string, Set<HubWatcher>>();

  add(prefix: string, cb: WatchCallback, signal?: AbortSignal): HubWatcher {
    const w = new HubWatcher(prefix, cb, (x) => this.remove(x), signal);
    let set = this.byPrefix.get(prefix);
    if (!set) this.byPrefix.set(prefix, (set = new Set()));
    set.add(w);
    return w;
  }

  /** a watcher that has already failed (e.g. compacted start revision) */
  failed(err: Error): Watcher {
    const w = new HubWatcher('', () => {}, () => {});
    w.end(err);
    return w;
  }

  publish(ev: WatchEvent): void {
    const key = ev.kv.key;
    for (const [prefix, set] of this.byPrefix) {
      if (!key.startsWith(prefix)) continue;
      for (const w of set) w.push([ev]);
    }
  }

  get size(): number {
    let n = 0;
    for (const set of this.byPrefix.values()) n += set.size;
    return n;
  }

  closeAll(): void {
    for (const set of [...this.byPrefix.values()]) for (const w of [...set]) w.end();
  }

  private remove(w: HubWatcher): void {
    const set = this.byPrefix.get(w.prefix);
    if (!set) return;
    set.delete(w);
    if (set.size === 0) this.byPrefix.delete(w.prefix);
  }
}
