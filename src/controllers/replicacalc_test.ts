// The autoscaler's arithmetic against upstream's replica calculator and behavior rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { behaviorOf, CalculationError, normalize, recordScaleEvent, resourceReplicas, type PodUsage, type Recommendation, type ScaleEvents } from './replicacalc.js';

const pod = (name: string, usage: number | undefined, o: Partial<PodUsage> = {}): PodUsage => ({ name, request: 100, ready: true, ignored: false, usage, ...o });
const cpu50 = { type: 'Utilization', averageUtilization: 50 } as const;

test('utilization: usage over requests against the target, rounded up; within 10% nothing changes', () => {
  assert.deepEqual(resourceReplicas(2, cpu50, [pod('a', 150), pod('b', 150)], 'cpu'), { replicas: 6, utilization: 150, averageValue: 150 });
  assert.equal(resourceReplicas(2, cpu50, [pod('a', 52), pod('b', 52)], 'cpu').replicas, 2);
  assert.equal(resourceReplicas(4, cpu50, [pod('a', 10), pod('b', 10), pod('c', 10), pod('d', 10)], 'cpu').replicas, 1);
});

test('pods without metrics count as their full request when scaling down; unready ones as nothing when scaling up', () => {
  // 10% measured, but the pod without metrics may be busy: (10 + 100) / 200 = 55% crosses the target -> no change
  assert.equal(resourceReplicas(2, cpu50, [pod('a', 10), pod('b', undefined)], 'cpu').replicas, 2);
  // 200% on the ready pod, the unready one counted as idle: (100 + 0) / 200 = 50% -> no change
  assert.equal(resourceReplicas(2, cpu50, [pod('a', 100), pod('b', 80, { ready: false })], 'cpu').replicas, 2);
  // deleted and failed pods do not count at all
  assert.equal(resourceReplicas(1, cpu50, [pod('a', 100), pod('gone', undefined, { ignored: true })], 'cpu').replicas, 2);
});

test('average value: usage per pod against the target', () => {
  assert.deepEqual(resourceReplicas(3, { type: 'AverageValue', averageValue: 100 }, [pod('a', 300), pod('b', 300), pod('c', 300)], 'cpu'), { replicas: 9, utilization: undefined, averageValue: 300 });
});

test('errors in upstream words', () => {
  assert.throws(() => resourceReplicas(1, cpu50, [pod('a', 10, { request: undefined, missingRequestIn: 'c' })], 'cpu'), (e: unknown) => e instanceof CalculationError && e.message === 'missing request for cpu in container c of Pod a');
  assert.throws(() => resourceReplicas(1, cpu50, [pod('a', undefined)], 'cpu'), /did not receive metrics for targeted pods \(pods might be unready\)/);
  assert.throws(() => resourceReplicas(1, cpu50, [], 'cpu'), /no pods returned by selector while calculating replica count/);
});

test('without a behavior: the 5-minute scale-down window, up to max(2 × current, 4), min and max', () => {
  const now = 1_000_000;
  assert.equal(behaviorOf({}), undefined);
  // a recommendation of 5 within the last 300 s holds a scale-down to 2
  const h: Recommendation[] = [{ at: now - 100_000, replicas: 5 }, { at: now - 400_000, replicas: 9 }];
  assert.deepEqual(normalize(5, 2, 1, 10, undefined, h, now), { replicas: 5, stabilized: true });
  assert.deepEqual(h.map((r) => r.replicas), [5, 2], 'old recommendations dropped, the new one kept');
  assert.deepEqual(normalize(1, 10, 1, 20, undefined, [], now), { replicas: 4, stabilized: false, limited: { reason: 'ScaleUpLimit', message: 'the desired replica count is increasing faster than the maximum scale rate' } });
  assert.equal(normalize(3, 10, 1, 20, undefined, [], now).replicas, 6);
  assert.equal(normalize(1, 10, 1, 3, undefined, [], now).limited?.reason, 'TooManyReplicas');
  assert.deepEqual(normalize(3, 0, 2, 5, undefined, [], now), { replicas: 2, stabilized: false, limited: { reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' } });
});

test('behavior: stabilization windows, rate policies over their periods, min and max', () => {
  const now = 1_000_000;
  const defaults = behaviorOf({ behavior: {} })!;
  assert.equal(defaults.scaleDown.stabilizationWindowSeconds, 300);
  const h: Recommendation[] = [{ at: now - 100_000, replicas: 5 }];
  assert.deepEqual(normalize(5, 2, 1, 10, defaults, h, now), { replicas: 5, stabilized: true });
  // up: at most max(start + 4, 2 × start) per 15 s, where start is the count 15 s ago
  assert.deepEqual(normalize(1, 10, 1, 20, defaults, [], now), { replicas: 5, stabilized: false, limited: { reason: 'ScaleUpLimit', message: 'the desired replica count is increasing faster than the maximum scale rate' } });
  const events: ScaleEvents = { up: [], down: [] };
  recordScaleEvent(events, defaults, 1, 5, now - 10_000);
  assert.equal(normalize(5, 20, 1, 20, defaults, [], now, events).replicas, 5, 'the period began at 1: no more than 5 yet');
  assert.equal(normalize(5, 20, 1, 20, defaults, [], now + 6_000, events).replicas, 10, 'a new period begins at 5');
  assert.equal(normalize(1, 10, 1, 3, defaults, [], now).limited?.reason, 'TooManyReplicas');
  // no window: straight down to the minimum
  const fast = behaviorOf({ behavior: { scaleDown: { stabilizationWindowSeconds: 0 } } })!;
  assert.deepEqual(normalize(3, 0, 1, 5, fast, [{ at: now - 1000, replicas: 3 }], now), { replicas: 1, stabilized: false, limited: { reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' } });
  // a scale-down policy of 1 pod per 60 s: one step, then none until the period has passed
  const slow = behaviorOf({ behavior: { scaleDown: { stabilizationWindowSeconds: 0, policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] } } })!;
  assert.deepEqual(normalize(4, 1, 1, 5, slow, [], now), { replicas: 3, stabilized: false, limited: { reason: 'ScaleDownLimit', message: 'the desired replica count is decreasing faster than the maximum scale rate' } });
  const down: ScaleEvents = { up: [], down: [] };
  recordScaleEvent(down, slow, 4, 3, now);
  assert.equal(normalize(3, 1, 1, 5, slow, [], now + 30_000, down).replicas, 3);
  assert.equal(normalize(3, 1, 1, 5, slow, [], now + 61_000, down).replicas, 2);
  assert.equal(normalize(4, 8, 1, 5, behaviorOf({ behavior: { scaleUp: { selectPolicy: 'Disabled' } } }), [], now).replicas, 4);
  // Min picks the smallest change
  const minUp = behaviorOf({ behavior: { scaleUp: { selectPolicy: 'Min' } } });
  assert.equal(normalize(10, 40, 1, 40, minUp, [], now).replicas, 14);
});
