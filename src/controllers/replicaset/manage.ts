// The ReplicaSet controller's writes: pods from the template (with events, as upstream's
// RealPodControl), deletions, and the status it reports.
import type { KObject, OwnerReference } from '../../api/types.js';
import { isNotFound, type EventRecorder, type RestClient } from '../../client/index.js';
import { isNamespaceTerminating, podsResource } from '../resources.js';
import { isPodAvailable, isPodReady } from './pods.js';

export interface PodControl { client: RestClient; recorder: EventRecorder; owner: KObject }

/** upstream's GetPodFromTemplate: labels, annotations and finalizers of the template; generateName "<owner>-" */
export function podFromTemplate(owner: KObject, ref: OwnerReference): KObject {
  const t = owner.spec?.template ?? {};
  const meta: KObject['metadata'] = { generateName: `${owner.metadata.name}-`, namespace: owner.metadata.namespace, ownerReferences: [ref] };
  if (t.metadata?.labels) meta.labels = structuredClone(t.metadata.labels);
  if (t.metadata?.annotations) meta.annotations = structuredClone(t.metadata.annotations);
  if (t.metadata?.finalizers) meta.finalizers = structuredClone(t.metadata.finalizers);
  return { apiVersion: 'v1', kind: 'Pod', metadata: meta, spec: structuredClone(t.spec ?? {}) };
}

/** creates one pod; a namespace being deleted is not an error (nothing can be created there) */
export async function createPodFromTemplate(c: PodControl, owner: KObject, ref: OwnerReference): Promise<void> {
  let made: KObject;
  try {
    made = await c.client.create(podsResource, podFromTemplate(owner, ref), { namespace: owner.metadata.namespace });
  } catch (e) {
    if (isNamespaceTerminating(e)) throw e;
    c.recorder.event(c.owner, 'Warning', 'FailedCreate', `Error creating: ${e instanceof Error ? e.message : e}`);
    throw e;
  }
  c.recorder.event(c.owner, 'Normal', 'SuccessfulCreate', `Created pod: ${made.metadata.name}`);
}

/** deletes a pod; already gone counts as done */
export async function deletePodWithEvent(c: PodControl, pod: KObject): Promise<void> {
  try {
    await c.client.delete(podsResource, pod.metadata.name!, { namespace: pod.metadata.namespace });
  } catch (e) {
    if (isNotFound(e)) return;
    c.recorder.event(c.owner, 'Warning', 'FailedDelete', `Error deleting: ${e instanceof Error ? e.message : e}`);
    throw e;
  }
  c.recorder.event(c.owner, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
}

export interface ReplicaStatus {
  replicas: number; fullyLabeledReplicas?: number; readyReplicas?: number; availableReplicas?: number;
  observedGeneration?: number; conditions?: Condition[];
}
interface Condition { type: string; status: string; lastTransitionTime?: string; reason?: string; message?: string }

const rfc3339 = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

/** the status for these (claimed, active) pods; failure: the manageReplicas error, if any */
export function buildStatus(rs: KObject, pods: KObject[], failure: { reason: string; message: string } | undefined, now: number): ReplicaStatus {
  const tl = rs.spec?.template?.metadata?.labels ?? {};
  const mrs = rs.spec?.minReadySeconds ?? 0;
  let full = 0, ready = 0, avail = 0;
  for (const p of pods) {
    if (Object.entries(tl).every(([k, v]) => p.metadata.labels?.[k] === v)) full++;
    if (isPodReady(p)) { ready++; if (isPodAvailable(p, mrs, now)) avail++; }
  }
  const s: ReplicaStatus = { replicas: pods.length };
  if (full) s.fullyLabeledReplicas = full;
  if (ready) s.readyReplicas = ready;
  if (avail) s.availableReplicas = avail;
  if (rs.metadata.generation) s.observedGeneration = rs.metadata.generation;
  let conds: Condition[] = structuredClone(rs.status?.conditions ?? []);
  const has = conds.some((c) => c.type === 'ReplicaFailure');
  if (failure && !has) conds.push({ type: 'ReplicaFailure', status: 'True', lastTransitionTime: rfc3339(now), reason: failure.reason, message: failure.message });
  else if (!failure && has) conds = conds.filter((c) => c.type !== 'ReplicaFailure');
  if (conds.length) s.conditions = conds;
  return s;
}

export function statusChanged(old: Partial<ReplicaStatus> | undefined, next: ReplicaStatus): boolean {
  const o = old ?? {};
  const n0 = (v: number | undefined) => v ?? 0;
  return n0(o.replicas) !== next.replicas || n0(o.fullyLabeledReplicas) !== n0(next.fullyLabeledReplicas) ||
    n0(o.readyReplicas) !== n0(next.readyReplicas) || n0(o.availableReplicas) !== n0(next.availableReplicas) ||
    n0(o.observedGeneration) !== n0(next.observedGeneration) ||
    JSON.stringify(o.conditions ?? []) !== JSON.stringify(next.conditions ?? []) ||
    o.replicas === undefined;
}

