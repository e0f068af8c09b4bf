import { test } from 'node:test';
import assert from 'node:assert/strict';
import { humanDuration, since } from './duration.js';
import { NOW } from './testutil_test.js';

const S = 1000, M = 60 * S, H = 60 * M, D = 24 * H;

test('humanDuration follows apimachinery HumanDuration boundaries', () => {
  const cases: [number, string][] = [
    [-3 * S, '<invalid>'], [-1500, '0s'], [0, '0s'], [5 * S, '5s'], [119 * S, '119s'], [120 * S, '2m'],
    [3 * M + 20 * S, '3m20s'], [9 * M + 59 * S, '9m59s'], [10 * M + 30 * S, '10m'], [179 * M, '179m'], [3 * H, '3h'],
    [5 * H + 7 * M, '5h7m'], [8 * H + 30 * M, '8h'], [47 * H, '47h'], [2 * D, '2d'], [3 * D + 5 * H, '3d5h'],
    [7 * D + 23 * H, '7d23h'], [8 * D + 5 * H, '8d'], [400 * D, '400d'], [729 * D, '729d'], [730 * D, '2y'],
    [800 * D, '2y70d'], [365 * 8 * D, '8y'], [365 * 10 * D + 50 * D, '10y'],
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, `${ms}ms`);
});

test('since reports <unknown> for a missing timestamp', () => {
  assert.equal(since(undefined, NOW), '<unknown>');
  assert.equal(since('', NOW), '<unknown>');
  assert.equal(since('2024-06-01T11:55:00Z', NOW), '5m');
});
