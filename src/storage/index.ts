// Picks the storage backend from --datastore-endpoint (k3s conventions).
import { join } from 'node:path';
import type { Backend } from './backend.js';
import { EtcdBackend, type EtcdBackendOptions } from './etcd.js';
import { MemoryBackend } from './memory.js';
import { SqliteBackend } from './sqlite.js';

export type { Backend } from './backend.js';
export { CompactedError, FutureRevisionError, KeyExistsError } from './backend.js';

/**
 * undefined or '' -> SQLite at DATADIR/db/state.db; 'sqlite://PATH' -> SQLite at PATH;
 * 'memory://' -> in memory; 'http(s)://host:port[,http(s)://...]' -> etcd v3.
 */
export async function openBackend(endpoint: string | undefined, dataDir: string, etcd: EtcdBackendOptions = {}): Promise<Backend> {
  if (!endpoint) return SqliteBackend.open(join(dataDir, 'db', 'state.db'));
  if (endpoint.startsWith('sqlite://')) return SqliteBackend.open(endpoint.slice('sqlite://'.length).split('?')[0] || join(dataDir, 'db', 'state.db'));
  if (endpoint.startsWith('memory://')) return new MemoryBackend();
  if (/^https?:\/\//.test(endpoint)) {
    const b = EtcdBackend.open(endpoint, etcd);
    await b.currentRevision(); // fail fast when etcd is unreachable
    return b;
  }
  throw new Error(`unsupported datastore endpoint ${JSON.stringify(endpoint)}: use sqlite://PATH, memory:// or http(s)://HOST:PORT`);
}
