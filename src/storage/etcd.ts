// etcd v3 backend. Every operation is one etcd request (a txn for the compare-and-swap
// writes), so revisions are etcd's own. Keys are stored under an optional prefix so several
// clusters can share one etcd; end the prefix with '/' so two prefixes never overlap.
import { Etcd3, type IKeyValue, type IOptions } from 'etcd3';
import {
  CompactedError, FutureRevisionError, KeyExistsError,
  type Backend, type KeyValue, type ListOptions, type ListResult, type UpdateResult,
  type WatchCallback, type WatchOptions, type Watcher,
} from './backend.js';
import { compareKeys } from './keys.js';
import { WatchMux } from './etcd-watch.js';

export interface EtcdBackendOptions {
  /** prepended to every key in etcd */
  prefix?: string;
  /** extra options for the etcd3 client (credentials, auth, ...) */
  client?: Partial<IOptions>;
}

/** etcd's range end for all keys starting with the given bytes */
function bytesPrefixEnd(prefix: Buffer): Buffer {
  if (prefix.length === 1 && prefix[0] === 0) return Buffer.from([0]); // the whole keyspace
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i]++;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]); // no upper bound
}

// With a single member a circuit breaker only delays recovery after a restart.
const passThrough = { execute: async <T>(fn: () => T | Promise<T>): Promise<T> => fn() };

export class EtcdBackend implements Backend {
  private client: Etcd3;
  private mux: WatchMux;
  private prefix: Buffer;
  private knownCompact = 0;

  constructor(endpoints: string[], opts: EtcdBackendOptions = {}) {
    this.prefix = Buffer.from(opts.prefix ?? '');
    this.client = new Etcd3({
      hosts: endpoints,
      dialTimeout: 5000,
      grpcOptions: { 'grpc.max_receive_message_length': -1 },
      // etcd3 only calls execute() on the host policy
      faultHandling: { host: () => passThrough as never },
      ...opts.client,
    });
    this.mux = new WatchMux(this.client.watchClient, (rev) => { this.knownCompact = Math.max(this.knownCompact, rev); });
  }

  /** endpoint list as accepted by --datastore-endpoint: comma separated URLs */
  static open(endpoint: string, opts: EtcdBackendOptions = {}): EtcdBackend {
    return new EtcdBackend(endpoint.split(',').map((s) => s.trim()).filter(Boolean), opts);
  }

  async get(key: string, revision?: number): Promise<KeyValue | undefined> {
    const res = await this.call(revision ?? 0, () => this.client.kv.range({ key: this.k(key), revision: revision || 0 }));
    return res.kvs.length ? this.kv(res.kvs[0]) : undefined;
  }

  async create(key: string, value: string): Promise<number> {
    const k = this.k(key);
    const res = await this.client.kv.txn({
      compare: [{ key: k, target: 'Create', result: 'Equal', create_revision: 0 }],
      success: [{ request_put: { key: k, value: Buffer.from(value) } }],
      failure: [],
    });
    if (!res.succeeded) throw new KeyExistsError(key);
    return Number(res.header.revision);
  }

  async update(key: string, value: string, modRevision: number): Promise<UpdateResult> {
    const k = this.k(key);
    const res = await this.client.kv.txn({
      compare: [{ key: k, target: 'Mod', result: 'Equal', mod_revision: modRevision }],
      success: [{ request_put: { key: k, value: Buffer.from(value), prev_kv: true } }],
      failure: [{ request_range: { key: k } }],
    });
    const revision = Number(res.header.revision);
    if (!res.succeeded) return this.failed(res.responses[0]?.response_range?.kvs, revision);
    const prev = res.responses[0].response_put.prev_kv;
    return { ok: true, revision, kv: { key, value, createRevision: Number(prev.create_revision), modRevision: revision } };
  }

  async delete(key: string, modRevision?: number): Promise<UpdateResult> {
    const k = this.k(key);
    const res = await this.client.kv.txn({
      compare: modRevision === undefined
        ? [{ key: k, target: 'Create', result: 'Greater', create_revision: 0 }]
        : [{ key: k, target: 'Mod', result: 'Equal', mod_revision: modRevision }],
      success: [{ request_delete_range: { key: k, prev_kv: true } }],
      failure: [{ request_range: { key: k } }],
    });
    const revision = Number(res.header.revision);
    if (!res.succeeded) return this.failed(res.responses[0]?.response_range?.kvs, revision);
    const prev = res.responses[0].response_delete_range.prev_kvs[0];
    return { ok: true, revision, kv: { key, value: prev.value.toString(), createRevision: Number(prev.create_revision), modRevision: revision } };
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    const p = this.k(prefix);
    const start = opts.startKey !== undefined && compareKeys(opts.startKey, prefix) > 0 ? this.k(opts.startKey) : p;
    const revision = opts.revision || 0;
    const res = await this.call(revision, () => this.client.kv.range({
      key: start, range_end: bytesPrefixEnd(p), revision, limit: opts.limit && opts.limit > 0 ? opts.limit : 0,
    }));
    return { kvs: res.kvs.map((x) => this.kv(x)), revision: revision || Number(res.header.revision), more: res.more };
  }

  async count(prefix: string): Promise<number> {
    const p = this.k(prefix);
    const res = await this.client.kv.range({ key: p, range_end: bytesPrefixEnd(p), count_only: true });
    return Number(res.count);
  }

  watch(prefix: string, opts: WatchOptions, cb: WatchCallback): Watcher {
    const p = this.k(prefix);
    const n = this.prefix.length;
    return this.mux.add({
      key: p, rangeEnd: bytesPrefixEnd(p), startRevision: opts.startRevision ?? 0, unprefix: (b) => b.subarray(n).toString(),
    }, cb, opts.signal);
  }

  async compact(revision: number): Promise<void> {
    try {
      await this.client.kv.compact({ revision, physical: true });
      this.knownCompact = Math.max(this.knownCompact, revision);
    } catch (err) {
      if (isCompacted(err)) return; // already compacted at or past revision
      throw await this.mapError(err, revision);
    }
  }

  async currentRevision(): Promise<number> {
    const res = await this.client.kv.range({ key: this.k(''), keys_only: true, limit: 1 });
    return Number(res.header.revision);
  }

  async close(): Promise<void> {
    this.mux.close();
    this.client.close();
  }

  private k(key: string): Buffer {
    const b = this.prefix.length ? Buffer.concat([this.prefix, Buffer.from(key)]) : Buffer.from(key);
    return b.length ? b : Buffer.from([0]); // etcd rejects an empty key; "\0" starts the keyspace
  }

  private kv(x: IKeyValue): KeyValue {
    return {
      key: x.key.subarray(this.prefix.length).toString(), value: x.value.toString(),
      createRevision: Number(x.create_revision), modRevision: Number(x.mod_revision),
    };
  }

  private failed(kvs: IKeyValue[] | undefined, revision: number): UpdateResult {
    return kvs && kvs.length ? { ok: false, revision, kv: this.kv(kvs[0]) } : { ok: false, revision };
  }

  private async call<T>(revision: number, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw await this.mapError(err, revision);
    }
  }

  private async mapError(err: unknown, revision: number): Promise<unknown> {
    if (isCompacted(err)) return new CompactedError(revision, this.knownCompact);
    if (err instanceof Error && err.message.includes('is a future revision')) {
      return new FutureRevisionError(revision, await this.currentRevision().catch(() => 0));
    }
    return err;
  }
}

function isCompacted(err: unknown): boolean {
  return err instanceof Error && err.message.includes('required revision has been compacted');
}
