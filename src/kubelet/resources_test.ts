import { test } from 'node:test';
import assert from 'node:assert/strict';
import { podQOSClass } from '../api/qos.js';
import { linuxResources } from './resources.js';

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
  assert.equal(podQOSClass(p.spec), 'BestEffort');
});

test('guaranteed (requests equal to limits); tiny limits get the minimum quota', () => {
  // as the API server delivers it: requests defaulted to the limits
  const p = pod([{ requests: { cpu: '1m', memory: '20Mi' }, limits: { cpu: '1m', memory: '20Mi' } }]);
  assert.equal(podQOSClass(p.spec), 'Guaranteed');
  assert.deepEqual(linuxResources(p, p.spec.containers[0], 4 * GiB), { cpuShares: 2, cpuPeriod: 100000, cpuQuota: 1000, memoryLimitInBytes: 20 * 1024 * 1024, oomScoreAdj: -997 });
  assert.equal(podQOSClass(pod([{ limits: { cpu: '1' } }, {}]).spec), 'Burstable');
});
