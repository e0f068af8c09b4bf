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
