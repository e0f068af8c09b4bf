import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FieldSet, fieldPE, keyPE, pathString, valuePE } from './fieldpath.js';

const f = fieldPE;

test('FieldsV1 round trip keeps members with children as "."', () => {
  const v1 = {
    'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
    'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"app"}': { '.': {}, 'f:image': {}, 'f:name': {} } } } } },
  };
  const s = FieldSet.fromFieldsV1(v1);
  assert.ok(s.has([f('metadata'), f('labels')]));
  assert.ok(s.has([f('metadata'), f('labels'), f('app')]));
  assert.ok(!s.has([f('metadata')]));
  assert.ok(s.has([f('spec'), f('template'), f('spec'), f('containers'), keyPE({ name: 'app' }), f('image')]));
  assert.deepEqual(s.toFieldsV1(), v1);
  assert.deepEqual(JSON.stringify(s.toFieldsV1()), JSON.stringify(v1));
});

test('encoding sorts fields before keys before values and places "." first', () => {
  const s = FieldSet.of([f('b')], [f('a'), valuePE('y')], [f('a'), valuePE('x')], [f('a')], [f('a'), f('z')]);
  assert.equal(JSON.stringify(s.toFieldsV1()), '{"f:a":{".":{},"f:z":{},"v:\\"x\\"":{},"v:\\"y\\"":{}},"f:b":{}}');
});

test('path strings read as upstream prints them', () => {
  assert.equal(pathString([f('spec'), f('replicas')]), '.spec.replicas');
  assert.equal(pathString([f('spec'), f('containers'), keyPE({ name: 'app' }), f('ports'), keyPE({ protocol: 'TCP', containerPort: 80 })]),
    '.spec.containers[name="app"].ports[containerPort=80,protocol="TCP"]');
  assert.equal(pathString([f('metadata'), f('finalizers'), valuePE('a/b')]), '.metadata.finalizers[="a/b"]');
  assert.equal(keyPE({ protocol: 'TCP', containerPort: 80 }), 'k:{"containerPort":80,"protocol":"TCP"}');
});

test('set algebra: union, intersection, difference vs recursive difference', () => {
  const a = FieldSet.of([f('spec'), f('replicas')], [f('spec'), f('strategy'), f('type')], [f('status')]);
  const b = FieldSet.of([f('spec'), f('replicas')], [f('status'), f('x')]);
  assert.deepEqual(a.intersection(b).paths(), [[f('spec'), f('replicas')]]);
  assert.deepEqual(a.union(b).paths().length, 4);
  assert.deepEqual(a.difference(b).paths(), [[f('status')], [f('spec'), f('strategy'), f('type')]]);
  const withStatusTree = FieldSet.of([f('status'), f('a')], [f('spec'), f('a')]);
  assert.deepEqual(withStatusTree.difference(FieldSet.of([f('status')])).paths().length, 2);
  assert.deepEqual(withStatusTree.recursiveDifference(FieldSet.of([f('status')])).paths(), [[f('spec'), f('a')]]);
  assert.ok(new FieldSet().isEmpty());
  assert.ok(a.difference(a).isEmpty());
});

test('malformed FieldsV1 is rejected', () => {
  assert.throws(() => FieldSet.fromFieldsV1({ 'x:y': {} }));
  assert.throws(() => FieldSet.fromFieldsV1([]));
});
