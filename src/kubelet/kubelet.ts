// The kubelet: registers this machine's Node, renews its Lease in kube-node-lease, and runs the
// pods bound to it through the CRI. Level-based: each sync reads the pod from the informer cache
// and the sandbox/containers from the runtime (found by their labels), acts, then writes status.
// A periodic resync stands in for upstream's PLEG; sandboxes of pods no longer in the API are
// torn down.
import type { KObject } from '../api/types.js';
import {
  isAlreadyExists, isConflict, isNotFound, ItemExponentialFailureRateLimiter, leases, microTime, SharedInformer,
  WorkQueue, type RestClient,
} from '../client/index.js';
import { type CriClient } from './cri/client.js';
import { nodeObject, nodeStatus, type NodeFacts } from './node.js';
import {
  ensureImage, killPod, podDir, podSandboxes, podUidLabel, recordNetns, sandboxConfig, sandboxContainers,
  type RuntimeOptions,
} from './runtime.js';
import { podStatus, type ContainerView } from './status.js';
import { PodConfig } from './podconfig.js';

const nodes = { group: '', version: 'v1', plural: 'nodes', namespaced: false, kind: 'Node' };
const pods = { group: '', version: 'v1', plural: 'pods', namespaced: true, kind: 'Pod' };

export interface KubeletOptions extends NodeFacts, Partial<RuntimeOptions> {
  client: RestClient;
  cri: CriClient;
  log?: (msg: string) => void;
  leaseDurationSeconds?: number;
  /** how often every pod is re-synced (container exits noticed), ms; default 2000 */
  resyncMs?: number;
  workers?: number;
}

/** canonical JSON (sorted keys) for comparing statuses */
function canon(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canon).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().filter((k) => (v as any)[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canon((v as any)[k])}`).join(',')}}`;
  return JSON.stringify(v ?? null);
}

export class Kubelet {
  readonly podInformer: SharedInformer;
  private readonly queue: WorkQueue<string>;
  private readonly log: (msg: string) => void;
  private readonly rt: RuntimeOptions;
  private readonly podConfig: PodConfig;
  private lease?: KObject;
  private nodeUid?: string;

  constructor(private readonly o: KubeletOptions) {
    this.log = o.log ?? (() => {});
    this.rt = { podsDir: o.podsDir ?? `${o.dataDir}/agent/pods`, clusterDNS: o.clusterDNS ?? '10.43.0.10', clusterDomain: o.clusterDomain ?? 'cluster.local' };
    this.podConfig = new PodConfig(o.client, this.rt);
    this.podInformer = new SharedInformer(o.client, pods, { fieldSelector: `spec.nodeName=${o.name}` });
    this.queue = new WorkQueue<string>({
      name: 'kubelet', rateLimiter: new ItemExponentialFailureRateLimiter<string>(500, 30_000),
      onError: (k, e) => this.log(`kubelet: pod ${k}: ${e instanceof Error ? e.message : e}`),
    });
  }

  /** registers the node, then syncs pods until the signal aborts */
  async run(signal: AbortSignal): Promise<void> {
    await this.register(signal);
    await this.renewLease(signal);
    const key = (p: KObject) => `${p.metadata.namespace}/${p.metadata.name}`;
    const un = this.podInformer.addEventHandler({ add: (p) => this.queue.add(key(p)), update: (_o, p) => this.queue.add(key(p)) });
    this.podInformer.start(signal);
    const timers = [
      setInterval(() => { void this.renewLease(signal).catch((e) => this.warn(signal, 'lease', e)); }, ((this.o.leaseDurationSeconds ?? 40) / 4) * 1000),
      setInterval(() => { void this.updateNodeStatus(signal).catch((e) => this.warn(signal, 'node status', e)); }, 60_000),
      setInterval(() => { for (const p of this.podInformer.lister.list()) this.queue.add(key(p)); }, this.o.resyncMs ?? 2000),
      setInterval(() => { void this.cleanupOrphans().catch((e) => this.warn(signal, 'orphans', e)); }, 10_000),
    ];
    try {
      await this.podConfig.start(signal);
      if (await this.podInformer.waitForSync(signal)) await this.cleanupOrphans().catch((e) => this.warn(signal, 'orphans', e));
      await this.queue.runWorkers(this.o.workers ?? 8, (k) => this.syncPod(k), signal);
    } finally {
      for (const t of timers) clearInterval(t);
      un();
      await this.podInformer.stop();
    }
  }

  private warn(signal: AbortSignal, what: string, e: unknown): void {
    if (!signal.aborted) this.log(`kubelet: ${what}: ${e instanceof Error ? e.message : e}`);
  }

  private async register(signal: AbortSignal): Promise<void> {
    const c = this.o.client;
    let node: KObject;
    try {
      node = await c.create(nodes, nodeObject(this.o), { signal });
      this.log(`kubelet: registered node ${this.o.name}`);
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      node = await c.patch(nodes, this.o.name, { subresource: 'status', type: 'merge', patch: { status: nodeStatus(this.o) }, signal });
    }
    this.nodeUid = node.metadata.uid;
  }

  private async updateNodeStatus(signal: AbortSignal): Promise<void> {
    await this.o.client.patch(nodes, this.o.name, { subresource: 'status', type: 'merge', patch: { status: nodeStatus(this.o) }, signal });
  }

  private async renewLease(signal: AbortSignal): Promise<void> {
    const c = this.o.client;
    const duration = this.o.leaseDurationSeconds ?? 40;
    if (this.lease) {
      try {
        this.lease = await c.update(leases, { ...this.lease, spec: { ...this.lease.spec, holderIdentity: this.o.name, renewTime: microTime() } }, { signal });
        return;
      } catch (e) {
        if (!isConflict(e) && !isNotFound(e)) throw e;
      }
    }
    try {
      const cur = await c.get(leases, this.o.name, { namespace: 'kube-node-lease', signal });
      this.lease = await c.update(leases, { ...cur, spec: { ...cur.spec, holderIdentity: this.o.name, leaseDurationSeconds: duration, renewTime: microTime() } }, { signal });
    } catch (e) {
      if (!isNotFound(e)) throw e;
      this.lease = await c.create(leases, {
        apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
        metadata: { name: this.o.name, namespace: 'kube-node-lease', ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: this.o.name, uid: this.nodeUid! }] },
        spec: { holderIdentity: this.o.name, leaseDurationSeconds: duration, renewTime: microTime() },
      }, { signal });
    }
  }

  /** sandboxes whose pod is gone from the API (deleted while we were down, or force-deleted) */
  async cleanupOrphans(): Promise<void> {
    const live = new Set(this.podInformer.lister.list().map((p) => p.metadata.uid));
    const all = (await this.o.cri.call('ListPodSandbox', {})).items as any[];
    const orphans = new Set(all.map((s) => s.labels?.[podUidLabel]).filter((u) => u && !live.has(u)));
    for (const uid of orphans) {
      this.log(`kubelet: removing sandboxes of deleted pod ${uid}`);
      await killPod(this.o.cri, uid, 0, this.rt.podsDir);
      await this.podConfig.release(uid);
    }
  }

  async syncPod(key: string): Promise<void | { requeueAfter: number }> {
    const [ns, name] = key.split('/');
    const pod = this.podInformer.lister.get(ns, name);
    if (!pod) return;
    const cri = this.o.cri;
    const uid = pod.metadata.uid!;
    if (pod.metadata.deletionTimestamp) {
      const grace = pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
      await killPod(cri, uid, grace, this.rt.podsDir);
      await this.podConfig.release(uid);
      try {
        await this.o.client.delete(pods, name, { namespace: ns, gracePeriodSeconds: 0, preconditions: { uid } });
      } catch (e) { if (!isNotFound(e) && !isConflict(e)) throw e; }
      return;
    }
    const phase = pod.status?.phase;
    const sandboxes = await podSandboxes(cri, uid);
    if (phase === 'Succeeded' || phase === 'Failed') {
      // finished: release the network, keep the exited containers for their logs
      for (const sb of sandboxes) if (sb.state === 'SANDBOX_READY') await cri.call('StopPodSandbox', { podSandboxId: sb.id });
      return;
    }
    let sb = sandboxes.find((s) => s.state === 'SANDBOX_READY');
    const config = sandboxConfig(pod, sb?.metadata.attempt ?? (sandboxes[0] ? sandboxes[0].metadata.attempt + 1 : 0), this.rt);
    if (!sb) {
      for (const old of sandboxes) {
        await cri.call('StopPodSandbox', { podSandboxId: old.id });
        await cri.call('RemovePodSandbox', { podSandboxId: old.id });
      }
      const { podSandboxId } = await cri.call('RunPodSandbox', { config });
      await recordNetns(cri, podSandboxId, podDir(this.rt.podsDir, uid));
      sb = { id: podSandboxId, metadata: config.metadata, state: 'SANDBOX_READY' };
    }
    const sbStatus = (await cri.call('PodSandboxStatus', { podSandboxId: sb.id })).status;
    const podIP: string = sbStatus?.network?.ip ?? '';
    await this.podConfig.prepare(pod);
    const existing = await sandboxContainers(cri, sb.id);
    const views = new Map<string, ContainerView>();
    let requeueAfter: number | undefined;
    const policy = pod.spec?.restartPolicy ?? 'Always';
    for (const c of pod.spec?.containers ?? []) {
      const mine = existing.filter((x) => x.metadata.name === c.name).sort((a, b) => b.metadata.attempt - a.metadata.attempt);
      const latest = mine[0] ? (await cri.call('ContainerStatus', { containerId: mine[0].id })).status : undefined;
      const previous = mine[1] ? (await cri.call('ContainerStatus', { containerId: mine[1].id })).status : undefined;
      let attempt: number | undefined;
      if (!latest) attempt = 0;
      else if (latest.state === 'CONTAINER_EXITED' && (policy === 'Always' || (policy === 'OnFailure' && latest.exitCode !== 0))) {
        const backoffMs = Math.min(10_000 * 2 ** latest.metadata.attempt, 300_000);
        const wait = latest.finishedAt / 1e6 + backoffMs - Date.now();
        if (wait > 0) {
          views.set(c.name, { status: latest, previous: latest, waiting: { reason: 'CrashLoopBackOff', message: `back-off ${Math.round(backoffMs / 1000)}s restarting failed container=${c.name} pod=${name}_${ns}(${uid})` } });
          requeueAfter = Math.min(requeueAfter ?? Infinity, wait);
          continue;
        }
        attempt = latest.metadata.attempt + 1;
      } else if (latest.state === 'CONTAINER_CREATED') {
        await cri.call('StartContainer', { containerId: latest.id });
      }
      if (attempt !== undefined) {
        const err = await ensureImage(cri, c.image, c.imagePullPolicy ?? 'IfNotPresent', config);
        if (err) {
          views.set(c.name, { status: latest, previous: latest, waiting: err });
          requeueAfter = Math.min(requeueAfter ?? Infinity, 10_000);
          continue;
        }
        const { containerId } = await cri.call('CreateContainer', { podSandboxId: sb.id, config: await this.podConfig.containerConfig(pod, c, attempt, podIP), sandboxConfig: config });
        await cri.call('StartContainer', { containerId });
        // keep only the attempt before, for lastState and --previous logs
        for (const old of mine.slice(1)) await cri.call('RemoveContainer', { containerId: old.id });
        const now = (await cri.call('ContainerStatus', { containerId })).status;
        views.set(c.name, { status: now, previous: latest });
      } else {
        const now = (await cri.call('ContainerStatus', { containerId: latest!.id })).status;
        views.set(c.name, { status: now, previous });
      }
    }
    const status = podStatus(pod, views, { podIP, hostIP: this.o.hostIP, sandboxReady: true });
    const cur = pod.status ?? {};
    const same = Object.keys(status).every((k) => canon(status[k]) === canon(cur[k]));
    if (!same) {
      await this.o.client.patch(pods, name, { namespace: ns, subresource: 'status', type: 'merge', patch: { metadata: { uid }, status } });
    }
    return requeueAfter !== undefined ? { requeueAfter } : undefined;
  }
}
