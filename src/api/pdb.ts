// PodDisruptionBudget status facts shared by the eviction subresource and the disruption
// controller (upstream pkg/apis/policy/v1 helpers).

/** how long an eviction's entry in status.disruptedPods keeps the pod out of currentHealthy (upstream's DeletionTimeout) */
export const disruptedPodTimeoutMs = 2 * 60 * 1000;

/**
 * status.conditions with DisruptionAllowed set from status.disruptionsAllowed (upstream's
 * UpdateDisruptionAllowedCondition; `reason` overrides, e.g. SyncFailed). The transition time
 * (`now`, RFC 3339) moves only when the status flips.
 */
export function withDisruptionAllowed(status: any, now: string, reason?: string, message = ''): any[] {
  const allowed = !reason && (status.disruptionsAllowed ?? 0) > 0;
  const conds: any[] = Array.isArray(status.conditions) ? status.conditions : [];
  const cur = conds.find((c) => c?.type === 'DisruptionAllowed');
  const st = allowed ? 'True' : 'False';
  const next: any = {
    type: 'DisruptionAllowed', status: st, reason: reason ?? (allowed ? 'SufficientPods' : 'InsufficientPods'), message,
    lastTransitionTime: cur && cur.status === st ? cur.lastTransitionTime : now,
  };
  if (status.observedGeneration != null) next.observedGeneration = status.observedGeneration;
  return [...conds.filter((c) => c?.type !== 'DisruptionAllowed'), next];
}
