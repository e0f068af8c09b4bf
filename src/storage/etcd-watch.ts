// Watches over one etcd gRPC watch stream. Each watch remembers the next revision it needs,
// so after the stream breaks it is re-created from exactly there: no gap, no duplicate.
// (The etcd3 package's Watcher resumes from the response header revision, which can skip
// events while etcd is still catching a watcher up, so it is not used.)
import type { IDuplexStream, IEvent, IWatchRequest, IWatchResponse, WatchClient } from 'etcd3';
import { CompactedError, type WatchCallback, type WatchEvent, type Watcher } from './backend.js';

export interface MuxWatchSpec {
  key: Buffer;
  rangeEnd: Buffer;
  /** first revision wanted; 0 = from the moment etcd creates the watch */
  startRevision: number;
  /** etcd key -> our key */
  unprefix: (key: Buffer) => string;
}

class MuxWatch implements Watcher {
  readonly done: Promise<void>;
  nextRev: number;
  private settle!: (err?: Error) => void;
  private closed = false;
  private unlisten = (): void => {};

  constructor(readonly id: number, readonly spec: MuxWatchSpec, private cb: WatchCallback, private onEnd: (w: MuxWatch) => void, signal?: AbortSignal) {
    this.nextRev = spec.startRevision;
    this.done = new Promise<void>((resolve, reject) => { this.settle = (err) => (err ? reject(err) : resolve()); });
    this.done.catch(() => {});
    if (signal) {
      if (signal.aborted) queueMicrotask(() => this.end());
      const onAbort = (): void => this.end();
      signal.addEventListener('abort', onAbort, { once: true });
      this.unlisten = () => signal.removeEventListener('abort', onAbort);
    }
  }

  deliver(raw: IEvent[]): void {
    const events: WatchEvent[] = [];
    for (const e of raw) {
      const rev = Number(e.kv.mod_revision);
      if (rev < this.nextRev) continue; // already delivered before a reconnect
      events.push(this.convert(e));
      this.nextRev = rev + 1;
    }
    if (events.length === 0 || this.closed) return;
    try {
      this.cb(events);
    } catch (err) {
      this.end(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private convert(e: IEvent): WatchEvent {
    const key = this.spec.unprefix(e.kv.key);
    const prev = e.prev_kv && e.prev_kv.key && e.prev_kv.key.length > 0
      ? { key, value: e.prev_kv.value.toString(), createRevision: Number(e.prev_kv.create_revision), modRevision: Number(e.prev_kv.mod_revision) }
      : undefined;
    const modRevision = Number(e.kv.mod_revision);
    if (e.type === 'Delete') {
      return { type: 'DELETE', kv: { key, value: prev?.value ?? '', createRevision: prev?.createRevision ?? 0, modRevision }, prevKv: prev };
    }
    const kv = { key, value: e.kv.value.toString(), createRevision: Number(e.kv.create_revision), modRevision };
    return prev ? { type: 'PUT', kv, prevKv: prev } : { type: 'PUT', kv };
  }

  end(err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.unlisten();
    this.onEnd(this);
    this.settle(err);
  }
}

export class WatchMux {
  private stream?: IDuplexStream<IWatchRequest, IWatchResponse>;
  private connecting = false;
  private watches = new Map<number, MuxWatch>();
  private nextId = 1;
  private backoff = 50;
  private timer?: NodeJS.Timeout;
  private closed = false;

  /** onCompacted learns etcd's compact revision from cancelled watches */
  constructor(private client: WatchClient, private onCompacted: (rev: number) => void) {}

  add(spec: MuxWatchSpec, cb: WatchCallback, signal?: AbortSignal): Watcher {
    const w = new MuxWatch(this.nextId++, spec, cb, (x) => this.remove(x), signal);
    if (this.closed) {
      w.end(new Error('storage backend is closed'));
      return w;
    }
    this.watches.set(w.id, w);
    if (this.stream) this.sendCreate(this.stream, w); else this.connect();
    return w;
  }

  get size(): number { return this.watches.size; }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    for (const w of [...this.watches.values()]) w.end();
    const s = this.stream;
    this.stream = undefined;
    s?.cancel();
  }

  private remove(w: MuxWatch): void {
    if (!this.watches.delete(w.id)) return;
    try { this.stream?.write({ cancel_request: { watch_id: w.id } }); } catch { /* stream already gone */ }
  }

  private connect(): void {
    if (this.connecting || this.stream || this.closed) return;
    this.connecting = true;
    this.client.watch().then((stream) => {
      this.connecting = false;
      if (this.closed) { stream.cancel(); return; }
      this.stream = stream;
      stream.on('data', (res) => this.onResponse(res));
      stream.on('error', (err) => this.onBroken(stream, err));
      stream.on('end', () => this.onBroken(stream, new Error('etcd watch stream ended')));
      for (const w of this.watches.values()) this.sendCreate(stream, w);
    }, () => {
      this.connecting = false;
      this.retry();
    });
  }

  private sendCreate(stream: IDuplexStream<IWatchRequest, IWatchResponse>, w: MuxWatch): void {
    stream.write({
      create_request: {
        key: w.spec.key, range_end: w.spec.rangeEnd, prev_kv: true, watch_id: w.id,
        ...(w.nextRev > 0 ? { start_revision: w.nextRev } : {}),
      },
    });
  }

  private onResponse(res: IWatchResponse): void {
    this.backoff = 50;
    const w = this.watches.get(Number(res.watch_id));
    if (!w) return;
    if (res.canceled) {
      this.watches.delete(w.id);
      const compacted = Number(res.compact_revision);
      if (compacted > 0) {
        this.onCompacted(compacted);
        w.end(new CompactedError(w.nextRev, compacted));
      } else {
        w.end(new Error(`etcd watch cancelled: ${res.cancel_reason}`));
      }
      return;
    }
    // a watch "from now" is pinned to the revision etcd created it at
    if (res.created && w.nextRev === 0) w.nextRev = Number(res.header.revision) + 1;
    if (res.events?.length) w.deliver(res.events);
  }

  private onBroken(stream: IDuplexStream<IWatchRequest, IWatchResponse>, _err: Error): void {
    if (this.stream !== stream) return;
    this.stream = undefined;
    try { stream.cancel(); } catch { /* ignore */ }
    this.retry();
  }

  private retry(): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.watches.size > 0) this.connect();
    }, this.backoff);
    this.backoff = Math.min(this.backoff * 2, 2000);
  }
}
