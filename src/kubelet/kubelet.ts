// The kubelet: registers this machine's Node, renews its Lease in kube-node-lease, and runs the
// pods bound to it through the CRI. Level-based: each sync reads the pod from the informer cache
// and the sandbox/containers from the runtime (found by their labels), acts, then writes status.
// Runtime changes reach it through the PLEG's relist; a slow resync of each pod covers the rest
// (upstream's syncFrequency). Sandboxes of pods no longer in the API are torn down.
import type { KObject } from '../api/types.js';
import {
  EventRecorder, isAlreadyExists, isConflict, isNotFound, ItemExponentialFailureRateLimiter, leases, microTime, rfc3339, SharedInformer,
  WorkQueue, type RestClient,
} from '../client/index.js';
import { criMessage, type CriClient } from './cri/client.js';
import { maxPods, memoryKi, nodeObject, type NodeFacts } from './node.js';
import { currentNodeStatus } from './nodestatus.js';
import {
  killPod, podDir, podSandboxes, podUidLabel, recordNetns, sandboxConfig, sandboxContainers,
  type RuntimeOptions,
} from './runtime.js';
import { isSidecar, podStatus, type ContainerView } from './status.js';
import { ContainerConfigError, PodConfig } from './podconfig.js';
import { Pleg } from './pleg.js';
import { linuxResources } from './resources.js';
import { criExec, type ExecFn } from './execsync.js';
import { ProbeManager, type RunningState } from './prober.js';
import { containerGrace, killContainer, runHandler, shortenTermination, terminatePod, type LifecycleContext } from './lifecycle.js';
import { ImageManager } from './images.js';
import { EventSpamFilter } from './eventfilter.js';
import { diskUsage, volumeDir } from './volumes.js';
import { parseQuantity } from '../api/validation/quantity.js';

const nodes = { group: '', version: 'v1', plural: 'nodes', namespaced: false, kind: 'Node' };
const pods = { group: '', version: 'v1', plural: 'pods', namespaced: true, kind: 'Pod' };

export interface KubeletOptions extends NodeFacts, Partial<RuntimeOptions> {
  client: RestClient;
  cri: CriClient;
  log?: (msg: string) => void;
  leaseDurationSeconds?: number;
  /** how often every pod is re-synced regardless of changes, ms; default 30 000 */
  resyncMs?: number;
  /** how often the runtime is relisted for container/sandbox changes (PLEG), ms; default 1000 */
  relistMs?: number;
  /** pods synced at once; default maxPods (upstream runs one worker per pod, with no limit below the node's capacity) */
  workers?: number;
}

/** a stable slot in 0..n-1 for a string (FNV-1a) */
export function slotOf(s: string, n: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h % n;
}

/** canonical JSON (sorted keys) for comparing statuses */
function canon(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canon).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().filter((k) => (v as any)[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canon((v as any)[k])}`).join(',')}}`;
  return JSON.stringify(v ?? null);
}

/** upstream's safe sysctls (pkg/kubelet/sysctl SafeSysctlAllowlist); the net.* ones are per network namespace */
const safeSysctls = ['kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range',
  'net.ipv4.ip_unprivileged_port_start', 'net.ipv4.ip_local_reserved_ports', 'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes', 'net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem'];
const isSafeSysctl = (name: string) => safeSysctls.includes(name.replace(/\//g, '.'));

export class Kubelet {
  readonly podInformer: SharedInformer;
  private readonly queue: WorkQueue<string>;
  private readonly log: (msg: string) => void;
  private readonly rt: RuntimeOptions;
  private readonly podConfig: PodConfig;
  private readonly pleg: Pleg;
  private readonly images: ImageManager;
  private nodeConditions?: any[];
  private nodeStatusKey = '';
  private nodeStatusAt = 0;
  private lease?: KObject;
  private nodeUid?: string;
  readonly recorder: EventRecorder;
  private readonly exec: ExecFn;
  private readonly prober: ProbeManager;
  /** pods being terminated (uid), each by one background task */
  private readonly terminating = new Map<string, { task: Promise<void>; deadline: number }>();
  /** the status this kubelet last wrote per pod uid, with the resourceVersion it got: the informer's copy may be older */
  private readonly written = new Map<string, { rv: number; status: any }>();
  /** pods the local storage check evicts: uid -> message */
  private readonly evictions = new Map<string, string>();
  /** when a repeating event (BackOff) was last recorded, by pod uid, container and reason */
  private readonly lastRepeat = new Map<string, number>();
  private readonly spamFilter = new EventSpamFilter();

  constructor(private readonly o: KubeletOptions) {
    this.log = o.log ?? (() => {});
    this.rt = {
      podsDir: o.podsDir ?? `${o.dataDir}/agent/pods`, clusterDNS: o.clusterDNS ?? '10.43.0.10', clusterDomain: o.clusterDomain ?? 'cluster.local',
      imageStatus: async (image) => (await o.cri.image('ImageStatus', { image: { image } })).image ?? undefined,
    };
    this.podConfig = new PodConfig(o.client, this.rt, this.log);
    this.podInformer = new SharedInformer(o.client, pods, { fieldSelector: `spec.nodeName=${o.name}` });
    this.images = new ImageManager(o.cri, o.client);
    this.pleg = new Pleg(o.cri, (uid) => {
      const p = this.podInformer.lister.list().find((x) => x.metadata.uid === uid);
      if (p) this.queue.add(`${p.metadata.namespace}/${p.metadata.name}`);
    });
    this.recorder = new EventRecorder(o.client, { component: 'kubelet', host: o.name });
    this.exec = criExec(o.cri);
    this.prober = new ProbeManager({
      exec: this.exec,
      onChange: (key) => this.queue.add(key),
      onFailure: (pod, c, _kind, message) => this.containerEvent(pod, c, 'Warning', 'Unhealthy', message),
    });
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
    // as upstream, a change to a pod's status alone (mostly this kubelet's own writes) is no reason to sync it
    const specChanged = (o: KObject, n: KObject) => canon(o.spec) !== canon(n.spec)
      || canon({ ...o.metadata, resourceVersion: undefined, managedFields: undefined }) !== canon({ ...n.metadata, resourceVersion: undefined, managedFields: undefined });
    const un = this.podInformer.addEventHandler({
      add: (p) => this.queue.add(key(p)), update: (o, p) => { if (specChanged(o, p)) this.queue.add(key(p)); },
      // gone from the API without us (force-deleted, or terminal and deleted at once): stop what is left
      delete: (p) => this.terminate(p, false),
    });
    this.podInformer.start(signal);
    const timers = [
      setInterval(() => { void this.renewLease(signal).catch((e) => this.warn(signal, 'lease', e)); }, ((this.o.leaseDurationSeconds ?? 40) / 4) * 1000),
      setInterval(() => { void this.updateNodeStatus(signal).catch((e) => this.warn(signal, 'node status', e)); }, 10_000),
      // runtime changes (a container exited, a sandbox died) through the PLEG's relist, and a slow
      // full resync of every pod for anything else (upstream's syncFrequency)
      setInterval(() => { void this.pleg.relist().catch((e) => this.warn(signal, 'relist', e)); }, this.o.relistMs ?? 1000),
      // each pod at its own phase of the period: all at once was a burst of several hundred CRI calls
      this.resyncTimer(this.o.resyncMs ?? 30_000, (p) => this.queue.add(key(p))),
      setInterval(() => { void this.cleanupOrphans().catch((e) => this.warn(signal, 'orphans', e)); }, 10_000),
      // the eviction manager's local storage check (upstream's housekeeping period)
      setInterval(() => { void this.checkLocalStorage().catch((e) => this.warn(signal, 'local storage', e)); }, 10_000),
    ];
    try {
      await this.podConfig.start(signal);
      if (await this.podInformer.waitForSync(signal)) await this.cleanupOrphans().catch((e) => this.warn(signal, 'orphans', e));
      await this.queue.runWorkers(this.o.workers ?? maxPods, (k) => this.syncPod(k), signal);
    } finally {
      for (const t of timers) clearInterval(t);
      this.prober.stop();
      un();
      await this.podInformer.stop();
    }
  }

  private warn(signal: AbortSignal, what: string, e: unknown): void {
    if (!signal.aborted) this.log(`kubelet: ${what}: ${e instanceof Error ? e.message : e}`);
  }

  private async register(signal: AbortSignal): Promise<void> {
    const c = this.o.client;
    let node: KObject | undefined;
    try {
      node = await c.create(nodes, nodeObject(this.o), { signal });
      this.log(`kubelet: registered node ${this.o.name}`);
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      const cur = await c.get(nodes, this.o.name, { signal });
      this.nodeConditions = cur.status?.conditions;
    }
    this.nodeUid = node?.metadata.uid;
    await this.updateNodeStatus(signal);
  }

  /** reports the node's status; a status nothing changed in is written once a minute (the Lease is the heartbeat) */
  private async updateNodeStatus(signal: AbortSignal): Promise<void> {
    const status = await currentNodeStatus(this.o, this.o.cri, this.nodeConditions);
    const key = canon({ ...status, conditions: status.conditions.map((x: any) => ({ ...x, lastHeartbeatTime: undefined })) });
    if (key === this.nodeStatusKey && Date.now() - this.nodeStatusAt < 60_000) return;
    const node = await this.o.client.patch(nodes, this.o.name, { subresource: 'status', type: 'merge', patch: { status }, signal });
    this.nodeUid = node.metadata.uid;
    this.nodeConditions = status.conditions;
    this.nodeStatusKey = key;
    this.nodeStatusAt = Date.now();
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
    const orphans = new Set(all.map((s) => s.labels?.[podUidLabel]).filter((u) => u && !live.has(u) && !this.terminating.has(u)));
    for (const uid of orphans) {
      this.log(`kubelet: removing sandboxes of deleted pod ${uid}`);
      await killPod(this.o.cri, uid, 0, this.rt.podsDir);
      await this.forget(uid);
    }
  }

  /** an event about one of the pod's containers (involvedObject.fieldPath names it) */
  private containerEvent(pod: KObject, c: any, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const init = (pod.spec?.initContainers ?? []).some((x: any) => x.name === c?.name);
    const ephemeral = (pod.spec?.ephemeralContainers ?? []).some((x: any) => x.name === c?.name);
    const m = pod.metadata;
    if (!this.spamFilter.allow(`${m.uid}\x00${type}\x00${reason}`)) return;
    this.recorder.event({
      kind: 'Pod', apiVersion: 'v1', namespace: m.namespace, name: m.name, uid: m.uid, resourceVersion: m.resourceVersion,
      ...(c?.name ? { fieldPath: `spec.${init ? 'initContainers' : ephemeral ? 'ephemeralContainers' : 'containers'}{${c.name}}` } : {}),
    }, type, reason, message);
  }

  /** containerEvent for events a sync would repeat every resync (BackOff): each message at most once per 10 s */
  private repeatingEvent(pod: KObject, c: any, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const k = `${pod.metadata.uid}/${c.name}/${reason}/${message}`;
    const now = Date.now();
    if (now - (this.lastRepeat.get(k) ?? 0) < 10_000) return;
    this.lastRepeat.set(k, now);
    if (this.lastRepeat.size > 4096) this.lastRepeat.delete(this.lastRepeat.keys().next().value!);
    this.containerEvent(pod, c, type, reason, message);
  }

  /** calls f for every pod once per period, each pod in its own one-second slot of it (by its uid) */
  private resyncTimer(periodMs: number, f: (p: KObject) => void): NodeJS.Timeout {
    const tickMs = Math.min(1000, periodMs);
    const slots = Math.max(1, Math.round(periodMs / tickMs));
    let tick = 0;
    return setInterval(() => {
      const slot = tick++ % slots;
      for (const p of this.podInformer.lister.list()) if (slotOf(p.metadata.uid ?? '', slots) === slot) f(p);
    }, tickMs);
  }

  private lifecycle(pod: KObject, podIP: string): LifecycleContext {
    return { cri: this.o.cri, exec: this.exec, pod, podIP, event: (c, _id, type, reason, message) => this.containerEvent(pod, c, type, reason, message) };
  }

  /**
   * Terminates a deleted pod in the background (once per pod): preStop hooks, SIGTERM, SIGKILL when
   * the deletion's grace runs out, the sandbox; then removes the Pod object (grace 0), as upstream.
   */
  private terminate(pod: KObject, deleteObject = true): void {
    const { uid, name, namespace } = pod.metadata as { uid: string; name: string; namespace: string };
    this.written.delete(uid);
    const grace = pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
    const deadline = Date.now() + grace * 1000;
    const running = this.terminating.get(uid);
    if (running) {
      // a later delete with a shorter grace period cuts the termination short, as upstream
      if (deadline < running.deadline - 1000) {
        running.deadline = deadline;
        void shortenTermination(this.o.cri, uid, grace).catch((e) => this.log(`kubelet: shortening termination of ${namespace}/${name}: ${e instanceof Error ? e.message : e}`));
      }
      return;
    }
    this.prober.removePod(uid);
    const task = (async () => {
      await terminatePod(this.lifecycle(pod, pod.status?.podIP ?? ''), grace, this.rt.podsDir, (sb) => this.terminalStatus(pod, sb));
      await this.forget(uid);
      if (!deleteObject) return;
      try {
        await this.o.client.delete(pods, name, { namespace, gracePeriodSeconds: 0, preconditions: { uid } });
      } catch (e) { if (!isNotFound(e) && !isConflict(e)) throw e; }
    })().catch((e) => this.log(`kubelet: terminating pod ${namespace}/${name}: ${e instanceof Error ? e.message : e}`))
      .finally(() => this.terminating.delete(uid));
    this.terminating.set(uid, { task, deadline });
  }

  /**
   * A deleted pod whose containers are down gets a terminal phase (Succeeded when every regular
   * container exited 0, else Failed) with their final states, as upstream's kubelet (1.27+) writes
   * before the object goes; a pod a finalizer keeps shows it was stopped, not Running.
   */
  private async terminalStatus(pod: KObject, sandboxId: string): Promise<void> {
    const uid = pod.metadata.uid!;
    const views = new Map<string, ContainerView>();
    const initViews = new Map<string, ContainerView>();
    await this.stoppedViews(pod, sandboxId, views, initViews);
    const status = podStatus(pod, views, { podIP: pod.status?.podIP, hostIP: this.o.hostIP, sandboxReady: false }, initViews);
    const regular = (pod.spec?.containers ?? []).map((c: any) => views.get(c.name)?.status);
    status.phase = regular.length && regular.every((st: any) => st?.state === 'CONTAINER_EXITED' && st.exitCode === 0) ? 'Succeeded' : 'Failed';
    for (const c of status.conditions ?? []) if (c.type === 'Ready' || c.type === 'ContainersReady') c.status = 'False';
    await this.o.client.patch(pods, pod.metadata.name!, { namespace: pod.metadata.namespace, subresource: 'status', type: 'merge', patch: { metadata: { uid }, status } })
      .catch((e) => { if (!isNotFound(e) && !isConflict(e)) throw e; });
  }

  /** the views of a sandbox's containers, init containers apart (for the status of a pod that stops) */
  private async stoppedViews(pod: KObject, sandboxId: string, views: Map<string, ContainerView>, initViews: Map<string, ContainerView>): Promise<void> {
    const inits = new Set((pod.spec?.initContainers ?? []).map((c: any) => c.name));
    for (const [name, list] of await this.containersByName(sandboxId)) (inits.has(name) ? initViews : views).set(name, { status: list[0], previous: list[1] });
  }

  /** the sandbox's containers by name, each with its latest attempts' CRI statuses (newest first, at most two) */
  private async containersByName(sandboxId: string): Promise<Map<string, any[]>> {
    const byName = new Map<string, any[]>();
    for (const x of await sandboxContainers(this.o.cri, sandboxId)) byName.set(x.metadata.name, [...(byName.get(x.metadata.name) ?? []), x]);
    for (const [n, list] of byName) {
      list.sort((a, b) => b.metadata.attempt - a.metadata.attempt);
      const statuses = [];
      for (const x of list.slice(0, 2)) statuses.push((await this.o.cri.call('ContainerStatus', { containerId: x.id })).status);
      byName.set(n, Object.assign(statuses, { all: list }));
    }
    return byName;
  }

  async syncPod(key: string): Promise<void | { requeueAfter: number }> {
    const [ns, name] = key.split('/');
    const pod = this.podInformer.lister.get(ns, name);
    if (!pod) return;
    const uid = pod.metadata.uid!;
    this.pleg.syncStarted(uid);
    try { return await this.syncRunning(pod, uid); } finally { this.pleg.syncDone(uid); }
  }

  /** drops what the kubelet keeps per pod once its sandboxes are gone */
  private async forget(uid: string): Promise<void> {
    await this.podConfig.release(uid);
    this.images.forget(uid);
    this.written.delete(uid);
  }

  private async syncRunning(pod: KObject, uid: string): Promise<void | { requeueAfter: number }> {
    const cri = this.o.cri;
    if (pod.metadata.deletionTimestamp) {
      this.terminate(pod);
      return;
    }
    const phase = pod.status?.phase;
    const sandboxes = await podSandboxes(cri, uid);
    if (phase === 'Succeeded' || phase === 'Failed') {
      // finished: release the network, keep the exited containers for their logs
      this.prober.removePod(uid);
      for (const sb of sandboxes) if (sb.state === 'SANDBOX_READY') await cri.call('StopPodSandbox', { podSandboxId: sb.id });
      // with the sandbox gone, the pod is no longer ready to start containers (upstream reports False)
      const conds: any[] = pod.status?.conditions ?? [];
      if (conds.some((c) => c.type === 'PodReadyToStartContainers' && c.status === 'True')) {
        const conditions = conds.map((c) => (c.type === 'PodReadyToStartContainers' ? { ...c, status: 'False', lastTransitionTime: rfc3339() } : c));
        await this.o.client.patch(pods, pod.metadata.name!, { namespace: pod.metadata.namespace, subresource: 'status', type: 'merge', patch: { metadata: { uid }, status: { conditions } } });
      }
      return;
    }
    // pod admission (upstream's sysctl allowlist): a new pod asking for an unsafe sysctl is refused
    if (!sandboxes.length) {
      const unsafe = (pod.spec?.securityContext?.sysctls ?? []).map((x: any) => x?.name).find((n: string) => n && !isSafeSysctl(n));
      if (unsafe) {
        const message = `forbidden sysctl: "${unsafe}" not allowlisted`;
        this.containerEvent(pod, undefined, 'Warning', 'SysctlForbidden', message);
        await this.o.client.patch(pods, pod.metadata.name!, { namespace: pod.metadata.namespace, subresource: 'status', type: 'merge', patch: { metadata: { uid }, status: { phase: 'Failed', reason: 'SysctlForbidden', message } } });
        return;
      }
    }
    // spec.activeDeadlineSeconds (upstream's activeDeadlineHandler): counted from status.startTime,
    // which this sync sets to now when the pod has none yet
    const startTime = pod.status?.startTime ?? this.written.get(uid)?.status?.startTime;
    const deadlineLeft = pod.spec?.activeDeadlineSeconds !== undefined
      ? (startTime ? Date.parse(startTime) : Date.now()) + pod.spec.activeDeadlineSeconds * 1000 - Date.now() : undefined;
    if (deadlineLeft !== undefined && deadlineLeft <= 0) { await this.deadlineExceeded(pod, uid, sandboxes); return; }
    const evicted = this.evictions.get(uid);
    if (evicted) { await this.evict(pod, uid, sandboxes, evicted); return; }
    let sb = sandboxes.find((s) => s.state === 'SANDBOX_READY');
    // volumes are set up while the sandbox starts
    const prepared = this.podConfig.prepare(pod).then(() => undefined, (e: unknown) => e);
    let sbStatus: any;
    const config = sandboxConfig(pod, sb?.metadata.attempt ?? (sandboxes[0] ? sandboxes[0].metadata.attempt + 1 : 0), this.rt);
    if (!sb) {
      for (const old of sandboxes) {
        await cri.call('StopPodSandbox', { podSandboxId: old.id });
        await cri.call('RemovePodSandbox', { podSandboxId: old.id });
      }
      const { podSandboxId } = await cri.call('RunPodSandbox', { config });
      sbStatus = await recordNetns(cri, podSandboxId, podDir(this.rt.podsDir, uid));
      sb = { id: podSandboxId, metadata: config.metadata, state: 'SANDBOX_READY' };
    }
    sbStatus ??= (await cri.call('PodSandboxStatus', { podSandboxId: sb.id })).status;
    // a pod on the host network has the node's address (the runtime reports none for its sandbox)
    const podIP: string = pod.spec?.hostNetwork ? this.o.hostIP : sbStatus?.network?.ip ?? '';
    const prepareErr = await prepared;
    if (prepareErr) throw prepareErr;
    // a sandbox this sync started has no containers yet
    const byName = sandboxes.some((x) => x.id === sb!.id) ? await this.containersByName(sb.id) : new Map<string, any[]>();
    const s: PodSync = { pod, uid, podIP, sandboxId: sb.id, sandboxConfig: config, ctx: this.lifecycle(pod, podIP) };
    const policy = pod.spec?.restartPolicy ?? 'Always';
    const inits: any[] = pod.spec?.initContainers ?? [];
    const containers: any[] = pod.spec?.containers ?? [];

    // running containers that failed their liveness or startup probe are killed (and restarted below)
    for (const c of [...inits.filter(isSidecar), ...containers]) {
      const latest = byName.get(c.name)?.[0];
      if (latest?.state !== 'CONTAINER_RUNNING') continue;
      const failed = this.prober.result(uid, c.name, 'liveness', latest.id) === false ? 'liveness'
        : this.prober.result(uid, c.name, 'startup', latest.id) === false ? 'startup' : undefined;
      if (!failed) continue;
      const restart = isSidecar(c) || policy !== 'Never';
      await killContainer(s.ctx, {
        container: c, containerId: latest.id, graceSeconds: containerGrace(pod, c, failed),
        message: `Container ${c.name} failed ${failed} probe${restart ? ', will be restarted' : ''}`,
      });
      byName.get(c.name)![0] = (await cri.call('ContainerStatus', { containerId: latest.id })).status;
    }

    // every regular container finished for good (restartPolicy Never or OnFailure): the sidecars are
    // stopped, last one first, and not restarted; the pod ends once they are down (as upstream)
    const mainDone = policy !== 'Always' && containers.length > 0 && containers.every((c) => {
      const latest = byName.get(c.name)?.[0];
      return latest?.state === 'CONTAINER_EXITED' && (policy === 'Never' || latest.exitCode === 0);
    });
    if (mainDone) {
      for (const c of [...inits].reverse().filter(isSidecar)) {
        const latest = byName.get(c.name)?.[0];
        if (latest?.state !== 'CONTAINER_RUNNING') continue;
        await killContainer(s.ctx, { container: c, containerId: latest.id, graceSeconds: containerGrace(pod, c) });
        byName.get(c.name)![0] = (await cri.call('ContainerStatus', { containerId: latest.id })).status;
      }
    }

    const views = new Map<string, ContainerView>();
    const initViews = new Map<string, ContainerView>();
    let requeueAfter: number | undefined;
    const wake = (ms: number) => { requeueAfter = Math.min(requeueAfter ?? Infinity, ms); };
    if (deadlineLeft !== undefined) wake(deadlineLeft + 10);
    // init containers run in order, each to success before the next (sidecars: until started);
    // once a regular container exists the pod is initialized and only sidecars are kept running
    const initialized0 = containers.some((c) => byName.has(c.name));
    let initialized = true;
    for (const c of inits) {
      const list = byName.get(c.name) ?? [];
      if (initialized0 && !isSidecar(c)) {
        if (list[0]) initViews.set(c.name, { status: list[0], previous: list[1] });
        continue;
      }
      const v = await this.ensureContainer(s, c, list, isSidecar(c) ? (mainDone ? 'Never' : 'Always') : policy === 'Never' ? 'Never' : 'OnFailure', wake);
      initViews.set(c.name, v);
      if (initialized0) continue;
      const st = v.waiting ? undefined : v.status;
      const done = isSidecar(c) ? st?.state === 'CONTAINER_RUNNING' && v.started !== false : st?.state === 'CONTAINER_EXITED' && st.exitCode === 0;
      if (!done) { initialized = false; break; }
    }
    for (const c of containers) {
      const list = byName.get(c.name) ?? [];
      if (initialized) views.set(c.name, await this.ensureContainer(s, c, list, policy, wake));
      else if (list[0]) views.set(c.name, { status: list[0], previous: list[1] });
    }
    // ephemeral containers (kubectl debug) run once each, never restarted, once the pod is initialized
    const ephemeralViews = new Map<string, ContainerView>();
    for (const c of pod.spec?.ephemeralContainers ?? []) {
      const list = byName.get(c.name) ?? [];
      if (initialized && !pod.metadata.deletionTimestamp) ephemeralViews.set(c.name, await this.ensureContainer(s, c, list, 'Never', wake));
      else if (list[0]) ephemeralViews.set(c.name, { status: list[0], previous: list[1] });
    }

    const states = new Map<string, RunningState>();
    for (const [n, v] of [...initViews, ...views]) {
      if (v.status) states.set(n, { id: v.status.id, running: v.status.state === 'CONTAINER_RUNNING', startedAtMs: Math.floor(v.status.startedAt / 1e6) });
    }
    this.prober.update(pod, podIP, states);
    // what this sync saw is no news to the PLEG's next relist
    const seen: [string, string][] = [[`s/${sb.id}`, 'SANDBOX_READY']];
    for (const v of [...initViews.values(), ...views.values(), ...ephemeralViews.values()]) {
      for (const x of [v.status, v.previous]) if (x?.id && x.state) seen.push([`c/${x.id}`, x.state]);
    }
    this.pleg.observed(uid, seen);

    const status = podStatus(pod, views, { podIP, hostIP: this.o.hostIP, sandboxReady: true }, initViews, ephemeralViews);
    const mine = this.written.get(uid);
    const cur = (mine && mine.rv > Number(pod.metadata.resourceVersion) ? mine.status : pod.status) ?? {};
    const same = Object.keys(status).every((k) => canon(status[k]) === canon(cur[k]));
    if (!same) {
      const res = await this.o.client.patch(pods, pod.metadata.name!, { namespace: pod.metadata.namespace, subresource: 'status', type: 'merge', patch: { metadata: { uid }, status } });
      this.written.set(uid, { rv: Number(res.metadata.resourceVersion), status: res.status });
    }
    return requeueAfter !== undefined ? { requeueAfter } : undefined;
  }

  /**
   * A pod past its spec.activeDeadlineSeconds: its containers are stopped (with the grace period, as
   * a delete would) and it fails with reason DeadlineExceeded, as upstream's kubelet does. The
   * containers stay for their logs and statuses; the next sync of the Failed pod stops the sandbox.
   */
  /**
   * upstream's local storage eviction: a pod whose emptyDir (on disk) holds more than its sizeLimit
   * is evicted (its sync stops it and marks it Failed)
   */
  private async checkLocalStorage(): Promise<void> {
    for (const pod of this.podInformer.lister.list()) {
      const uid = pod.metadata.uid!;
      if (this.evictions.has(uid) || pod.metadata.deletionTimestamp || pod.status?.phase !== 'Running') continue;
      for (const v of pod.spec?.volumes ?? []) {
        const limit = v?.emptyDir?.sizeLimit;
        if (limit === undefined || limit === null || v.emptyDir.medium === 'Memory') continue;
        const bytes = parseQuantity(limit);
        if (bytes === undefined || diskUsage(volumeDir(podDir(this.rt.podsDir, uid), 'empty-dir', v.name)) <= bytes) continue;
        this.evictions.set(uid, `Usage of EmptyDir volume ${JSON.stringify(v.name)} exceeds the limit ${JSON.stringify(String(limit))}. `);
        this.queue.add(`${pod.metadata.namespace}/${pod.metadata.name}`);
        break;
      }
    }
  }

  /** stops an evicted pod (grace 1 s, as upstream's immediate evictions) and marks it Failed/Evicted with a DisruptionTarget condition */
  private async evict(pod: KObject, uid: string, sandboxes: { id: string; state: string }[], message: string): Promise<void> {
    this.containerEvent(pod, undefined, 'Warning', 'Evicted', message);
    await this.stopAndFail(pod, uid, sandboxes, { reason: 'Evicted', message, graceSeconds: 1, disruption: true });
    this.evictions.delete(uid);
  }

  private async deadlineExceeded(pod: KObject, uid: string, sandboxes: { id: string; state: string }[]): Promise<void> {
    const message = 'Pod was active on the node longer than the specified deadline';
    this.containerEvent(pod, undefined, 'Normal', 'DeadlineExceeded', message);
    await this.stopAndFail(pod, uid, sandboxes, { reason: 'DeadlineExceeded', message });
  }

  /** kills the pod's running containers and writes a Failed status with the reason */
  private async stopAndFail(pod: KObject, uid: string, sandboxes: { id: string; state: string }[], why: { reason: string; message: string; graceSeconds?: number; disruption?: boolean }): Promise<void> {
    const { reason, message } = why;
    this.prober.removePod(uid);
    const specs: any[] = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? []), ...(pod.spec?.ephemeralContainers ?? [])];
    const ctx = this.lifecycle(pod, pod.status?.podIP ?? '');
    const views = new Map<string, ContainerView>();
    const initViews = new Map<string, ContainerView>();
    for (const sb of sandboxes.filter((s) => s.state === 'SANDBOX_READY')) {
      const running = (await sandboxContainers(this.o.cri, sb.id)).filter((x) => x.state === 'CONTAINER_RUNNING');
      await Promise.all(running.map((x) => {
        const c = specs.find((s) => s.name === x.metadata.name) ?? { name: x.metadata.name };
        return killContainer(ctx, { container: c, containerId: x.id, graceSeconds: why.graceSeconds ?? containerGrace(pod, c) });
      }));
      await this.stoppedViews(pod, sb.id, views, initViews);
    }
    const status: any = { ...podStatus(pod, views, { podIP: pod.status?.podIP, hostIP: this.o.hostIP, sandboxReady: false }, initViews), phase: 'Failed', reason, message };
    if (why.disruption) {
      status.conditions = [...(status.conditions ?? []).filter((c: any) => c.type !== 'DisruptionTarget'),
        { type: 'DisruptionTarget', status: 'True', reason: 'TerminationByKubelet', message, lastProbeTime: null, lastTransitionTime: rfc3339() }];
    }
    const res = await this.o.client.patch(pods, pod.metadata.name!, { namespace: pod.metadata.namespace, subresource: 'status', type: 'merge', patch: { metadata: { uid }, status } });
    this.written.set(uid, { rv: Number(res.metadata.resourceVersion), status: res.status });
  }

  /**
   * Keeps one container as its restart policy says: starts it the first time, restarts it after an
   * exit (with back-off: none before the first restart, then 10 s doubling to 5 min), starts a
   * created one. Returns its view for the status (probe results fill ready and started).
   */
  private async ensureContainer(s: PodSync, c: any, list: any[], policy: string, wake: (ms: number) => void): Promise<ContainerView> {
    const cri = this.o.cri;
    const { pod, uid } = s;
    const [latest, previous] = list;
    let attempt: number | undefined;
    if (!latest) attempt = 0;
    else if (latest.state === 'CONTAINER_EXITED' && (policy === 'Always' || (policy === 'OnFailure' && latest.exitCode !== 0))) {
      const backoffMs = restartBackoffMs(latest.metadata.attempt);
      const wait = latest.finishedAt / 1e6 + backoffMs - Date.now();
      if (wait > 0) {
        const { name, namespace } = pod.metadata;
        this.repeatingEvent(pod, c, 'Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${name}_${namespace}(${uid})`);
        wake(wait);
        return { status: latest, previous: latest, waiting: { reason: 'CrashLoopBackOff', message: `back-off ${Math.round(backoffMs / 1000)}s restarting failed container=${c.name} pod=${name}_${namespace}(${uid})` } };
      }
      attempt = latest.metadata.attempt + 1;
    } else if (latest.state === 'CONTAINER_CREATED') {
      await cri.call('StartContainer', { containerId: latest.id });
      this.containerEvent(pod, c, 'Normal', 'Started', `Started container ${c.name}`);
      return this.probed(s, c, (await cri.call('ContainerStatus', { containerId: latest.id })).status, previous);
    }
    if (attempt === undefined) return this.probed(s, c, latest, previous);
    if (!this.podConfig.volumesReady(pod)) { wake(2000); return { status: latest, previous: latest, waiting: { reason: 'ContainerCreating' } }; }

    const err = await this.images.ensure(pod, c, s.sandboxConfig, (type, reason, message) => {
      if (type === 'Warning' || reason === 'BackOff') this.repeatingEvent(pod, c, type, reason, message);
      else this.containerEvent(pod, c, type, reason, message);
    });
    if (err) {
      wake(err.retryAfterMs);
      return { status: latest, previous: latest, waiting: { reason: err.reason, message: err.message } };
    }
    let config: any;
    try {
      config = await this.podConfig.containerConfig(pod, c, attempt, s.podIP);
      config.linux = { ...config.linux, resources: linuxResources(pod, c, memoryKi() * 1024) };
      // an ephemeral container aimed at another container shares its process namespace
      if (c.targetContainerName) {
        const target = (await this.containersByName(s.sandboxId)).get(c.targetContainerName)?.[0];
        if (target?.state !== 'CONTAINER_RUNNING') throw new ContainerConfigError(`target container "${c.targetContainerName}" is not running`);
        const sc = config.linux.securityContext ?? {};
        config.linux.securityContext = { ...sc, namespaceOptions: { ...(sc.namespaceOptions ?? {}), pid: 'TARGET', targetId: target.id } };
      }
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      // volumes not set up (yet): ContainerCreating as upstream, FailedMount events tell why
      if (e instanceof ContainerConfigError && e.reason === 'ContainerCreating') { wake(2000); return { status: latest, previous: latest, waiting: { reason: e.reason } }; }
      this.repeatingEvent(pod, c, 'Warning', 'Failed', `Error: ${message}`);
      wake(10_000);
      return { status: latest, previous: latest, waiting: { reason: 'CreateContainerConfigError', message } };
    }
    // a runtime's refusal shows on the container (CreateContainerError / RunContainerError, with a
    // Failed event) and is retried, as upstream; it does not hold the pod's other containers back
    let containerId: string;
    try {
      ({ containerId } = await cri.call('CreateContainer', { podSandboxId: s.sandboxId, config, sandboxConfig: s.sandboxConfig }));
    } catch (e) {
      const message = criMessage(e);
      this.repeatingEvent(pod, c, 'Warning', 'Failed', `Error: ${message}`);
      wake(10_000);
      return { status: latest, previous: latest, waiting: { reason: 'CreateContainerError', message } };
    }
    this.containerEvent(pod, c, 'Normal', 'Created', `Created container: ${c.name}`);
    try {
      await cri.call('StartContainer', { containerId });
    } catch (e) {
      const message = criMessage(e);
      this.repeatingEvent(pod, c, 'Warning', 'Failed', `Error: ${message}`);
      wake(10_000);
      return { status: latest, previous: latest, waiting: { reason: 'RunContainerError', message } };
    }
    this.containerEvent(pod, c, 'Normal', 'Started', `Started container ${c.name}`);
    // keep only the attempt before, for lastState and --previous logs
    for (const old of ((list as any).all ?? []).slice(1)) await cri.call('RemoveContainer', { containerId: old.id });
    if (c.lifecycle?.postStart) {
      const hookErr = await runHandler(s.ctx, { container: c, containerId, handler: c.lifecycle.postStart });
      if (hookErr) {
        this.containerEvent(pod, c, 'Warning', 'FailedPostStartHook', 'PostStartHook failed');
        await killContainer(s.ctx, { container: c, containerId, graceSeconds: containerGrace(pod, c), message: 'FailedPostStartHook' });
        wake(1000);
        const now = (await cri.call('ContainerStatus', { containerId })).status;
        return { status: now, previous: latest, waiting: { reason: 'PostStartHookError', message: hookErr } };
      }
    }
    return this.probed(s, c, (await cri.call('ContainerStatus', { containerId })).status, latest);
  }

  /** the view of a container as it is, started and ready from its probes' cached results */
  private probed(s: PodSync, c: any, status: any, previous: any): ContainerView {
    const running = status?.state === 'CONTAINER_RUNNING';
    const started = running && (!c.startupProbe || this.prober.result(s.uid, c.name, 'startup', status.id) === true);
    const ready = started && (!c.readinessProbe || this.prober.result(s.uid, c.name, 'readiness', status.id) === true);
    return { status, previous, started, ready };
  }
}

interface PodSync { pod: KObject; uid: string; podIP: string; sandboxId: string; sandboxConfig: any; ctx: LifecycleContext }

/** upstream's container restart back-off: the first restart at once, then 10 s doubling up to 5 min */
export function restartBackoffMs(exitedAttempt: number): number {
  return exitedAttempt === 0 ? 0 : Math.min(10_000 * 2 ** (exitedAttempt - 1), 300_000);
}
