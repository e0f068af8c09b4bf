// libcni's result cache: a network's entries and its sandboxes' loopback entries go; other
// networks' entries, and files that only look similar, stay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeCniResults } from './cni.js';

test('removeCniResults removes one network\'s cached results and their loopback ones', () => {
  const dir = mkdtempSync(join(tmpdir(), 'k8ts-cni-results-'));
  try {
    const a = 'a'.repeat(64), b = 'b'.repeat(64), c = 'c'.repeat(64);
    const files = [
      `k8ts-c42d86-${a}-eth0`, `cni-loopback-${a}-lo`,
      `k8ts-c42d86-${b}-eth0`, `cni-loopback-${b}-lo`,
      `k8ts-0beef0-${c}-eth0`, `cni-loopback-${c}-lo`, // another cluster's
      'k8ts-c42d86-notanid-eth0', 'k8ts-c42d86ff-x',
    ];
    for (const f of files) writeFileSync(join(dir, f), '{}');
    removeCniResults('k8ts-c42d86', dir);
    assert.deepEqual(readdirSync(dir).sort(), [`cni-loopback-${c}-lo`, 'k8ts-0beef0-' + c + '-eth0', 'k8ts-c42d86-notanid-eth0', 'k8ts-c42d86ff-x'].sort());
    removeCniResults('k8ts-c42d86', join(dir, 'missing')); // no directory: nothing to do
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
