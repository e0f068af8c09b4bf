import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterRoleBindingPrinter, leasePrinter, roleBindingPrinter, storageClassPrinter } from './printers/misc.js';
import { NOW, columnNames, obj } from './testutil_test.js';

test('leases show the holder', () => {
  assert.deepEqual(leasePrinter.print(obj('kube-scheduler', { spec: { holderIdentity: 'n1_abc' } }), NOW).cells, ['kube-scheduler', 'n1_abc', '5m']);
  assert.equal(leasePrinter.print(obj('free', { spec: {} }), NOW).cells[1], '');
});

test('role bindings: ROLE, then wide users, groups, service accounts', () => {
  assert.deepEqual(columnNames(roleBindingPrinter, 0), ['Name', 'Role', 'Age']);
  assert.deepEqual(columnNames(clusterRoleBindingPrinter, 1), ['Users', 'Groups', 'ServiceAccounts']);
  const rb = obj('rb', {
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
    subjects: [{ kind: 'User', name: 'alice' }, { kind: 'User', name: 'bob' }, { kind: 'Group', name: 'devs' },
      { kind: 'ServiceAccount', namespace: 'kube-system', name: 'ctrl' }],
  });
  assert.deepEqual(roleBindingPrinter.print(rb, NOW).cells, ['rb', 'ClusterRole/view', '5m', 'alice, bob', 'devs', 'kube-system/ctrl']);
});

test('storage classes mark the default and fill defaults', () => {
  assert.deepEqual(columnNames(storageClassPrinter), ['Name', 'Provisioner', 'ReclaimPolicy', 'VolumeBindingMode', 'AllowVolumeExpansion', 'Age']);
  const sc = obj('local-path', { provisioner: 'rancher.io/local-path', reclaimPolicy: 'Delete', volumeBindingMode: 'WaitForFirstConsumer' },
    { namespace: undefined, annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } });
  assert.deepEqual(storageClassPrinter.print(sc, NOW).cells, ['local-path (default)', 'rancher.io/local-path', 'Delete', 'WaitForFirstConsumer', false, '5m']);
  const plain = obj('fast', { provisioner: 'x', allowVolumeExpansion: true }, { namespace: undefined });
  assert.deepEqual(storageClassPrinter.print(plain, NOW).cells, ['fast', 'x', 'Delete', 'Immediate', true, '5m']);
});
