import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CronParseError, parseSchedule } from './cron.js';
import { FakeClock, scaledClock } from './clock.js';

const iso = (d: Date | null) => d?.toISOString().replace('.000Z', 'Z');
const nexts = (spec: string, from: string, n: number, zone?: string) => {
  const s = parseSchedule(spec, zone);
  const out: string[] = [];
  let t: Date | null = new Date(from);
  for (let i = 0; i < n && t; i++) { t = s.next(t); out.push(iso(t)!); }
  return out;
};

test('every minute, steps, ranges, lists', () => {
  assert.deepEqual(nexts('*/1 * * * *', '2024-01-01T00:00:30Z', 3), ['2024-01-01T00:01:00Z', '2024-01-01T00:02:00Z', '2024-01-01T00:03:00Z']);
  assert.deepEqual(nexts('*/15 * * * *', '2024-01-01T00:00:00Z', 3), ['2024-01-01T00:15:00Z', '2024-01-01T00:30:00Z', '2024-01-01T00:45:00Z']);
  assert.deepEqual(nexts('5-10/5,30 1 * * *', '2024-01-01T00:00:00Z', 4), ['2024-01-01T01:05:00Z', '2024-01-01T01:10:00Z', '2024-01-01T01:30:00Z', '2024-01-02T01:05:00Z']);
  assert.deepEqual(nexts('10/20 * * * *', '2024-01-01T00:00:00Z', 3), ['2024-01-01T00:10:00Z', '2024-01-01T00:30:00Z', '2024-01-01T00:50:00Z']);
});

test('names, day-of-week and day-of-month rules', () => {
  // 2024-01-01 is a Monday
  assert.deepEqual(nexts('0 9 * * MON-FRI', '2024-01-05T10:00:00Z', 2), ['2024-01-08T09:00:00Z', '2024-01-09T09:00:00Z']);
  assert.deepEqual(nexts('0 0 1 jan,Jul *', '2024-01-01T00:00:00Z', 2), ['2024-07-01T00:00:00Z', '2025-01-01T00:00:00Z']);
  // both restricted: either matches (the 13th or any Friday)
  assert.deepEqual(nexts('0 0 13 * 5', '2024-01-01T00:00:00Z', 3), ['2024-01-05T00:00:00Z', '2024-01-12T00:00:00Z', '2024-01-13T00:00:00Z']);
  // dow given as */1 keeps the star: only dom restricts
  assert.deepEqual(nexts('0 0 13 * */1', '2024-01-01T00:00:00Z', 1), ['2024-01-13T00:00:00Z']);
  assert.deepEqual(nexts('0 0 29 2 *', '2024-03-01T00:00:00Z', 1), ['2028-02-29T00:00:00Z']);
  assert.equal(parseSchedule('59 23 31 2 *').next(new Date('2024-01-01T00:00:00Z')), null);
});

test('descriptors and @every', () => {
  assert.deepEqual(nexts('@hourly', '2024-01-01T00:00:00Z', 2), ['2024-01-01T01:00:00Z', '2024-01-01T02:00:00Z']);
  assert.deepEqual(nexts('@daily', '2024-01-01T05:00:00Z', 1), ['2024-01-02T00:00:00Z']);
  assert.deepEqual(nexts('@weekly', '2024-01-01T05:00:00Z', 1), ['2024-01-07T00:00:00Z']);
  assert.deepEqual(nexts('@monthly', '2024-01-15T05:00:00Z', 1), ['2024-02-01T00:00:00Z']);
  assert.deepEqual(nexts('@yearly', '2024-01-15T05:00:00Z', 1), ['2025-01-01T00:00:00Z']);
  assert.deepEqual(nexts('@every 1h30m', '2024-01-01T00:00:00.500Z', 1), ['2024-01-01T01:30:00Z']);
});

test('time zones: prefix, default zone and DST', () => {
  assert.deepEqual(nexts('CRON_TZ=Asia/Tokyo 0 9 * * *', '2024-01-01T00:00:00Z', 1), ['2024-01-02T00:00:00Z']);
  assert.deepEqual(nexts('TZ=Asia/Kolkata 30 0 * * *', '2024-01-01T00:00:00Z', 1), ['2024-01-01T19:00:00Z']);
  assert.deepEqual(nexts('0 9 * * *', '2024-01-01T00:00:00Z', 1, 'Europe/Berlin'), ['2024-01-01T08:00:00Z']);
  // New York springs forward on 2024-03-10 (02:00 -> 03:00): 02:30 does not exist that day
  assert.deepEqual(nexts('30 2 * * *', '2024-03-09T12:00:00Z', 2, 'America/New_York'), ['2024-03-11T06:30:00Z', '2024-03-12T06:30:00Z']);
  // 01:30 happens twice on 2024-11-03; it runs once
  assert.deepEqual(nexts('30 1 * * *', '2024-11-02T12:00:00Z', 2, 'America/New_York'), ['2024-11-03T05:30:00Z', '2024-11-04T06:30:00Z']);
  assert.deepEqual(nexts('0 12 * * *', '2024-06-30T00:00:00Z', 2, 'America/New_York'), ['2024-06-30T16:00:00Z', '2024-07-01T16:00:00Z']);
});

test('parse errors read as robfig/cron reports them', () => {
  const msg = (s: string) => { try { parseSchedule(s); return ''; } catch (e) { assert.ok(e instanceof CronParseError); return e.message; } };
  assert.equal(msg('bad'), 'expected exactly 5 fields, found 1: [bad]');
  assert.equal(msg('61 * * * *'), 'end of range (61) above maximum (59): 61');
  assert.equal(msg('x * * * *'), 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax');
  assert.equal(msg('@often'), 'unrecognized descriptor: @often');
  assert.equal(msg('5-1 * * * *'), 'beginning of range (5) beyond end of range (1): 5-1');
  assert.equal(msg('* * * * 7'), 'end of range (7) above maximum (6): 7');
  assert.match(msg('TZ=Nowhere/Land * * * * *'), /unknown time zone Nowhere\/Land/);
});

test('clocks', () => {
  const f = new FakeClock(1000);
  f.step(500);
  assert.equal(f.now().getTime(), 1500);
  const origin = Date.now();
  const s = scaledClock({ rate: 60, offsetMs: 5000, origin });
  assert.ok(Math.abs(s.now().getTime() - (origin + 5000)) < 1000);
  assert.equal(s.realDelay(60_000), 1000);
});
