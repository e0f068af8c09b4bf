// End to end: ResourceQuotas with real kubectl on `k8ts server --simulated-nodes 1`: the
// controller's status (kubectl describe quota), admission refusing what does not fit with
// upstream's messages (missing requests/limits, exceeded compute, counts and node ports), usage
// released when a pod goes, and a BestEffort-scoped quota that other pods do not count against.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kc, kubectl, startK8ts, type ServerHandle } from './harness.js';
import { eventually } from './poll.js';

let srv: ServerHandle;
const k = (...args: string[]) => kc(srv.kubeconfig, ['-n', 'q', ...args]);
const run = (name: string, resources?: object) => kubectl(srv.kubeconfig, ['-n', 'q', 'run', name, '--image=busybox',
  ...(resources ? ['--overrides', JSON.stringify({ spec: { containers: [{ name, image: 'busybox', resources }] } })] : [])]);
const used = (quota: string) => JSON.parse(k('get', 'quota', quota, '-o', 'json')).status?.used ?? {};
const sized = (cpu: string, mem: string) => ({ requests: { cpu }, limits: { memory: mem } });

describe('ResourceQuota', { timeout: 120_000 }, () => {
  before(async () => {
    srv = await startK8ts({ args: ['--simulated-nodes', '1'] });
    kc(srv.kubeconfig, ['create', 'namespace', 'q']);
  });
  after(async () => { await srv?.stop(); });

  it('counts usage, refuses what does not fit, and frees usage when objects go', async () => {
    k('create', 'quota', 'compute', '--hard=pods=2,requests.cpu=1,limits.memory=1Gi,count/deployments.apps=1,services.nodeports=0');
    await eventually('status counted', () => (JSON.parse(k('get', 'quota', 'compute', '-o', 'json')).status?.hard ? true : undefined));
    assert.match(run('bare').stderr, /pods "bare" is forbidden: failed quota: compute: must specify limits.memory for: bare; requests.cpu for: bare/);
    assert.equal(run('p1', sized('600m', '512Mi')).code, 0);
    assert.match(run('p2', sized('600m', '512Mi')).stderr, /pods "p2" is forbidden: exceeded quota: compute, requested: requests.cpu=600m, used: requests.cpu=600m, limited: requests.cpu=1/);
    assert.equal(run('p3', sized('100m', '256Mi')).code, 0);
    assert.match(run('p4', sized('100m', '256Mi')).stderr, /exceeded quota: compute, requested: pods=1, used: pods=2, limited: pods=2/);
    assert.deepEqual(used('compute'), { 'count/deployments.apps': '0', 'limits.memory': '768Mi', pods: '2', 'requests.cpu': '700m', 'services.nodeports': '0' });
    assert.match(k('describe', 'quota', 'compute'), /requests\.cpu\s+700m\s+1\n/);
    k('create', 'deployment', 'one', '--image=busybox');
    assert.match(kubectl(srv.kubeconfig, ['-n', 'q', 'create', 'deployment', 'two', '--image=busybox']).stderr, /exceeded quota: compute, requested: count\/deployments.apps=1, used: count\/deployments.apps=1, limited: count\/deployments.apps=1/);
    assert.match(kubectl(srv.kubeconfig, ['-n', 'q', 'create', 'service', 'nodeport', 'np', '--tcp=80']).stderr, /services "np" is forbidden: exceeded quota: compute, requested: services.nodeports=1/);
    // the Deployment's pods ask for nothing: its ReplicaSet reports why it cannot create them
    await eventually('FailedCreate', () => (/FailedCreate.*failed quota: compute: must specify/.test(k('get', 'events')) ? true : undefined));
    k('delete', 'pod', 'p1', '--wait=false');
    await eventually('usage freed', () => (used('compute').pods === '1' && used('compute')['requests.cpu'] === '100m' ? true : undefined));
    assert.equal(run('p5', sized('600m', '512Mi')).code, 0);
  });

  it('a scoped quota counts only the pods in its scope', async () => {
    kc(srv.kubeconfig, ['create', 'namespace', 'scoped']);
    const ks = (...args: string[]) => kc(srv.kubeconfig, ['-n', 'scoped', ...args]);
    ks('create', 'quota', 'best-effort', '--hard=pods=1', '--scopes=BestEffort');
    await eventually('status counted', () => (JSON.parse(ks('get', 'quota', 'best-effort', '-o', 'json')).status?.hard ? true : undefined));
    ks('run', 'be1', '--image=busybox');
    assert.match(kubectl(srv.kubeconfig, ['-n', 'scoped', 'run', 'be2', '--image=busybox']).stderr, /exceeded quota: best-effort/);
    ks('run', 'sized', '--image=busybox', '--overrides', JSON.stringify({ spec: { containers: [{ name: 'sized', image: 'busybox', resources: { requests: { cpu: '10m' } } }] } }));
    assert.equal(JSON.parse(ks('get', 'quota', 'best-effort', '-o', 'json')).status.used.pods, '1');
  });

  it('a scopeSelector quota counts only its priority class; a pod one quota refuses is charged to none', async () => {
    kc(srv.kubeconfig, ['create', 'namespace', 'pcq']);
    const kp = (...args: string[]) => kc(srv.kubeconfig, ['-n', 'pcq', ...args]);
    kc(srv.kubeconfig, ['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'quota-high' }, value: 1000 }) });
    kc(srv.kubeconfig, ['apply', '-n', 'pcq', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'high-only' },
      spec: { hard: { pods: '1' }, scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['quota-high'] }] } } }) });
    kp('create', 'quota', 'cpu-small', '--hard=requests.cpu=100m');
    await eventually('status counted', () => (JSON.parse(kp('get', 'quota', 'high-only', '-o', 'json')).status?.hard && JSON.parse(kp('get', 'quota', 'cpu-small', '-o', 'json')).status?.hard ? true : undefined));
    const pod = (name: string, cpu: string, pc?: string) => kubectl(srv.kubeconfig, ['-n', 'pcq', 'run', name, '--image=busybox', '--overrides',
      JSON.stringify({ spec: { ...(pc ? { priorityClassName: pc } : {}), containers: [{ name, image: 'busybox', resources: { requests: { cpu } } }] } })]);
    assert.equal(pod('plain1', '10m').code, 0);
    assert.equal(pod('plain2', '10m').code, 0, 'pods without the class are not counted by high-only');
    assert.equal(JSON.parse(kp('get', 'quota', 'high-only', '-o', 'json')).status.used.pods, '0');
    // refused by cpu-small: high-only must not count it
    for (const i of [1, 2]) assert.match(pod(`big${i}`, '500m', 'quota-high').stderr, /exceeded quota: cpu-small/);
    assert.equal(JSON.parse(kp('get', 'quota', 'high-only', '-o', 'json')).status.used.pods, '0');
    assert.equal(pod('high1', '10m', 'quota-high').code, 0);
    assert.match(pod('high2', '10m', 'quota-high').stderr, /exceeded quota: high-only, requested: pods=1, used: pods=1, limited: pods=1/);
  });
});
