// One backend watch per resource, fanned out to every HTTP watcher (as upstream's watch cache):
// each event is read and decoded once, kept in a bounded buffer for resumes, and delivered to
// watchers after the write that caused it has been answered.
import type { Backend, KeyValue, WatchEvent } from '../../storage/backend.js';
import type { KObject } from '../../api/types.js';

export interface CachedEvent {
  rev: number;
  key: string;
  type: 'PUT' | 'DELETE';
  /** the object after the event (for DELETE: its last state, at the deletion revision) */
  obj: KObject;
  /** the object before the event, when there was one */
  prev?: KObject;
}

interface Sub { prefix: string; lastRev: number; deliver(ev: CachedEvent): void; end(err?: unknown): void }

export class WatchCache {
  private readonly subs = new Set<Sub>();
  private buf: CachedEvent[] = [];
  private pending: CachedEvent[] = [];
  private flushScheduled = false;
  /** lowest revision the buffer can replay from */
  private firstRev = Infinity;
  private starting?: Promise<void>;
  private ac?: AbortController;

  constructor(private readonly backend: Backend, private readonly prefix: string,
    private readonly decode: (kv: KeyValue, rev?: number) => KObject, private readonly capacity = 4096) {}

  /** starts the backend watch once; afterwards every revision >= servableFrom() can be served */
  start(): Promise<void> {
    if (this.starting) return this.starting;
    const starting = (async () => {
      const cur = await this.backend.currentRevision();
      const ac = new AbortController();
      this.ac = ac;
      this.firstRev = cur + 1;
      const w = this.backend.watch(this.prefix, { startRevision: cur + 1, signal: ac.signal }, (evs) => this.onEvents(evs));
      w.done.then(() => this.reset(ac), (e) => this.reset(ac, e));
    })();
    // a start that failed (storage unreachable) is tried again by the next caller
    starting.catch(() => { if (this.starting === starting) this.starting = undefined; });
    return (this.starting = starting);
  }

  servableFrom(): number { return this.firstRev; }

  /** replays buffered events with revision >= from, then delivers live ones; returns an unsubscribe function */
  subscribe(prefix: string, from: number, deliver: (ev: CachedEvent) => void, end: (err?: unknown) => void): () => void {
    const sub: Sub = { prefix, lastRev: from - 1, deliver, end };
    for (const ev of [...this.buf, ...this.pending]) {
      if (ev.rev > sub.lastRev && ev.key.startsWith(prefix)) { sub.lastRev = ev.rev; deliver(ev); }
    }
    this.subs.add(sub);
    return () => { this.subs.delete(sub); };
  }

  close(): void {
    if (this.ac) this.reset(this.ac);
  }

  private onEvents(evs: WatchEvent[]): void {
    for (const ev of evs) {
      const rev = ev.kv.modRevision;
      const obj = ev.type === 'DELETE' ? this.decode(ev.prevKv ?? ev.kv, rev) : this.decode(ev.kv);
      const c: CachedEvent = { rev, key: ev.kv.key, type: ev.type, obj };
      if (ev.type === 'PUT' && ev.prevKv?.value) c.prev = this.decode(ev.prevKv);
      this.pending.push(c);
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    const evs = this.pending;
    this.pending = [];
    for (const ev of evs) {
      this.buf.push(ev);
      for (const s of this.subs) {
        if (ev.rev > s.lastRev && ev.key.startsWith(s.prefix)) {
          s.lastRev = ev.rev;
          try { s.deliver(ev); } catch (e) { this.subs.delete(s); s.end(e); }
        }
      }
    }
    if (this.buf.length > this.capacity) {
      const drop = this.buf.length - this.capacity;
      this.firstRev = this.buf[drop - 1].rev + 1;
      this.buf = this.buf.slice(drop);
    }
  }

  /** the backend watch ended: end every subscriber (clients watch again) and start afresh next time */
  private reset(ac: AbortController, err?: unknown): void {
    if (this.ac !== ac) return;
    ac.abort();
    this.ac = undefined;
    this.starting = undefined;
    this.firstRev = Infinity;
    this.buf = [];
    this.pending = [];
    const subs = [...this.subs];
    this.subs.clear();
    for (const s of subs) s.end(err);
  }
}
