import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsonObjectSplitter } from './jsonstream.js';

test('splits objects across chunk boundaries, with or without separators', () => {
  const s = new JsonObjectSplitter();
  const text = '{"type":"ADDED","object":{"a":"}{\\"x"}}\n{"type":"DELETED","object":{"b":[1,{"c":2}]}}{"type":"BOOKMARK","object":{}}';
  const got: unknown[] = [];
  for (let i = 0; i < text.length; i += 7) got.push(...s.push(text.slice(i, i + 7)));
  assert.deepEqual(got, [
    { type: 'ADDED', object: { a: '}{"x' } },
    { type: 'DELETED', object: { b: [1, { c: 2 }] } },
    { type: 'BOOKMARK', object: {} },
  ]);
  assert.equal(s.pending, false);
});

test('multi-byte characters split between chunks', () => {
  const s = new JsonObjectSplitter();
  const bytes = Buffer.from('{"m":"héllo ✓"}');
  const got: unknown[] = [];
  for (let i = 0; i < bytes.length; i++) got.push(...s.push(bytes.subarray(i, i + 1)));
  assert.deepEqual(got, [{ m: 'héllo ✓' }]);
});

test('reports an unfinished object', () => {
  const s = new JsonObjectSplitter();
  assert.deepEqual(s.push('{"a":{"b":1}'), []);
  assert.equal(s.pending, true);
  assert.deepEqual(s.push('}'), [{ a: { b: 1 } }]);
});
