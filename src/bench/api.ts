// API-level benchmarks through the real HTTPS API of a running k8ts server: create/get latency,
// create throughput with 1 and N clients, merge patches, and watch delivery to many watchers.
import { Worker } from 'node:worker_threads';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiConn } from './https.js';
import { percentile } from './stats.js';
import type { WatchersData, WatchersMessage } from './watchers.js';

export interface ApiBenchOptions {
  /** sequential creates, then as many sequential gets (default 1000) */
  sequential?: number;
  /** creates in the concurrent phase (default 3000) */
  concurrentCreates?: number;
  /** merge patches in the concurrent phase (default 1000) */
  concurrentPatches?: number;
  concurrency?: number;
  watchers?: number;
  /** writes/s while watched (default 200) */
  watchRate?: number;
  watchSeconds?: number;
  /** CPU seconds used so far by the server process, to report its load during the watch phase */
  serverCpuSeconds?: () => number;
}

export interface Latencies { p50: number; p99: number; max: number; n: number }

export interface ApiBenchResult {
  create: Latencies;
  get: Latencies;
  creates1PerSec: number;
  createsNPerSec: number;
  createN: Latencies;
  patchN: Latencies;
  /** every mutating request of the run (creates and patches) */
  mutating: Latencies;
  /** the same without the watch phase's writes */
  mutatingUnwatched: Latencies;
  watch: { watchers: number; writes: number; expected: number; received: number; lag: Latencies; writeLatency: Latencies; achievedRate: number; writeLatencies: number[]; serverCpuPercent?: number };
  /**
   * the cheapest authenticated request there is (GET /version: TLS, HTTP, authentication,
   * authorization, a constant JSON answer; no storage), with 1 and N clients: what this client and
   * this server's HTTP stack cost before a request does any work, so the best any create could do
   */
  noop: { lat: Latencies; perSec1: number; perSecN: number };
}

const lat = (xs: number[]): Latencies => ({ p50: percentile(xs, 50), p99: percentile(xs, 99), max: xs.length ? Math.max(...xs) : NaN, n: xs.length });

const configMap = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { k: 'v'.repeat(400) } });

async function must(api: ApiConn, method: string, path: string, body: unknown, want: number): Promise<any> {
  const r = await api.request(method, path, body);
  if (r.status !== want) throw new Error(`${method} ${path}: HTTP ${r.status} (want ${want}): ${JSON.stringify(r.body).slice(0, 300)}`);
  return r.body;
}

/** the watch streams live in a worker thread (watchers.ts), off the writer's event loop */
async function startWatchers(data: WatchersData): Promise<{ progress: () => number; stop: () => Promise<[string, number][][]>; kill: () => Promise<number> }> {
  const w = new Worker(new URL('./watchers.js', import.meta.url), { workerData: data });
  let progress = 0;
  let onArrivals: (a: [string, number][][]) => void = () => {};
  let failed: (err: Error) => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    failed = reject;
    w.on('message', (m: WatchersMessage) => {
      if ('ready' in m) resolve();
      else if ('progress' in m) progress = m.progress;
      else if ('arrivals' in m) onArrivals(m.arrivals);
      else failed(new Error(`watchers worker: ${m.error}`));
    });
    w.on('error', (err) => failed(err));
  });
  await ready.catch(async (err) => { await w.terminate(); throw err; });
  return {
    progress: () => progress,
    kill: () => w.terminate(),
    stop: () => new Promise((resolve, reject) => {
      failed = reject;
      onArrivals = (a) => { resolve(a); void w.terminate(); };
      w.postMessage('stop');
    }),
  };
}

/** runs op(i) for i < n with `concurrency` workers; returns per-op latencies (ms) and ops/s */
async function timed(n: number, concurrency: number, op: (i: number) => Promise<unknown>): Promise<{ lat: number[]; perSec: number }> {
  const out: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let i = next++; i < n; i = next++) {
      const s = performance.now();
      await op(i);
      out.push(performance.now() - s);
    }
  }));
  return { lat: out, perSec: n / ((performance.now() - t0) / 1000) };
}

async function watchDelivery(api: ApiConn, o: Required<Omit<ApiBenchOptions, 'serverCpuSeconds'>> & ApiBenchOptions): Promise<ApiBenchResult['watch']> {
  const ns = `bench-watch-${Date.now()}`;
  await must(api, 'POST', '/api/v1/namespaces', { metadata: { name: ns } }, 201);
  const base = `/api/v1/namespaces/${ns}/configmaps`;
  const rv = (await must(api, 'GET', base, undefined, 200)).metadata.resourceVersion;
  const worker = await startWatchers({ kubeconfig: api.kubeconfig, path: `${base}?watch=true&resourceVersion=${rv}`, watchers: o.watchers });

  const total = o.watchRate * o.watchSeconds;
  /** name -> epoch ms of its 2xx */
  const acked = new Map<string, number>();
  const writeLat: number[] = [];
  let arrivals: Map<string, number>[];
  let achievedRate: number;
  let serverCpuPercent: number | undefined;
  try {
    const pending: Promise<void>[] = [];
    const cpu0 = o.serverCpuSeconds?.();
    const t0 = performance.now();
    for (let i = 0; i < total; i++) {
      const wait = t0 + (i * 1000) / o.watchRate - performance.now();
      if (wait > 1) await sleep(wait);
      const name = `w-${i}`;
      const s = performance.now();
      pending.push(must(api, 'POST', base, configMap(name), 201).then(() => {
        const at = performance.now();
        acked.set(name, performance.timeOrigin + at);
        writeLat.push(at - s);
      }));
    }
    await Promise.all(pending);
    achievedRate = total / ((performance.now() - t0) / 1000);
    const deadline = performance.now() + 10_000;
    while (worker.progress() < acked.size && performance.now() < deadline) await sleep(50);
    arrivals = (await worker.stop()).map((list) => new Map(list));
    if (cpu0 !== undefined) serverCpuPercent = ((o.serverCpuSeconds!() - cpu0) / ((performance.now() - t0) / 1000)) * 100;
  } finally {
    await worker.kill();
  }

  const lags: number[] = [];
  let received = 0;
  for (const seen of arrivals) {
    for (const [name, ackAt] of acked) {
      const at = seen.get(name);
      if (at === undefined) continue;
      received++;
      lags.push(Math.max(0, at - ackAt)); // an event may arrive before its 2xx does: lag 0
    }
  }
  return { watchers: o.watchers, writes: acked.size, expected: acked.size * o.watchers, received, lag: lat(lags), writeLatency: lat(writeLat), achievedRate, writeLatencies: writeLat, serverCpuPercent };
}

export async function benchApi(api: ApiConn, opts: ApiBenchOptions = {}): Promise<ApiBenchResult> {
  const o: Required<Omit<ApiBenchOptions, 'serverCpuSeconds'>> & ApiBenchOptions = {
    sequential: 1000, concurrentCreates: 3000, concurrentPatches: 1000, concurrency: 32, watchers: 50, watchRate: 200, watchSeconds: 10, ...opts,
  };
  const ns = `bench-${Date.now()}`;
  await must(api, 'POST', '/api/v1/namespaces', { metadata: { name: ns } }, 201);
  const base = `/api/v1/namespaces/${ns}/configmaps`;
  // warm up connections and code paths
  await timed(50, o.concurrency, (i) => must(api, 'POST', base, configMap(`warm-${i}`), 201));

  const noop1 = await timed(o.sequential, 1, () => must(api, 'GET', '/version', undefined, 200));
  const noopN = await timed(o.concurrentCreates, o.concurrency, () => must(api, 'GET', '/version', undefined, 200));
  const seq = await timed(o.sequential, 1, (i) => must(api, 'POST', base, configMap(`seq-${i}`), 201));
  const get = await timed(o.sequential, 1, (i) => must(api, 'GET', `${base}/seq-${i}`, undefined, 200));
  const many = await timed(o.concurrentCreates, o.concurrency, (i) => must(api, 'POST', base, configMap(`many-${i}`), 201));
  const patch = await timed(o.concurrentPatches, o.concurrency, async (i) => {
    const r = await api.request('PATCH', `${base}/many-${i}`, { metadata: { labels: { patched: 'yes' } } }, 'application/merge-patch+json');
    if (r.status !== 200) throw new Error(`PATCH ${base}/many-${i}: HTTP ${r.status}: ${JSON.stringify(r.body).slice(0, 300)}`);
  });
  const watch = await watchDelivery(api, o);
  return {
    create: lat(seq.lat), get: lat(get.lat), creates1PerSec: seq.perSec, createsNPerSec: many.perSec,
    createN: lat(many.lat), patchN: lat(patch.lat),
    mutating: lat([...seq.lat, ...many.lat, ...patch.lat, ...watch.writeLatencies]),
    mutatingUnwatched: lat([...seq.lat, ...many.lat, ...patch.lat]),
    watch,
    noop: { lat: lat(noop1.lat), perSec1: noop1.perSec, perSecN: noopN.perSec },
  };
}
