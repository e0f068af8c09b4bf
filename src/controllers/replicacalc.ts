// The autoscaler's arithmetic, pure (upstream pkg/controller/podautoscaler replica_calculator.go
// and the behavior normalization in horizontal.go):
//
// - a Resource metric's replica count from the pods' usage (metrics.k8s.io) against their requests
//   (Utilization) or a per-pod value (AverageValue), within a 10% tolerance; pods without metrics
//   count as using their whole request when scaling down and nothing when scaling up; unready pods
//   count as using nothing when scaling up, and deleted or failed pods not at all;
// - spec.behavior: stabilization windows over recent recommendations (scale-down 300 s by
//   default) and the rate policies (by default at most double or +4 pods up per 15 s).

export const tolerance = 0.1;

export interface PodUsage {
  name: string;
  /** the pod's request for the resource (sum over its containers); undefined: a container has none */
  request: number | undefined;
  /** the first container without a request (for the error) */
  missingRequestIn?: string;
  ready: boolean;
  /** deleted or Failed: not counted */
  ignored: boolean;
  /** undefined: no metrics for the pod */
  usage: number | undefined;
}

export type Target = { type: 'Utilization'; averageUtilization: number } | { type: 'AverageValue'; averageValue: number };

export interface Calculation { replicas: number; utilization?: number; averageValue: number }

export class CalculationError extends Error {}

/** the replica count one Resource metric asks for (upstream GetResourceReplicas / GetRawResourceReplicas) */
export function resourceReplicas(current: number, target: Target, pods: PodUsage[], resource: string): Calculation {
  const counted = pods.filter((p) => !p.ignored);
  if (!pods.length) throw new CalculationError('no pods returned by selector while calculating replica count');
  // as upstream's groupPods: no sample -> missing; a sample but not ready -> unready
  const missing = counted.filter((p) => p.usage === undefined);
  const unready = counted.filter((p) => p.usage !== undefined && !p.ready);
  const withMetrics = counted.filter((p) => p.usage !== undefined && p.ready);
  if (!withMetrics.length) throw new CalculationError(`did not receive metrics for targeted pods (pods might be unready)`);
  const utilization = target.type === 'Utilization';
  if (utilization) {
    const noRequest = counted.find((p) => p.request === undefined || p.request <= 0);
    if (noRequest) throw new CalculationError(`missing request for ${resource} in container ${noRequest.missingRequestIn ?? ''} of Pod ${noRequest.name}`);
  }
  /** usage ratio against the target, and the measured value, over the given samples */
  const ratioOf = (samples: { usage: number; request: number }[]) => {
    const used = samples.reduce((a, s) => a + s.usage, 0);
    if (utilization) {
      const requested = samples.reduce((a, s) => a + s.request, 0);
      const pct = Math.trunc((used * 100) / requested);
      return { ratio: pct / target.averageUtilization, pct, avg: used / samples.length };
    }
    const avg = used / samples.length;
    return { ratio: avg / target.averageValue, pct: undefined, avg };
  };
  const measured = withMetrics.map((p) => ({ usage: p.usage!, request: p.request ?? 0 }));
  const first = ratioOf(measured);
  const result = (replicas: number): Calculation => ({ replicas, utilization: first.pct, averageValue: first.avg });
  const scaleUpWithUnready = unready.length > 0 && first.ratio > 1;
  if (!scaleUpWithUnready && !missing.length) {
    if (Math.abs(1 - first.ratio) <= tolerance) return result(current);
    return result(Math.ceil(first.ratio * measured.length));
  }
  // fill in the pods without a usable sample conservatively, then decide again
  const filled = [...measured];
  for (const p of missing) {
    const full = utilization ? p.request! : (target as { averageValue: number }).averageValue;
    filled.push({ usage: first.ratio < 1 ? full : 0, request: p.request ?? 0 });
  }
  if (scaleUpWithUnready) for (const p of unready) filled.push({ usage: 0, request: p.request ?? 0 });
  const next = ratioOf(filled);
  if (Math.abs(1 - next.ratio) <= tolerance || (first.ratio < 1 && next.ratio > 1) || (first.ratio > 1 && next.ratio < 1)) return result(current);
  const replicas = Math.ceil(next.ratio * filled.length);
  if ((next.ratio < 1 && replicas > current) || (next.ratio > 1 && replicas < current)) return result(current);
  return result(replicas);
}

export interface Policy { type: 'Pods' | 'Percent'; value: number; periodSeconds: number }
export interface ScalingRules { stabilizationWindowSeconds: number; selectPolicy: 'Max' | 'Min' | 'Disabled'; policies: Policy[] }
export interface Behavior { scaleUp: ScalingRules; scaleDown: ScalingRules }

/**
 * spec.behavior with upstream's defaults filled in (the API server fills them when a behavior is
 * set; an object stored before that may lack some), or undefined when none is set: such an HPA
 * keeps the rules from before behaviors existed (see normalize)
 */
export function behaviorOf(spec: any): Behavior | undefined {
  if (!spec?.behavior) return undefined;
  const up = spec.behavior.scaleUp ?? {};
  const down = spec.behavior.scaleDown ?? {};
  return {
    scaleUp: {
      stabilizationWindowSeconds: up.stabilizationWindowSeconds ?? 0, selectPolicy: up.selectPolicy ?? 'Max',
      policies: up.policies ?? [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }],
    },
    scaleDown: {
      stabilizationWindowSeconds: down.stabilizationWindowSeconds ?? downscaleStabilizationSeconds, selectPolicy: down.selectPolicy ?? 'Max',
      policies: down.policies ?? [{ type: 'Percent', value: 100, periodSeconds: 15 }],
    },
  };
}

/** upstream's --horizontal-pod-autoscaler-downscale-stabilization */
export const downscaleStabilizationSeconds = 300;

export interface Recommendation { at: number; replicas: number }
/** a rescale the controller made: when, and by how many replicas */
export interface ScaleEvent { at: number; change: number }
export interface ScaleEvents { up: ScaleEvent[]; down: ScaleEvent[] }

export interface Normalized {
  replicas: number;
  /** the stabilization window held the count back */
  stabilized: boolean;
  /** ScalingLimited's reason and message, when the count was limited */
  limited?: { reason: string; message: string };
}

const limits = {
  up: { reason: 'ScaleUpLimit', message: 'the desired replica count is increasing faster than the maximum scale rate' },
  down: { reason: 'ScaleDownLimit', message: 'the desired replica count is decreasing faster than the maximum scale rate' },
  max: { reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count' },
  min: { reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' },
};

/** replicas added (or removed) by the events within the last `periodSeconds` */
const changeWithin = (events: ScaleEvent[], periodSeconds: number, now: number) =>
  events.reduce((n, e) => (e.at > now - periodSeconds * 1000 ? n + e.change : n), 0);

/** the highest (scale up) or lowest (scale down) count the rules allow now (upstream calculateScale{Up,Down}Limit...) */
function rateLimit(dir: 'up' | 'down', current: number, rules: ScalingRules, events: ScaleEvents, now: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const proposals = rules.policies.map((p) => {
    // the count at the start of the policy's period
    const start = current - changeWithin(events.up, p.periodSeconds, now) + changeWithin(events.down, p.periodSeconds, now);
    if (dir === 'up') return p.type === 'Pods' ? start + p.value : Math.ceil(start * (1 + p.value / 100));
    return p.type === 'Pods' ? start - p.value : Math.floor(start * (1 - p.value / 100));
  });
  // Max picks the largest change: the highest count up, the lowest down
  const largest = rules.selectPolicy !== 'Min';
  return dir === 'up' === largest ? Math.max(...proposals) : Math.min(...proposals);
}

/**
 * The desired count after stabilization, rate limits and min/max (upstream
 * normalizeDesiredReplicasWithBehaviors, or normalizeDesiredReplicas for an HPA without a
 * behavior: a 5-minute scale-down window, up to max(2 × current, 4), no scale-down limit).
 * `history` holds earlier recommendations (the new one is added, old ones dropped); `events` the
 * rescales within the rate policies' periods.
 */
export function normalize(current: number, desired: number, min: number, max: number, b: Behavior | undefined, history: Recommendation[], now: number, events: ScaleEvents = { up: [], down: [] }): Normalized {
  if (!b) {
    let stable = desired;
    const from = now - downscaleStabilizationSeconds * 1000;
    for (const r of history) if (r.at >= from) stable = Math.max(stable, r.replicas);
    history.splice(0, history.length, ...history.filter((r) => r.at >= from), { at: now, replicas: desired });
    const upLimit = Math.max(2 * current, 4);
    const ceiling = max > upLimit ? { n: upLimit, why: limits.up } : { n: max, why: limits.max };
    if (stable < min) return { replicas: min, stabilized: stable !== desired, limited: limits.min };
    if (stable > ceiling.n) return { replicas: ceiling.n, stabilized: stable !== desired, limited: ceiling.why };
    return { replicas: stable, stabilized: stable !== desired };
  }
  let up = desired, down = desired;
  const upFrom = now - b.scaleUp.stabilizationWindowSeconds * 1000;
  const downFrom = now - b.scaleDown.stabilizationWindowSeconds * 1000;
  for (const r of history) {
    if (r.at > upFrom) up = Math.min(up, r.replicas);
    if (r.at > downFrom) down = Math.max(down, r.replicas);
  }
  const keep = Math.max(b.scaleUp.stabilizationWindowSeconds, b.scaleDown.stabilizationWindowSeconds) * 1000;
  const kept = history.filter((r) => r.at > now - keep);
  history.splice(0, history.length, ...kept, { at: now, replicas: desired });
  let stable = current;
  if (stable < up) stable = up;
  if (stable > down) stable = down;
  const stabilized = stable !== desired;

  if (stable > current) {
    const limit = Math.max(rateLimit('up', current, b.scaleUp, events, now), current);
    const ceiling = max > limit ? { n: limit, why: limits.up } : { n: max, why: limits.max };
    if (stable > ceiling.n) return { replicas: ceiling.n, stabilized, limited: ceiling.why };
  } else if (stable < current) {
    const limit = Math.min(rateLimit('down', current, b.scaleDown, events, now), current);
    const floor = min < limit ? { n: limit, why: limits.down } : { n: min, why: limits.min };
    if (stable < floor.n) return { replicas: floor.n, stabilized, limited: floor.why };
  }
  return { replicas: stable, stabilized };
}

/** records a rescale, and forgets those older than the longest rate policy period (upstream storeScaleEvent) */
export function recordScaleEvent(events: ScaleEvents, b: Behavior | undefined, from: number, to: number, now: number): void {
  if (!b || from === to) return;
  const longest = Math.max(0, ...b.scaleUp.policies.map((p) => p.periodSeconds), ...b.scaleDown.policies.map((p) => p.periodSeconds));
  for (const dir of ['up', 'down'] as const) events[dir] = events[dir].filter((e) => e.at > now - longest * 1000);
  (to > from ? events.up : events.down).push({ at: now, change: Math.abs(to - from) });
}
