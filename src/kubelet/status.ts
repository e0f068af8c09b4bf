// Pod status from what the CRI reports and the probes say: container and init container states
// (running / terminated / waiting with a reason), ready and started, restart counts, lastState,
// pod phase (upstream's getPhase) and conditions (Initialized, Ready, ContainersReady), pod IP.
import { terminationMessage } from './mounts.js';
import type { KObject } from '../api/types.js';
import { rfc3339 } from '../client/index.js';

const nsToTime = (ns: number) => (ns > 0 ? rfc3339(new Date(Math.floor(ns / 1e6))) : undefined);

export interface ContainerView {
  /** latest attempt's CRI ContainerStatus, if any */
  status?: any;
  /** the attempt before it, for lastState */
  previous?: any;
  /** why it is not running (ErrImagePull, CrashLoopBackOff, ContainerCreating...) */
  waiting?: { reason: string; message?: string };
  /** readiness (default: running and started) */
  ready?: boolean;
  /** startup probe passed, or none (default: running) */
  started?: boolean;
}

export const isSidecar = (c: any) => c?.restartPolicy === 'Always';

function state(s: any, c?: any): any {
  if (!s) return undefined;
  if (s.state === 'CONTAINER_RUNNING') return { running: { startedAt: nsToTime(s.startedAt) } };
  if (s.state === 'CONTAINER_EXITED') {
    // the container's own termination message (its terminationMessagePath, or its log tail)
    const message = terminationMessage(s, c, s.logPath) || s.message;
    return {
      terminated: {
        exitCode: s.exitCode, reason: s.reason || (s.exitCode === 0 ? 'Completed' : 'Error'), ...(message ? { message } : {}),
        startedAt: nsToTime(s.startedAt), finishedAt: nsToTime(s.finishedAt), containerID: `containerd://${s.id}`,
      },
    };
  }
  return undefined;
}

/** one containerStatuses[] entry; defaultWaiting is ContainerCreating, or PodInitializing in pods with init containers */
export function containerStatus(c: any, v: ContainerView, defaultWaiting = 'ContainerCreating', init = false): any {
  const s = v.status;
  const st = v.waiting ? { waiting: { reason: v.waiting.reason, ...(v.waiting.message ? { message: v.waiting.message } : {}) } }
    : state(s, c) ?? { waiting: { reason: defaultWaiting } };
  const running = !!st.running;
  const started = running && (v.started ?? true);
  let ready = started && (v.ready ?? true);
  if (init && !isSidecar(c)) ready = st.terminated?.exitCode === 0;
  return {
    name: c.name, image: c.image, imageID: s?.imageRef ?? '',
    ...(s ? { containerID: `containerd://${s.id}` } : {}),
    state: st, lastState: state(v.previous, c) ?? {},
    ready, started, restartCount: s?.metadata?.attempt ?? 0,
  };
}

function cond(pod: KObject, type: string, status: string, now: string, reason?: string, message?: string): any {
  const old = (pod.status?.conditions ?? []).find((c: any) => c.type === type);
  const transition = old && old.status === status ? old.lastTransitionTime : now;
  return { type, status, lastProbeTime: null, lastTransitionTime: transition, ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
}

const anyStarted = (statuses: any[]) => statuses.some((s) => s.state.running || s.state.terminated || s.lastState.terminated);

/** upstream's getPhase: init containers first, then the regular ones under the restart policy */
export function podPhase(pod: KObject, statuses: any[], initStatuses: any[] = []): string {
  const policy = pod.spec?.restartPolicy ?? 'Always';
  const started = anyStarted(statuses);
  let pendingInit = 0; let failedInit = 0;
  for (const c of pod.spec?.initContainers ?? []) {
    const s = initStatuses.find((x) => x.name === c.name);
    if (isSidecar(c)) {
      if (!started && !(s?.state.running && s.started)) pendingInit++;
      continue;
    }
    if (!s || s.state.running) pendingInit++;
    else if (s.state.terminated) { if (s.state.terminated.exitCode !== 0) failedInit++; }
    else if (s.state.waiting) {
      if (s.lastState.terminated) { if (s.lastState.terminated.exitCode !== 0) failedInit++; } else pendingInit++;
    } else pendingInit++;
  }
  let running = 0; let waiting = 0; let stopped = 0; let succeeded = 0;
  for (const s of statuses) {
    if (s.state.running) running++;
    else if (s.state.terminated) { stopped++; if (s.state.terminated.exitCode === 0) succeeded++; }
    else if (s.lastState.terminated) stopped++;
    else waiting++;
  }
  if (failedInit > 0 && policy === 'Never') return 'Failed';
  if ((pendingInit > 0 && !started) || waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  // a sidecar still running keeps the pod Running: the kubelet stops sidecars once the regular
  // containers are done, and the pod ends after them
  const sidecarRunning = (pod.spec?.initContainers ?? []).some((c: any) => isSidecar(c) && initStatuses.find((x) => x.name === c.name)?.state.running);
  if (sidecarRunning && stopped > 0) return 'Running';
  if (stopped > 0) {
    if (policy === 'Never') return stopped === succeeded ? 'Succeeded' : 'Failed';
    if (policy === 'Always') return 'Running';
    return stopped === succeeded ? 'Succeeded' : 'Running';
  }
  return 'Pending';
}

const list = (names: string[]) => `[${names.join(' ')}]`;

/** Initialized: every (non-sidecar) init container succeeded, sidecars started, or a regular container has run */
function initializedCondition(pod: KObject, statuses: any[], initStatuses: any[], phase: string, now: string): any {
  const inits = pod.spec?.initContainers ?? [];
  if (!inits.length || anyStarted(statuses)) return cond(pod, 'Initialized', 'True', now);
  const incomplete = inits.filter((c: any) => {
    const s = initStatuses.find((x) => x.name === c.name);
    return isSidecar(c) ? !(s?.state.running && s.started) : s?.state.terminated?.exitCode !== 0;
  }).map((c: any) => c.name);
  if (!incomplete.length) return cond(pod, 'Initialized', 'True', now);
  if (phase === 'Succeeded') return cond(pod, 'Initialized', 'True', now, 'PodCompleted');
  return cond(pod, 'Initialized', 'False', now, 'ContainersNotInitialized', `containers with incomplete status: ${list(incomplete)}`);
}

/** ContainersReady (and Ready, without readiness gates): every regular container and sidecar ready */
function readiness(pod: KObject, statuses: any[], initStatuses: any[], phase: string): { status: string; reason?: string; message?: string } {
  const sidecars = (pod.spec?.initContainers ?? []).filter(isSidecar).map((c: any) => initStatuses.find((s) => s.name === c.name) ?? { name: c.name, ready: false });
  const unready = [...sidecars, ...statuses].filter((s) => !s.ready).map((s) => s.name);
  if (!unready.length) return { status: 'True' };
  if (phase === 'Succeeded' || phase === 'Failed') return { status: 'False', reason: 'PodCompleted' };
  return { status: 'False', reason: 'ContainersNotReady', message: `containers with unready status: ${list(unready)}` };
}

const kubeletConditions = ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'];

/** Ready also needs every readiness gate's condition True */
function gates(pod: KObject): { status: string; reason?: string; message?: string } {
  const msgs: string[] = [];
  for (const g of pod.spec?.readinessGates ?? []) {
    const c = (pod.status?.conditions ?? []).find((x: any) => x.type === g.conditionType);
    if (!c) msgs.push(`corresponding condition of pod readiness gate ${JSON.stringify(g.conditionType)} does not exist.`);
    else if (c.status !== 'True') msgs.push(`the status of pod readiness gate ${JSON.stringify(g.conditionType)} is not "True", but ${c.status}`);
  }
  return msgs.length ? { status: 'False', reason: 'ReadinessGatesNotReady', message: msgs.join(', ') } : { status: 'True' };
}

export function podStatus(pod: KObject, views: Map<string, ContainerView>, ips: { podIP?: string; hostIP: string; sandboxReady: boolean }, initViews: Map<string, ContainerView> = new Map(),
  ephemeralViews: Map<string, ContainerView> = new Map()): any {
  const now = rfc3339();
  const defaultWaiting = (pod.spec?.initContainers ?? []).length ? 'PodInitializing' : 'ContainerCreating';
  const statuses = (pod.spec?.containers ?? []).map((c: any) => containerStatus(c, views.get(c.name) ?? {}, defaultWaiting));
  const initStatuses = (pod.spec?.initContainers ?? []).map((c: any) => containerStatus(c, initViews.get(c.name) ?? {}, defaultWaiting, true));
  const phase = podPhase(pod, statuses, initStatuses);
  const ready = readiness(pod, statuses, initStatuses, phase);
  const scheduled = (pod.status?.conditions ?? []).find((c: any) => c.type === 'PodScheduled') ?? cond(pod, 'PodScheduled', 'True', now);
  const podReady = ready.status === 'True' ? gates(pod) : ready;
  // conditions the kubelet does not own (readiness gates, DisruptionTarget...) are kept as they are
  const others = (pod.status?.conditions ?? []).filter((c: any) => !kubeletConditions.includes(c.type));
  return {
    phase,
    conditions: [
      cond(pod, 'PodReadyToStartContainers', ips.sandboxReady ? 'True' : 'False', now),
      initializedCondition(pod, statuses, initStatuses, phase, now),
      cond(pod, 'Ready', podReady.status, now, podReady.reason, podReady.message),
      cond(pod, 'ContainersReady', ready.status, now, ready.reason, ready.message),
      scheduled,
      ...others,
    ],
    hostIP: ips.hostIP, hostIPs: [{ ip: ips.hostIP }],
    ...(ips.podIP ? { podIP: ips.podIP, podIPs: [{ ip: ips.podIP }] } : {}),
    startTime: pod.status?.startTime ?? now,
    ...(initStatuses.length ? { initContainerStatuses: initStatuses } : {}),
    containerStatuses: statuses,
    // ephemeral containers (kubectl debug) do not count toward phase or readiness
    ...((pod.spec?.ephemeralContainers ?? []).length
      ? { ephemeralContainerStatuses: pod.spec.ephemeralContainers.map((c: any) => containerStatus(c, ephemeralViews.get(c.name) ?? {}, 'ContainerCreating')) }
      : {}),
    qosClass: pod.status?.qosClass ?? 'BestEffort',
  };
}
