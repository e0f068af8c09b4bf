import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../api/types.js';
import { StatefulSetController } from './statefulset.js';
import { coll, eventually, fixture, runPod, type Fixture } from './workloadfixture_test.js';

const sts = (spec: Record<string, unknown> = {}): KObject => ({
  apiVersion: 'apps/v1', kind: 'StatefulSet',
  metadata: { name: 'db', namespace: 'default', generation: 1 },
  spec: {
    replicas: 3, serviceName: 'db', podManagementPolicy: 'OrderedReady',
    selector: { matchLabels: { app: 'db' } },
    template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'c', image: 'db:1' }], volumes: [{ name: 'cfg', emptyDir: {} }] } },
    volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
    persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
    revisionHistoryLimit: 10,
    ...spec,
  },
});

async function start(f: Fixture): Promise<void> {
  const c = new StatefulSetController({ client: f.client, factory: f.factory });
  f.factory.start(f.signal);
  void c.run(2, f.signal);
}

const live = (f: Fixture) => f.list(coll.pods, 'default').filter((p) => !p.metadata.deletionTimestamp).map((p) => p.metadata.name).join(',');
const settle = () => new Promise((r) => setTimeout(r, 150));
const getSet = (f: Fixture) => f.get(coll.statefulsets, 'default', 'db')!;
function update(f: Fixture, change: (s: KObject) => void): void {
  const s = structuredClone(getSet(f));
  s.metadata.generation = (s.metadata.generation ?? 1) + 1;
  change(s);
  f.srv.put(coll.statefulsets, s);
}

test('OrderedReady: creates one pod at a time with identity and its own claim, scales down in reverse', async (t) => {
  const f = await fixture();
  t.after(() => f.close());
  f.srv.put(coll.statefulsets, sts());
  await start(f);
  for (const name of ['db-0', 'db-1', 'db-2']) {
    await eventually(name, () => !!f.get(coll.pods, 'default', name));
    await settle();
    assert.equal(live(f), ['db-0', 'db-1', 'db-2'].slice(0, Number(name.slice(3)) + 1).join(','), 'the next pod waits for this one to be Running and Ready');
    assert.ok(f.get(coll.pvcs, 'default', `data-${name}`), `claim data-${name}`);
    runPod(f.srv, f.get(coll.pods, 'default', name)!);
  }
  const p = f.get(coll.pods, 'default', 'db-1')!;
  assert.equal(p.spec.hostname, 'db-1');
  assert.equal(p.spec.subdomain, 'db');
  assert.equal(p.metadata.labels!['statefulset.kubernetes.io/pod-name'], 'db-1');
  assert.equal(p.metadata.labels!['apps.kubernetes.io/pod-index'], '1');
  assert.deepEqual(p.spec.volumes, [{ name: 'data', persistentVolumeClaim: { claimName: 'data-db-1' } }, { name: 'cfg', emptyDir: {} }]);
  const claim = f.get(coll.pvcs, 'default', 'data-db-1')!;
  assert.equal(claim.metadata.labels!.app, 'db');
  assert.equal(claim.metadata.ownerReferences, undefined, 'Retain policy: claims are not owned');
  await eventually('status ready 3', () => getSet(f).status?.readyReplicas === 3);
  const st = getSet(f).status;
  assert.equal(st.replicas, 3);
  assert.equal(st.availableReplicas, 3);
  assert.equal(st.currentRevision, st.updateRevision);
  assert.equal(p.metadata.labels!['controller-revision-hash'], st.updateRevision);
  assert.equal(f.list(coll.revisions, 'default').length, 1);

  update(f, (s) => { s.spec.replicas = 1; });
  await eventually('db-1 deleted', () => !f.get(coll.pods, 'default', 'db-1'));
  await settle();
  assert.equal(live(f), 'db-0');
  const deletes = f.srv.requests.filter((r) => r.method === 'DELETE' && r.path.includes('/pods/')).map((r) => r.path.split('/').pop());
  assert.deepEqual(deletes, ['db-2', 'db-1'], 'scale down in reverse order, one at a time');
  assert.ok(f.get(coll.pvcs, 'default', 'data-db-2'), 'claims are retained on scale down');
});

test('Parallel creates all pods at once; whenScaled=Delete makes condemned pods own their claims', async (t) => {
  const f = await fixture();
  t.after(() => f.close());
  f.srv.put(coll.statefulsets, sts({ podManagementPolicy: 'Parallel', persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Delete' } }));
  await start(f);
  await eventually('3 pods', () => live(f) === 'db-0,db-1,db-2');
  const c0 = f.get(coll.pvcs, 'default', 'data-db-0')!;
  assert.deepEqual(c0.metadata.ownerReferences!.map((r) => r.kind), ['StatefulSet']);
  for (const n of ['db-0', 'db-1', 'db-2']) runPod(f.srv, f.get(coll.pods, 'default', n)!);
  const uid2 = f.get(coll.pods, 'default', 'db-2')!.metadata.uid;
  update(f, (s) => { s.spec.replicas = 2; });
  await eventually('db-2 deleted', () => !f.get(coll.pods, 'default', 'db-2'));
  const c2 = f.get(coll.pvcs, 'default', 'data-db-2')!;
  // the condemned pod alone owns its claim, so the garbage collector removes it with the pod
  assert.deepEqual(c2.metadata.ownerReferences!.map((r) => [r.kind, r.uid]), [['Pod', uid2]]);
});

test('RollingUpdate with partition updates from the highest ordinal down to the partition', async (t) => {
  const f = await fixture();
  t.after(() => f.close());
  f.srv.put(coll.statefulsets, sts({ podManagementPolicy: 'Parallel' }));
  await start(f);
  await eventually('3 pods', () => live(f) === 'db-0,db-1,db-2');
  for (const n of ['db-0', 'db-1', 'db-2']) runPod(f.srv, f.get(coll.pods, 'default', n)!);
  await eventually('ready', () => getSet(f).status?.readyReplicas === 3);
  const rev1 = getSet(f).status.updateRevision;
  update(f, (s) => { s.spec.template.spec.containers[0].image = 'db:2'; s.spec.updateStrategy.rollingUpdate.partition = 1; });
  const order: string[] = [];
  for (let i = 0; i < 400 && order.length < 2; i++) {
    for (const n of ['db-0', 'db-1', 'db-2']) {
      const p = f.get(coll.pods, 'default', n);
      if (p && !p.status && !order.includes(n)) { order.push(n); runPod(f.srv, p); }
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.deepEqual(order, ['db-2', 'db-1']);
  await settle();
  assert.equal(f.get(coll.pods, 'default', 'db-0')!.spec.containers[0].image, 'db:1', 'below the partition stays');
  assert.equal(f.get(coll.pods, 'default', 'db-1')!.spec.containers[0].image, 'db:2');
  await eventually('status', () => getSet(f).status?.updatedReplicas === 2);
  const st = getSet(f).status;
  assert.equal(st.currentRevision, rev1);
  assert.notEqual(st.updateRevision, rev1);
  assert.equal(st.currentReplicas, 1);
  assert.deepEqual(f.list(coll.revisions, 'default').map((r) => r.revision).sort(), [1, 2]);
});
