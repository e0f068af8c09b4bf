// The etcd-shaped storage interface (after kine). Every backend (memory, sqlite, etcd)
// implements it and runs the one conformance suite in conformance_test.ts.
//
// Revisions are global and strictly increasing across all keys; a key's modRevision is
// the API object's resourceVersion.

export interface KeyValue {
  key: string;
  value: string;
  /** revision at which the key was created (since its last deletion) */
  createRevision: number;
  /** revision of the last write to the key */
  modRevision: number;
}

export interface WatchEvent {
  type: 'PUT' | 'DELETE';
  /** for DELETE: the key with the deletion revision as modRevision and the last value */
  kv: KeyValue;
  /** value before this event, when there was one */
  prevKv?: KeyValue;
}

export interface ListOptions {
  /** read as of this revision (0/undefined = current). Older than the compacted revision -> CompactedError */
  revision?: number;
  /** at most this many keys (0/undefined = no limit) */
  limit?: number;
  /** keys >= startKey (exclusive continuation is done by passing the last key + '\0') */
  startKey?: string;
}

export interface ListResult {
  kvs: KeyValue[];
  /** the revision the list was read at */
  revision: number;
  /** true when more keys remain after the last one returned */
  more: boolean;
}

export interface UpdateResult {
  /** false when the key's modRevision did not match (compare-and-swap failed) or the key is gone */
  ok: boolean;
  /** the store revision after the call (the new modRevision on success) */
  revision: number;
  /** on success the new kv; on failure the current kv (undefined when the key does not exist) */
  kv?: KeyValue;
}

export interface WatchOptions {
  /** deliver events with modRevision >= startRevision (etcd semantics). 0 = from now. */
  startRevision?: number;
  signal?: AbortSignal;
}

/** Handle returned by watch; events are delivered in revision order, batched per call. */
export interface Watcher {
  /** resolves when the watch ends (abort, close, or error). Rejects with CompactedError when startRevision is too old. */
  done: Promise<void>;
}

export type WatchCallback = (events: WatchEvent[]) => void;

export interface Backend {
  /** current value of key, or at `revision` */
  get(key: string, revision?: number): Promise<KeyValue | undefined>;
  /** create key; throws KeyExistsError when present. Returns the new revision. */
  create(key: string, value: string): Promise<number>;
  /** compare-and-swap on modRevision */
  update(key: string, value: string, modRevision: number): Promise<UpdateResult>;
  /** delete key; when modRevision is given, only if it matches */
  delete(key: string, modRevision?: number): Promise<UpdateResult>;
  /** keys with the given prefix, sorted by key */
  list(prefix: string, opts?: ListOptions): Promise<ListResult>;
  /** number of keys under prefix at current revision */
  count(prefix: string): Promise<number>;
  /** watch keys under prefix. Delivery has no gaps and no duplicates. */
  watch(prefix: string, opts: WatchOptions, cb: WatchCallback): Watcher;
  /** drop history older than revision; reads/watches below it throw CompactedError */
  compact(revision: number): Promise<void>;
  currentRevision(): Promise<number>;
  close(): Promise<void>;
}

export class KeyExistsError extends Error {
  constructor(public key: string) { super(`key exists: ${key}`); this.name = 'KeyExistsError'; }
}

export class CompactedError extends Error {
  constructor(public requested: number, public compacted: number) {
    super(`required revision ${requested} has been compacted (compact revision ${compacted})`);
    this.name = 'CompactedError';
  }
}

export class FutureRevisionError extends Error {
  constructor(public requested: number, public current: number) {
    super(`required revision ${requested} is a future revision (current ${current})`);
    this.name = 'FutureRevisionError';
  }
}
