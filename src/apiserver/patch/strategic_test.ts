import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatusError } from '../../api/status.js';
import { strategicMergePatch } from './strategic.js';
import { deployment, liveDeployment, pod } from './fixtures_test.js';

const smp = (orig: unknown, patch: unknown, schema = deployment) => strategicMergePatch(orig, JSON.stringify(patch), schema) as Record<string, any>;
const names = (list: any[]) => list.map((c) => c.name);

function rejects(fn: () => unknown, code: number, message: string | RegExp) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof StatusError, String(e));
    assert.equal(e.code, code);
    if (typeof message === 'string') assert.equal(e.message, message); else assert.match(e.message, message);
    return true;
  });
}

test('kubectl patch of one container image keeps the other containers and fields', () => {
  const live = liveDeployment();
  const out = smp(live, { spec: { template: { spec: { containers: [{ name: 'app', image: 'new' }] } } } });
  const cs = out.spec.template.spec.containers;
  assert.deepEqual(names(cs), ['app', 'sidecar']);
  assert.equal(cs[0].image, 'new');
  assert.deepEqual(cs[0].ports, [{ containerPort: 80, protocol: 'TCP' }]);
  assert.deepEqual(cs[0].env, live.spec.template.spec.containers[0].env);
  assert.deepEqual(cs[1], live.spec.template.spec.containers[1]);
  assert.equal(out.spec.replicas, 2);
  assert.deepEqual(out.status, { replicas: 2 });
  assert.equal(live.spec.template.spec.containers[0].image, 'nginx:1.25', 'input not modified');
});

test('a new merge-list item without $setElementOrder goes first, as upstream places it', () => {
  const out = smp(liveDeployment(), { spec: { template: { spec: { containers: [{ name: 'extra', image: 'x' }] } } } });
  assert.deepEqual(names(out.spec.template.spec.containers), ['extra', 'app', 'sidecar']);
});

test('nested merge lists merge by their own keys (env by name, ports by containerPort)', () => {
  const out = smp(liveDeployment(), {
    spec: { template: { spec: { containers: [{ name: 'app', env: [{ name: 'B', value: 'two' }, { name: 'C', value: '3' }], ports: [{ containerPort: 443 }] }] } } },
  });
  const app = out.spec.template.spec.containers[0];
  assert.deepEqual(app.env, [{ name: 'A', value: '1' }, { name: 'B', value: 'two' }, { name: 'C', value: '3' }]);
  assert.deepEqual(app.ports, [{ containerPort: 443 }, { containerPort: 80, protocol: 'TCP' }]);
});

test('kubectl apply three-way patch with $setElementOrder and a $patch: delete item', () => {
  const live = liveDeployment();
  live.spec.template.spec.containers.push({ name: 'injected', image: 'mesh' });
  // what kubectl apply computes when last-applied had [app, sidecar] and the new file has [app(new image), extra]
  const patch = {
    metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' } },
    spec: { template: { spec: {
      '$setElementOrder/containers': [{ name: 'app' }, { name: 'extra' }],
      containers: [{ image: 'nginx:1.26', name: 'app' }, { image: 'extra:1', name: 'extra' }, { $patch: 'delete', name: 'sidecar' }],
    } } },
  };
  const out = smp(live, patch);
  const cs = out.spec.template.spec.containers;
  assert.deepEqual(names(cs), ['app', 'extra', 'injected']);
  assert.equal(cs[0].image, 'nginx:1.26');
  assert.deepEqual(cs[0].env, live.spec.template.spec.containers[0].env);
  assert.equal(out.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'], '{}');
  assert.ok(!('$setElementOrder/containers' in out.spec.template.spec));
});

test('$setElementOrder reorders existing items', () => {
  const out = smp(liveDeployment(), { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'app' }] } } } });
  assert.deepEqual(names(out.spec.template.spec.containers), ['sidecar', 'app']);
});

test('$setElementOrder that contradicts the patch list is an error', () => {
  rejects(() => smp(liveDeployment(), { spec: { template: { spec: {
    '$setElementOrder/containers': [{ name: 'app' }, { name: 'sidecar' }],
    containers: [{ name: 'sidecar', image: 'b' }, { name: 'app', image: 'a' }],
  } } } }), 500, /^The order in patch list:\n\[map\[image:b name:sidecar\] map\[image:a name:app\]\]\n doesn't match \$setElementOrder list:/);
});

test('$patch: delete removes a list item by merge key; missing merge key is an error', () => {
  const out = smp(liveDeployment(), { spec: { template: { spec: { containers: [{ name: 'app', env: [{ name: 'A', $patch: 'delete' }] }] } } } });
  assert.deepEqual(out.spec.template.spec.containers[0].env, [{ name: 'B', value: '2' }]);
  rejects(() => smp(liveDeployment(), { spec: { template: { spec: { containers: [{ image: 'x' }] } } } }), 500,
    'map: map[image:x] does not contain declared merge key: name');
});

test('$patch: replace replaces a list or a map wholesale', () => {
  const out = smp(liveDeployment(), { spec: { template: { spec: { containers: [{ $patch: 'replace' }, { name: 'only', image: 'o' }] } } } });
  assert.deepEqual(out.spec.template.spec.containers, [{ name: 'only', image: 'o' }]);
  const out2 = smp(liveDeployment(), { spec: { strategy: { $patch: 'replace', type: 'Recreate' } } });
  assert.deepEqual(out2.spec.strategy, { type: 'Recreate' });
  const out3 = smp(liveDeployment(), { spec: { template: { metadata: { labels: { $patch: 'delete' } } } } });
  assert.deepEqual(out3.spec.template.metadata.labels, {});
});

test('an unknown $patch directive is an error', () => {
  rejects(() => smp(liveDeployment(), { spec: { strategy: { $patch: 'frob' } } }), 500, 'unknown patch type: frob in map: map[$patch:frob]');
  rejects(() => smp(liveDeployment(), { spec: { template: { spec: { containers: [{ $patch: 'merge' }] } } } }), 500,
    'merging lists cannot yet be specified in the patch');
});

test('$retainKeys switches a deployment strategy from RollingUpdate to Recreate', () => {
  // kubectl apply sends rollingUpdate: null alongside; both forms must work
  for (const strategy of [{ $retainKeys: ['type'], type: 'Recreate' }, { $retainKeys: ['type'], rollingUpdate: null, type: 'Recreate' }]) {
    const out = smp(liveDeployment(), { spec: { strategy } });
    assert.deepEqual(out.spec.strategy, { type: 'Recreate' });
  }
  // without retainKeys the old rollingUpdate stays (and validation would reject it)
  const plain = smp(liveDeployment(), { spec: { strategy: { type: 'Recreate' } } });
  assert.deepEqual(Object.keys(plain.spec.strategy).sort(), ['rollingUpdate', 'type']);
});

test('$retainKeys must list every key the patch sets', () => {
  rejects(() => smp(liveDeployment(), { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: { maxSurge: 1 } } } }), 400,
    'invalid patch format of retainKeys');
  rejects(() => smp(liveDeployment(), { spec: { strategy: { $retainKeys: 'type' } } }), 400, 'invalid patch format of retainKeys');
});

test('$retainKeys inside a merge-list item (volume source switch)', () => {
  const out = smp(liveDeployment(), { spec: { template: { spec: { volumes: [{ $retainKeys: ['emptyDir', 'name'], emptyDir: {}, name: 'cfg' }] } } } });
  assert.deepEqual(out.spec.template.spec.volumes, [{ name: 'cfg', emptyDir: {} }]);
});

test('primitive merge lists are unioned; $deleteFromPrimitiveList removes; order directive applies', () => {
  const live = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', finalizers: ['a', 'b'] } };
  assert.deepEqual(smp(live, { metadata: { finalizers: ['b', 'c'] } }, pod).metadata.finalizers, ['a', 'b', 'c']);
  assert.deepEqual(smp(live, { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } }, pod).metadata.finalizers, ['b']);
  const both = smp(live, { metadata: { '$setElementOrder/finalizers': ['c', 'b'], finalizers: ['c'], '$deleteFromPrimitiveList/finalizers': ['a'] } }, pod);
  assert.deepEqual(both.metadata.finalizers, ['c', 'b']);
  // a delete list for a field that is absent changes nothing
  assert.equal(smp({ metadata: {} }, { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } }, pod).metadata.finalizers, undefined);
  rejects(() => smp(live, { metadata: { $deleteFromPrimitiveList: ['a'] } }, pod), 400, 'invalid patch format of primitive list');
});

test('lists without merge strategy are replaced; command is atomic', () => {
  const out = smp(liveDeployment(), { spec: { template: { spec: { containers: [{ name: 'sidecar', command: ['true'] }] } } } });
  assert.deepEqual(out.spec.template.spec.containers[1].command, ['true']);
});

test('null deletes a key; nulls inside newly added maps are dropped', () => {
  const out = smp(liveDeployment(), { metadata: { labels: { app: null, tier: 'fe' } }, spec: { paused: null, template: { metadata: { annotations: { a: 'b', c: null } } } } });
  assert.deepEqual(out.metadata.labels, { tier: 'fe' });
  assert.deepEqual(out.spec.template.metadata.annotations, { a: 'b' });
  assert.ok(!('paused' in out.spec));
});

test('without a schema maps merge and lists are replaced (JSON merge patch behaviour)', () => {
  const cr = { apiVersion: 'x.io/v1', kind: 'Thing', spec: { items: [{ name: 'a' }, { name: 'b' }], conf: { a: 1, b: 2 } } };
  const out = strategicMergePatch(cr, JSON.stringify({ spec: { items: [{ name: 'c' }], conf: { b: null, c: 3 } } }), undefined) as any;
  assert.deepEqual(out.spec, { items: [{ name: 'c' }], conf: { a: 1, c: 3 } });
});

test('lists of lists are 422; malformed bodies are 400', () => {
  const s = { type: 'object' as const, fields: { l: { type: 'array' as const, patchStrategy: 'merge', items: { type: 'array' as const } } } };
  rejects(() => strategicMergePatch({ l: [[1]] }, JSON.stringify({ l: [[2]] }), s), 422, 'the server rejected our request due to an error in our request');
  rejects(() => strategicMergePatch({}, '{"a":', deployment), 400, 'unexpected end of JSON input');
  rejects(() => strategicMergePatch({}, '[1]', deployment), 400, 'json: cannot unmarshal array into Go value of type map[string]interface {}');
});

test('a map replacing a scalar (type change) takes the patch value', () => {
  const out = smp({ spec: { replicas: 'x' } }, { spec: { replicas: { a: 1 } } });
  assert.deepEqual(out.spec.replicas, { a: 1 });
});
