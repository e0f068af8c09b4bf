// The log-structured backend (after kine): every write appends one row whose id is the new
// global revision; the newest row per key is its current state and deletions are tombstone
// rows that keep the last value. A LogStore (memory, sqlite) stores the rows synchronously;
// LogBackend turns them into the Backend contract and feeds in-process watchers. Because
// every store call is synchronous, a write and its watch fan-out cannot interleave with
// another write, and a watch registers and replays history in one tick (no gap, no duplicate).
import {
  CompactedError, FutureRevisionError, KeyExistsError,
  type Backend, type KeyValue, type ListOptions, type ListResult, type UpdateResult,
  type WatchCallback, type WatchEvent, type WatchOptions, type Watcher,
} from './backend.js';
import { listRange } from './keys.js';
import { WatchHub } from './watch-hub.js';

export interface LogRow {
  id: number;
  name: string;
  created: boolean;
  deleted: boolean;
  createRevision: number;
  prevRevision: number;
  value: string;
}

export interface LogStore {
  /** highest revision ever assigned (0 for an empty store) */
  currentRevision(): number;
  compactRevision(): number;
  /** newest row for name with id <= maxRev */
  latest(name: string, maxRev: number): LogRow | undefined;
  /** append a row; row.id is currentRevision() + 1. Durable when it returns. */
  append(row: LogRow): void;
  /** newest rows per name in [start, end) as of maxRev that are not tombstones, by name; limit 0 = all */
  listLatest(start: string, end: string | undefined, maxRev: number, limit: number): LogRow[];
  countLatest(start: string, end: string | undefined): number;
  /** rows with fromRev <= id <= toRev and name in [start, end), by id, each with its stored predecessor */
  history(start: string, end: string | undefined, fromRev: number, toRev: number): Array<{ row: LogRow; prev?: LogRow }>;
  /** delete rows below rev that are superseded at rev (and tombstones below rev); record rev */
  compact(rev: number): void;
  close(): void;
}

function toKv(row: LogRow): KeyValue {
  return { key: row.name, value: row.value, createRevision: row.createRevision, modRevision: row.id };
}

function eventOf(row: LogRow, prev: LogRow | undefined): WatchEvent {
  const ev: WatchEvent = { type: row.deleted ? 'DELETE' : 'PUT', kv: toKv(row) };
  if (prev && !prev.deleted) ev.prevKv = toKv(prev);
  return ev;
}

export class LogBackend implements Backend {
  private hub = new WatchHub();
  private closed = false;

  constructor(protected readonly store: LogStore) {}

  /** number of live watchers (for tests and metrics) */
  get watcherCount(): number { return this.hub.size; }

  async get(key: string, revision?: number): Promise<KeyValue | undefined> {
    const rev = this.readRevision(revision);
    const row = this.store.latest(key, rev);
    return row && !row.deleted ? toKv(row) : undefined;
  }

  async create(key: string, value: string): Promise<number> {
    this.checkOpen();
    const prev = this.store.latest(key, this.store.currentRevision());
    if (prev && !prev.deleted) throw new KeyExistsError(key);
    const id = this.store.currentRevision() + 1;
    const row: LogRow = { id, name: key, created: true, deleted: false, createRevision: id, prevRevision: prev?.id ?? 0, value };
    this.store.append(row);
    this.hub.publish(eventOf(row, undefined));
    return id;
  }

  async update(key: string, value: string, modRevision: number): Promise<UpdateResult> {
    return this.write(key, modRevision, (prev, id) => ({
      id, name: key, created: false, deleted: false, createRevision: prev.createRevision, prevRevision: prev.id, value,
    }));
  }

  async delete(key: string, modRevision?: number): Promise<UpdateResult> {
    return this.write(key, modRevision, (prev, id) => ({
      id, name: key, created: false, deleted: true, createRevision: prev.createRevision, prevRevision: prev.id, value: prev.value,
    }));
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    const rev = this.readRevision(opts.revision);
    const { start, end } = listRange(prefix, opts.startKey);
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
    const rows = this.store.listLatest(start, end, rev, limit ? limit + 1 : 0);
    const more = limit > 0 && rows.length > limit;
    if (more) rows.length = limit;
    return { kvs: rows.map(toKv), revision: rev, more };
  }

  async count(prefix: string): Promise<number> {
    this.checkOpen();
    const { start, end } = listRange(prefix);
    return this.store.countLatest(start, end);
  }

  watch(prefix: string, opts: WatchOptions, cb: WatchCallback): Watcher {
    this.checkOpen();
    const start = opts.startRevision ?? 0;
    const compacted = this.store.compactRevision();
    if (start > 0 && start < compacted) return this.hub.failed(new CompactedError(start, compacted));
    const w = this.hub.add(prefix, cb, opts.signal);
    const cur = this.store.currentRevision();
    if (start > 0 && start <= cur) {
      const { start: from, end } = listRange(prefix);
      w.push(this.store.history(from, end, start, cur).map(({ row, prev }) => eventOf(row, prev)));
    }
    return w;
  }

  async compact(revision: number): Promise<void> {
    this.checkOpen();
    if (revision <= this.store.compactRevision()) return;
    const cur = this.store.currentRevision();
    if (revision > cur) throw new FutureRevisionError(revision, cur);
    this.store.compact(revision);
  }

  async currentRevision(): Promise<number> {
    this.checkOpen();
    return this.store.currentRevision();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.hub.closeAll();
    this.store.close();
  }

  private write(key: string, modRevision: number | undefined, next: (prev: LogRow, id: number) => LogRow): UpdateResult {
    this.checkOpen();
    const cur = this.store.currentRevision();
    const prev = this.store.latest(key, cur);
    if (!prev || prev.deleted) return { ok: false, revision: cur };
    if (modRevision !== undefined && prev.id !== modRevision) return { ok: false, revision: cur, kv: toKv(prev) };
    const row = next(prev, cur + 1);
    this.store.append(row);
    this.hub.publish(eventOf(row, prev));
    return { ok: true, revision: row.id, kv: toKv(row) };
  }

  /** the revision a read runs at; validates an explicit one */
  private readRevision(revision: number | undefined): number {
    this.checkOpen();
    const cur = this.store.currentRevision();
    if (!revision) return cur;
    if (revision > cur) throw new FutureRevisionError(revision, cur);
    const compacted = this.store.compactRevision();
    if (revision < compacted) throw new CompactedError(revision, compacted);
    return revision;
  }

  private checkOpen(): void {
    if (this.closed) throw new Error('storage backend is closed');
  }
}
