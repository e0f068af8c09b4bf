import { test } from 'node:test';
import assert from 'node:assert/strict';
import { strategyFor } from './index.js';
import { create, update } from './testutil_test.js';

const pods = strategyFor('', 'pods');
const pod = (spec: any, name = 'web') => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec });

test('pod defaults, admission defaults and initial status', () => {
  const { obj, errors } = create(pods, pod({ containers: [{ name: 'c', image: 'nginx', ports: [{ containerPort: 80 }] }, { name: 'd', image: 'busybox:1.36' }] }));
  assert.deepEqual(errors, []);
  const s = obj.spec;
  assert.equal(s.restartPolicy, 'Always');
  assert.equal(s.dnsPolicy, 'ClusterFirst');
  assert.equal(s.schedulerName, 'default-scheduler');
  assert.equal(s.terminationGracePeriodSeconds, 30);
  assert.deepEqual(s.securityContext, {});
  assert.equal(s.enableServiceLinks, true);
  assert.equal(s.serviceAccountName, 'default');
  assert.equal(s.serviceAccount, 'default');
  // priority and preemptionPolicy come from the API server's Priority admission (e2e/policy_test.ts)
  assert.equal(s.priority, undefined);
  assert.deepEqual(s.tolerations, [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  ]);
  assert.equal(s.containers[0].imagePullPolicy, 'Always');
  assert.equal(s.containers[1].imagePullPolicy, 'IfNotPresent');
  assert.equal(s.containers[0].terminationMessagePath, '/dev/termination-log');
  assert.equal(s.containers[0].terminationMessagePolicy, 'File');
  assert.deepEqual(s.containers[0].resources, {});
  assert.equal(s.containers[0].ports[0].protocol, 'TCP');
  assert.deepEqual(obj.status, { phase: 'Pending', qosClass: 'BestEffort' });
  assert.equal(obj.metadata.generation, undefined);
});

test('qosClass follows requests and limits', () => {
  const g = create(pods, pod({ containers: [{ name: 'c', image: 'x:1', resources: { limits: { cpu: '1', memory: '1Gi' } } }] })).obj;
  assert.equal(g.status.qosClass, 'Guaranteed');
  assert.deepEqual(g.spec.containers[0].resources.requests, { cpu: '1', memory: '1Gi' });
  const b = create(pods, pod({ containers: [{ name: 'c', image: 'x:1', resources: { requests: { cpu: '100m' } } }] })).obj;
  assert.equal(b.status.qosClass, 'Burstable');
});

test('pod validation messages', () => {
  assert.deepEqual(create(pods, pod({})).errors, ['spec.containers: Required value']);
  assert.deepEqual(create(pods, pod({ containers: [{ name: 'c' }] })).errors, ['spec.containers[0].image: Required value']);
  assert.deepEqual(create(pods, pod({ containers: [{ name: 'c', image: 'x' }, { name: 'c', image: 'y' }] })).errors, ['spec.containers[1].name: Duplicate value: "c"']);
  assert.deepEqual(create(pods, pod({ containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 70000 }] }] })).errors,
    ['spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive']);
  assert.deepEqual(create(pods, pod({ restartPolicy: 'Sometimes', containers: [{ name: 'c', image: 'x' }] })).errors,
    ['spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"']);
  assert.deepEqual(create(pods, pod({ containers: [{ name: 'c', image: 'x' }] }, 'Bad_Name')).errors, [
    "metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
  ]);
  assert.deepEqual(create(pods, pod({ containers: [{ name: 'C', image: 'x' }] })).errors.length, 1);
});

test('pod updates may change images but not other spec fields; status is kept', () => {
  const { obj: old } = create(pods, pod({ containers: [{ name: 'c', image: 'nginx:1' }] }));
  old.status = { phase: 'Running' };
  const img = structuredClone(old); img.spec.containers[0].image = 'nginx:2'; img.status = { phase: 'Failed' };
  const r1 = update(pods, img, old);
  assert.deepEqual(r1.errors, []);
  assert.deepEqual(r1.obj.status, { phase: 'Running' });
  const bad = structuredClone(old); bad.spec.containers[0].ports = [{ containerPort: 81 }];
  const r2 = update(pods, bad, old);
  assert.equal(r2.errors.length, 1);
  assert.ok(r2.errors[0].startsWith('spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)'));
});

test('pod status update keeps spec and ownerReferences, and may change labels (upstream podStatusStrategy)', () => {
  const { obj: old } = create(pods, pod({ containers: [{ name: 'c', image: 'nginx:1' }] }));
  old.metadata.labels = { a: 'b' };
  old.metadata.ownerReferences = [{ apiVersion: 'v1', kind: 'ReplicationController', name: 'rc', uid: 'u1' }];
  const next = structuredClone(old);
  next.spec.nodeName = 'elsewhere'; next.metadata.labels = { a: 'c' }; next.metadata.ownerReferences = []; next.status = { phase: 'Running', podIP: '10.42.0.5' };
  pods.prepareForStatusUpdate!(next, old);
  assert.equal(next.spec.nodeName, undefined);
  assert.deepEqual(next.metadata.labels, { a: 'c' });
  assert.equal(next.metadata.ownerReferences[0].uid, 'u1');
  assert.equal(next.status.phase, 'Running');
});

test('pod selectable fields', () => {
  const { obj } = create(pods, pod({ nodeName: 'n1', containers: [{ name: 'c', image: 'x' }] }));
  obj.status.podIP = '10.42.0.9';
  const f = pods.selectableFields!(obj);
  assert.equal(f['spec.nodeName'], 'n1');
  assert.equal(f['spec.restartPolicy'], 'Always');
  assert.equal(f['spec.schedulerName'], 'default-scheduler');
  assert.equal(f['spec.serviceAccountName'], 'default');
  assert.equal(f['status.phase'], 'Pending');
  assert.equal(f['status.podIP'], '10.42.0.9');
  assert.equal(f['status.nominatedNodeName'], '');
});

test('volume sources, downward API fields and mounts are validated as upstream', () => {
  const msgs = (spec: any) => create(pods, pod(spec)).errors;
  const c = (extra: object = {}) => ({ name: 'c', image: 'busybox', ...extra });
  const vol = (v: object) => ({ containers: [c()], volumes: [{ name: 'v', ...v }] });
  assert.deepEqual(msgs(vol({ configMap: { name: 'cm', items: [{ key: 'a', path: '../x' }] } })), ['spec.volumes[0].configMap.items[0].path: Invalid value: "../x": must not contain \'..\'']);
  assert.deepEqual(msgs(vol({ secret: { secretName: 's', defaultMode: 0o1000 } })), ['spec.volumes[0].secret.defaultMode: Invalid value: 512: must be a number between 0 and 0777 (octal), both inclusive']);
  assert.equal(msgs(vol({ configMap: { name: 'Bad_Name' } })).length, 1);
  assert.deepEqual(msgs(vol({ hostPath: { path: '/x', type: 'Bogus' } })), ['spec.volumes[0].hostPath.type: Unsupported value: "Bogus": supported values: "", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket"']);
  assert.deepEqual(msgs(vol({ downwardAPI: { items: [{ path: 'n', fieldRef: { fieldPath: 'spec.nodeName' } }] } })),
    ['spec.volumes[0].downwardAPI.items[0].fieldRef.fieldPath: Unsupported value: "spec.nodeName": supported values: "metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace", "metadata.uid"']);
  assert.deepEqual(msgs(vol({ projected: { sources: [{ serviceAccountToken: { path: 't', expirationSeconds: 60 } }, { downwardAPI: { items: [{ path: 't', fieldRef: { fieldPath: 'metadata.name' } }] } }] } })), [
    'spec.volumes[0].projected.sources[0].serviceAccountToken.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes',
    'spec.volumes[0].projected.sources[1].downwardAPI.items[0].path: Invalid value: "t": conflicting duplicate paths',
  ]);
  assert.deepEqual(msgs(vol({ emptyDir: { sizeLimit: '-1Mi' } })), ['spec.volumes[0].emptyDir.sizeLimit: Forbidden: SizeLimit field must be a valid resource quantity']);
  assert.deepEqual(msgs({ containers: [c({ env: [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'metadata.bogus' } } }] })] }),
    ['spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: Invalid value: "metadata.bogus": error converting fieldPath: field label not supported: metadata.bogus']);
  assert.deepEqual(msgs({ containers: [c({ env: [{ name: 'X', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } }] })] }), []);
  assert.deepEqual(msgs({ containers: [c({ volumeMounts: [{ name: 'v', mountPath: '/v', subPath: 'a', subPathExpr: '$(X)' }] })], volumes: [{ name: 'v', emptyDir: {} }] }),
    ['spec.containers[0].volumeMounts[0].subPathExpr: Invalid value: "$(X)": subPathExpr and subPath are mutually exclusive']);
  assert.deepEqual(msgs({ containers: [c({ volumeMounts: [{ name: 'v', mountPath: '/v', mountPropagation: 'Bidirectional', recursiveReadOnly: 'Enabled' }] })], volumes: [{ name: 'v', emptyDir: {} }] }), [
    'spec.containers[0].volumeMounts[0].mountPropagation: Forbidden: Bidirectional mount propagation is available only to privileged containers',
    'spec.containers[0].volumeMounts[0].recursiveReadOnly: Forbidden: may only be specified when readOnly is true',
  ]);
});

test('extended resources and hugepages: limits required and equal, whole units, cpu or memory beside hugepages', () => {
  const msgs = (resources: object) => create(pods, pod({ containers: [{ name: 'c', image: 'busybox', resources }] })).errors;
  assert.deepEqual(msgs({ requests: { 'example.com/foo': '1' } }), ['spec.containers[0].resources.limits: Required value: Limit must be set for non overcommitable resources']);
  assert.deepEqual(msgs({ requests: { 'example.com/foo': '1' }, limits: { 'example.com/foo': '2' } }), ['spec.containers[0].resources.requests: Invalid value: "1": must be equal to example.com/foo limit of 2']);
  assert.deepEqual(msgs({ requests: { 'example.com/foo': '500m' }, limits: { 'example.com/foo': '500m' } }), [
    'spec.containers[0].resources.limits[example.com/foo]: Invalid value: "500m": must be an integer',
    'spec.containers[0].resources.requests[example.com/foo]: Invalid value: "500m": must be an integer',
  ]);
  assert.deepEqual(msgs({ requests: { 'hugepages-2Mi': '2Mi' }, limits: { 'hugepages-2Mi': '2Mi' } }), ['spec.containers[0].resources: Forbidden: HugePages require cpu or memory']);
  assert.deepEqual(msgs({ requests: { 'example.com/foo': '2', cpu: '100m' }, limits: { 'example.com/foo': '2' } }), []);
});
