import { test } from 'node:test';
import assert from 'node:assert/strict';
import { linuxResources, qosClass } from './resources.js';

const pod = (resources: any[]): any => ({ metadata: { name: 'p' }, spec: { containers: resources.map((r, i) => ({ name: `c${i}`, resources: r })) } });
const GiB = 1 << 30;

test('cgroup settings from requests and limits', () => {
  const p = pod([{ requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } }]);
  assert.deepEqual(linuxResources(p, p.spec.containers[0], 4 * GiB), {
    cpuShares: 256, cpuPeriod: 100000, cpuQuota: 50000, memoryLimitInBytes: 128 * 1024 * 1024, oomScoreAdj: 985,
  });
});

test('best effort: minimum shares, no quota or limit, oom_score_adj 1000', () => {
  const p = pod([{}]);
  assert.deepEqual(linuxResources(p, p.spec.containers[0], 4 * GiB), { cpuShares: 2, oomScoreAdj: 1000 });
  assert.equal(qosClass(p), 'BestEffort');
});

test('guaranteed: requests default to limits; tiny limits get the minimum quota', () => {
  const p = pod([{ limits: { cpu: '1m', memory: '20Mi' } }]);
  assert.equal(qosClass(p), 'Guaranteed');
  assert.deepEqual(linuxResources(p, p.spec.containers[0], 4 * GiB), { cpuShares: 2, cpuPeriod: 100000, cpuQuota: 1000, memoryLimitInBytes: 20 * 1024 * 1024, oomScoreAdj: -997 });
  assert.equal(qosClass(pod([{ limits: { cpu: '1' } }, {}])), 'Burstable');
});
