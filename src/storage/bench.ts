// Raw backend throughput: creates with 1 and 32 concurrent writers, reads, and the cost of
// fanning writes out to many watchers. Used by `npm run bench`.
import { setMaxListeners } from 'node:events';
import type { Backend } from './backend.js';

export interface BenchOptions {
  /** creates per phase (default 5000) */
  writes?: number;
  /** watchers attached during the fan-out phase (default 50) */
  watchers?: number;
  /** key prefix, so repeated runs do not collide (default /bench/<time>/) */
  prefix?: string;
}

export interface BenchResult {
  writesPerSec1: number;
  writesPerSec32: number;
  updatesPerSec32: number;
  getsPerSec: number;
  /** one list of all keys written by the 32-writer phase, in ms */
  listAllMs: number;
  /** creates/s with `watchers` watchers attached, and whether every watcher saw every write */
  writesPerSecWatched: number;
  watchersComplete: boolean;
}

async function timed(n: number, concurrency: number, op: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let i = next++; i < n; i = next++) await op(i);
  }));
  return n / ((performance.now() - t0) / 1000);
}

export async function benchBackend(b: Backend, opts: BenchOptions = {}): Promise<BenchResult> {
  const n = opts.writes ?? 5000;
  const p = opts.prefix ?? `/bench/${Date.now()}/`;
  const value = JSON.stringify({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'x', namespace: 'default' }, data: { k: 'v'.repeat(400) } });

  const writesPerSec1 = await timed(n, 1, (i) => b.create(`${p}one/${i}`, value));
  const writesPerSec32 = await timed(n, 32, (i) => b.create(`${p}many/${i}`, value));
  const revs = new Map<string, number>();
  for (const kv of (await b.list(`${p}many/`)).kvs) revs.set(kv.key, kv.modRevision);
  const updatesPerSec32 = await timed(n, 32, async (i) => {
    const key = `${p}many/${i}`;
    const res = await b.update(key, value, revs.get(key)!);
    if (!res.ok) throw new Error(`bench update of ${key} conflicted`);
  });
  const getsPerSec = await timed(n, 32, (i) => b.get(`${p}many/${i}`));
  const t0 = performance.now();
  const all = await b.list(`${p}many/`);
  const listAllMs = performance.now() - t0;
  if (all.kvs.length !== n) throw new Error(`bench list returned ${all.kvs.length} of ${n}`);

  const ac = new AbortController();
  setMaxListeners(0, ac.signal);
  const seen = new Array<number>(opts.watchers ?? 50).fill(0);
  const watchers = seen.map((_, i) => b.watch(`${p}watched/`, { signal: ac.signal }, (evs) => { seen[i] += evs.length; }));
  await new Promise((r) => setTimeout(r, 100)); // let remote watches be created
  const writesPerSecWatched = await timed(n, 32, (i) => b.create(`${p}watched/${i}`, value));
  const deadline = Date.now() + 10_000;
  while (seen.some((c) => c < n) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const watchersComplete = seen.every((c) => c === n);
  ac.abort();
  await Promise.all(watchers.map((w) => w.done.catch(() => {})));
  return { writesPerSec1, writesPerSec32, updatesPerSec32, getsPerSec, listAllMs, writesPerSecWatched, watchersComplete };
}
