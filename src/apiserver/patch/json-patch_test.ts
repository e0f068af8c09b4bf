import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatusError } from '../../api/status.js';
import { jsonPatch } from './json-patch.js';

const doc = () => ({ metadata: { name: 'web', labels: { app: 'web' }, annotations: { 'a.io/x': '1' } }, spec: { replicas: 2, list: ['a', 'b', 'c'] } });
const jp = (d: unknown, ops: unknown) => jsonPatch(d, JSON.stringify(ops)) as any;

/** 422 as errors.NewGenericServerResponse reports it, with the json-patch message as the cause. */
function fails422(fn: () => unknown, cause: string) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof StatusError);
    assert.equal(e.code, 422);
    assert.equal(e.reason, 'Invalid');
    assert.equal(e.message, 'the server rejected our request due to an error in our request');
    assert.deepEqual(e.details?.causes, [{ reason: 'UnexpectedServerResponse', message: cause }]);
    return true;
  });
}
function fails400(fn: () => unknown, message: string) {
  assert.throws(fn, (e: unknown) => e instanceof StatusError && e.code === 400 && e.reason === 'BadRequest' && e.message === message);
}

test('add, replace, remove, copy, move, test', () => {
  const d = doc();
  const out = jp(d, [
    { op: 'test', path: '/spec/replicas', value: 2 },
    { op: 'replace', path: '/spec/replicas', value: 5 },
    { op: 'add', path: '/metadata/labels/tier', value: 'fe' },
    { op: 'remove', path: '/metadata/labels/app' },
    { op: 'add', path: '/spec/list/-', value: 'd' },
    { op: 'add', path: '/spec/list/0', value: 'z' },
    { op: 'remove', path: '/spec/list/-1' },
    { op: 'copy', from: '/metadata/name', path: '/spec/name' },
    { op: 'move', from: '/spec/name', path: '/metadata/labels/name' },
    { op: 'replace', path: '/metadata/annotations/a.io~1x', value: '2' },
  ]);
  assert.deepEqual(out, { metadata: { name: 'web', labels: { tier: 'fe', name: 'web' }, annotations: { 'a.io/x': '2' } }, spec: { replicas: 5, list: ['z', 'a', 'b', 'c'] } });
  assert.deepEqual(d, doc(), 'input untouched');
});

test('a failing test op is 422 with upstream\'s message', () => {
  fails422(() => jp(doc(), [{ op: 'test', path: '/spec/replicas', value: 3 }]), 'testing value /spec/replicas failed: test failed');
  fails422(() => jp(doc(), [{ op: 'test', path: '/spec/missing', value: 3 }]), 'testing value /spec/missing failed: test failed');
  assert.ok(jp(doc(), [{ op: 'test', path: '/spec/missing', value: null }]));
});

test('paths that do not resolve are 422', () => {
  fails422(() => jp(doc(), [{ op: 'add', path: '/spec/template/spec', value: {} }]), 'add operation does not apply: doc is missing path: "/spec/template/spec": missing value');
  fails422(() => jp(doc(), [{ op: 'remove', path: '/metadata/labels/nope' }]), "error in remove for path: '/metadata/labels/nope': Unable to remove nonexistent key: nope: missing value");
  fails422(() => jp(doc(), [{ op: 'remove', path: '/spec/list/7' }]), "error in remove for path: '/spec/list/7': Unable to access invalid index: 7: invalid index referenced");
  fails422(() => jp(doc(), [{ op: 'replace', path: '/spec/list/9', value: 1 }]), 'replace operation does not apply: doc is missing key: /spec/list/9: missing value');
  fails422(() => jp(doc(), [{ op: 'replace', path: '/nope/x', value: 1 }]), 'replace operation does not apply: doc is missing path: /nope/x: missing value');
  fails422(() => jp(doc(), [{ op: 'add', path: '/spec/list/x', value: 1 }]),
    "error in add for path: '/spec/list/x': value was not a proper array index: 'x': strconv.Atoi: parsing \"x\": invalid syntax");
  fails422(() => jp(doc(), [{ op: 'add', path: 'spec', value: 1 }]), 'add operation does not apply: doc is missing path: "spec": missing value');
  fails422(() => jp(doc(), [{ op: 'frob', path: '/spec' }]), 'Unexpected kind: frob');
  fails422(() => jp(doc(), [{ op: 'move', from: '/spec/nope/x', path: '/a' }]), 'move operation does not apply: doc is missing from path: /spec/nope/x: missing value');
});

test('replace of a missing object key adds it (evanphx v4 behaviour)', () => {
  assert.equal(jp(doc(), [{ op: 'replace', path: '/spec/paused', value: true }]).spec.paused, true);
});

test('an earlier failure leaves nothing applied', () => {
  const d = doc();
  fails422(() => jp(d, [{ op: 'replace', path: '/spec/replicas', value: 9 }, { op: 'test', path: '/spec/replicas', value: 1 }]), 'testing value /spec/replicas failed: test failed');
  assert.equal(d.spec.replicas, 2);
});

test('a body that is not a patch is 400', () => {
  fails400(() => jsonPatch(doc(), '{"op":"add"}'), 'json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  fails400(() => jsonPatch(doc(), '["x"]'), 'json: cannot unmarshal string into Go value of type jsonpatch.Operation');
  fails400(() => jsonPatch(doc(), '[{'), 'unexpected end of JSON input');
  fails400(() => jsonPatch(doc(), 'xyz'), "invalid character 'x' looking for beginning of value");
});
