// Simulated nodes (kwok-style): registers Nodes k8ts-sim-0..N-1, renews their Leases in
// kube-node-lease, and plays the kubelet for pods bound to them: Running and Ready with an IP,
// Jobs' pods Succeeded after a short delay, deleted pods removed (DELETE gracePeriodSeconds=0).
// A Node annotated k8ts.io/simulated-heartbeat=stopped behaves as a dead kubelet: no lease
// renewals, no status, no pod work.
import type { KObject } from '../api/types.js';
import {
  isAlreadyExists, isConflict, isNotFound, ItemExponentialFailureRateLimiter, leases, microTime, rfc3339,
  WorkQueue, type RestClient, type SharedInformer, type SharedInformerFactory,
} from '../client/index.js';
import { heartbeatAnnotation, hostIP, leaseObject, nodeObject, readyConditions, simNodeName } from './node.js';
import { exitAfterSeconds, exitCode, restarts, runningStatus, terminatedStatus } from './podstatus.js';

export { heartbeatAnnotation, simNodeName } from './node.js';
export { exitAfterAnnotation, exitCodeAnnotation } from './podstatus.js';

const nodes = { group: '', version: 'v1', plural: 'nodes', namespaced: false, kind: 'Node' };
const pods = { group: '', version: 'v1', plural: 'pods', namespaced: true, kind: 'Pod' };

export interface SimulatedNodesOptions {
  client: RestClient;
  informers: SharedInformerFactory;
  count: number;
  log?: (msg: string) => void;
  /**
   * lease duration (default K8TS_NODE_GRACE_SECONDS, else 40 s) and renew interval (default a
   * quarter of the duration, as upstream's kubelet: 10 s)
   */
  leaseRenewSeconds?: number;
  leaseDurationSeconds?: number;
  /** how long Jobs' pods run (default K8TS_SIM_JOB_SECONDS or 1 s) */
  jobSeconds?: number;
  /** the longest a terminating pod is kept (default K8TS_SIM_GRACE_SECONDS or 1 s) */
  maxGraceSeconds?: number;
  /** pod workers (default 32) */
  workers?: number;
}

interface SimNode { index: number; name: string; uid?: string; lease?: KObject; nextRenew: number; stopped: boolean; hostIP: string; ips: Set<string>; nextIP: number }

const envNumber = (k: string, d: number) => { const v = Number(process.env[k]); return process.env[k] !== undefined && Number.isFinite(v) ? v : d; };

export class SimulatedNodes {
  readonly nodes = new Map<string, SimNode>();
  readonly queue = new WorkQueue<string>({
    name: 'simnode', rateLimiter: new ItemExponentialFailureRateLimiter<string>(5, 10_000),
    onError: (k, e) => this.log(`simnode: pod ${k}: ${e instanceof Error ? e.message : e}`),
  });
  private readonly podInformer: SharedInformer;
  private readonly nodeInformer: SharedInformer;
  private readonly log: (msg: string) => void;
  private readonly renewMs: number;
  private readonly leaseSeconds: number;
  private readonly jobSeconds: number;
  private readonly maxGrace: number;

  constructor(private readonly opts: SimulatedNodesOptions) {
    this.log = opts.log ?? (() => {});
    this.leaseSeconds = opts.leaseDurationSeconds ?? envNumber('K8TS_NODE_GRACE_SECONDS', 40);
    this.renewMs = (opts.leaseRenewSeconds ?? this.leaseSeconds / 4) * 1000;
    this.jobSeconds = opts.jobSeconds ?? envNumber('K8TS_SIM_JOB_SECONDS', 1);
    this.maxGrace = opts.maxGraceSeconds ?? envNumber('K8TS_SIM_GRACE_SECONDS', 1);
    const now = Date.now();
    for (let i = 0; i < opts.count; i++) {
      const name = simNodeName(i);
      // renewals spread evenly over the interval
      this.nodes.set(name, { index: i, name, nextRenew: now + Math.floor((i * this.renewMs) / Math.max(1, opts.count)), stopped: false, hostIP: hostIP(i), ips: new Set(), nextIP: 2 });
    }
    this.podInformer = opts.informers.informerFor(pods);
    this.nodeInformer = opts.informers.informerFor(nodes);
  }

  /** registers the nodes, then runs until the signal aborts */
  async run(signal: AbortSignal): Promise<void> {
    await this.register(signal);
    const unNodes = this.nodeInformer.addEventHandler({ add: (n) => this.onNode(n), update: (_o, n) => this.onNode(n) });
    const enqueue = (p: KObject) => { if (this.nodes.has(p.spec?.nodeName)) this.queue.add(`${p.metadata.namespace}/${p.metadata.name}`); };
    const unPods = this.podInformer.addEventHandler({ add: enqueue, update: (_o, p) => enqueue(p) });
    const tick = setInterval(() => this.renewDue(signal), 200);
    try {
      await this.queue.runWorkers(this.opts.workers ?? 32, (k) => this.syncPod(k), signal);
    } finally {
      clearInterval(tick); unNodes(); unPods();
    }
  }

  private async register(signal: AbortSignal): Promise<void> {
    const list = [...this.nodes.values()];
    const one = async (n: SimNode) => {
      const obj = nodeObject(n.index);
      let made: KObject;
      try {
        made = await this.opts.client.create(nodes, obj, { signal });
      } catch (e) {
        if (!isAlreadyExists(e)) throw e;
        made = await this.opts.client.get(nodes, n.name, { signal });
        const stopped = made.metadata.annotations?.[heartbeatAnnotation] === 'stopped';
        if (!stopped) made = await this.opts.client.patch(nodes, n.name, { subresource: 'status', type: 'merge', patch: { status: { ...obj.status } } });
      }
      n.uid = made.metadata.uid;
      n.stopped = made.metadata.annotations?.[heartbeatAnnotation] === 'stopped';
      if (!n.stopped) await this.renew(n, signal);
    };
    for (let i = 0; i < list.length && !signal.aborted; i += 32) {
      await Promise.all(list.slice(i, i + 32).map((n) => one(n).catch((e) => this.log(`simnode: registering ${n.name}: ${e instanceof Error ? e.message : e}`))));
    }
    this.log(`simnode: ${list.length} simulated node(s) registered`);
  }

  private renewing = 0;

  private renewDue(signal: AbortSignal): void {
    const now = Date.now();
    for (const n of this.nodes.values()) {
      if (this.renewing >= 16) return;
      if (n.stopped || n.nextRenew > now) continue;
      n.nextRenew = now + this.renewMs;
      this.renewing++;
      void this.renew(n, signal).catch((e) => { if (!signal.aborted) this.log(`simnode: lease ${n.name}: ${e instanceof Error ? e.message : e}`); })
        .finally(() => { this.renewing--; });
    }
  }

  private async renew(n: SimNode, signal: AbortSignal): Promise<void> {
    const c = this.opts.client;
    if (n.lease) {
      try {
        n.lease = await c.update(leases, { ...n.lease, spec: { ...n.lease.spec, holderIdentity: n.name, renewTime: microTime() } }, { signal });
        return;
      } catch (e) {
        if (!isConflict(e) && !isNotFound(e)) throw e;
        n.lease = undefined;
      }
    }
    try {
      const cur = await c.get(leases, n.name, { namespace: 'kube-node-lease', signal });
      n.lease = await c.update(leases, { ...cur, spec: { ...cur.spec, holderIdentity: n.name, leaseDurationSeconds: this.leaseSeconds, renewTime: microTime() } }, { signal });
    } catch (e) {
      if (!isNotFound(e)) throw e;
      n.lease = await c.create(leases, leaseObject({ metadata: { name: n.name, uid: n.uid } } as KObject, this.leaseSeconds), { signal });
    }
  }

  /** the heartbeat switch, and the kubelet's Ready status after the node lifecycle controller changed it */
  private onNode(node: KObject): void {
    const n = this.nodes.get(node.metadata.name!);
    if (!n) return;
    const stopped = node.metadata.annotations?.[heartbeatAnnotation] === 'stopped';
    if (n.stopped && !stopped) {
      this.log(`simnode: ${n.name}: heartbeat resumed`);
      n.nextRenew = 0;
      for (const p of this.podInformer.lister.list()) if (p.spec?.nodeName === n.name) this.queue.add(`${p.metadata.namespace}/${p.metadata.name}`);
    } else if (!n.stopped && stopped) this.log(`simnode: ${n.name}: heartbeat stopped`);
    n.stopped = stopped;
    if (stopped) return;
    const ready = (node.status?.conditions ?? []).find((c: any) => c.type === 'Ready');
    if (ready?.status !== 'True') {
      void this.opts.client.patch(nodes, n.name, { subresource: 'status', type: 'strategic', patch: { status: { conditions: readyConditions() } } })
        .catch((e) => this.log(`simnode: ${n.name}: status: ${e instanceof Error ? e.message : e}`));
    }
  }

  private allocateIP(n: SimNode): string {
    const base = `10.${42 + (n.index >> 8)}.${n.index & 255}.`;
    for (let k = 0; k < 254; k++) {
      const ip = base + (((n.nextIP - 1 + k) % 253) + 1);
      if (!n.ips.has(ip)) { n.ips.add(ip); n.nextIP = ((n.nextIP + k) % 253) + 1; return ip; }
    }
    return `${base}254`;
  }

  private async syncPod(key: string): Promise<void | { requeueAfter: number }> {
    const [ns, name] = key.split('/');
    const pod = this.podInformer.lister.get(ns, name);
    if (!pod) return;
    const n = this.nodes.get(pod.spec?.nodeName);
    if (!n || n.stopped) return;
    const c = this.opts.client;
    const ip = pod.status?.podIP;
    if (ip) n.ips.add(ip);
    if (pod.metadata.deletionTimestamp) {
      const grace = Math.min(pod.metadata.deletionGracePeriodSeconds ?? 0, this.maxGrace);
      const began = Date.parse(pod.metadata.deletionTimestamp) - (pod.metadata.deletionGracePeriodSeconds ?? 0) * 1000;
      const wait = began + grace * 1000 - Date.now();
      if (wait > 0) return { requeueAfter: wait };
      try {
        await c.delete(pods, name, { namespace: ns, gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } });
      } catch (e) { if (!isNotFound(e) && !isConflict(e)) throw e; }
      if (ip) n.ips.delete(ip);
      return;
    }
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') { if (ip) n.ips.delete(ip); return; }
    const running = phase === 'Running' && (pod.status?.containerStatuses ?? []).every((s: any) => s.state?.running);
    if (!running) {
      const status = runningStatus(pod, { hostIP: n.hostIP, podIP: ip || this.allocateIP(n) });
      await c.patch(pods, name, { namespace: ns, subresource: 'status', type: 'merge', patch: { metadata: { uid: pod.metadata.uid }, status } });
      const after = exitAfterSeconds(pod, this.jobSeconds);
      return after === undefined ? undefined : { requeueAfter: after * 1000 };
    }
    const after = exitAfterSeconds(pod, this.jobSeconds);
    if (after === undefined) return;
    const startedAt = Math.max(...(pod.status.containerStatuses ?? []).map((s: any) => Date.parse(s.state?.running?.startedAt ?? pod.status.startTime)));
    const due = startedAt + after * 1000 - Date.now();
    if (due > 0) return { requeueAfter: due };
    const code = exitCode(pod);
    let status: any;
    if (restarts(pod, code)) {
      const prev = pod.status.containerStatuses?.[0];
      const last = { terminated: { exitCode: code, reason: code ? 'Error' : 'Completed', startedAt: prev?.state?.running?.startedAt, finishedAt: rfc3339(), containerID: prev?.containerID } };
      status = runningStatus(pod, { hostIP: n.hostIP, podIP: ip }, (prev?.restartCount ?? 0) + 1, last);
    } else status = terminatedStatus(pod, code);
    await c.patch(pods, name, { namespace: ns, subresource: 'status', type: 'merge', patch: { metadata: { uid: pod.metadata.uid }, status } });
    if (status.phase !== 'Running' && ip) n.ips.delete(ip);
  }
}

/** starts N simulated nodes on a shared informer factory; returns a stop function */
export function startSimulatedNodes(opts: SimulatedNodesOptions): () => Promise<void> {
  const ac = new AbortController();
  const sim = new SimulatedNodes(opts);
  const done = sim.run(ac.signal).catch((e) => opts.log?.(`simnode: ${e instanceof Error ? e.stack : e}`));
  return async () => { ac.abort(); await done; };
}
