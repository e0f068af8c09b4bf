import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatusError } from '../../api/status.js';
import { mergePatch } from './merge-patch.js';

const mp = (d: unknown, p: unknown) => mergePatch(d, JSON.stringify(p));

test('RFC 7386 appendix A examples (object patches)', () => {
  const cases: Array<[unknown, unknown, unknown]> = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  for (const [doc, patch, want] of cases) assert.deepEqual(mp(doc, patch), want, JSON.stringify([doc, patch]));
});

test('merges a deployment: lists are replaced wholesale, other fields kept', () => {
  const live = { spec: { replicas: 1, template: { spec: { containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'y' }] } } } };
  const out = mp(live, { spec: { template: { spec: { containers: [{ name: 'a', image: 'z' }] } } } }) as any;
  assert.deepEqual(out.spec.template.spec.containers, [{ name: 'a', image: 'z' }]);
  assert.equal(out.spec.replicas, 1);
  assert.equal(live.spec.template.spec.containers.length, 2, 'input untouched');
});

test('nulls inside objects within a replacing array are pruned', () => {
  assert.deepEqual(mp({}, { a: [{ b: null, c: 1 }, null] }), { a: [{ c: 1 }, null] });
});

test('a body that is not a JSON object is 400 Invalid JSON Patch', () => {
  for (const body of ['nope', '"str"', 'null', '[1]', '{"a":']) {
    assert.throws(() => mergePatch({}, body), (e: unknown) => e instanceof StatusError && e.code === 400 && e.message === 'Invalid JSON Patch', body);
  }
});
