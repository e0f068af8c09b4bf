import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { nowMicroTime, nowRFC3339 } from './time.js';

test('nowRFC3339: a given date, and now (made once per second, and again in the next)', () => {
  assert.equal(nowRFC3339(new Date('2026-11-27T08:09:10.123Z')), '2026-11-27T08:09:10Z');
  assert.equal(nowMicroTime(new Date('2026-11-27T08:09:10.123Z')), '2026-11-27T08:09:10.123000Z');
  mock.timers.enable({ apis: ['Date'], now: Date.parse('2030-01-02T03:04:05.000Z') });
  try {
    assert.equal(nowRFC3339(), '2030-01-02T03:04:05Z');
    mock.timers.tick(999);
    assert.equal(nowRFC3339(), '2030-01-02T03:04:05Z');
    mock.timers.tick(1);
    assert.equal(nowRFC3339(), '2030-01-02T03:04:06Z');
    mock.timers.setTime(Date.parse('2029-12-31T23:59:59.500Z')); // the clock may step back
    assert.equal(nowRFC3339(), '2029-12-31T23:59:59Z');
  } finally {
    mock.timers.reset();
  }
  const t = Date.parse(nowRFC3339());
  assert.ok(Math.abs(Date.now() - t) < 1500, 'now, to the second');
});
