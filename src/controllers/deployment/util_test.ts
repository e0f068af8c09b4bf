import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../api/types.js';
import { computeHash, equalIgnoreHash, fnv32a, resolveFenceposts, safeEncodeString, setNewReplicaSetAnnotations } from './util.js';
import { newRSNewReplicas, oldRSsScaleDown, proportionalSizes } from './rollout.js';
import { rolloutStatus } from './status.js';

const dep = (replicas: number, ru: Record<string, unknown> = {}, extra: Partial<KObject> = {}): KObject => ({
  metadata: { name: 'web', namespace: 'default', generation: 1, uid: 'd1', ...(extra.metadata ?? {}) },
  spec: { replicas, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%', ...ru } }, progressDeadlineSeconds: 600, template: {} },
  status: extra.status,
});
const rs = (name: string, replicas: number, available: number, t: string, ann: Record<string, string> = {}): KObject => ({
  metadata: { name, creationTimestamp: t, annotations: ann }, spec: { replicas }, status: { replicas, availableReplicas: available },
});

test('FNV-32a and safe encoding follow upstream', () => {
  assert.equal(fnv32a(Buffer.from('')), 0x811c9dc5);
  assert.equal(fnv32a(Buffer.from('a')), 0xe40c292c);
  assert.equal(safeEncodeString('0123456789'), '456789bcdf');
  const h = computeHash({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'x' }] } });
  assert.match(h, /^[456789bcdf]+$/);
  assert.equal(h, computeHash({ spec: { containers: [{ image: 'x', name: 'c' }] }, metadata: { labels: { app: 'web' } } }), 'key order does not matter');
  assert.notEqual(h, computeHash({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'x' }] } }, 1), 'collisionCount changes it');
});

test('equalIgnoreHash ignores the hash label and empty values', () => {
  assert.ok(equalIgnoreHash({ metadata: { labels: { a: '1', 'pod-template-hash': 'x' } }, spec: { v: [] } }, { metadata: { labels: { a: '1' } }, spec: {} }));
  assert.ok(!equalIgnoreHash({ metadata: { labels: { a: '1' } } }, { metadata: { labels: { a: '2' } } }));
});

test('fenceposts: surge rounds up, unavailable down, never both zero', () => {
  assert.deepEqual(resolveFenceposts(dep(3)), [1, 0]);
  assert.deepEqual(resolveFenceposts(dep(10)), [3, 2]);
  assert.deepEqual(resolveFenceposts(dep(3, { maxSurge: 0, maxUnavailable: '10%' })), [0, 1]);
});

test('rolling arithmetic: new RS surges, old RS scales down within availability', () => {
  const d = dep(3);
  const oldRS = rs('old', 3, 3, '2024-01-01T00:00:00Z');
  const newRS = rs('new', 0, 0, '2024-01-02T00:00:00Z');
  assert.equal(newRSNewReplicas(d, [oldRS, newRS], newRS), 1);
  // new has 1 unavailable: 4 total - minAvailable 3 - 1 unavailable = 0 may go
  assert.deepEqual([...oldRSsScaleDown(d, [oldRS], { ...newRS, spec: { replicas: 1 }, status: {} })], []);
  // new pod available: one old may go
  assert.deepEqual([...oldRSsScaleDown(d, [oldRS], { ...newRS, spec: { replicas: 1 }, status: { availableReplicas: 1 } })], [['old', 2]]);
  // unhealthy old replicas go first, regardless of availability
  assert.deepEqual([...oldRSsScaleDown(d, [rs('old', 3, 1, '2024-01-01T00:00:00Z')], { ...newRS, spec: { replicas: 1 }, status: {} })], []);
});

test('proportional scaling spreads by size', () => {
  const d = dep(20, { maxSurge: 3 });
  const a = rs('a', 8, 8, '2024-01-01T00:00:00Z', { 'deployment.kubernetes.io/max-replicas': '13' });
  const b = rs('b', 5, 5, '2024-01-02T00:00:00Z', { 'deployment.kubernetes.io/max-replicas': '13' });
  const sizes = proportionalSizes(d, b, [a])!;
  assert.equal(sizes.get('a')! + sizes.get('b')!, 23);
  assert.deepEqual([sizes.get('a'), sizes.get('b')], [14, 9]);
});

test('revision annotations: a rollback keeps the old revision in revision-history', () => {
  const d = dep(1, {}, { metadata: { name: 'web', annotations: { 'kubernetes.io/change-cause': 'x', 'deployment.kubernetes.io/revision': '2' } } as any });
  const r: KObject = { metadata: { name: 'web-1', annotations: { 'deployment.kubernetes.io/revision': '1' } } };
  assert.ok(setNewReplicaSetAnnotations(d, r, 3, true));
  assert.equal(r.metadata.annotations!['deployment.kubernetes.io/revision'], '3');
  assert.equal(r.metadata.annotations!['deployment.kubernetes.io/revision-history'], '1');
  assert.equal(r.metadata.annotations!['kubernetes.io/change-cause'], 'x');
  assert.ok(!setNewReplicaSetAnnotations(d, r, 3, true));
});

test('status: complete rollout gives NewReplicaSetAvailable; a stalled one times out', () => {
  const d = dep(2);
  const n = rs('web-abc', 2, 2, '2024-01-01T00:00:00Z');
  const s = rolloutStatus(d, [n], n, Date.now());
  assert.equal(s.updatedReplicas, 2);
  assert.equal(s.availableReplicas, 2);
  assert.equal(s.unavailableReplicas, undefined);
  assert.deepEqual(s.conditions!.map((c) => [c.type, c.reason, c.message]), [
    ['Available', 'MinimumReplicasAvailable', 'Deployment has minimum availability.'],
    ['Progressing', 'NewReplicaSetAvailable', 'ReplicaSet "web-abc" has successfully progressed.'],
  ]);
  const stuck = rs('web-abc', 2, 0, '2024-01-01T00:00:00Z');
  const old = new Date(Date.now() - 700_000).toISOString();
  const d2 = dep(2, {}, { status: { replicas: 2, updatedReplicas: 2, conditions: [{ type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', lastUpdateTime: old, lastTransitionTime: old }] } });
  const s2 = rolloutStatus(d2, [stuck], stuck, Date.now());
  const p = s2.conditions!.find((c) => c.type === 'Progressing')!;
  assert.equal(p.reason, 'ProgressDeadlineExceeded');
  assert.equal(p.message, 'ReplicaSet "web-abc" has timed out progressing.');
  assert.equal(s2.conditions!.find((c) => c.type === 'Available')!.reason, 'MinimumReplicasUnavailable');
});
