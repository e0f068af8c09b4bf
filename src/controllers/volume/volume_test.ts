import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../api/types.js';
import { coll, eventually, fixture, node, type Fixture } from '../workloadfixture_test.js';
import { findMatchingVolume } from './match.js';
import { claimClassName, localPathStorageClass } from './storageclass.js';
import { start } from './index.js';

const pv = (name: string, size: string, extra: Record<string, unknown> = {}): KObject => ({
  apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name, labels: { tier: name } },
  spec: { capacity: { storage: size }, accessModes: ['ReadWriteOnce'], hostPath: { path: `/x/${name}` }, persistentVolumeReclaimPolicy: 'Retain', volumeMode: 'Filesystem', ...extra },
  status: { phase: 'Available' },
});
const pvc = (name: string, spec: Record<string, unknown> = {}): KObject => ({
  apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: 'default', uid: `uid-${name}` },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, volumeMode: 'Filesystem', ...spec },
});

test('matching: class, capacity, access modes, selector; smallest fit; pre-bound first', () => {
  const vols = [pv('big', '10Gi', { storageClassName: '' }), pv('small', '2Gi'), pv('tiny', '500Mi'), pv('rwx', '1Gi', { accessModes: ['ReadWriteMany'] })];
  assert.equal(findMatchingVolume(pvc('a', { storageClassName: '' }), vols, '')?.metadata.name, 'small');
  assert.equal(findMatchingVolume(pvc('a', { selector: { matchLabels: { tier: 'big' } } }), vols, '')?.metadata.name, 'big');
  assert.equal(findMatchingVolume(pvc('a', { accessModes: ['ReadWriteOnce', 'ReadOnlyMany'] }), vols, ''), undefined);
  assert.equal(findMatchingVolume(pvc('a'), vols, 'fast'), undefined);
  const pre = pv('pre', '5Gi', { claimRef: { namespace: 'default', name: 'a' } });
  assert.equal(findMatchingVolume(pvc('a'), [...vols, pre], '')?.metadata.name, 'pre');
  assert.equal(findMatchingVolume(pvc('b'), [pre], ''), undefined);
  // no storageClassName = the default class; "" = no class
  const classes = [localPathStorageClass()];
  assert.equal(claimClassName(pvc('a'), classes), 'local-path');
  assert.equal(claimClassName(pvc('a', { storageClassName: '' }), classes), '');
  assert.equal(claimClassName(pvc('a'), []), '');
});

async function run(f: Fixture): Promise<void> {
  void start({ client: f.client, factory: f.factory, signal: f.signal, dataDir: '/data' });
  f.factory.start(f.signal);
}

test('binder binds a claim to a static volume: claimRef, volumeName, annotations, phases; Retain releases', async (t) => {
  const f = await fixture();
  t.after(() => f.close());
  f.srv.put(coll.pvs, pv('vol1', '5Gi'));
  f.srv.put(coll.pvcs, pvc('c1', { storageClassName: '' }));
  await run(f);
  await eventually('bound', () => f.get(coll.pvcs, 'default', 'c1')?.status?.phase === 'Bound');
  const c = f.get(coll.pvcs, 'default', 'c1')!, v = f.get(coll.pvs, '', 'vol1')!;
  assert.equal(c.spec.volumeName, 'vol1');
  assert.equal(c.metadata.annotations!['pv.kubernetes.io/bind-completed'], 'yes');
  assert.equal(c.metadata.annotations!['pv.kubernetes.io/bound-by-controller'], 'yes');
  assert.deepEqual(c.status.capacity, { storage: '5Gi' });
  assert.equal(v.spec.claimRef.uid, c.metadata.uid);
  assert.equal(v.status.phase, 'Bound');
  assert.ok(f.get(coll.classes, '', 'local-path'), 'the default class exists');
  f.srv.remove(coll.pvcs, 'default', 'c1');
  await eventually('released', () => f.get(coll.pvs, '', 'vol1')?.status?.phase === 'Released');
});

test('binder: a pending claim binds to a volume that appears later, or whose claimRef is removed', async (t) => {
  const f = await fixture();
  t.after(() => f.close());
  f.srv.put(coll.pvcs, pvc('late', { storageClassName: '' }));
  await run(f);
  await eventually('pending', () => f.get(coll.pvcs, 'default', 'late')?.status?.phase === 'Pending');
  f.srv.put(coll.pvs, pv('arrives', '5Gi'));
  await eventually('bound to the new volume', () => f.get(coll.pvcs, 'default', 'late')?.spec?.volumeName === 'arrives');
  // a volume held by another claim's claimRef is freed by hand: the waiting claim takes it
  f.srv.put(coll.pvs, pv('held', '5Gi', { claimRef: { namespace: 'default', name: 'gone', uid: 'uid-gone' }, storageClassName: 'manual' }));
  f.srv.put(coll.pvcs, pvc('waiting', { storageClassName: 'manual' }));
  await eventually('waiting is pending', () => f.get(coll.pvcs, 'default', 'waiting')?.status?.phase === 'Pending');
  const held = f.get(coll.pvs, '', 'held')!;
  delete held.spec.claimRef;
  f.srv.put(coll.pvs, held);
  await eventually('bound to the freed volume', () => f.get(coll.pvcs, 'default', 'waiting')?.spec?.volumeName === 'held');
});

test('local-path: waits for a consumer, provisions on its node, binds; Delete removes the volume with the claim', async (t) => {
  const f = await fixture();
  t.after(() => f.close());
  f.srv.put(coll.nodes, node('node-b'));
  f.srv.put(coll.pvcs, pvc('data'));
  await run(f);
  await eventually('class', () => !!f.get(coll.classes, '', 'local-path'));
  await eventually('pending', () => f.get(coll.pvcs, 'default', 'data')!.status?.phase === 'Pending');
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(f.list(coll.pvs).length, 0, 'WaitForFirstConsumer: nothing before a pod is scheduled');
  f.srv.put(coll.pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'user', namespace: 'default' },
    spec: { nodeName: 'node-b', containers: [{ name: 'c', image: 'x' }], volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'data' } }] } });
  // the directory is made by a helper pod on the node before the volume exists
  const c0 = f.get(coll.pvcs, 'default', 'data')!;
  const create = `helper-pod-create-pvc-${c0.metadata.uid}`;
  await eventually('the create helper', () => !!f.get(coll.pods, 'kube-system', create));
  const helper = f.get(coll.pods, 'kube-system', create)!;
  assert.equal(helper.spec.nodeName, 'node-b');
  assert.equal(helper.spec.restartPolicy, 'Never');
  assert.deepEqual(helper.spec.containers[0].env[0], { name: 'VOL_DIR', value: `/data/storage/pvc-${c0.metadata.uid}` });
  assert.match(helper.spec.containers[0].command[2], /mkdir -m 0777 -p "\$VOL_DIR"/);
  assert.deepEqual(helper.spec.volumes[0].hostPath, { path: '/data/storage', type: 'DirectoryOrCreate' });
  assert.equal(f.list(coll.pvs).length, 0, 'no volume before its directory');
  f.srv.put(coll.pods, { ...helper, status: { phase: 'Succeeded' } });
  await eventually('bound', () => f.get(coll.pvcs, 'default', 'data')?.status?.phase === 'Bound');
  await eventually('the create helper removed', () => !f.get(coll.pods, 'kube-system', create));
  const c = f.get(coll.pvcs, 'default', 'data')!;
  const v = f.get(coll.pvs, '', c.spec.volumeName)!;
  assert.equal(v.metadata.name, `pvc-${c.metadata.uid}`);
  assert.equal(c.metadata.annotations!['volume.kubernetes.io/selected-node'], 'node-b');
  assert.equal(v.spec.hostPath.path, `/data/storage/${v.metadata.name}`);
  assert.equal(v.spec.storageClassName, 'local-path');
  assert.equal(v.spec.persistentVolumeReclaimPolicy, 'Delete');
  assert.equal(v.metadata.annotations!['pv.kubernetes.io/provisioned-by'], 'k8ts.io/local-path');
  assert.deepEqual(v.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0], { key: 'kubernetes.io/hostname', operator: 'In', values: ['node-b'] });
  await eventually('pv bound', () => f.get(coll.pvs, '', v.metadata.name!)?.status?.phase === 'Bound');
  f.srv.remove(coll.pvcs, 'default', 'data');
  // the data goes with a delete helper: one that fails is reported and run again
  const del = `helper-pod-delete-${v.metadata.name}`;
  await eventually('the delete helper', () => !!f.get(coll.pods, 'kube-system', del));
  const d1 = f.get(coll.pods, 'kube-system', del)!;
  assert.match(d1.spec.containers[0].command[2], /rm -rf "\$VOL_DIR"/);
  f.srv.put(coll.pods, { ...d1, status: { phase: 'Failed' } });
  await eventually('a new delete helper', () => { const p = f.get(coll.pods, 'kube-system', del); return !!p && p.status?.phase !== 'Failed'; });
  assert.ok(f.get(coll.pvs, '', v.metadata.name!), 'the volume stays until its data is gone');
  f.srv.put(coll.pods, { ...f.get(coll.pods, 'kube-system', del)!, status: { phase: 'Succeeded' } });
  await eventually('pv deleted', () => !f.get(coll.pvs, '', v.metadata.name!));
  await eventually('the delete helper removed', () => !f.get(coll.pods, 'kube-system', del));
});

test('local-path: a ReadWriteMany claim is not provisioned, as local-path-provisioner refuses it', async (t) => {
  const f = await fixture();
  t.after(() => f.close());
  f.srv.put(coll.nodes, node('node-b'));
  f.srv.put(coll.pvcs, pvc('shared', { accessModes: ['ReadWriteMany'] }));
  f.srv.put(coll.pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'user', namespace: 'default' },
    spec: { nodeName: 'node-b', containers: [{ name: 'c', image: 'x' }], volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'shared' } }] } });
  await run(f);
  await eventually('selected node', () => f.get(coll.pvcs, 'default', 'shared')?.metadata.annotations?.['volume.kubernetes.io/selected-node'] === 'node-b');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(f.list(coll.pods, 'kube-system').length, 0, 'no helper pod');
  assert.equal(f.list(coll.pvs).length, 0, 'no volume');
});
