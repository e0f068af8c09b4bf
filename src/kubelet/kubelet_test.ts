import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { slotOf } from './kubelet.js';

test('resync slots: stable per uid and spread over the period', () => {
  const uid = randomUUID();
  assert.equal(slotOf(uid, 30), slotOf(uid, 30));
  const counts = new Array(30).fill(0);
  for (let i = 0; i < 3000; i++) counts[slotOf(randomUUID(), 30)]++;
  // 100 expected per slot; a burst (all pods in one slot) is what this guards against
  for (const c of counts) assert.ok(c > 50 && c < 150, `slot counts ${counts.join(',')}`);
  assert.equal(slotOf('anything', 1), 0);
});
