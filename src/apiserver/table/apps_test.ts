import { test } from 'node:test';
import assert from 'node:assert/strict';
import { controllerRevisionPrinter, daemonSetPrinter, deploymentPrinter, replicaSetPrinter, statefulSetPrinter } from './printers/apps.js';
import { NOW, columnNames, obj } from './testutil_test.js';

const template = { spec: { containers: [{ name: 'web', image: 'nginx:1.27' }, { name: 'log', image: 'busybox' }] } };

test('deployments: READY x/y, UP-TO-DATE, AVAILABLE; wide containers, images, selector', () => {
  assert.deepEqual(columnNames(deploymentPrinter, 0), ['Name', 'Ready', 'Up-to-date', 'Available', 'Age']);
  assert.deepEqual(columnNames(deploymentPrinter, 1), ['Containers', 'Images', 'Selector']);
  const d = obj('web', {
    spec: { replicas: 3, selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['fe', 'be'] }, { key: 'canary', operator: 'DoesNotExist' }] }, template },
    status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
  });
  assert.deepEqual(deploymentPrinter.print(d, NOW).cells, ['web', '2/3', 3, 2, '5m', 'web,log', 'nginx:1.27,busybox', 'app=web,!canary,tier in (be,fe)']);
  const fresh = obj('new', { spec: { replicas: 1, selector: { matchLabels: { a: 'b' } }, template }, status: {} });
  assert.deepEqual(deploymentPrinter.print(fresh, NOW).cells.slice(1, 4), ['0/1', 0, 0]);
});

test('replicasets, statefulsets', () => {
  assert.deepEqual(columnNames(replicaSetPrinter, 0), ['Name', 'Desired', 'Current', 'Ready', 'Age']);
  const rs = obj('web-5d4f', { spec: { replicas: 2, selector: { matchLabels: { app: 'web', 'pod-template-hash': '5d4f' } }, template }, status: { replicas: 2, readyReplicas: 1 } });
  assert.deepEqual(replicaSetPrinter.print(rs, NOW).cells, ['web-5d4f', 2, 2, 1, '5m', 'web,log', 'nginx:1.27,busybox', 'app=web,pod-template-hash=5d4f']);
  assert.deepEqual(columnNames(statefulSetPrinter), ['Name', 'Ready', 'Age', 'Containers', 'Images']);
  const sts = obj('db', { spec: { replicas: 3, template }, status: { readyReplicas: 3 } });
  assert.deepEqual(statefulSetPrinter.print(sts, NOW).cells, ['db', '3/3', '5m', 'web,log', 'nginx:1.27,busybox']);
});

test('daemonsets', () => {
  assert.deepEqual(columnNames(daemonSetPrinter, 0), ['Name', 'Desired', 'Current', 'Ready', 'Up-to-date', 'Available', 'Node Selector', 'Age']);
  const ds = obj('proxy', {
    spec: { selector: { matchLabels: { k: 'v' } }, template: { spec: { nodeSelector: { 'kubernetes.io/os': 'linux' }, containers: [{ name: 'p', image: 'px' }] } } },
    status: { desiredNumberScheduled: 2, currentNumberScheduled: 2, numberReady: 1, updatedNumberScheduled: 2 },
  });
  assert.deepEqual(daemonSetPrinter.print(ds, NOW).cells, ['proxy', 2, 2, 1, 2, 0, 'kubernetes.io/os=linux', '5m', 'p', 'px', 'k=v']);
  const noSel = obj('x', { spec: { selector: {}, template: { spec: { containers: [] } } }, status: {} });
  const c = daemonSetPrinter.print(noSel, NOW).cells;
  assert.equal(c[6], '<none>');
  assert.equal(c[10], '<none>');
});

test('controllerrevisions name their controller as kind.group/name', () => {
  const cr = obj('proxy-6b7', { revision: 2 }, { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'proxy', uid: 'u', controller: true }] });
  assert.deepEqual(controllerRevisionPrinter.print(cr, NOW).cells, ['proxy-6b7', 'daemonset.apps/proxy', 2, '5m']);
  assert.equal(controllerRevisionPrinter.print(obj('orphan', { revision: 1 }), NOW).cells[1], '<none>');
});
