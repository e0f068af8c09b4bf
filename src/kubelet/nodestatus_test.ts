import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allocatable, nodeConditionsFor, nodeImages } from './nodestatus.js';

const ok = { memAvailableKi: 4 << 20, nodefsAvailableFraction: 0.5 };

test('pressure conditions follow the hard eviction thresholds and keep their transition time', () => {
  const t0 = nodeConditionsFor(ok, [], '2026-01-01T00:00:00Z');
  assert.deepEqual(t0.map((c) => `${c.type}=${c.status}`), ['MemoryPressure=False', 'DiskPressure=False', 'PIDPressure=False', 'Ready=True']);
  const t1 = nodeConditionsFor({ memAvailableKi: 50 * 1024, nodefsAvailableFraction: 0.05 }, t0, '2026-01-01T00:01:00Z');
  const mem = t1.find((c) => c.type === 'MemoryPressure');
  assert.equal(mem.status, 'True');
  assert.equal(mem.reason, 'KubeletHasInsufficientMemory');
  assert.equal(mem.lastTransitionTime, '2026-01-01T00:01:00Z');
  assert.equal(t1.find((c) => c.type === 'DiskPressure').reason, 'KubeletHasDiskPressure');
  const ready = t1.find((c) => c.type === 'Ready');
  assert.equal(ready.lastTransitionTime, '2026-01-01T00:00:00Z', 'unchanged status keeps its transition');
  assert.equal(ready.lastHeartbeatTime, '2026-01-01T00:01:00Z');
});

test('node images: names from tags and digests, largest first, untagged skipped', () => {
  const imgs = nodeImages([
    { repoTags: ['docker.io/library/busybox:latest'], repoDigests: ['docker.io/library/busybox@sha256:ab'], size: 1000 },
    { repoTags: [], repoDigests: [], size: 5 },
    { repoTags: ['registry.k8s.io/pause:3.10'], repoDigests: [], size: 2000 },
  ]);
  assert.deepEqual(imgs, [
    { names: ['registry.k8s.io/pause:3.10'], sizeBytes: 2000 },
    { names: ['docker.io/library/busybox:latest', 'docker.io/library/busybox@sha256:ab'], sizeBytes: 1000 },
  ]);
});

test('allocatable subtracts the eviction thresholds', () => {
  assert.deepEqual(allocatable({ cpu: '2', memory: '1048576Ki', pods: '110', 'ephemeral-storage': '1000Ki' }),
    { cpu: '2', memory: '946176Ki', pods: '110', 'ephemeral-storage': '900Ki' });
});
