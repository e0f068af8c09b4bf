// Pod status from what the CRI reports: container states (running / terminated / waiting with a
// reason), restart counts, lastState, pod phase and conditions, pod IP.
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
}

function state(s: any): any {
  if (!s) return undefined;
  if (s.state === 'CONTAINER_RUNNING') return { running: { startedAt: nsToTime(s.startedAt) } };
  if (s.state === 'CONTAINER_EXITED') {
    return {
      terminated: {
        exitCode: s.exitCode, reason: s.reason || (s.exitCode === 0 ? 'Completed' : 'Error'), ...(s.message ? { message: s.message } : {}),
        startedAt: nsToTime(s.startedAt), finishedAt: nsToTime(s.finishedAt), containerID: `containerd://${s.id}`,
      },
    };
  }
  return undefined;
}

export function containerStatus(c: any, v: ContainerView): any {
  const s = v.status;
  const st = v.waiting ? { waiting: { reason: v.waiting.reason, ...(v.waiting.message ? { message: v.waiting.message } : {}) } }
    : state(s) ?? { waiting: { reason: 'ContainerCreating' } };
  const running = !!st.running;
  return {
    name: c.name, image: c.image, imageID: s?.imageRef ?? '',
    ...(s ? { containerID: `containerd://${s.id}` } : {}),
    state: st, lastState: state(v.previous) ?? {},
    ready: running, started: running, restartCount: s?.metadata?.attempt ?? 0,
  };
}

function cond(pod: KObject, type: string, status: string, now: string, reason?: string): any {
  const old = (pod.status?.conditions ?? []).find((c: any) => c.type === type);
  const transition = old && old.status === status ? old.lastTransitionTime : now;
  return { type, status, lastProbeTime: null, lastTransitionTime: transition, ...(reason ? { reason } : {}) };
}

/** phase per upstream's getPhase for regular containers: restartable exits keep the pod Running */
export function podPhase(pod: KObject, statuses: any[]): string {
  const policy = pod.spec?.restartPolicy ?? 'Always';
  let running = 0; let waiting = 0; let succeeded = 0; let failed = 0;
  for (const s of statuses) {
    if (s.state.running) running++;
    else if (s.state.terminated) { if (s.state.terminated.exitCode === 0) succeeded++; else failed++; }
    else if (s.restartCount > 0 && s.lastState.terminated) running++; // waiting to restart
    else waiting++;
  }
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (policy === 'Always') return 'Running';
  if (failed > 0 && policy === 'Never') return 'Failed';
  if (failed > 0) return 'Running'; // OnFailure restarts them
  return succeeded > 0 ? 'Succeeded' : 'Pending';
}

export function podStatus(pod: KObject, views: Map<string, ContainerView>, ips: { podIP?: string; hostIP: string; sandboxReady: boolean }): any {
  const now = rfc3339();
  const statuses = (pod.spec?.containers ?? []).map((c: any) => containerStatus(c, views.get(c.name) ?? {}));
  const phase = podPhase(pod, statuses);
  const allReady = statuses.length > 0 && statuses.every((s: any) => s.ready);
  const done = phase === 'Succeeded' || phase === 'Failed';
  const notReadyReason = done ? 'PodCompleted' : 'ContainersNotReady';
  const scheduled = (pod.status?.conditions ?? []).find((c: any) => c.type === 'PodScheduled') ?? cond(pod, 'PodScheduled', 'True', now);
  return {
    phase,
    conditions: [
      cond(pod, 'PodReadyToStartContainers', ips.sandboxReady ? 'True' : 'False', now),
      cond(pod, 'Initialized', 'True', now),
      cond(pod, 'Ready', allReady ? 'True' : 'False', now, allReady ? undefined : notReadyReason),
      cond(pod, 'ContainersReady', allReady ? 'True' : 'False', now, allReady ? undefined : notReadyReason),
      scheduled,
    ],
    hostIP: ips.hostIP, hostIPs: [{ ip: ips.hostIP }],
    ...(ips.podIP ? { podIP: ips.podIP, podIPs: [{ ip: ips.podIP }] } : {}),
    startTime: pod.status?.startTime ?? now,
    containerStatuses: statuses,
    qosClass: pod.status?.qosClass ?? 'BestEffort',
  };
}
