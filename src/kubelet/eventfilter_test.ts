import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventSpamFilter } from './eventfilter.js';

test('spam filter: a burst per key, then one token per refill period', () => {
  let now = 0;
  const f = new EventSpamFilter(3, 1000, () => now);
  assert.deepEqual([f.allow('a'), f.allow('a'), f.allow('a'), f.allow('a')], [true, true, true, false]);
  assert.equal(f.allow('b'), true, 'keys have their own buckets');
  now = 999;
  assert.equal(f.allow('a'), false);
  now = 1000;
  assert.deepEqual([f.allow('a'), f.allow('a')], [true, false]);
  now = 10_000;
  assert.deepEqual([f.allow('a'), f.allow('a'), f.allow('a'), f.allow('a')], [true, true, true, false], 'refills up to the burst only');
});
