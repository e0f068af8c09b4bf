import { test } from 'node:test';
import assert from 'node:assert/strict';
import { strategyFor } from './index.js';
import { create, update } from './testutil_test.js';

const services = strategyFor('', 'services');
const svc = (spec: any, name = 'web') => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec });

test('service defaults', () => {
  const { obj, errors } = create(services, svc({ selector: { app: 'web' }, ports: [{ port: 80 }] }));
  assert.deepEqual(errors, []);
  assert.equal(obj.spec.type, 'ClusterIP');
  assert.equal(obj.spec.sessionAffinity, 'None');
  assert.deepEqual(obj.spec.ports, [{ port: 80, protocol: 'TCP', targetPort: 80 }]);
  assert.deepEqual(obj.spec.ipFamilies, ['IPv4']);
  assert.equal(obj.spec.ipFamilyPolicy, 'SingleStack');
  assert.equal(obj.spec.internalTrafficPolicy, 'Cluster');
  assert.equal(obj.spec.externalTrafficPolicy, undefined);
  const np = create(services, svc({ type: 'NodePort', ports: [{ port: 80, targetPort: 'http' }] })).obj;
  assert.equal(np.spec.externalTrafficPolicy, 'Cluster');
  assert.equal(np.spec.ports[0].targetPort, 'http');
});

test('service validation messages', () => {
  assert.deepEqual(create(services, svc({ selector: { app: 'web' } })).errors, ['spec.ports: Required value']);
  assert.deepEqual(create(services, svc({ ports: [{ port: 80 }, { port: 81 }] })).errors, ['spec.ports[0].name: Required value', 'spec.ports[1].name: Required value']);
  assert.deepEqual(create(services, svc({ ports: [{ name: 'a', port: 80 }, { name: 'a', port: 81 }] })).errors, ['spec.ports[1].name: Duplicate value: "a"']);
  assert.deepEqual(create(services, svc({ ports: [{ port: 0 }] })).errors, [
    'spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive',
    'spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive',
  ]);
  assert.deepEqual(create(services, svc({ type: 'ExternalName' })).errors, ['spec.externalName: Required value']);
  assert.deepEqual(create(services, svc({ type: 'ExternalName', externalName: 'db.example.com' })).errors, []);
  assert.deepEqual(create(services, svc({ ports: [{ port: 80, nodePort: 30080 }] })).errors, ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"]);
  assert.equal(create(services, svc({ ports: [{ port: 80 }] }, '1web')).errors[0],
    "metadata.name: Invalid value: \"1web\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')");
});

test('clusterIP may not change once set; a PUT without it keeps it', () => {
  const { obj: old } = create(services, svc({ ports: [{ port: 80 }], clusterIP: '10.43.0.10' }));
  assert.deepEqual(old.spec.clusterIPs, ['10.43.0.10']);
  const changed = structuredClone(old); changed.spec.clusterIP = '10.43.0.11'; changed.spec.clusterIPs = ['10.43.0.11'];
  assert.deepEqual(update(services, changed, old).errors, ['spec.clusterIPs[0]: Invalid value: ["10.43.0.11"]: may not change once set']);
  const omitted = svc({ ports: [{ port: 80 }] });
  const r = update(services, omitted, old);
  assert.deepEqual(r.errors, []);
  assert.equal(r.obj.spec.clusterIP, '10.43.0.10');
  assert.deepEqual(r.obj.spec.clusterIPs, ['10.43.0.10']);
});

test('nodePorts are carried over on update when omitted', () => {
  const { obj: old } = create(services, svc({ type: 'NodePort', clusterIP: '10.43.0.12', ports: [{ port: 80 }] }));
  old.spec.ports[0].nodePort = 31000;
  const r = update(services, svc({ type: 'NodePort', ports: [{ port: 80 }] }), old);
  assert.deepEqual(r.errors, []);
  assert.equal(r.obj.spec.ports[0].nodePort, 31000);
});

test('a new Service\'s status is {loadBalancer: {}}; a load-balancer ingress IP defaults to ipMode VIP', () => {
  const { obj } = create(services, svc({ type: 'LoadBalancer', ports: [{ port: 80 }] }));
  assert.deepEqual(obj.status, { loadBalancer: {} });
  const next = { ...obj, status: { loadBalancer: { ingress: [{ ip: '192.0.2.2' }, { hostname: 'lb.example' }] } } };
  services.prepareForStatusUpdate!(next, obj);
  assert.deepEqual(next.status.loadBalancer.ingress, [{ ip: '192.0.2.2', ipMode: 'VIP' }, { hostname: 'lb.example' }]);
});

test('changing the type drops what the new type has no use for, unless the user set it (upstream dropTypeDependentFields)', () => {
  const allocated = { type: 'LoadBalancer', clusterIP: '10.43.0.20', clusterIPs: ['10.43.0.20'], ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack', externalTrafficPolicy: 'Local', healthCheckNodePort: 31000, allocateLoadBalancerNodePorts: true, internalTrafficPolicy: 'Cluster', sessionAffinity: 'None', ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 80, nodePort: 30080 }] };
  const old = { ...svc(allocated), status: { loadBalancer: { ingress: [{ ip: '192.0.2.1', ipMode: 'VIP' }] } } } as any;
  const toClusterIP = update(services, { ...old, spec: { ...allocated, type: 'ClusterIP' } }, old);
  assert.deepEqual(toClusterIP.errors, []);
  const s = toClusterIP.obj.spec;
  assert.deepEqual([s.ports[0].nodePort, s.externalTrafficPolicy, s.healthCheckNodePort, s.allocateLoadBalancerNodePorts, s.clusterIP], [undefined, undefined, undefined, undefined, '10.43.0.20']);
  assert.deepEqual(toClusterIP.obj.status, { loadBalancer: {} });
  const toNodePort = update(services, { ...old, spec: { ...allocated, type: 'NodePort' } }, old).obj.spec;
  assert.deepEqual([toNodePort.ports[0].nodePort, toNodePort.externalTrafficPolicy, toNodePort.healthCheckNodePort, toNodePort.allocateLoadBalancerNodePorts], [30080, 'Local', undefined, undefined]);
  const toName = update(services, { ...old, spec: { ...allocated, type: 'ExternalName', externalName: 'db.example.com' } }, old);
  assert.deepEqual(toName.errors, []);
  assert.deepEqual([toName.obj.spec.clusterIP, toName.obj.spec.clusterIPs, toName.obj.spec.ipFamilies, toName.obj.spec.ipFamilyPolicy], [undefined, undefined, undefined, undefined]);
  // a nodePort the user sets while asking for ClusterIP is theirs: validation says no
  assert.deepEqual(update(services, { ...old, spec: { ...allocated, type: 'ClusterIP', ports: [{ ...allocated.ports[0], nodePort: 30099 }] } }, old).errors,
    ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"]);
});

test('an update changing clusterIP alone moves clusterIPs with it, so immutability is what answers', () => {
  const spec = { clusterIP: '10.43.0.20', clusterIPs: ['10.43.0.20'], ports: [{ port: 80 }] };
  const old = create(services, svc(spec)).obj;
  assert.deepEqual(update(services, { ...old, spec: { ...old.spec, clusterIP: 'None' } }, old).errors, ['spec.clusterIPs[0]: Invalid value: ["None"]: may not change once set']);
  // a PUT without the allocated values keeps them
  const { clusterIP: _a, clusterIPs: _b, ...rest } = old.spec;
  const put = update(services, { ...old, spec: rest }, old);
  assert.deepEqual([put.errors, put.obj.spec.clusterIPs], [[], ['10.43.0.20']]);
  assert.deepEqual(update(services, svc({ ...spec, type: 'ClusterIP', healthCheckNodePort: 30000 }), old).errors,
    ["spec.healthCheckNodePort: Invalid value: 30000: may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"]);
});
