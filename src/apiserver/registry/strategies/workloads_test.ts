import { test } from 'node:test';
import assert from 'node:assert/strict';
import { strategyFor } from './index.js';
import { create, update } from './testutil_test.js';

const deployments = strategyFor('apps', 'deployments');
const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } };
const deploy = (spec: any) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' }, spec });

test('deployment defaults, template defaults, generation and status', () => {
  const { obj, errors } = create(deployments, deploy({ selector: { matchLabels: { app: 'web' } }, template }));
  assert.deepEqual(errors, []);
  assert.equal(obj.spec.replicas, 1);
  assert.deepEqual(obj.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
  assert.equal(obj.spec.revisionHistoryLimit, 10);
  assert.equal(obj.spec.progressDeadlineSeconds, 600);
  assert.equal(obj.spec.template.spec.restartPolicy, 'Always');
  assert.equal(obj.spec.template.spec.dnsPolicy, 'ClusterFirst');
  assert.equal(obj.spec.template.spec.containers[0].imagePullPolicy, 'IfNotPresent');
  assert.equal(obj.spec.template.spec.serviceAccountName, undefined, 'admission defaults are for pods only');
  assert.equal(obj.spec.template.spec.enableServiceLinks, undefined);
  assert.equal(obj.metadata.generation, 1);
  assert.deepEqual(obj.status, {});
});

test('deployment validation messages', () => {
  assert.deepEqual(create(deployments, deploy({ template })).errors, ['spec.selector: Required value']);
  assert.deepEqual(create(deployments, deploy({ replicas: -1, selector: { matchLabels: { app: 'web' } }, template })).errors,
    ['spec.replicas: Invalid value: -1: must be greater than or equal to 0']);
  assert.deepEqual(create(deployments, deploy({ selector: { matchLabels: { app: 'other' } }, template })).errors,
    ['spec.template.metadata.labels: Invalid value: {"app":"web"}: `selector` does not match template `labels`']);
  const t2 = structuredClone(template) as any; t2.spec.restartPolicy = 'Never';
  assert.deepEqual(create(deployments, deploy({ selector: { matchLabels: { app: 'web' } }, template: t2 })).errors,
    ['spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"']);
  assert.deepEqual(create(deployments, deploy({ selector: { matchLabels: { app: 'web' } }, template, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } } })).errors,
    ['spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0']);
});

test('deployment update: selector immutable, generation bumps on spec change only, status kept', () => {
  const { obj: old } = create(deployments, deploy({ selector: { matchLabels: { app: 'web' } }, template }));
  old.status = { replicas: 1 };
  const same = structuredClone(old); same.status = {}; same.metadata.labels = { x: 'y' };
  const r0 = update(deployments, same, old);
  assert.deepEqual(r0.errors, []);
  assert.equal(r0.obj.metadata.generation, 1);
  assert.deepEqual(r0.obj.status, { replicas: 1 });
  const scaled = structuredClone(old); scaled.spec.replicas = 3;
  assert.equal(update(deployments, scaled, old).obj.metadata.generation, 2);
  const sel = structuredClone(old);
  sel.spec.selector = { matchLabels: { app: 'web', tier: 'x' } };
  sel.spec.template.metadata.labels.tier = 'x';
  assert.deepEqual(update(deployments, sel, old).errors,
    ['spec.selector: Invalid value: {"matchLabels":{"app":"web","tier":"x"}}: field is immutable']);
  assert.deepEqual(deployments.scale, { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.spec.selector' });
});

test('a statefulset template may mount its volumeClaimTemplates (only labels and annotations of the template are checked, as upstream)', () => {
  const { errors } = create(strategyFor('apps', 'statefulsets'), { metadata: { name: 'db', namespace: 'default' }, spec: {
    selector: { matchLabels: { app: 'db' } }, serviceName: 'db',
    template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'c', image: 'busybox', volumeMounts: [{ name: 'data', mountPath: '/data' }] }] } },
    volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
  } });
  assert.deepEqual(errors, []);
});

test('statefulset and daemonset defaults', () => {
  const sts = create(strategyFor('apps', 'statefulsets'), { metadata: { name: 'db', namespace: 'default' }, spec: {
    serviceName: 'db', selector: { matchLabels: { app: 'web' } }, template,
    volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
  } });
  assert.deepEqual(sts.errors, []);
  assert.equal(sts.obj.spec.podManagementPolicy, 'OrderedReady');
  assert.deepEqual(sts.obj.spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
  assert.deepEqual(sts.obj.spec.persistentVolumeClaimRetentionPolicy, { whenDeleted: 'Retain', whenScaled: 'Retain' });
  assert.equal(sts.obj.spec.replicas, 1);
  assert.equal(sts.obj.spec.volumeClaimTemplates[0].spec.volumeMode, 'Filesystem');
  assert.equal(sts.obj.spec.volumeClaimTemplates[0].kind, 'PersistentVolumeClaim');
  const changed = structuredClone(sts.obj); changed.spec.serviceName = 'other';
  assert.deepEqual(update(strategyFor('apps', 'statefulsets'), changed, sts.obj).errors, [
    "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
  ]);
  const ds = create(strategyFor('apps', 'daemonsets'), { metadata: { name: 'ds', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'web' } }, template } });
  assert.deepEqual(ds.errors, []);
  assert.deepEqual(ds.obj.spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
  assert.equal(ds.obj.spec.revisionHistoryLimit, 10);
});

test('replicaset and replicationcontroller', () => {
  const rs = create(strategyFor('apps', 'replicasets'), { metadata: { name: 'rs', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'web' } }, template } });
  assert.deepEqual(rs.errors, []);
  assert.equal(rs.obj.spec.replicas, 1);
  rs.obj.status = { replicas: 2 };
  assert.deepEqual(strategyFor('apps', 'replicasets').selectableFields!(rs.obj), { 'status.replicas': '2' });
  const rcS = strategyFor('', 'replicationcontrollers');
  const rc = create(rcS, { metadata: { name: 'rc', namespace: 'default' }, spec: { template } });
  assert.deepEqual(rc.errors, []);
  assert.deepEqual(rc.obj.spec.selector, { app: 'web' });
  assert.deepEqual(rc.obj.metadata.labels, { app: 'web' });
});
