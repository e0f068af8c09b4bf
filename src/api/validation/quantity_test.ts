// Quantities printed as resource.Quantity's canonical forms (metrics.k8s.io usage, as metrics-server prints it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpuQuantity, memoryQuantity } from './quantity.js';

test('CPU in nanocores prints in the largest exact unit', () => {
  assert.deepEqual([0, 1e9, 2e9, 250e6, 1500e3, 993647823].map(cpuQuantity), ['0', '1', '2', '250m', '1500u', '993647823n']);
});

test('memory prints as a BinarySI quantity', () => {
  assert.deepEqual([0, 1024, 1 << 20, 1500 * 1024, 3 * 2 ** 30, 1000].map(memoryQuantity), ['0', '1Ki', '1Mi', '1500Ki', '3Gi', '1000']);
});
