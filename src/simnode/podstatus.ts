// Pod statuses a simulated kubelet reports: Running (all containers started and ready) and
// terminated (Succeeded / Failed, or a restart for restartPolicy Always/OnFailure).
import { createHash } from 'node:crypto';
import type { KObject } from '../api/types.js';
import { rfc3339 } from '../client/index.js';

/** pods run for this long, then exit (default: only pods of Jobs exit, after K8TS_SIM_JOB_SECONDS) */
export const exitAfterAnnotation = 'k8ts.io/simulated-exit-after-seconds';
/** the exit code they exit with (default 0) */
export const exitCodeAnnotation = 'k8ts.io/simulated-exit-code';

const containerId = (pod: KObject, name: string, restarts: number) =>
  `k8ts-sim://${createHash('sha256').update(`${pod.metadata.uid}/${name}/${restarts}`).digest('hex').slice(0, 32)}`;

const imageId = (image: string) => `k8ts-sim://sha256:${createHash('sha256').update(image).digest('hex')}`;

function condition(type: string, status: string, now: string, reason?: string): any {
  return { type, status, lastProbeTime: null, lastTransitionTime: now, ...(reason ? { reason } : {}) };
}

function scheduledCondition(pod: KObject, now: string): any {
  return (pod.status?.conditions ?? []).find((c: any) => c.type === 'PodScheduled') ?? condition('PodScheduled', 'True', now);
}

/** seconds after start when the pod's containers exit, or undefined if they run forever */
export function exitAfterSeconds(pod: KObject, jobSeconds: number): number | undefined {
  const a = pod.metadata.annotations?.[exitAfterAnnotation];
  if (a !== undefined && a !== '' && Number.isFinite(Number(a))) return Number(a);
  return (pod.metadata.ownerReferences ?? []).some((r: any) => r.kind === 'Job' && r.controller) ? jobSeconds : undefined;
}

export function exitCode(pod: KObject): number {
  const c = Number(pod.metadata.annotations?.[exitCodeAnnotation] ?? 0);
  return Number.isInteger(c) ? c : 1;
}

export function runningStatus(pod: KObject, ips: { hostIP: string; podIP: string }, restarts = 0, lastState?: any): any {
  const now = rfc3339();
  const started = restarts ? now : pod.status?.startTime ?? now;
  return {
    phase: 'Running',
    conditions: [
      condition('PodReadyToStartContainers', 'True', now), condition('Initialized', 'True', now),
      condition('Ready', 'True', now), condition('ContainersReady', 'True', now), scheduledCondition(pod, now),
    ],
    hostIP: ips.hostIP, hostIPs: [{ ip: ips.hostIP }],
    podIP: ips.podIP, podIPs: [{ ip: ips.podIP }],
    startTime: pod.status?.startTime ?? now,
    ...((pod.spec?.initContainers ?? []).length ? {
      initContainerStatuses: pod.spec.initContainers.map((c: any) => ({
        name: c.name, image: c.image, imageID: imageId(c.image), containerID: containerId(pod, c.name, 0),
        ready: true, restartCount: 0, started: false,
        state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: started, finishedAt: started, containerID: containerId(pod, c.name, 0) } },
        lastState: {},
      })),
    } : {}),
    containerStatuses: (pod.spec?.containers ?? []).map((c: any) => ({
      name: c.name, image: c.image, imageID: imageId(c.image), containerID: containerId(pod, c.name, restarts),
      ready: true, started: true, restartCount: restarts,
      state: { running: { startedAt: started } }, lastState: lastState ?? {},
    })),
    qosClass: pod.status?.qosClass,
  };
}

/** the containers exited with code: terminal status (restartPolicy Never, or OnFailure with 0) */
export function terminatedStatus(pod: KObject, code: number): any {
  const now = rfc3339();
  const reason = code === 0 ? 'Completed' : 'Error';
  const cur = pod.status ?? {};
  return {
    ...cur,
    phase: code === 0 ? 'Succeeded' : 'Failed',
    conditions: [
      condition('PodReadyToStartContainers', 'False', now), condition('Initialized', 'True', now),
      condition('Ready', 'False', now, 'PodCompleted'), condition('ContainersReady', 'False', now, 'PodCompleted'), scheduledCondition(pod, now),
    ],
    containerStatuses: (cur.containerStatuses ?? []).map((s: any) => ({
      ...s, ready: false, started: false,
      state: { terminated: { exitCode: code, reason, startedAt: s.state?.running?.startedAt ?? now, finishedAt: now, containerID: s.containerID } },
    })),
  };
}

/** whether the pod's containers are restarted after exiting with code */
export function restarts(pod: KObject, code: number): boolean {
  const p = pod.spec?.restartPolicy ?? 'Always';
  return p === 'Always' || (p === 'OnFailure' && code !== 0);
}
