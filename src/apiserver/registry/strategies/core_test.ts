import { test } from 'node:test';
import assert from 'node:assert/strict';
import { strategyFor, prepareNamespaceFinalize } from './index.js';
import { create, update } from './testutil_test.js';

test('namespace: finalizer, phase, name label, DNS label names', () => {
  const ns = strategyFor('', 'namespaces');
  const { obj, errors } = create(ns, { metadata: { name: 'team-a' } });
  assert.deepEqual(errors, []);
  assert.deepEqual(obj.spec, { finalizers: ['kubernetes'] });
  assert.deepEqual(obj.status, { phase: 'Active' });
  assert.deepEqual(obj.metadata.labels, { 'kubernetes.io/metadata.name': 'team-a' });
  assert.deepEqual(create(ns, { metadata: { name: 'a.b' } }).errors, ['metadata.name: Invalid value: "a.b": must not contain dots']);
  const next = structuredClone(obj); next.spec.finalizers = []; next.status = { phase: 'Terminating' };
  const r = update(ns, next, obj);
  assert.deepEqual(r.obj.spec.finalizers, ['kubernetes'], 'spec changes only through finalize');
  assert.deepEqual(r.obj.status, { phase: 'Active' });
  const fin = structuredClone(obj); fin.spec.finalizers = [];
  prepareNamespaceFinalize(fin, obj);
  assert.deepEqual(fin.spec.finalizers, []);
  assert.deepEqual(ns.selectableFields!(obj), { 'status.phase': 'Active' });
});

test('configmap keys and immutability', () => {
  const cm = strategyFor('', 'configmaps');
  assert.deepEqual(create(cm, { metadata: { name: 'c', namespace: 'default' }, data: { 'good.key': 'v' } }).errors, []);
  assert.deepEqual(create(cm, { metadata: { name: 'c', namespace: 'default' }, data: { 'bad key': 'v' } }).errors, [
    "data[bad key]: Invalid value: \"bad key\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
  ]);
  const old = { metadata: { name: 'c', namespace: 'default' }, immutable: true, data: { a: '1' } };
  assert.deepEqual(update(cm, { ...structuredClone(old), data: { a: '2' } }, old).errors, ['data: Forbidden: field is immutable when `immutable` is set']);
});

test('secret: type default, stringData, base64, immutable type', () => {
  const sec = strategyFor('', 'secrets');
  const { obj, errors } = create(sec, { metadata: { name: 's', namespace: 'default' }, stringData: { password: 'hunter2' } });
  assert.deepEqual(errors, []);
  assert.equal(obj.type, 'Opaque');
  assert.deepEqual(obj.data, { password: Buffer.from('hunter2').toString('base64') });
  assert.equal(obj.stringData, undefined);
  assert.deepEqual(sec.decodeErrors!({ metadata: {}, data: { a: 'abc$' } }), ['illegal base64 data at input byte 3']);
  assert.deepEqual(sec.decodeErrors!({ metadata: {}, data: { a: 'aGk=' } }), []);
  assert.deepEqual(create(sec, { metadata: { name: 's', namespace: 'default' }, type: 'kubernetes.io/tls', data: {} }).errors,
    ['data[tls.crt]: Required value', 'data[tls.key]: Required value']);
  const changed = structuredClone(obj); changed.type = 'kubernetes.io/basic-auth'; changed.data.username = 'dQ==';
  assert.deepEqual(update(sec, changed, obj).errors, ['type: Invalid value: "kubernetes.io/basic-auth": field is immutable']);
  assert.deepEqual(sec.selectableFields!(obj), { type: 'Opaque' });
});

test('secret types check their keys as upstream ValidateSecret', () => {
  const sec = strategyFor('', 'secrets');
  const b64 = (t: string) => Buffer.from(t).toString('base64');
  const errs = (type: string, data: Record<string, string>) => create(sec, { metadata: { name: 's', namespace: 'default' }, type, data }).errors;
  assert.deepEqual(errs('kubernetes.io/dockerconfigjson', { '.dockerconfigjson': b64('[1]') }),
    ['data[.dockerconfigjson]: Invalid value: "<secret contents redacted>": json: cannot unmarshal array into Go value of type map[string]interface {}']);
  assert.deepEqual(errs('kubernetes.io/dockercfg', { '.dockercfg': b64('notjson') }),
    ['data[.dockercfg]: Invalid value: "<secret contents redacted>": invalid character \'o\' in literal null (expecting \'u\')']);
  assert.deepEqual(errs('kubernetes.io/dockerconfigjson', { '.dockerconfigjson': b64('{"auths":{}}') }), []);
  assert.deepEqual(errs('kubernetes.io/ssh-auth', { 'ssh-privatekey': '' }), ['data[ssh-privatekey]: Required value']);
  assert.deepEqual(errs('kubernetes.io/basic-auth', {}), ['data[username]: Required value', 'data[password]: Required value']);
  assert.deepEqual(errs('kubernetes.io/basic-auth', { password: '' }), []);
});

test('pvc and pv', () => {
  const pvcs = strategyFor('', 'persistentvolumeclaims');
  const pvc = (spec: any) => ({ metadata: { name: 'data', namespace: 'default' }, spec });
  const { obj, errors } = create(pvcs, pvc({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } }));
  assert.deepEqual(errors, []);
  assert.equal(obj.spec.volumeMode, 'Filesystem');
  assert.deepEqual(obj.status, { phase: 'Pending' });
  assert.deepEqual(create(pvcs, pvc({ resources: { requests: { storage: '1Gi' } } })).errors, ['spec.accessModes: Required value: at least 1 access mode is required']);
  assert.deepEqual(create(pvcs, pvc({ accessModes: ['ReadWriteOnce'] })).errors, ['spec.resources[storage]: Required value']);
  const next = structuredClone(obj); next.spec.accessModes = ['ReadWriteMany'];
  assert.deepEqual(update(pvcs, next, obj).errors, ['spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims']);
  const bind = structuredClone(obj); bind.spec.volumeName = 'pv-1';
  assert.deepEqual(update(pvcs, bind, obj).errors, []);
  const pvs = strategyFor('', 'persistentvolumes');
  const pv = create(pvs, { metadata: { name: 'pv-1' }, spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/tmp/x' } } });
  assert.deepEqual(pv.errors, []);
  assert.equal(pv.obj.spec.persistentVolumeReclaimPolicy, 'Retain');
  assert.equal(pv.obj.status.phase, 'Pending');
  assert.deepEqual(create(pvs, { metadata: { name: 'pv-2' }, spec: { capacity: { storage: '1Gi' }, hostPath: { path: '/x' } } }).errors, ['spec.accessModes: Required value']);
});

test('node keeps status on update; selectable spec.unschedulable', () => {
  const nodes = strategyFor('', 'nodes');
  const { obj, errors } = create(nodes, { metadata: { name: 'n1' }, spec: { podCIDR: '10.42.0.0/24', podCIDRs: ['10.42.0.0/24'] }, status: { capacity: { cpu: '4' } } });
  assert.deepEqual(errors, []);
  assert.deepEqual(obj.status.allocatable, { cpu: '4' });
  const next = structuredClone(obj); next.spec.unschedulable = true; next.status = {};
  const r = update(nodes, next, obj);
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.obj.status.capacity, { cpu: '4' });
  assert.deepEqual(nodes.selectableFields!(r.obj), { 'spec.unschedulable': 'true' });
  const cidr = structuredClone(obj); cidr.spec.podCIDR = '10.42.1.0/24'; cidr.spec.podCIDRs = ['10.42.1.0/24'];
  assert.equal(update(nodes, cidr, obj).errors[0], 'spec.podCIDR: Forbidden: node updates may not change podCIDR except from "" to valid');
});

test('events: namespace must match, selectable fields', () => {
  const ev = strategyFor('', 'events');
  const e = { metadata: { name: 'x.1', namespace: 'default' }, involvedObject: { kind: 'Pod', namespace: 'other', name: 'p' }, reason: 'Started', type: 'Normal', source: { component: 'kubelet' } };
  assert.deepEqual(create(ev, e).errors, ['involvedObject.namespace: Invalid value: "other": does not match event.namespace']);
  const ok = structuredClone(e); ok.involvedObject.namespace = 'default';
  const { obj, errors } = create(ev, ok);
  assert.deepEqual(errors, []);
  const f = ev.selectableFields!(obj);
  assert.equal(f['involvedObject.kind'], 'Pod');
  assert.equal(f['involvedObject.name'], 'p');
  assert.equal(f.reason, 'Started');
  assert.equal(f.source, 'kubelet');
  assert.equal(f.type, 'Normal');
});

test('ResourceQuota scopes: each applies to some resources only, and opposite scopes conflict', () => {
  const quotas = strategyFor('', 'resourcequotas');
  const q = (spec: object) => create(quotas, { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q', namespace: 'default' }, spec }).errors;
  assert.deepEqual(q({ hard: { 'requests.cpu': '1' }, scopes: ['BestEffort'] }), ['spec.scopes: Invalid value: "[]core.ResourceQuotaScope{\\"BestEffort\\"}": unsupported scope applied to resource']);
  assert.deepEqual(q({ hard: { pods: '1' }, scopes: ['BestEffort', 'NotBestEffort'] }), ['spec.scopes: Invalid value: "[]core.ResourceQuotaScope{\\"BestEffort\\", \\"NotBestEffort\\"}": conflicting scopes']);
  assert.deepEqual(q({ hard: { services: '1' }, scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['high'] }] } }),
    ['spec.scopeSelector.matchExpressions[0].scopeName: Invalid value: "PriorityClass": unsupported scope applied to resource']);
  assert.deepEqual(q({ hard: { pods: '1', 'requests.cpu': '1', 'count/deployments.apps': '1' }, scopes: ['NotBestEffort', 'Terminating'] }), []);
});
