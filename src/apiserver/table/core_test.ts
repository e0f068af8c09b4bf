import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  configMapPrinter, endpointsPrinter, namespacePrinter, nodePrinter, persistentVolumeClaimPrinter, persistentVolumePrinter,
  podTemplatePrinter, replicationControllerPrinter, resourceQuotaPrinter, secretPrinter, serviceAccountPrinter, servicePrinter,
} from './printers/core.js';
import { eventPrinter } from './printers/event.js';
import { NOW, ago, columnNames, obj } from './testutil_test.js';

test('services: columns, ports, external IPs', () => {
  assert.deepEqual(columnNames(servicePrinter, 0), ['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age']);
  assert.deepEqual(columnNames(servicePrinter, 1), ['Selector']);
  const svc = (spec: object, status: object = {}) => servicePrinter.print(obj('web', { spec, status }), NOW).cells;
  assert.deepEqual(svc({ type: 'ClusterIP', clusterIP: '10.43.0.10', clusterIPs: ['10.43.0.10'], ports: [{ port: 80, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }], selector: { b: '2', a: '1' } }),
    ['web', 'ClusterIP', '10.43.0.10', '<none>', '80/TCP,53/UDP', '5m', 'a=1,b=2']);
  assert.deepEqual(svc({ type: 'NodePort', clusterIPs: ['10.43.1.1'], ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }] }).slice(1, 5),
    ['NodePort', '10.43.1.1', '<none>', '80:30080/TCP']);
  assert.equal(svc({ type: 'LoadBalancer', clusterIPs: ['10.43.1.2'], ports: [] })[3], '<pending>');
  assert.equal(svc({ type: 'LoadBalancer', clusterIPs: ['10.43.1.2'] }, { loadBalancer: { ingress: [{ ip: '192.168.1.9' }, { hostname: 'lb.example.com' }] } })[3], '192.168.1.9,lb.example.com');
  assert.equal(svc({ type: 'LoadBalancer', externalIPs: ['1.2.3.4'] }, { loadBalancer: { ingress: [{ ip: '5.6.7.8' }] } })[3], '5.6.7.8,1.2.3.4');
  assert.equal(svc({ type: 'ClusterIP', externalIPs: ['1.2.3.4', '1.2.3.5'] })[3], '1.2.3.4,1.2.3.5');
  assert.deepEqual(svc({ type: 'ExternalName', externalName: 'db.example.com' }).slice(2, 5), ['<none>', 'db.example.com', '<none>']);
  assert.equal(svc({ type: 'ClusterIP', clusterIP: 'None', clusterIPs: ['None'] })[2], 'None');
  assert.equal(svc({ type: 'ClusterIP' })[6], '<none>');
});

test('endpoints: host:port list, more, none', () => {
  const ep = (subsets?: object[]) => endpointsPrinter.print(obj('web', { subsets }), NOW).cells[1];
  assert.equal(ep(undefined), '<none>');
  assert.equal(ep([{ addresses: [{ ip: '10.42.0.1' }, { ip: 'fd00::1' }], ports: [{ port: 80 }] }]), '10.42.0.1:80,[fd00::1]:80');
  assert.equal(ep([{ addresses: [{ ip: 'a' }, { ip: 'b' }, { ip: 'c' }], ports: [{ port: 80 }, { port: 443 }] }]), 'a:80,b:80,c:80 + 3 more...');
  assert.equal(ep([{ addresses: [{ ip: '10.0.0.1' }] }]), '10.0.0.1');
});

test('nodes: status, roles, version, wide info', () => {
  assert.deepEqual(columnNames(nodePrinter, 0), ['Name', 'Status', 'Roles', 'Age', 'Version']);
  assert.deepEqual(columnNames(nodePrinter, 1), ['Internal-IP', 'External-IP', 'OS-Image', 'Kernel-Version', 'Container-Runtime']);
  const node = obj('n1', {
    spec: {},
    status: {
      conditions: [{ type: 'MemoryPressure', status: 'False' }, { type: 'Ready', status: 'True' }],
      addresses: [{ type: 'Hostname', address: 'n1' }, { type: 'InternalIP', address: '192.168.0.2' }],
      nodeInfo: { kubeletVersion: 'v1.32.0', osImage: 'Debian GNU/Linux 12 (bookworm)', kernelVersion: '6.1.0', containerRuntimeVersion: 'containerd://1.7.0' },
    },
  }, { namespace: undefined, labels: { 'node-role.kubernetes.io/master': 'true', 'node-role.kubernetes.io/control-plane': 'true', 'kubernetes.io/role': 'edge' } });
  assert.deepEqual(nodePrinter.print(node, NOW).cells,
    ['n1', 'Ready', 'control-plane,edge,master', '5m', 'v1.32.0', '192.168.0.2', '<none>', 'Debian GNU/Linux 12 (bookworm)', '6.1.0', 'containerd://1.7.0']);
  const bare = nodePrinter.print(obj('n2', { spec: { unschedulable: true }, status: {} }), NOW).cells;
  assert.deepEqual(bare, ['n2', 'Unknown,SchedulingDisabled', '<none>', '5m', '', '<none>', '<none>', '<unknown>', '<unknown>', '<unknown>']);
  const notReady = nodePrinter.print(obj('n3', { status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } }), NOW).cells;
  assert.equal(notReady[1], 'NotReady');
});

test('namespaces, configmaps, secrets, serviceaccounts', () => {
  assert.deepEqual(namespacePrinter.print(obj('kube-system', { status: { phase: 'Active' } }), NOW).cells, ['kube-system', 'Active', '5m']);
  assert.deepEqual(columnNames(configMapPrinter), ['Name', 'Data', 'Age']);
  assert.deepEqual(configMapPrinter.print(obj('c', { data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } }), NOW).cells, ['c', 3, '5m']);
  assert.deepEqual(configMapPrinter.print(obj('empty'), NOW).cells, ['empty', 0, '5m']);
  assert.deepEqual(columnNames(secretPrinter), ['Name', 'Type', 'Data', 'Age']);
  assert.deepEqual(secretPrinter.print(obj('s', { type: 'kubernetes.io/tls', data: { 'tls.crt': 'x', 'tls.key': 'y' } }), NOW).cells, ['s', 'kubernetes.io/tls', 2, '5m']);
  assert.deepEqual(serviceAccountPrinter.print(obj('default'), NOW).cells, ['default', 0, '5m']);
});

test('persistent volumes and claims', () => {
  assert.deepEqual(columnNames(persistentVolumePrinter, 0),
    ['Name', 'Capacity', 'Access Modes', 'Reclaim Policy', 'Status', 'Claim', 'StorageClass', 'VolumeAttributesClass', 'Reason', 'Age']);
  const pv = obj('pv1', {
    spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteMany', 'ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Retain',
      claimRef: { namespace: 'default', name: 'data' }, storageClassName: 'local-path', volumeMode: 'Filesystem' },
    status: { phase: 'Bound' },
  }, { namespace: undefined });
  assert.deepEqual(persistentVolumePrinter.print(pv, NOW).cells, ['pv1', '1Gi', 'RWO,RWX', 'Retain', 'Bound', 'default/data', 'local-path', '<unset>', '', '5m', 'Filesystem']);
  const pvc = (spec: object, status: object, meta = {}) => persistentVolumeClaimPrinter.print(obj('data', { spec, status }, meta), NOW).cells;
  assert.deepEqual(pvc({ resources: { requests: { storage: '1Gi' } }, storageClassName: 'local-path' }, { phase: 'Pending' }),
    ['data', 'Pending', '', '', '', 'local-path', '<unset>', '5m', '<unset>']);
  assert.deepEqual(pvc({ volumeName: 'pv1', volumeMode: 'Filesystem' }, { phase: 'Bound', capacity: { storage: '2Gi' }, accessModes: ['ReadWriteOnce'] },
    { annotations: { 'volume.beta.kubernetes.io/storage-class': 'old' }, deletionTimestamp: ago(1) }),
  ['data', 'Terminating', 'pv1', '2Gi', 'RWO', 'old', '<unset>', '5m', 'Filesystem']);
});

test('replication controllers, pod templates, resource quotas', () => {
  const rc = obj('rc', { spec: { replicas: 3, selector: { app: 'x' }, template: { spec: { containers: [{ name: 'a', image: 'ia' }, { name: 'b', image: 'ib' }] } } }, status: { replicas: 3, readyReplicas: 2 } });
  assert.deepEqual(replicationControllerPrinter.print(rc, NOW).cells, ['rc', 3, 3, 2, '5m', 'a,b', 'ia,ib', 'app=x']);
  assert.deepEqual(columnNames(podTemplatePrinter), ['Name', 'Containers', 'Images', 'Pod Labels']);
  assert.deepEqual(podTemplatePrinter.print(obj('t', { template: { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } }), NOW).cells,
    ['t', 'c', 'busybox', 'app=x']);
  const q = obj('q', { status: { hard: { pods: '10', 'limits.cpu': '2', 'requests.memory': '1Gi' }, used: { pods: '3', 'limits.cpu': '500m' } } });
  assert.deepEqual(resourceQuotaPrinter.print(q, NOW).cells, ['q', 'pods: 3/10, requests.memory: 0/1Gi', 'limits.cpu: 500m/2', '5m']);
});

test('events (core/v1 and events.k8s.io/v1)', () => {
  assert.deepEqual(columnNames(eventPrinter, 0), ['Last Seen', 'Type', 'Reason', 'Object', 'Message']);
  assert.deepEqual(columnNames(eventPrinter, 1), ['Subobject', 'Source', 'First Seen', 'Count', 'Name']);
  const ev = obj('web-1.17a', {
    apiVersion: 'v1', type: 'Normal', reason: 'Pulled', message: 'Successfully pulled image "nginx"\n',
    involvedObject: { kind: 'Pod', name: 'web-1', fieldPath: 'spec.containers{app}' }, source: { component: 'kubelet', host: 'n1' },
    firstTimestamp: ago(600), lastTimestamp: ago(30), count: 4,
  });
  assert.deepEqual(eventPrinter.print(ev, NOW).cells,
    ['30s', 'Normal', 'Pulled', 'pod/web-1', 'spec.containers{app}', 'kubelet, n1', 'Successfully pulled image "nginx"', '10m', 4, 'web-1.17a']);
  const newStyle = obj('x.1', {
    apiVersion: 'events.k8s.io/v1', type: 'Warning', reason: 'FailedScheduling', note: '0/1 nodes are available',
    regarding: { kind: 'Pod', name: 'p' }, reportingController: 'default-scheduler', eventTime: '2024-06-01T11:58:00.000000Z',
  });
  assert.deepEqual(eventPrinter.print(newStyle, NOW).cells,
    ['2m', 'Warning', 'FailedScheduling', 'pod/p', '', 'default-scheduler', '0/1 nodes are available', '2m', 1, 'x.1']);
  const series = obj('y', { type: 'Normal', reason: 'R', message: 'm', involvedObject: { kind: 'Node' }, eventTime: ago(3600), series: { count: 9, lastObservedTime: ago(5) } });
  const c = eventPrinter.print(series, NOW).cells;
  assert.deepEqual([c[0], c[3], c[7], c[8]], ['5s', 'node', '60m', 9]);
});
