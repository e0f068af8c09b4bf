import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../api/types.js';
import { RestClient, SharedInformerFactory } from '../client/index.js';
import { FakeApiServer } from '../client/testing/fakeapi.js';
import { ReplicaSetController, slowStartBatch } from './replicaset.js';
import { podsToDelete } from './replicaset/pods.js';

const rsColl = { group: 'apps', plural: 'replicasets' };
const podColl = { group: '', plural: 'pods' };
const rsObj = (replicas: number): KObject => ({
  apiVersion: 'apps/v1', kind: 'ReplicaSet',
  metadata: { name: 'web', namespace: 'default', uid: 'rs-uid', generation: 2 },
  spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
});

async function fixture(seed: (api: FakeApiServer) => void) {
  const api = new FakeApiServer();
  await api.start();
  seed(api);
  const client = new RestClient({ server: api.url });
  const informers = new SharedInformerFactory(client);
  const c = new ReplicaSetController({ client, informers });
  const ac = new AbortController();
  informers.start(ac.signal);
  await informers.waitForCacheSync(ac.signal);
  return {
    api, c,
    posts: () => api.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/pods')),
    async close() { ac.abort(); await informers.stop(); client.close(); await api.stop(); },
  };
}

test('creates missing pods from the template with a controller ref, once (expectations)', async () => {
  const f = await fixture((api) => api.put(rsColl, rsObj(3)));
  try {
    await f.c.reconcile('default/web');
    const posts = f.posts();
    assert.equal(posts.length, 3);
    const p = posts[0].body;
    assert.equal(p.metadata.generateName, 'web-');
    assert.deepEqual(p.metadata.labels, { app: 'web' });
    assert.deepEqual(p.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'rs-uid', controller: true, blockOwnerDeletion: true }]);
    // a second pass before the cache saw the pods must not create again
    // (its status write may conflict with the stale cache: that is a requeue, not a failure)
    await f.c.reconcile('default/web').catch((e) => assert.equal(e.code, 409));
    assert.equal(f.posts().length, 3, 'no double create');
    const st = f.api.requests.filter((r) => r.method === 'PUT' && r.path.endsWith('/status'));
    assert.equal(st[0].body.status.observedGeneration, 2);
    await f.c.recorder.flush();
    const events = [...f.api.objects.values()].filter((o) => o.kind === 'Event' || o.reason);
    assert.ok(events.some((e) => e.reason === 'SuccessfulCreate' && /^Created pod: web-/.test(e.message)));
  } finally { await f.close(); }
});

test('scales down, deleting unready and unscheduled pods first', async () => {
  const pod = (name: string, node: string, ready: boolean): KObject => ({
    metadata: { name, namespace: 'default', labels: { app: 'web' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'rs-uid', controller: true }], creationTimestamp: '2024-01-01T00:00:00Z' },
    spec: { nodeName: node || undefined }, status: { phase: node ? 'Running' : 'Pending', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  });
  const f = await fixture((api) => {
    api.put(rsColl, rsObj(1));
    api.put(podColl, pod('a-ready', 'n1', true));
    api.put(podColl, pod('b-unready', 'n1', false));
    api.put(podColl, pod('c-pending', '', false));
  });
  try {
    await f.c.reconcile('default/web');
    const dels = f.api.requests.filter((r) => r.method === 'DELETE').map((r) => r.path.split('/').pop()).sort();
    assert.deepEqual(dels, ['b-unready', 'c-pending']);
    const st = f.api.requests.filter((r) => r.method === 'PUT' && r.path.endsWith('/status')).pop()!;
    assert.equal(st.body.status.replicas, 3);
    assert.equal(st.body.status.readyReplicas, 1);
  } finally { await f.close(); }
});

test('deletion order ranks doubled-up nodes first', () => {
  const p = (name: string, node: string): KObject => ({ metadata: { name, creationTimestamp: '2024-01-01T00:00:00Z' }, spec: { nodeName: node }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2024-01-01T00:00:00Z' }] } });
  const pods = [p('x', 'n1'), p('y', 'n2'), p('z', 'n2')];
  assert.deepEqual(podsToDelete(pods, pods, 1).map((q) => q.metadata.name), ['y']);
});

test('slow start: batches 1, 2, 4 and stops at the first failing batch', async () => {
  let calls = 0;
  const r = await slowStartBatch(10, 1, async () => { calls++; if (calls > 3) throw new Error('quota'); });
  assert.equal(calls, 7);
  assert.equal(r.created, 3);
  assert.equal((r.error as Error).message, 'quota');
});
