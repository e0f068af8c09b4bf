// The Summary API's numbers: node usage from /proc, container CPU as a rate between samples.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseProc, StatsProvider } from './stats.js';
import type { CriClient } from './cri/client.js';

const stat = (busy: number, idle: number) => `cpu  ${busy} 0 0 ${idle} 7 0 0 0 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\nbtime 1700000000\n`;
const meminfo = 'MemTotal:       16000000 kB\nMemFree:         6000000 kB\nMemAvailable:   12000000 kB\nInactive(file):  2000000 kB\n';

test('parseProc: busy CPU time without idle and iowait; working set without the inactive file cache', () => {
  const r = parseProc('cpu  100 20 30 1000 50 5 5 2 9 0\nbtime 1700000000\n', meminfo, 42);
  assert.deepEqual(r.cpu, { t: 42, cpu: (100 + 20 + 30 + 5 + 5 + 2) * 1e7 });
  assert.deepEqual(r.memory, { total: 16000000 * 1024, workingSet: 8000000 * 1024, available: 12000000 * 1024, usage: 10000000 * 1024 });
  assert.equal(r.bootTime, 1700000000);
});

test('StatsProvider: usageNanoCores is the rate since a sample at least 1 s old; exited and unlabelled containers are left out', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'k8ts-stats-'));
  try {
    let cpuNs = 5e9;
    let busy = 1000;
    const labels = { 'io.kubernetes.pod.uid': 'u1', 'io.kubernetes.pod.name': 'web', 'io.kubernetes.pod.namespace': 'ns', 'io.kubernetes.container.name': 'c' };
    const cri = {
      call: async (method: string) => {
        if (method === 'ListContainers') return { containers: [{ id: 'a' }, { id: 'x' }] };
        assert.equal(method, 'ListContainerStats');
        const now = Date.now() * 1e6;
        return {
          stats: [
            { attributes: { id: 'a', labels }, cpu: { timestamp: now, usageCoreNanoSeconds: { value: cpuNs } }, memory: { timestamp: now, workingSetBytes: { value: 4096 } } },
            { attributes: { id: 'gone', labels }, cpu: { timestamp: now, usageCoreNanoSeconds: { value: 1 } }, memory: {} },
            { attributes: { id: 'x', labels: {} }, cpu: { timestamp: now, usageCoreNanoSeconds: { value: 1 } }, memory: {} },
          ],
        };
      },
    } as unknown as CriClient;
    writeFileSync(join(dir, 'meminfo'), meminfo);
    writeFileSync(join(dir, 'stat'), stat(busy, 5000));
    const p = new StatsProvider({ cri, nodeName: 'n1', procDir: dir, intervalMs: 60_000 });
    p.start();
    await new Promise((r) => setTimeout(r, 1100));
    // half a core for the container, one core for the node over the next ~1 s
    const t0 = Date.now();
    cpuNs += 0.5e9 * ((t0 - (t0 - 1100)) / 1000);
    busy += 110;
    writeFileSync(join(dir, 'stat'), stat(busy, 5000));
    const s = await p.summary();
    p.stop();
    assert.equal(s.node.nodeName, 'n1');
    assert.equal(s.node.startTime, '2023-11-14T22:13:20Z');
    assert.equal(s.node.memory?.workingSetBytes, 8000000 * 1024);
    const nodeCores = s.node.cpu!.usageNanoCores! / 1e9;
    assert.ok(nodeCores > 0.8 && nodeCores < 1.1, `node ${nodeCores} cores`);
    assert.equal(s.pods.length, 1);
    assert.deepEqual(s.pods[0].podRef, { name: 'web', namespace: 'ns', uid: 'u1' });
    assert.equal(s.pods[0].containers.length, 1);
    const c = s.pods[0].containers[0];
    assert.equal(c.name, 'c');
    assert.equal(c.memory?.workingSetBytes, 4096);
    const cores = c.cpu!.usageNanoCores! / 1e9;
    assert.ok(cores > 0.4 && cores < 0.55, `container ${cores} cores`);
    assert.equal(s.pods[0].cpu?.usageNanoCores, c.cpu!.usageNanoCores);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
