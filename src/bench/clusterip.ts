// ClusterIP throughput benchmark (root, a real kubelet and the nftables proxy): a `k8ts server`
// runs one busybox httpd pod behind a ClusterIP Service; wrk (Debian's `wrk`) loads the pod
// straight at its IP and through the Service's ClusterIP, alternately, from this host. Prints
// ClusterIP ÷ direct against the goal ≥ 0.95. The same pod serves both, so the difference is the
// proxy's DNAT and conntrack path. Before that, the Deployment is scaled to 0 and back to 1 a few
// times: a request with no endpoints must fail fast, and service must be back within 2 s of the
// scale-up request (end to end: controllers, scheduler, kubelet, EndpointSlice and nftables).
// `node dist/bench/clusterip.js` runs it alone.
import { spawnSync } from 'node:child_process';
import { get } from 'node:http';
import { fileURLToPath } from 'node:url';
import { startK8ts, kc, type ServerHandle } from '../e2e/harness.js';
import { eventually } from '../e2e/poll.js';
import { forceCleanup } from '../kubelet/cleanup.js';
import { kubeletPrereqs, until, httpGet } from '../kubelet/testing/e2e.js';
import { RestClient } from '../client/index.js';
import { ms, percentile } from './stats.js';

export const CLUSTERIP_GOALS = { ratioVsDirect: 0.95, restoreMs: 2000 };

export interface ClusterIPBenchResult {
  direct: number; clusterIP: number; ratio: number; pass: boolean; errors: number;
  /** per scale-down/up cycle: how long a request with no endpoints took to fail, and scale-up request -> first answer */
  failMs: number[]; restoreMs: number[];
}

/** one GET from this host: whether it answered 2xx, and how long it took */
function probe(url: string, timeoutMs: number): Promise<{ ok: boolean; ms: number }> {
  const t = performance.now();
  return new Promise((resolve) => {
    const done = (ok: boolean) => resolve({ ok, ms: performance.now() - t });
    const req = get(url, { timeout: timeoutMs, agent: false }, (res) => { res.resume(); res.on('end', () => done((res.statusCode ?? 0) < 300)); res.on('error', () => done(false)); });
    req.on('error', () => done(false)).on('timeout', () => req.destroy(new Error('timeout')));
  });
}

/** scales the Deployment to 0 and back to 1, `cycles` times, timing the failures and the restores */
async function scaleCycles(client: RestClient, name: string, clusterIP: string, cycles: number, out: (l: string) => void): Promise<{ failMs: number[]; restoreMs: number[] }> {
  const scale = (replicas: number) => client.request('PATCH', `/apis/apps/v1/namespaces/default/deployments/${name}/scale`, { spec: { replicas } }, { contentType: 'application/merge-patch+json' });
  const url = `http://${clusterIP}/`;
  const failMs: number[] = []; const restoreMs: number[] = [];
  for (let i = 0; i < cycles; i++) {
    await scale(0);
    // a terminating pod leaves the endpoints at once (busybox httpd, pid 1, ignores SIGTERM and
    // takes its 30 s grace period), and the proxy rejects connections to a Service without endpoints
    const fail = await eventually('a request with no endpoints fails', async () => { const r = await probe(url, 10_000); return r.ok ? undefined : r; }, 30_000, 50);
    failMs.push(fail.ms);
    const t0 = performance.now();
    await scale(1);
    await eventually('service answers again', async () => ((await probe(url, 1000)).ok ? true : undefined), 60_000, 20);
    restoreMs.push(performance.now() - t0);
    out(`[clusterip] scale 0 -> 1, cycle ${i + 1}: no endpoints failed in ${ms(fail.ms)}; answering again ${ms(restoreMs[i])} after the scale-up request`);
  }
  return { failMs, restoreMs };
}

/** requests/s (and socket errors plus non-2xx answers) from one wrk run */
export function wrk(url: string, o: { threads: number; connections: number; seconds: number }): { rps: number; errors: number } {
  const r = spawnSync('wrk', [`-t${o.threads}`, `-c${o.connections}`, `-d${o.seconds}s`, url], { encoding: 'utf8', timeout: (o.seconds + 30) * 1000 });
  if (r.status !== 0) throw new Error(`wrk ${url}: ${r.stderr || r.stdout}`);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1]);
  if (!Number.isFinite(rps)) throw new Error(`wrk ${url}: no Requests/sec in\n${r.stdout}`);
  const errs = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(r.stdout);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(r.stdout)?.[1] ?? 0);
  return { rps, errors: non2xx + (errs ? errs.slice(1).reduce((a, b) => a + Number(b), 0) : 0) };
}

export function clusterIPBenchUnavailable(): string | false {
  return kubeletPrereqs() || (spawnSync('wrk', ['--version']).error ? 'wrk not found (apt-get install wrk)' : false);
}

export async function runClusterIPBench(opts: { seconds?: number; rounds?: number; cycles?: number; out?: (l: string) => void } = {}): Promise<ClusterIPBenchResult | undefined> {
  const out = opts.out ?? ((l: string) => process.stdout.write(`${l}\n`));
  const why = clusterIPBenchUnavailable();
  if (why) { out(`ClusterIP benchmark skipped: ${why}`); return undefined; }
  // busybox httpd closes every connection, so this host keeps each one in TIME_WAIT for 60 s, and a
  // destination has ~28k local ports (32768-60999): runs are short enough that neither target runs
  // out (about 3.5k connections/s here: 1 s warm-up + 3 rounds × 2 s ≈ 25k)
  const seconds = opts.seconds ?? 2;
  const rounds = opts.rounds ?? 3;
  const octet = 100 + Math.floor(Math.random() * 150);
  let srv: ServerHandle | undefined;
  try {
    srv = await startK8ts({
      kubelet: true, args: ['--service-cidr', `10.43.${octet}.0/24`],
      env: { K8TS_POD_CIDR: `10.42.${octet}.0/24`, K8TS_NODE_NAME: `k8ts-cipbench-${octet}` }, timeoutMs: 60_000,
    });
    const k = (...args: string[]) => kc(srv!.kubeconfig, args);
    await until('node Ready', () => (k('get', 'nodes', '-o', 'jsonpath={.items[0].status.conditions[?(@.type=="Ready")].status}') === 'True' ? true : undefined), 60_000);
    k('create', 'deployment', 'bench-web', '--image=k8ts/busybox-httpd', '--replicas=1');
    k('expose', 'deployment', 'bench-web', '--port=80');
    const clusterIP = k('get', 'svc', 'bench-web', '-o', 'jsonpath={.spec.clusterIP}');
    // the Service answers before anything is timed
    await eventually(`http://${clusterIP}/`, async () => ((await httpGet(`http://${clusterIP}/`)).includes('bench-web') ? true : undefined), 60_000, 500);
    // before wrk: its runs leave the host short of local ports for a minute
    const client = RestClient.fromKubeconfig(srv.kubeconfig, { userAgent: 'k8ts-bench' });
    let cycles: { failMs: number[]; restoreMs: number[] };
    try { cycles = await scaleCycles(client, 'bench-web', clusterIP, opts.cycles ?? 3, out); } finally { client.close(); }
    const podIP = await until('pod IP', () => {
      const p = JSON.parse(k('get', 'pods', '-l', 'app=bench-web', '-o', 'json')).items[0];
      return p?.status?.phase === 'Running' && p.status.podIP ? String(p.status.podIP) : undefined;
    }, 60_000);
    await eventually(`http://${podIP}/`, async () => ((await httpGet(`http://${podIP}/`)).includes('bench-web') ? true : undefined), 30_000, 500);
    const load = { threads: 2, connections: 16, seconds };
    out(`[clusterip] wrk -t${load.threads} -c${load.connections} -d${seconds}s, ${rounds} rounds each, pod ${podIP} and ClusterIP ${clusterIP} alternately (best of each kept) ...`);
    wrk(`http://${podIP}/`, { ...load, seconds: 1 }); // warm-up
    // busybox httpd forks per connection, so single runs vary by ±10%: the best of each is kept
    let direct = 0; let viaService = 0; let errors = 0;
    for (let i = 0; i < rounds; i++) {
      const d = wrk(`http://${podIP}/`, load);
      const s = wrk(`http://${clusterIP}/`, load);
      out(`[clusterip] round ${i + 1}: direct ${d.rps.toFixed(0)} req/s, ClusterIP ${s.rps.toFixed(0)} req/s`);
      direct = Math.max(direct, d.rps);
      viaService = Math.max(viaService, s.rps);
      errors += d.errors + s.errors;
    }
    const ratio = viaService / direct;
    return { direct, clusterIP: viaService, ratio, pass: ratio >= CLUSTERIP_GOALS.ratioVsDirect, errors, ...cycles };
  } finally {
    if (srv) {
      await srv.stop({ keepData: true });
      forceCleanup(srv.dataDir);
      await srv.stop();
    }
  }
}

export function reportClusterIP(r: ClusterIPBenchResult): string {
  return [
    `  direct to the pod IP      ${r.direct.toFixed(0)} req/s`,
    `  through the ClusterIP     ${r.clusterIP.toFixed(0)} req/s`,
    `  ratio                     ${r.ratio.toFixed(2)}  goal ≥ ${CLUSTERIP_GOALS.ratioVsDirect}  ${r.pass ? 'PASS' : 'FAIL'}`,
    `  errors (socket, non-2xx)  ${r.errors}`,
    `  no endpoints: fails in    max ${ms(Math.max(...r.failMs))}  (n=${r.failMs.length})`,
    `  scale 0 -> 1: answering   p50 ${ms(percentile(r.restoreMs, 50))}  max ${ms(Math.max(...r.restoreMs))} after the scale request  goal ≤ ${CLUSTERIP_GOALS.restoreMs} ms  ${Math.max(...r.restoreMs) <= CLUSTERIP_GOALS.restoreMs ? 'PASS' : 'FAIL'}`,
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await runClusterIPBench();
  if (r) process.stdout.write(`${reportClusterIP(r)}\n`);
}
