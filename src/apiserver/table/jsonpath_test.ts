import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findResults, parseJSONPath, resultText } from './jsonpath.js';

const data = {
  metadata: { name: 'x', labels: { 'app.kubernetes.io/name': 'web' }, annotations: { 'a.b/c': 'd' } },
  spec: { replicas: 3, containers: [{ name: 'a', image: 'ia' }, { name: 'b', image: 'ib' }] },
  status: { conditions: [{ type: 'Ready', status: 'True' }, { type: 'Synced', status: 'False' }] },
};

test('simple paths, indexes, wildcards and slices', () => {
  assert.deepEqual(findResults('.spec.replicas', data), [3]);
  assert.deepEqual(findResults('{.spec.replicas}', data), [3]);
  assert.deepEqual(findResults('.spec.containers[0].image', data), ['ia']);
  assert.deepEqual(findResults('.spec.containers[-1].name', data), ['b']);
  assert.deepEqual(findResults('.spec.containers[*].name', data), ['a', 'b']);
  assert.deepEqual(findResults('.spec.containers[0:1].name', data), ['a']);
  assert.deepEqual(findResults('.spec.containers[5].name', data), []);
  assert.deepEqual(findResults('.spec.missing.deeper', data), []);
  assert.deepEqual(findResults('$.metadata.name', data), ['x']);
});

test('quoted keys, escaped dots, recursive descent', () => {
  assert.deepEqual(findResults(".metadata.labels['app.kubernetes.io/name']", data), ['web']);
  assert.deepEqual(findResults('.metadata.annotations.a\\.b/c', data), ['d']);
  assert.deepEqual(findResults('..image', data), ['ia', 'ib']);
});

test('filters', () => {
  assert.deepEqual(findResults('.status.conditions[?(@.type=="Ready")].status', data), ['True']);
  assert.deepEqual(findResults(".status.conditions[?(@.type!='Ready')].type", data), ['Synced']);
  assert.deepEqual(findResults('.spec.containers[?(@.image)].name', data), ['a', 'b']);
  assert.deepEqual(findResults('.spec.containers[?(@.nothing)].name', data), []);
});

test('syntax errors throw', () => {
  assert.throws(() => parseJSONPath('.spec.containers[0'));
  assert.throws(() => parseJSONPath('.a[?(@.b==)]'));
});

test('result text prints scalars plainly and maps/lists as JSON with sorted keys', () => {
  assert.equal(resultText('s'), 's');
  assert.equal(resultText(3), '3');
  assert.equal(resultText(true), 'true');
  assert.equal(resultText({ b: 1, a: [1, 'x'] }), '{"a":[1,"x"],"b":1}');
});
