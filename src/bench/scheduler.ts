// Scheduler benchmark: a real `k8ts server --simulated-nodes 1000` child process; 10 000 pods
// created by 32 concurrent clients. Reports pods/s from first create to last bound, the ratio of
// that bind rate to the raw pod create rate (pods nobody schedules, same server, same run), and
// the server's RSS with 10 000 pods.
import { readFileSync } from 'node:fs';
import { startK8ts } from '../e2e/harness.js';
import { connect, type ApiConn } from './https.js';
import { perSec, table, verdict } from './stats.js';

export const SCHEDULER_GOALS = { podsPerSec: 100, ratio: 0.8 };

export interface SchedulerBenchOptions { nodes?: number; pods?: number; rawPods?: number; concurrency?: number; log?: (m: string) => void }
export interface SchedulerBenchResult {
  nodes: number; pods: number; rawCreatesPerSec: number; createsPerSec: number; boundPerSec: number; ratio: number;
  rssMiB: number; secondsToAllBound: number;
  /** API writes served per bound pod while scheduling (by verb and resource; from the server's /metrics), against 1 per raw create */
  writesPerPod: Record<string, number>;
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** apiserver_request_total of writes, summed by "VERB resource" */
async function writeCounts(conn: ApiConn): Promise<Map<string, number>> {
  const r = await conn.request('GET', '/metrics');
  const text = typeof r.body === 'string' ? r.body : '';
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^apiserver_request_total\{([^}]*)\} (\d+(?:\.\d+)?(?:e\+\d+)?)$/gm)) {
    const labels = Object.fromEntries([...m[1].matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (!MUTATING.has(labels.verb)) continue;
    const k = `${labels.verb} ${labels.resource}`;
    out.set(k, (out.get(k) ?? 0) + Number(m[2]));
  }
  return out;
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function podBody(name: string, schedulerName?: string): unknown {
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: 'bench' } },
    spec: { ...(schedulerName ? { schedulerName } : {}), containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
  };
}

/** creates n pods with `concurrency` workers; returns creates/s */
async function createPods(conn: ApiConn, ns: string, n: number, concurrency: number, prefix: string, schedulerName?: string): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) {
      const i = next++;
      const r = await conn.request('POST', `/api/v1/namespaces/${ns}/pods`, podBody(`${prefix}-${i}`, schedulerName));
      if (r.status !== 201) throw new Error(`create ${prefix}-${i}: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
    }
  }));
  return n / ((performance.now() - t0) / 1000);
}

async function waitFor(what: string, f: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

export async function benchScheduler(opts: SchedulerBenchOptions = {}): Promise<SchedulerBenchResult> {
  const nodes = opts.nodes ?? Number(process.env.BENCH_SCHED_NODES ?? 1000);
  const pods = opts.pods ?? Number(process.env.BENCH_SCHED_PODS ?? 10_000);
  const rawPods = opts.rawPods ?? Math.min(pods, 3000);
  const concurrency = opts.concurrency ?? 32;
  const log = opts.log ?? ((m: string) => process.stdout.write(`[scheduler] ${m}\n`));
  const srv = await startK8ts({ args: ['--simulated-nodes', String(nodes), '--disable', 'controllers', '--datastore-endpoint', 'memory://'], timeoutMs: 120_000 });
  const conn = connect(srv.kubeconfig, { maxSockets: concurrency });
  try {
    await waitFor(`${nodes} nodes`, async () => ((await conn.request('GET', '/api/v1/nodes')).body.items ?? []).length >= nodes, 300_000);
    log(`${nodes} simulated nodes registered`);
    for (const ns of ['bench-raw', 'bench']) await conn.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    // raw: pods no scheduler is responsible for
    const rawCreatesPerSec = await createPods(conn, 'bench-raw', rawPods, concurrency, 'raw', 'bench-nobody');
    log(`raw create rate ${perSec(rawCreatesPerSec)} (${rawPods} pods)`);
    await conn.request('DELETE', '/api/v1/namespaces/bench-raw/pods');
    // scheduled: watch for bindings while creating
    const bound = new Set<string>();
    let lastBound = 0;
    const ac = new AbortController();
    await conn.watch('/api/v1/namespaces/bench/pods?watch=true&allowWatchBookmarks=false', (ev) => {
      if (ev.object?.spec?.nodeName && !bound.has(ev.object.metadata.name)) { bound.add(ev.object.metadata.name); lastBound = ev.at; }
    }, ac.signal);
    const w0 = await writeCounts(conn);
    const t0 = performance.now();
    const createsPerSec = await createPods(conn, 'bench', pods, concurrency, 'pod');
    log(`created ${pods} pods at ${perSec(createsPerSec)}; waiting for bindings`);
    await waitFor('all pods bound', async () => bound.size >= pods, 600_000);
    ac.abort();
    const w1 = await writeCounts(conn);
    const writesPerPod: Record<string, number> = {};
    for (const [k, v] of w1) if (v - (w0.get(k) ?? 0) > 0) writesPerPod[k] = (v - (w0.get(k) ?? 0)) / pods;
    const secs = (lastBound - t0) / 1000;
    const rss = rssMiB(srv.proc.pid!);
    const boundPerSec = pods / secs;
    return { nodes, pods, rawCreatesPerSec, createsPerSec, boundPerSec, ratio: boundPerSec / rawCreatesPerSec, rssMiB: rss, secondsToAllBound: secs, writesPerPod };
  } finally {
    conn.close();
    await srv.stop();
  }
}

const total = (w: Record<string, number>) => Object.values(w).reduce((a, b) => a + b, 0);

export function schedulerReport(r: SchedulerBenchResult): string {
  return [
    `== scheduler: ${r.nodes} simulated nodes, ${r.pods} pods (in-memory datastore; scheduler and simulated kubelets run in the server process) ==`,
    table([
      ['raw pod creates/s (unscheduled pods)', perSec(r.rawCreatesPerSec)],
      ['pod creates/s while scheduling', perSec(r.createsPerSec)],
      ['pods bound/s (first create to last bound)', `${perSec(r.boundPerSec)}  (${r.secondsToAllBound.toFixed(1)} s)  goal ≥ ${SCHEDULER_GOALS.podsPerSec}/s  ${verdict(r.boundPerSec >= SCHEDULER_GOALS.podsPerSec)}`],
      ['bind rate ÷ raw create rate', `${r.ratio.toFixed(2)}  goal ≥ ${SCHEDULER_GOALS.ratio}  ${verdict(r.ratio >= SCHEDULER_GOALS.ratio)}`],
      ['bind rate ÷ create rate of the same pods', `${(r.boundPerSec / r.createsPerSec).toFixed(2)}  (does scheduling keep up with creation)`],
      ['API writes per bound pod (raw create: 1)', `${total(r.writesPerPod).toFixed(2)}: ${Object.entries(r.writesPerPod).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')}`],
      ['  so the ratio if each write cost a raw create', `${(1 / total(r.writesPerPod)).toFixed(2)}  (the scheduler, simulated kubelets and API server share one thread)`],
      [`control-plane RSS at ${r.pods} pods`, `${r.rssMiB.toFixed(0)} MiB`],
    ]),
  ].join('\n');
}

/** runs the scheduler benchmark and prints its report (the one call `npm run bench` makes) */
export async function runSchedulerBench(): Promise<void> {
  const r = await benchScheduler();
  process.stdout.write(`\n${schedulerReport(r)}\n\n`);
}

