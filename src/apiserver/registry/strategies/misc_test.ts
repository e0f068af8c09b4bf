import { test } from 'node:test';
import assert from 'node:assert/strict';
import { strategyFor } from './index.js';
import { create, update } from './testutil_test.js';

test('ingress: pathType required, backend checks', () => {
  const ing = strategyFor('networking.k8s.io', 'ingresses');
  const mk = (path: any) => ({ metadata: { name: 'i', namespace: 'default' }, spec: { rules: [{ host: 'a.example.com', http: { paths: [path] } }] } });
  assert.deepEqual(create(ing, mk({ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } })).errors, []);
  assert.deepEqual(create(ing, mk({ path: '/', backend: { service: { name: 'web', port: { number: 80 } } } })).errors,
    ['spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified']);
  assert.deepEqual(create(ing, mk({ path: 'x', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } })).errors,
    ['spec.rules[0].http.paths[0].path: Invalid value: "x": must be an absolute path']);
  assert.deepEqual(create(ing, mk({ path: '/', pathType: 'Prefix', backend: { service: { name: 'web' } } })).errors,
    ['spec.rules[0].http.paths[0].backend.service.port: Required value: port name or number is required']);
  const { obj } = create(ing, mk({ path: '/', pathType: 'Exact', backend: { service: { name: 'web', port: { name: 'http' } } } }));
  assert.equal(obj.metadata.generation, 1);
  assert.deepEqual(obj.status, {});
});

test('networkpolicy policyTypes default', () => {
  const np = strategyFor('networking.k8s.io', 'networkpolicies');
  assert.deepEqual(create(np, { metadata: { name: 'n', namespace: 'default' }, spec: { podSelector: {} } }).obj.spec.policyTypes, ['Ingress']);
  const withEgress = create(np, { metadata: { name: 'n', namespace: 'default' }, spec: { podSelector: {}, egress: [{ ports: [{ port: 53 }] }] } });
  assert.deepEqual(withEgress.errors, []);
  assert.deepEqual(withEgress.obj.spec.policyTypes, ['Ingress', 'Egress']);
  assert.equal(withEgress.obj.spec.egress[0].ports[0].protocol, 'TCP');
});

test('rbac: verbs required, roleRef immutable, subject defaults', () => {
  const roles = strategyFor('rbac.authorization.k8s.io', 'roles');
  assert.deepEqual(create(roles, { metadata: { name: 'r', namespace: 'default' }, rules: [{ apiGroups: [''], resources: ['pods'] }] }).errors,
    ['rules[0].verbs: Required value: verbs must contain at least one value']);
  assert.deepEqual(create(roles, { metadata: { name: 'r', namespace: 'default' }, rules: [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }] }).errors,
    ['rules[0].nonResourceURLs: Invalid value: ["/healthz"]: namespaced rules cannot apply to non-resource URLs']);
  assert.deepEqual(create(strategyFor('rbac.authorization.k8s.io', 'clusterroles'), { metadata: { name: 'system:x' }, rules: [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }] }).errors, []);
  const rbs = strategyFor('rbac.authorization.k8s.io', 'rolebindings');
  const { obj, errors } = create(rbs, { metadata: { name: 'b', namespace: 'default' }, roleRef: { kind: 'Role', name: 'r' }, subjects: [{ kind: 'User', name: 'alice' }, { kind: 'ServiceAccount', name: 'default' }] });
  assert.deepEqual(errors, []);
  assert.equal(obj.roleRef.apiGroup, 'rbac.authorization.k8s.io');
  assert.equal(obj.subjects[0].apiGroup, 'rbac.authorization.k8s.io');
  assert.equal(obj.subjects[1].apiGroup, undefined);
  const next = structuredClone(obj); next.roleRef.name = 'other';
  assert.deepEqual(update(rbs, next, obj).errors, ['roleRef: Invalid value: {"kind":"Role","name":"other","apiGroup":"rbac.authorization.k8s.io"}: cannot change roleRef']);
  assert.deepEqual(create(strategyFor('rbac.authorization.k8s.io', 'clusterrolebindings'), { metadata: { name: 'b' }, roleRef: { kind: 'Role', name: 'r' }, subjects: [] }).errors,
    ['roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"']);
});

test('storageclass defaults and immutable fields', () => {
  const sc = strategyFor('storage.k8s.io', 'storageclasses');
  const { obj, errors } = create(sc, { metadata: { name: 'local' }, provisioner: 'rancher.io/local-path' });
  assert.deepEqual(errors, []);
  assert.equal(obj.reclaimPolicy, 'Delete');
  assert.equal(obj.volumeBindingMode, 'Immediate');
  assert.deepEqual(create(sc, { metadata: { name: 'x' } }).errors, ['provisioner: Required value']);
  const next = structuredClone(obj); next.parameters = { a: 'b' };
  assert.deepEqual(update(sc, next, obj).errors, ['parameters: Forbidden: updates to parameters are forbidden.']);
});

test('CRD: name, storage version, defaults, storedVersions', () => {
  const crds = strategyFor('apiextensions.k8s.io', 'customresourcedefinitions');
  const schema = { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } } };
  const crd = (name: string, versions: any[]) => ({ metadata: { name }, spec: { group: 'example.com', scope: 'Namespaced', names: { plural: 'widgets', kind: 'Widget' }, versions } });
  const { obj, errors } = create(crds, crd('widgets.example.com', [{ name: 'v1', served: true, storage: true, schema }]));
  assert.deepEqual(errors, []);
  assert.equal(obj.spec.names.singular, 'widget');
  assert.equal(obj.spec.names.listKind, 'WidgetList');
  assert.deepEqual(obj.spec.conversion, { strategy: 'None' });
  assert.deepEqual(obj.status.storedVersions, ['v1']);
  assert.deepEqual(create(crds, crd('widgets.other.com', [{ name: 'v1', served: true, storage: true, schema }])).errors,
    ['metadata.name: Invalid value: "widgets.other.com": must be spec.names.plural+"."+spec.group']);
  const none = create(crds, crd('widgets.example.com', [{ name: 'v1', served: true, storage: false, schema }])).errors;
  assert.equal(none.length, 1);
  assert.match(none[0], /^spec\.versions: Invalid value: .*: must have exactly one version marked as storage version$/);
  assert.deepEqual(create(crds, crd('widgets.example.com', [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: {} } }])).errors,
    ['spec.versions[0].schema.openAPIV3Schema.type: Required value: must not be empty at the root']);
  const next = structuredClone(obj);
  next.spec.versions = [{ name: 'v1', served: true, storage: false, schema }, { name: 'v2', served: true, storage: true, schema }];
  const r = update(crds, next, obj);
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.obj.status.storedVersions, ['v1', 'v2']);
  assert.equal(r.obj.metadata.generation, 2);
});

test('default strategy for custom resources', () => {
  const s = strategyFor({ group: 'example.com', version: 'v1', kind: 'Widget', plural: 'widgets', singular: 'widget', namespaced: true, subresources: ['status'] });
  const { obj, errors } = create(s, { metadata: { name: 'w', namespace: 'default' }, spec: { size: 1 }, status: { ready: true } });
  assert.deepEqual(errors, []);
  assert.equal(obj.status, undefined);
  assert.equal(obj.metadata.generation, 1);
  const old = { ...obj, status: { ready: true } };
  const a = update(s, { ...structuredClone(old), status: { ready: false }, metadata: { ...old.metadata, labels: { x: 'y' } } }, old);
  assert.equal(a.obj.metadata.generation, 1);
  assert.deepEqual(a.obj.status, { ready: true });
  const b = update(s, { ...structuredClone(old), spec: { size: 2 } }, old);
  assert.equal(b.obj.metadata.generation, 2);
  assert.match(create(s, { metadata: { name: 'Bad_Name', namespace: 'default' } }).errors[0], /^metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
  const plain = strategyFor('example.com', 'gadgets');
  assert.deepEqual(create(plain, { metadata: { name: 'g' }, status: { x: 1 } }).obj.status, { x: 1 });
});

test('status update of a deployment keeps spec and labels', () => {
  const d = strategyFor('apps', 'deployments');
  const old = { metadata: { name: 'web', namespace: 'default', labels: { a: '1' }, generation: 3 }, spec: { replicas: 2 }, status: { replicas: 1 } };
  const next = { metadata: { name: 'web', namespace: 'default', labels: { a: '2' }, generation: 9 }, spec: { replicas: 5 }, status: { replicas: 2 } };
  d.prepareForStatusUpdate!(next, old);
  assert.deepEqual(next, { metadata: { name: 'web', namespace: 'default', labels: { a: '1' }, generation: 3 }, spec: { replicas: 2 }, status: { replicas: 2 } });
});

test('metadata labels and annotations', () => {
  const cm = strategyFor('', 'configmaps');
  assert.deepEqual(create(cm, { metadata: { name: 'c', namespace: 'default', labels: { app: 'bad value' } } }).errors, [
    "metadata.labels: Invalid value: \"bad value\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
  ]);
  assert.deepEqual(create(cm, { metadata: { name: 'c', namespace: 'default', annotations: { big: 'x'.repeat(262145) } } }).errors,
    ['metadata.annotations: Too long: must have at most 262144 bytes']);
  assert.deepEqual(create(cm, { metadata: { namespace: 'default' } }).errors, ['metadata.name: Required value: name or generateName is required']);
});
