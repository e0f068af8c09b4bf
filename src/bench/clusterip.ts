// ClusterIP throughput benchmark (root, a real kubelet and the nftables proxy): a `k8ts server`
// runs one busybox httpd pod behind a ClusterIP Service; wrk (Debian's `wrk`) loads the pod
// straight at its IP and through the Service's ClusterIP, alternately, from this host. Prints
// ClusterIP ÷ direct against the goal ≥ 0.95. The same pod serves both, so the difference is the
// proxy's DNAT and conntrack path. `node dist/bench/clusterip.js` runs it alone.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startK8ts, kc, type ServerHandle } from '../e2e/harness.js';
import { eventually } from '../e2e/poll.js';
import { forceCleanup } from '../kubelet/cleanup.js';
import { kubeletPrereqs, until, httpGet } from '../kubelet/testing/e2e.js';

export const CLUSTERIP_GOALS = { ratioVsDirect: 0.95 };

export interface ClusterIPBenchResult { direct: number; clusterIP: number; ratio: number; pass: boolean; errors: number }

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

export async function runClusterIPBench(opts: { seconds?: number; rounds?: number; out?: (l: string) => void } = {}): Promise<ClusterIPBenchResult | undefined> {
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
    const podIP = await until('pod IP', () => {
      const p = JSON.parse(k('get', 'pods', '-l', 'app=bench-web', '-o', 'json')).items[0];
      return p?.status?.phase === 'Running' && p.status.podIP ? String(p.status.podIP) : undefined;
    }, 60_000);
    const clusterIP = k('get', 'svc', 'bench-web', '-o', 'jsonpath={.spec.clusterIP}');
    // both paths answer before anything is timed
    for (const ip of [podIP, clusterIP]) {
      await eventually(`http://${ip}/`, async () => ((await httpGet(`http://${ip}/`)).includes('bench-web') ? true : undefined), 30_000, 500);
    }
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
    return { direct, clusterIP: viaService, ratio, pass: ratio >= CLUSTERIP_GOALS.ratioVsDirect, errors };
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
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await runClusterIPBench();
  if (r) process.stdout.write(`${reportClusterIP(r)}\n`);
}
