// A Deployment's status from its ReplicaSets, and the Progressing / Available condition logic
// (upstream's calculateStatus, syncRolloutStatus helpers, DeploymentComplete/Progressing/TimedOut).
import type { KObject } from '../../api/types.js';
import {
  getCondition, hasProgressDeadline, maxUnavailable, newCondition, removeCondition, replicasOf, setCondition, type Condition,
} from './util.js';

export interface DeploymentStatus {
  observedGeneration?: number; replicas?: number; updatedReplicas?: number; readyReplicas?: number;
  availableReplicas?: number; unavailableReplicas?: number; conditions?: Condition[]; collisionCount?: number;
}

const sum = (rss: KObject[], f: (r: KObject) => number | undefined) => rss.reduce((n, r) => n + (f(r) ?? 0), 0);

/** status fields from the RSs (zeros omitted, as upstream's omitempty), with the Available condition */
export function calculateStatus(d: KObject, allRSs: KObject[], newRS: KObject | undefined, now: number): DeploymentStatus {
  const available = sum(allRSs, (r) => r.status?.availableReplicas);
  const total = sum(allRSs, (r) => r.spec?.replicas);
  const s: DeploymentStatus = {
    observedGeneration: d.metadata.generation,
    replicas: sum(allRSs, (r) => r.status?.replicas),
    updatedReplicas: newRS ? newRS.status?.replicas ?? 0 : 0,
    readyReplicas: sum(allRSs, (r) => r.status?.readyReplicas),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, total - available),
  };
  for (const k of Object.keys(s) as (keyof DeploymentStatus)[]) if (!s[k]) delete s[k];
  if (d.status?.collisionCount !== undefined) s.collisionCount = d.status.collisionCount;
  if (d.status?.conditions?.length) s.conditions = structuredClone(d.status.conditions);
  if (available >= replicasOf(d) - maxUnavailable(d)) {
    setCondition(s, newCondition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.', now));
  } else {
    setCondition(s, newCondition('Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.', now));
  }
  return s;
}

const n = (v: number | undefined) => v ?? 0;

/** every replica updated and available, and the latest spec observed */
export function deploymentComplete(d: KObject, s: DeploymentStatus): boolean {
  const want = replicasOf(d);
  return n(s.updatedReplicas) === want && n(s.replicas) === want && n(s.availableReplicas) === want && n(s.observedGeneration) >= n(d.metadata.generation);
}

/** more updated, ready or available pods, or fewer old ones, than the recorded status says */
export function deploymentProgressing(d: KObject, s: DeploymentStatus): boolean {
  const o: DeploymentStatus = d.status ?? {};
  const oldOld = n(o.replicas) - n(o.updatedReplicas), newOld = n(s.replicas) - n(s.updatedReplicas);
  return n(s.updatedReplicas) > n(o.updatedReplicas) || newOld < oldOld || n(s.readyReplicas) > n(o.readyReplicas) || n(s.availableReplicas) > n(o.availableReplicas);
}

export function deploymentTimedOut(d: KObject, s: DeploymentStatus, now: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const c = getCondition(s, 'Progressing');
  if (!c || c.reason === 'NewReplicaSetAvailable') return false;
  if (c.reason === 'ProgressDeadlineExceeded') return true;
  const from = Date.parse(c.lastUpdateTime ?? '');
  return !Number.isNaN(from) && from + d.spec.progressDeadlineSeconds * 1000 < now;
}

/** the rollout status with the Progressing condition (and ReplicaFailure) updated (upstream's syncRolloutStatus) */
export function rolloutStatus(d: KObject, allRSs: KObject[], newRS: KObject | undefined, now: number): DeploymentStatus {
  const s = calculateStatus(d, allRSs, newRS, now);
  if (!hasProgressDeadline(d)) removeCondition(s, 'Progressing');
  const cur = getCondition(s, 'Progressing');
  const complete = s.replicas === s.updatedReplicas && cur?.reason === 'NewReplicaSetAvailable';
  if (hasProgressDeadline(d) && !complete) {
    if (deploymentComplete(d, s)) {
      const msg = newRS ? `ReplicaSet "${newRS.metadata.name}" has successfully progressed.` : 'Deployment has successfully progressed.';
      setCondition(s, newCondition('Progressing', 'True', 'NewReplicaSetAvailable', msg, now));
    } else if (deploymentProgressing(d, s)) {
      const msg = newRS ? `ReplicaSet "${newRS.metadata.name}" is progressing.` : 'Deployment is progressing.';
      const c = newCondition('Progressing', 'True', 'ReplicaSetUpdated', msg, now);
      if (cur?.status === 'True') c.lastTransitionTime = cur.lastTransitionTime;
      removeCondition(s, 'Progressing');
      setCondition(s, c);
    } else if (deploymentTimedOut(d, s, now)) {
      const msg = newRS ? `ReplicaSet "${newRS.metadata.name}" has timed out progressing.` : `Deployment "${d.metadata.name}" has timed out progressing.`;
      setCondition(s, newCondition('Progressing', 'False', 'ProgressDeadlineExceeded', msg, now));
    }
  }
  const failures = allRSs.map((r) => getCondition(r.status, 'ReplicaFailure')).filter((c): c is Condition => !!c && c.status === 'True');
  if (failures.length) {
    const f = failures[0];
    setCondition(s, { type: 'ReplicaFailure', status: f.status, reason: f.reason, message: f.message, lastUpdateTime: f.lastTransitionTime, lastTransitionTime: f.lastTransitionTime });
  } else removeCondition(s, 'ReplicaFailure');
  return s;
}

/** ms until the progress deadline should be re-checked, if it should (upstream's requeueStuckDeployment) */
export function msUntilDeadline(d: KObject, s: DeploymentStatus, now: number): number | undefined {
  const c = getCondition(s, 'Progressing');
  if (!hasProgressDeadline(d) || !c || deploymentComplete(d, s) || c.reason === 'ProgressDeadlineExceeded') return undefined;
  const at = Date.parse(c.lastUpdateTime ?? '') + d.spec.progressDeadlineSeconds * 1000;
  if (Number.isNaN(at)) return undefined;
  return Math.max(at - now, 0) + 1000;
}

/** status equal, ignoring condition timestamps that only refreshed */
export function statusEqual(a: DeploymentStatus | undefined, b: DeploymentStatus): boolean {
  const norm = (s: DeploymentStatus | undefined) => {
    const c: any = { ...(s ?? {}) };
    for (const k of ['observedGeneration', 'replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas']) if (!c[k]) delete c[k];
    if (!c.conditions?.length) delete c.conditions;
    return JSON.stringify(c, Object.keys(c).sort());
  };
  return norm(a) === norm(b) && JSON.stringify(a?.conditions ?? []) === JSON.stringify(b.conditions ?? []);
}
