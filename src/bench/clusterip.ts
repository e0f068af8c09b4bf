// ClusterIP throughput benchmark (root, a real kubelet and the nftables proxy): a `k8ts server`
// runs one busybox httpd pod behind a ClusterIP Service; wrk (Debian's `wrk`) loads the pod
// straight at its IP and through the Service's ClusterIP, alternately, from two places: from a
// client pod (wrk runs in that pod's network namespace, the path Services exist for: DNAT only) and
// from this host (traffic from outside the cluster CIDR to a ClusterIP is also masqueraded, as
// upstream's kube-proxy does). Prints ClusterIP ÷ direct for each against the goal ≥ 0.95. The same
// pod serves all runs, so the difference is the proxy's path.
//
// busybox httpd closes every connection, so each request leaves a socket in TIME_WAIT (60 s) and a
// conntrack entry; a destination has ~28k local ports (32768-60999). So every wrk run gets a
// destination of its own: the pod runs one httpd per port, direct runs use pod ports 8000+i, and
// ClusterIP runs use Service ports 81+i (target ports 9000+i). Before, one port served all runs:
// from ~5k connections/s on, the second round ran out of ports, and direct connections collided in
// conntrack with the DNATed ones still in TIME_WAIT (same pod address and port, same local port),
// which cut both rates by half or more.
//
// Before that, the Deployment is scaled to 0 and back to 1 a few
// times: a request with no endpoints must fail fast, and service must be back within 2 s of the
// scale-up request (end to end: controllers, scheduler, kubelet, EndpointSlice and nftables).
// `node dist/bench/clusterip.js` runs it alone.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { get } from 'node:http';
import { fileURLToPath } from 'node:url';
import { startK8ts, kc, type ServerHandle } from '../e2e/harness.js';
import { eventually } from '../e2e/poll.js';
import { forceCleanup } from '../kubelet/cleanup.js';
import { kubeletPrereqs, until, httpGet } from '../kubelet/testing/e2e.js';
import { RestClient } from '../client/index.js';
import { ms, percentile } from './stats.js';

export const CLUSTERIP_GOALS = { ratioVsDirect: 0.95, restoreMs: 2000 };

export interface Throughput { direct: number; clusterIP: number; ratio: number; pass: boolean }

export interface ClusterIPBenchResult {
  /** wrk in a client pod's network namespace, and on this host */
  fromPod: Throughput; fromHost: Throughput; pass: boolean; errors: number;
  /** per scale-down/up cycle: how long a request with no endpoints took to fail, and scale-up request -> first answer */
  failMs: number[]; restoreMs: number[];
}

const directPort = (i: number) => 8000 + i;
const servicePort = (i: number) => 81 + i;
const targetPort = (i: number) => 9000 + i;

/** the Deployment (httpd on port 80 for the scale cycles, plus one per wrk run), its Service, and the client pod */
function benchManifests(rounds: number): unknown {
  const labels = { app: 'bench-web' };
  const ports = [...Array.from({ length: rounds + 1 }, (_, i) => directPort(i)), ...Array.from({ length: rounds }, (_, i) => targetPort(i))];
  const script = `echo "<h1>k8ts busybox</h1><p>$(hostname)</p>" > /var/www/index.html; ${ports.map((p) => `httpd -p ${p} -h /var/www; `).join('')}exec httpd -f -p 80 -h /var/www`;
  return {
    apiVersion: 'v1', kind: 'List', items: [
      {
        apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'bench-web', labels },
        spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'httpd', image: 'k8ts/busybox-httpd', command: ['sh', '-c', script] }] } } },
      },
      {
        apiVersion: 'v1', kind: 'Service', metadata: { name: 'bench-web', labels },
        spec: { selector: labels, ports: [{ name: 'http', port: 80, targetPort: 80 }, ...Array.from({ length: rounds }, (_, i) => ({ name: `run-${i}`, port: servicePort(i), targetPort: targetPort(i) }))] },
      },
      {
        apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bench-client' },
        spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'sleep', image: 'busybox', command: ['sleep', '3600'] }] },
      },
    ],
  };
}

/** entries in use in this host's conntrack table, and its size (undefined without nf_conntrack) */
function conntrack(): { count: number; max: number } | undefined {
  try {
    const read = (f: string) => Number(readFileSync(`/proc/sys/net/netfilter/${f}`, 'utf8'));
    return { count: read('nf_conntrack_count'), max: read('nf_conntrack_max') };
  } catch { return undefined; }
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

/** requests/s (and socket errors plus non-2xx answers) from one wrk run, in the network namespace `netns` if given */
export function wrk(url: string, o: { threads: number; connections: number; seconds: number; netns?: string }): { rps: number; errors: number } {
  const args = [`-t${o.threads}`, `-c${o.connections}`, `-d${o.seconds}s`, url];
  const r = o.netns
    ? spawnSync('nsenter', [`--net=${o.netns}`, 'wrk', ...args], { encoding: 'utf8', timeout: (o.seconds + 30) * 1000 })
    : spawnSync('wrk', args, { encoding: 'utf8', timeout: (o.seconds + 30) * 1000 });
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
  // one destination (pod port, Service port) per wrk run: see the top of this file
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
    kc(srv.kubeconfig, ['apply', '-f', '-'], { input: JSON.stringify(benchManifests(rounds)) });
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
    // the client pod's network namespace (the kubelet records its path in the pod's directory)
    const clientUid = k('get', 'pod', 'bench-client', '-o', 'jsonpath={.metadata.uid}');
    const netns = await until('the client pod\'s network namespace', () => {
      if (k('get', 'pod', 'bench-client', '-o', 'jsonpath={.status.phase}') !== 'Running') return undefined;
      const dir = `${srv!.dataDir}/agent/pods/${clientUid}`;
      const f = existsSync(dir) ? readdirSync(dir).find((n) => n.startsWith('netns-')) : undefined;
      return f ? readFileSync(`${dir}/${f}`, 'utf8').trim() : undefined;
    }, 60_000);
    const load = { threads: 2, connections: 16, seconds };
    out(`[clusterip] wrk -t${load.threads} -c${load.connections} -d${seconds}s, ${rounds} rounds each from a pod and from this host, pod ${podIP} and ClusterIP ${clusterIP} alternately (best of each kept) ...`);
    const warm = wrk(`http://${podIP}:${directPort(rounds)}/`, { ...load, seconds: 1 }); // warm-up
    wrk(`http://${podIP}:${directPort(rounds)}/`, { ...load, seconds: 1, netns });
    // every connection leaves a conntrack entry for 2 minutes (TIME_WAIT): a table that the runs
    // would fill drops new connections, so wait for room (runs just before this one leave many)
    const need = Math.ceil(warm.rps * seconds * rounds * 4 * 1.25);
    for (let ct = conntrack(), waited = 0; ct && ct.count + need > ct.max; ct = conntrack(), waited += 5) {
      if (waited >= 150) { out(`[clusterip] WARNING: the conntrack table (${ct.count} of ${ct.max} entries) has no room for ~${need} connections: new connections may be dropped`); break; }
      if (!waited) out(`[clusterip] waiting for room in the conntrack table (${ct.count} of ${ct.max} entries in use, ~${need} needed) ...`);
      await new Promise((r) => setTimeout(r, 5000));
    }
    // busybox httpd forks per connection, so single runs vary by ±10%: the best of each is kept.
    // A destination port serves one run per place (TIME_WAIT and conntrack tuples differ by source).
    let errors = 0;
    const best = { pod: { direct: 0, clusterIP: 0 }, host: { direct: 0, clusterIP: 0 } };
    for (let i = 0; i < rounds; i++) {
      for (const from of ['pod', 'host'] as const) {
        const o = { ...load, netns: from === 'pod' ? netns : undefined };
        const d = wrk(`http://${podIP}:${directPort(i)}/`, o);
        const s = wrk(`http://${clusterIP}:${servicePort(i)}/`, o);
        out(`[clusterip] round ${i + 1} from the ${from}: direct ${d.rps.toFixed(0)} req/s, ClusterIP ${s.rps.toFixed(0)} req/s`);
        best[from].direct = Math.max(best[from].direct, d.rps);
        best[from].clusterIP = Math.max(best[from].clusterIP, s.rps);
        errors += d.errors + s.errors;
      }
    }
    const tp = (b: { direct: number; clusterIP: number }): Throughput => ({ ...b, ratio: b.clusterIP / b.direct, pass: b.clusterIP / b.direct >= CLUSTERIP_GOALS.ratioVsDirect });
    const fromPod = tp(best.pod), fromHost = tp(best.host);
    return { fromPod, fromHost, pass: fromPod.pass && fromHost.pass, errors, ...cycles };
  } finally {
    if (srv) {
      await srv.stop({ keepData: true });
      forceCleanup(srv.dataDir);
      await srv.stop();
    }
  }
}

export function reportClusterIP(r: ClusterIPBenchResult): string {
  const line = (label: string, t: Throughput) =>
    `  ${label.padEnd(24)}  direct ${t.direct.toFixed(0)} req/s, ClusterIP ${t.clusterIP.toFixed(0)} req/s, ratio ${t.ratio.toFixed(2)}  goal ≥ ${CLUSTERIP_GOALS.ratioVsDirect}  ${t.pass ? 'PASS' : 'FAIL'}`;
  return [
    line('from a pod', r.fromPod),
    line('from the host (masq.)', r.fromHost),
    `  errors (socket, non-2xx)  ${r.errors}`,
    `  no endpoints: fails in    max ${ms(Math.max(...r.failMs))}  (n=${r.failMs.length})`,
    `  scale 0 -> 1: answering   p50 ${ms(percentile(r.restoreMs, 50))}  max ${ms(Math.max(...r.restoreMs))} after the scale request  goal ≤ ${CLUSTERIP_GOALS.restoreMs} ms  ${Math.max(...r.restoreMs) <= CLUSTERIP_GOALS.restoreMs ? 'PASS' : 'FAIL'}`,
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await runClusterIPBench();
  if (r) process.stdout.write(`${reportClusterIP(r)}\n`);
}
