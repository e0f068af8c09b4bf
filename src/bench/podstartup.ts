// Pod startup benchmark (upstream's pod startup SLO): a real `k8ts server` with its kubelet on this
// machine's containerd. 100 busybox pods are created at 5 pods/s; each latency runs from just before
// the API create to the first watch event that shows the pod Running. In the same run, the same
// image is started 100 times at 5/s directly through containerd's CRI (sandbox with CNI network,
// then container), timed from the first call to StartContainer's answer. Goals: API p50 ÷ bare p50
// ≤ 1.5 and API p99 ≤ 5 s. Needs root, containerd and the CNI plugins (skipped otherwise).
import { cpus } from 'node:os';
import { RestClient } from '../client/index.js';
import { startK8ts } from '../e2e/harness.js';
import { CriClient } from '../kubelet/cri/client.js';
import { containerdPaths } from '../kubelet/containerd.js';
import { forceCleanup } from '../kubelet/cleanup.js';
import { kubeletUnavailable } from '../kubelet/index.js';
import { cpuSeconds, machineBusy, ms, percentile, table, verdict } from './stats.js';

export const POD_STARTUP_GOALS = { p50Ratio: 1.5, p99Ms: 5000 };
const pods = { group: '', version: 'v1', plural: 'pods', namespaced: true, kind: 'Pod' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface PodStartupResult {
  api: number[]; bare: number[];
  /** CPU time of the k8ts server process (API server, controllers, scheduler, kubelet) per timed pod, ms */
  serverCpuMsPerPod?: number;
  /** share of the whole machine's CPU time that was busy during each timed phase (0..1) */
  busyBare?: number; busyApi?: number;
}

/** starts n things at `rate`/s, each through start(i) (which resolves with its latency in ms) */
async function paced(n: number, rate: number, start: (i: number) => Promise<number>): Promise<number[]> {
  const t0 = Date.now();
  const runs: Promise<number>[] = [];
  for (let i = 0; i < n; i++) {
    const wait = t0 + (i * 1000) / rate - Date.now();
    if (wait > 0) await sleep(wait);
    runs.push(start(i));
  }
  return Promise.all(runs);
}

async function apiPods(client: RestClient, n: number, rate: number, prefix = 'startup'): Promise<number[]> {
  const created = new Map<string, number>();
  const running = new Map<string, (t: number) => void>();
  const ac = new AbortController();
  const watching = (async () => {
    for await (const ev of client.watch(pods, { namespace: 'default', labelSelector: 'bench=startup', signal: ac.signal })) {
      const p = ev.object as any;
      const ok = p.status?.phase === 'Running' && (p.status.containerStatuses ?? []).every((c: any) => c.state?.running);
      if (ok) running.get(p.metadata.name)?.(Date.now());
    }
  })();
  await sleep(200);
  try {
    return await paced(n, rate, async (i) => {
      const name = `${prefix}-${i}`;
      const seen = new Promise<number>((resolve) => running.set(name, resolve));
      const t = Date.now();
      created.set(name, t);
      await client.create(pods, {
        apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { bench: 'startup' } },
        spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'busybox', imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }] },
      }, { namespace: 'default' });
      const timeout = sleep(120_000).then(() => { throw new Error(`${name} not Running after 120 s`); });
      return (await Promise.race([seen, timeout])) - t;
    });
  } finally {
    ac.abort();
    await watching.catch(() => {});
  }
}

async function barePods(cri: CriClient, n: number, rate: number, logDir: string): Promise<number[]> {
  const ids: string[] = [];
  try {
    return await paced(n, rate, async (i) => {
      const t = Date.now();
      const config = {
        metadata: { name: `bare-${i}`, namespace: 'bench', uid: `bare-${i}-${t}`, attempt: 0 },
        hostname: `bare-${i}`, logDirectory: `${logDir}/bare-${i}`, labels: { bench: 'bare' },
        linux: { securityContext: { namespaceOptions: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' } } },
      };
      const { podSandboxId } = await cri.call('RunPodSandbox', { config });
      ids.push(podSandboxId);
      const { containerId } = await cri.call('CreateContainer', {
        podSandboxId, sandboxConfig: config,
        config: { metadata: { name: 'c', attempt: 0 }, image: { image: 'busybox' }, command: ['sleep', '3600'], logPath: 'c/0.log', labels: { bench: 'bare' } },
      });
      await cri.call('StartContainer', { containerId });
      return Date.now() - t;
    });
  } finally {
    for (const id of ids) {
      await cri.call('StopPodSandbox', { podSandboxId: id }).catch(() => {});
      await cri.call('RemovePodSandbox', { podSandboxId: id }).catch(() => {});
    }
  }
}

export async function runPodStartupBench(opts: { n?: number; rate?: number; warmup?: number; log?: (m: string) => void } = {}): Promise<PodStartupResult | undefined> {
  const log = opts.log ?? ((m: string) => process.stdout.write(`${m}\n`));
  const why = kubeletUnavailable();
  if (why) { log(`pod startup benchmark skipped: ${why}`); return undefined; }
  const n = opts.n ?? 100;
  const rate = opts.rate ?? 5;
  const warmup = opts.warmup ?? 20;
  const octet = 100 + Math.floor(Math.random() * 150);
  const srv = await startK8ts({ kubelet: true, env: { K8TS_POD_CIDR: `10.42.${octet}.0/24`, K8TS_NODE_NAME: `k8ts-bench-${octet}` }, timeoutMs: 60_000 });
  const client = RestClient.fromKubeconfig(srv.kubeconfig, { userAgent: 'k8ts-bench' });
  const cri = new CriClient(containerdPaths(srv.dataDir).socket);
  try {
    // the node must be up and the image present before timing starts
    for (let i = 0; i < 240; i++) {
      const node = (await client.list({ group: '', version: 'v1', plural: 'nodes', namespaced: false, kind: 'Node' })).items[0] as any;
      if (node?.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True')) break;
      await sleep(250);
    }
    // each phase starts on a quiet runtime: no sandboxes left from the one before, and a pause
    const quiesce = async () => {
      for (let i = 0; i < 240 && (await cri.call('ListPodSandbox', {})).items.length > 0; i++) await sleep(500);
      await sleep(5000);
    };
    log(`[pod startup] ${n} sandboxes+containers at ${rate}/s straight through containerd's CRI ...`);
    const bareBusy = machineBusy();
    const bare = await barePods(cri, n, rate, `${srv.dataDir}/bench-bare`);
    const busyBare = bareBusy();
    await quiesce();
    // a freshly started server compiles its hot paths (V8's optimizing compiler took ~15% of its CPU
    // in the first pods): a short untimed round first, so the timed one sees the steady state
    log(`[pod startup] warm-up: ${warmup} pods at ${rate}/s through the API, not timed ...`);
    await apiPods(client, warmup, rate, 'warmup');
    await client.deleteCollection(pods, { namespace: 'default', labelSelector: 'bench=startup', gracePeriodSeconds: 0 });
    await quiesce();
    log(`[pod startup] ${n} pods at ${rate}/s through the API (create -> Running seen by a watch) ...`);
    const cpu0 = cpuSeconds(srv.proc.pid);
    const apiBusy = machineBusy();
    const api = await apiPods(client, n, rate);
    const busyApi = apiBusy();
    const serverCpuMsPerPod = ((cpuSeconds(srv.proc.pid) - cpu0) * 1000) / n;
    await client.deleteCollection(pods, { namespace: 'default', labelSelector: 'bench=startup', gracePeriodSeconds: 0 });
    return { api, bare, serverCpuMsPerPod, busyBare, busyApi };
  } finally {
    cri.close();
    client.close();
    await srv.stop({ keepData: true });
    forceCleanup(srv.dataDir);
    await srv.stop();
  }
}

const pct = (v: number) => `${(100 * v).toFixed(0)}%`;

export function reportPodStartup(r: PodStartupResult): string {
  const a50 = percentile(r.api, 50); const a99 = percentile(r.api, 99);
  const b50 = percentile(r.bare, 50); const b99 = percentile(r.bare, 99);
  const ratio = a50 / b50;
  return [
    '== pod startup (real containers, busybox, 5 pods/s) ==',
    table([
      ['API create -> Running (watch)', `p50 ${ms(a50)}  p99 ${ms(a99)}  (n=${r.api.length})`],
      ['bare CRI sandbox+container', `p50 ${ms(b50)}  p99 ${ms(b99)}  (n=${r.bare.length})`],
      ['ratio at p50', `${ratio.toFixed(2)}  goal ≤ ${POD_STARTUP_GOALS.p50Ratio}  ${verdict(ratio <= POD_STARTUP_GOALS.p50Ratio)}`],
      ['ratio at p99', `${(a99 / b99).toFixed(2)}`],
      ['API p99', `${ms(a99)}  goal ≤ ${POD_STARTUP_GOALS.p99Ms} ms  ${verdict(a99 <= POD_STARTUP_GOALS.p99Ms)}`],
      ...(r.serverCpuMsPerPod !== undefined ? [['k8ts server CPU per pod', ms(r.serverCpuMsPerPod)] as [string, string]] : []),
      // near 100% the runtime's own work queues up, and the ratio says more about the machine than k8ts
      ...(r.busyApi !== undefined ? [[`machine CPU busy (${cpus().length} CPUs)`, `bare phase ${pct(r.busyBare!)}, API phase ${pct(r.busyApi)}`] as [string, string]] : []),
    ]),
  ].join('\n');
}
