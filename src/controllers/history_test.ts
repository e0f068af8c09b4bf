import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../api/types.js';
import { hashRevisionData, newRevision, revisionName, revisionsToPrune, safeEncode, templatePatch } from './history.js';

const owner: KObject = {
  apiVersion: 'apps/v1', kind: 'DaemonSet',
  metadata: { name: 'agent', namespace: 'default', uid: 'u1', annotations: { 'kubernetes.io/change-cause': 'v1' } },
  spec: { template: { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } },
};

test('hashes are safe-encoded, stable under key order and probed by the collision count', () => {
  assert.match(safeEncode('0123456789'), /^[bcdfghjklmnpqrstvwxz2456789]+$/);
  const a = hashRevisionData({ x: 1, y: { b: 2, a: 1 } });
  assert.equal(a, hashRevisionData({ y: { a: 1, b: 2 }, x: 1 }));
  assert.notEqual(a, hashRevisionData({ x: 1, y: { b: 2, a: 1 } }, 1));
  assert.equal(revisionName('web', 'abc'), 'web-abc');
});

test('revision data replaces spec.template; labels, annotations and owner come from the parent', () => {
  assert.deepEqual(templatePatch(owner), { spec: { template: { ...owner.spec.template, $patch: 'replace' } } });
  const r = newRevision(owner, 3, 0, { hashLabel: 'controller-revision-hash' });
  assert.equal(r.revision, 3);
  assert.equal(r.metadata.name, `agent-${r.metadata.labels!['controller-revision-hash']}`);
  assert.equal(r.metadata.labels!.app, 'a');
  assert.equal(r.metadata.annotations!['kubernetes.io/change-cause'], 'v1');
  assert.deepEqual(r.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: 'u1', controller: true, blockOwnerDeletion: true }]);
});

test('pruning keeps live revisions, the newest, and up to the limit of the rest', () => {
  const revs = [1, 2, 3, 4, 5].map((n) => ({ metadata: { name: `r${n}` }, revision: n }) as KObject);
  assert.deepEqual(revisionsToPrune(revs, new Set(['r2']), 1).map((r) => r.metadata.name), ['r1', 'r3']);
  assert.deepEqual(revisionsToPrune(revs, new Set(), 10), []);
});
