// Quantities printed as resource.Quantity's canonical forms (metrics.k8s.io usage, as metrics-server prints it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalQuantity, cpuQuantity, memoryQuantity } from './quantity.js';

test('CPU in nanocores prints in the largest exact unit', () => {
  assert.deepEqual([0, 1e9, 2e9, 250e6, 1500e3, 993647823].map(cpuQuantity), ['0', '1', '2', '250m', '1500u', '993647823n']);
});

test('memory prints as a BinarySI quantity', () => {
  assert.deepEqual([0, 1024, 1 << 20, 1500 * 1024, 3 * 2 ** 30, 1000].map(memoryQuantity), ['0', '1Ki', '1Mi', '1500Ki', '3Gi', '1000']);
});

test('quantities are written back in canonical form, keeping the kind of suffix', () => {
  const cases: [unknown, string][] = [
    ['0', '0'], ['0m', '0'], [0, '0'], ['1', '1'], [1, '1'], ['1000m', '1'], ['1500m', '1500m'], [0.5, '500m'], ['0.5', '500m'],
    ['1.001', '1001m'], ['0.0001', '100u'], ['0.1m', '100u'], ['2000', '2k'], [2000, '2k'], ['1200', '1200'], ['1024', '1024'],
    ['100k', '100k'], ['1000k', '1M'], ['1.1n', '2n'], ['-0.5', '-500m'], ['-1', '-1'], ['+1', '1'], ['.5', '500m'],
    ['1Ki', '1Ki'], ['1024Ki', '1Mi'], ['1.5Gi', '1536Mi'], ['0.5Ki', '512'], ['1.5Ki', '1536'], ['2Gi', '2Gi'], ['1.5Ki', '1536'],
    ['1e3', '1e3'], ['1.5e3', '1500'], ['100e-3', '100e-3'], ['12e6', '12e6'], ['1E3', '1e3'], ['1E', '1E'], ['1G', '1G'],
  ];
  for (const [input, want] of cases) assert.equal(canonicalQuantity(input), want, `canonical form of ${JSON.stringify(input)}`);
  for (const bad of ['', 'abc', '1.2.3', '1Kb', '1e', null, {}]) assert.equal(canonicalQuantity(bad), undefined, JSON.stringify(bad));
});
