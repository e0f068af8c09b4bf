// `npm run bench`: the API server benchmark, on SQLite and on etcd. For each datastore it starts a
// real `k8ts server` child process (API server only), measures through its HTTPS API, then measures
// the raw storage backend in the same run and prints API ÷ raw ratios against the goals.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { startK8ts } from '../e2e/harness.js';
import { openBackend } from '../storage/index.js';
import { benchBackend, type BenchResult } from '../storage/bench.js';
import { etcdBinary, startEtcd, type EtcdProcess } from '../storage/testing/etcd-process.js';
import { benchApi, type ApiBenchResult } from './api.js';
import { runSchedulerBench } from './scheduler.js';
import { reportPodStartup, runPodStartupBench } from './podstartup.js';
import { runDnsBench } from '../dns/bench.js';
import { runIngressBench } from '../ingress/bench.js';
import { reportClusterIP, runClusterIPBench } from './clusterip.js';
import { connect } from './https.js';
import { cpuSeconds, ms, perSec, table, verdict } from './stats.js';

const GOALS = { ratio: 0.5, mutatingP99Ms: 100 };
const DISABLE = 'scheduler,controllers,kubelet,proxy,dns,ingress,dashboard';
const RAW_WRITES = Number(process.env.BENCH_RAW_WRITES ?? 2000);

interface Section { label: string; api: ApiBenchResult; raw: BenchResult }

async function runDatastore(label: string, etcd?: EtcdProcess): Promise<Section> {
  const dataDir = mkdtempSync(join(tmpdir(), 'k8ts-bench-'));
  const srv = await startK8ts({ dataDir, args: ['--disable', DISABLE, ...(etcd ? ['--datastore-endpoint', etcd.endpoint] : [])] });
  try {
    process.stdout.write(`[${label}] API benchmarks against ${srv.url} ...\n`);
    const conn = connect(srv.kubeconfig, { maxSockets: 64 });
    let api: ApiBenchResult;
    try { api = await benchApi(conn, { serverCpuSeconds: () => cpuSeconds(srv.proc.pid!) }); } finally { conn.close(); }
    await srv.stop({ keepData: true }); // the raw phase gets the machine to itself, as the API phase did
    process.stdout.write(`[${label}] raw backend benchmark (${RAW_WRITES} writes per phase) ...\n`);
    const backend = etcd
      ? await openBackend(etcd.endpoint, dataDir, { prefix: '/k8ts-raw-bench' })
      : await openBackend(`sqlite://${join(dataDir, 'raw', 'bench.db')}`, dataDir);
    let raw: BenchResult;
    try { raw = await benchBackend(backend, { writes: RAW_WRITES }); } finally { await backend.close(); }
    return { label, api, raw };
  } finally {
    await srv.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function report(s: Section): string {
  const { api, raw } = s;
  const r1 = api.creates1PerSec / raw.writesPerSec1;
  const r32 = api.createsNPerSec / raw.writesPerSec32;
  const w = api.watch;
  const allDelivered = w.received === w.expected;
  return [
    `== ${s.label} ==`,
    table([
      ['create latency (sequential)', `p50 ${ms(api.create.p50)}  p99 ${ms(api.create.p99)}  (n=${api.create.n})`],
      ['get latency (sequential)', `p50 ${ms(api.get.p50)}  p99 ${ms(api.get.p99)}  (n=${api.get.n})`],
      ['API creates/s, 1 client', perSec(api.creates1PerSec)],
      ['API creates/s, 32 clients', `${perSec(api.createsNPerSec)}  (latency p50 ${ms(api.createN.p50)}  p99 ${ms(api.createN.p99)})`],
      ['merge patches, 32 clients', `p50 ${ms(api.patchN.p50)}  p99 ${ms(api.patchN.p99)}`],
      ['raw backend writes/s, 1 writer', perSec(raw.writesPerSec1)],
      ['raw backend writes/s, 32 writers', perSec(raw.writesPerSec32)],
      ['raw backend (other)', `updates/s(32) ${perSec(raw.updatesPerSec32)}  gets/s(32) ${perSec(raw.getsPerSec)}  list ${ms(raw.listAllMs)}  watched writes/s ${perSec(raw.writesPerSecWatched)}${raw.watchersComplete ? '' : ' (INCOMPLETE)'}`],
      ['API ÷ raw, 1 client', `${r1.toFixed(3)}  goal ≥ ${GOALS.ratio}  ${verdict(r1 >= GOALS.ratio)}`],
      ['API ÷ raw, 32 clients', `${r32.toFixed(3)}  goal ≥ ${GOALS.ratio}  ${verdict(r32 >= GOALS.ratio)}`],
      ['no-op request (GET /version), 1 client', `p50 ${ms(api.noop.lat.p50)}  ${perSec(api.noop.perSec1)};  32 clients ${perSec(api.noop.perSecN)}`],
      ['  its rate ÷ raw: the most any create could score', `1 client ${(api.noop.perSec1 / raw.writesPerSec1).toFixed(2)}, 32 clients ${(api.noop.perSecN / raw.writesPerSec32).toFixed(2)}  (a create is a no-op request plus its work)`],
      [`watch: ${w.watchers} watchers, ${w.writes} writes`, `at ${perSec(w.achievedRate)}  write p50 ${ms(w.writeLatency.p50)}  p99 ${ms(w.writeLatency.p99)}  server CPU ${w.serverCpuPercent?.toFixed(0) ?? '?'}% of one core`],
      ['watch events received / expected', `${w.received} / ${w.expected}  goal: all  ${verdict(allDelivered)}`],
      ['watch delivery lag after 2xx', `p50 ${ms(w.lag.p50)}  p99 ${ms(w.lag.p99)}  max ${ms(w.lag.max)}`],
      ['mutating p99 (all creates+patches)', `${ms(api.mutating.p99)}  (n=${api.mutating.n})  goal ≤ ${GOALS.mutatingP99Ms} ms  ${verdict(api.mutating.p99 <= GOALS.mutatingP99Ms)}`],
      ['mutating p99, phases without watchers', `${ms(api.mutatingUnwatched.p99)}  (n=${api.mutatingUnwatched.n})`],
    ]),
  ].join('\n');
}

const SECTIONS = ['api', 'scheduler', 'podstartup', 'dns', 'ingress', 'clusterip', 'nft'] as const;

async function main(): Promise<void> {
  // `npm run bench -- api ingress` runs only those sections (default: all)
  const asked = process.argv.slice(2);
  const unknown = asked.filter((a) => !(SECTIONS as readonly string[]).includes(a));
  if (unknown.length) throw new Error(`unknown bench section ${unknown.join(', ')} (sections: ${SECTIONS.join(', ')})`);
  const want = (s: (typeof SECTIONS)[number]) => !asked.length || asked.includes(s);
  const t0 = Date.now();
  const load0 = loadavg()[0];
  if (want('api')) {
    const sections: Section[] = [];
    sections.push(await runDatastore('SQLite (default datastore)'));
    if (etcdBinary()) {
      const etcd = await startEtcd();
      try { sections.push(await runDatastore('etcd', etcd)); } finally { await etcd.stop(); }
    } else {
      process.stdout.write('etcd not installed: skipping the etcd section (apt-get install etcd-server)\n');
    }
    process.stdout.write(`\nk8ts API server benchmark (node ${process.version}; server is a child process; client and server share the machine:\n ${cpus().length} CPUs, load average ${load0.toFixed(1)} at start)\n\n`);
    for (const s of sections) process.stdout.write(`${report(s)}\n\n`);
  }
  if (want('scheduler')) await runSchedulerBench();
  if (want('podstartup')) {
    const startup = await runPodStartupBench();
    if (startup) process.stdout.write(`\n${reportPodStartup(startup)}\n\n`);
  }
  if (want('dns')) {
    process.stdout.write('== cluster DNS ==\n');
    await runDnsBench();
  }
  if (want('ingress')) {
    process.stdout.write('\n== ingress ==\n');
    await runIngressBench();
  }
  if (want('clusterip')) {
    process.stdout.write('\n== service proxy: ClusterIP vs direct (wrk, real pod) ==\n');
    const cip = await runClusterIPBench();
    if (cip) process.stdout.write(`${reportClusterIP(cip)}\n`);
  }
  if (want('nft')) {
    process.stdout.write('\n== service proxy: nftables rule programming ==\n');
    if (process.getuid?.() === 0 && spawnSync('nft', ['--version']).status === 0) {
      spawnSync(process.execPath, [fileURLToPath(new URL('../proxy/bench.js', import.meta.url))], { stdio: 'inherit' });
    } else process.stdout.write('skipped: needs root and nft (apt-get install nftables)\n');
  }
  process.stdout.write(`total bench time ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
}

main().catch((err) => { console.error(err); process.exit(1); });
