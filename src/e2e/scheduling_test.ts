// End-to-end: a real server with 3 simulated nodes, the scheduler and the node lifecycle
// controller, driven by real kubectl.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kc, kubectl, startK8ts, type ServerHandle } from './harness.js';

let srv: ServerHandle;
const k = (...args: string[]) => kc(srv.kubeconfig, args);

async function until<T>(what: string, f: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try { const v = f(); if (v) return v; last = v; } catch (e) { last = e; }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}
const podJson = (name: string) => JSON.parse(k('get', 'pod', name, '-o', 'json'));
const applyPod = (name: string, spec: object, meta: object = {}) =>
  kc(srv.kubeconfig, ['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name, ...meta }, spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec } }) });

describe('scheduler and simulated nodes', { timeout: 180_000 }, () => {
  before(async () => {
    srv = await startK8ts({ args: ['--simulated-nodes', '3'], env: { K8TS_NODE_GRACE_SECONDS: '4', K8TS_TOLERATION_SECONDS_CAP: '2' } });
    await until('3 Ready nodes', () => (k('get', 'nodes', '--no-headers').match(/ Ready /g) ?? []).length === 3);
  });
  after(async () => { await srv?.stop(); });

  it('registers nodes with capacity, labels and leases', () => {
    const n = JSON.parse(k('get', 'node', 'k8ts-sim-1', '-o', 'json'));
    assert.equal(n.status.allocatable.cpu, '4');
    assert.equal(n.status.capacity.pods, '110');
    assert.equal(n.metadata.labels['kubernetes.io/hostname'], 'k8ts-sim-1');
    assert.equal(n.metadata.labels['node.kubernetes.io/instance-type'], 'simulated');
    assert.match(k('get', 'lease', '-n', 'kube-node-lease'), /k8ts-sim-2/);
  });

  it('schedules pods, which become Running with an IP', async () => {
    for (const i of [1, 2, 3]) applyPod(`p${i}`, {});
    for (const i of [1, 2, 3]) {
      const p = await until(`p${i} running`, () => { const p = podJson(`p${i}`); return p.status.phase === 'Running' && p; });
      assert.match(p.spec.nodeName, /^k8ts-sim-\d$/);
      assert.match(p.status.podIP, /^10\.42\.\d+\.\d+$/);
      assert.ok(p.status.conditions.some((c: any) => c.type === 'Ready' && c.status === 'True'));
    }
    const ev = k('get', 'events', '--field-selector', 'involvedObject.name=p1', '-o', 'json');
    assert.match(ev, /Successfully assigned default\/p1 to k8ts-sim-\d/);
  });

  it('leaves a pod asking for 100 CPUs Pending, and says why', async () => {
    kc(srv.kubeconfig, ['run', 'big', '--image=busybox', '--overrides', JSON.stringify({ spec: { containers: [{ name: 'big', image: 'busybox', resources: { requests: { cpu: '100' } } }] } })]);
    const want = '0/3 nodes are available: 3 Insufficient cpu.';
    await until('FailedScheduling in describe', () => k('describe', 'pod', 'big').includes(want));
    const p = podJson('big');
    assert.equal(p.status.phase, 'Pending');
    const c = p.status.conditions.find((x: any) => x.type === 'PodScheduled');
    assert.equal(c.status, 'False');
    assert.equal(c.reason, 'Unschedulable');
    assert.ok(c.message.startsWith(want), c.message);
  });

  it('holds pods whose claims are missing, unbound or on another node, and provisions WaitForFirstConsumer claims before binding', async () => {
    const message = (name: string) => podJson(name).status?.conditions?.find((c: any) => c.type === 'PodScheduled')?.message ?? '';
    applyPod('needs-claim', { volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'later' } }] });
    await until('missing claim', () => message('needs-claim') === '0/3 nodes are available: persistentvolumeclaim "later" not found. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.');
    const claim = (name: string, spec: object) => kc(srv.kubeconfig, ['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...spec } }) });
    claim('later', { storageClassName: '' });
    await until('unbound immediate claim', () => message('needs-claim').startsWith('0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims.'));
    // a volume only one node that does not exist can reach: bound, but no node fits
    kc(srv.kubeconfig, ['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'elsewhere' }, spec: {
      capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], storageClassName: '', hostPath: { path: '/tmp/k8ts-e2e-elsewhere' },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['no-such-node'] }] }] } },
    } }) });
    await until('node affinity conflict', () => message('needs-claim').startsWith('0/3 nodes are available: 3 node(s) had volume node affinity conflict.'));
    assert.equal(podJson('needs-claim').spec.nodeName, undefined);

    // local-path (WaitForFirstConsumer): the claim gets the chosen node and its volume before the pod is bound there
    claim('wffc', {});
    applyPod('wffc-user', { volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'wffc' } }] });
    const p = await until('wffc-user running', () => { const x = podJson('wffc-user'); return x.status.phase === 'Running' && x; });
    const c = JSON.parse(k('get', 'pvc', 'wffc', '-o', 'json'));
    assert.equal(c.status.phase, 'Bound');
    assert.equal(c.metadata.annotations['volume.kubernetes.io/selected-node'], p.spec.nodeName);
    const events = JSON.parse(k('get', 'events', '--field-selector', 'involvedObject.name=wffc-user', '-o', 'json')).items;
    assert.deepEqual(events.filter((e: any) => e.reason === 'FailedMount'), []);
    // ReadWriteOncePod: one pod at a time
    claim('solo', { accessModes: ['ReadWriteOncePod'] });
    applyPod('solo-1', { volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'solo' } }] });
    await until('solo-1 running', () => podJson('solo-1').status.phase === 'Running');
    applyPod('solo-2', { volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'solo' } }] });
    await until('solo-2 held', () => message('solo-2').startsWith('0/3 nodes are available: node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode.'));
    k('delete', 'pod', 'needs-claim', 'wffc-user', 'solo-1', 'solo-2', '--grace-period=0', '--force');
    k('delete', 'pvc', 'later', 'wffc', 'solo', '--wait=false');
    k('delete', 'pv', 'elsewhere', '--wait=false');
  });

  it('avoids a tainted node unless the pod tolerates the taint', async () => {
    k('taint', 'node', 'k8ts-sim-0', 'gpu=true:NoSchedule');
    const sel = { nodeSelector: { 'kubernetes.io/hostname': 'k8ts-sim-0' } };
    applyPod('untolerated', sel);
    await until('taint message', () => k('describe', 'pod', 'untolerated').includes('0/3 nodes are available: 1 node(s) had untolerated taint {gpu: true}, 2 node(s) didn\'t match Pod\'s node affinity/selector.'));
    applyPod('tolerated', { ...sel, tolerations: [{ key: 'gpu', operator: 'Equal', value: 'true', effect: 'NoSchedule' }] });
    await until('tolerated pod running on k8ts-sim-0', () => { const p = podJson('tolerated'); return p.status.phase === 'Running' && p.spec.nodeName === 'k8ts-sim-0'; });
    // removing the taint lets the waiting pod in (a node change retries unschedulable pods)
    k('taint', 'node', 'k8ts-sim-0', 'gpu=true:NoSchedule-');
    await until('untolerated pod scheduled after the taint is gone', () => podJson('untolerated').spec.nodeName === 'k8ts-sim-0');
  });

  it('runs pods that exit to Succeeded', async () => {
    applyPod('once', { restartPolicy: 'Never' }, { annotations: { 'k8ts.io/simulated-exit-after-seconds': '1' } });
    const p = await until('once Succeeded', () => { const p = podJson('once'); return p.status.phase === 'Succeeded' && p; });
    assert.equal(p.status.containerStatuses[0].state.terminated.exitCode, 0);
    assert.equal(p.status.containerStatuses[0].state.terminated.reason, 'Completed');
  });

  it('a node whose heartbeat stops goes NotReady, gets the unreachable taints, and its pods are evicted', async () => {
    applyPod('victim', { nodeSelector: { 'kubernetes.io/hostname': 'k8ts-sim-2' } });
    await until('victim running', () => podJson('victim').status.phase === 'Running');
    k('create', 'deployment', 'web', '--image=busybox', '--replicas=4');
    const webPods = () => JSON.parse(k('get', 'pods', '-l', 'app=web', '-o', 'json')).items as any[];
    await until('4 web pods running', () => webPods().filter((p) => p.status.phase === 'Running').length === 4);
    k('annotate', 'node', 'k8ts-sim-2', 'k8ts.io/simulated-heartbeat=stopped');
    await until('k8ts-sim-2 NotReady', () => /k8ts-sim-2\s+NotReady/.test(k('get', 'nodes')));
    const n = JSON.parse(k('get', 'node', 'k8ts-sim-2', '-o', 'json'));
    const ready = n.status.conditions.find((c: any) => c.type === 'Ready');
    assert.equal(ready.status, 'Unknown');
    assert.equal(ready.reason, 'NodeStatusUnknown');
    assert.equal(ready.message, 'Kubelet stopped posting node status.');
    const taints = await until('taints', () => { const t = JSON.parse(k('get', 'node', 'k8ts-sim-2', '-o', 'json')).spec.taints ?? []; return t.length === 2 && t; });
    assert.deepEqual(taints.map((t: any) => `${t.key}:${t.effect}`).sort(), ['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']);
    // the default 300 s toleration is capped to 2 s for this test server
    await until('victim marked for deletion', () => podJson('victim').metadata.deletionTimestamp);
    // the Deployment's pods are re-created on the nodes that are still alive
    await until('4 live web pods on other nodes', () => webPods().filter((p) => !p.metadata.deletionTimestamp && p.status.phase === 'Running' && p.spec.nodeName !== 'k8ts-sim-2').length === 4);
    // nodes that kept their heartbeat stayed Ready, and their pods stayed
    assert.match(k('get', 'nodes', 'k8ts-sim-0', 'k8ts-sim-1', '--no-headers'), /^k8ts-sim-0\s+Ready .*\nk8ts-sim-1\s+Ready /s);
    for (const i of [1, 2, 3]) {
      const p = podJson(`p${i}`);
      if (p.spec.nodeName !== 'k8ts-sim-2') assert.equal(p.metadata.deletionTimestamp, undefined, `p${i} on ${p.spec.nodeName}`);
    }
    // a dead kubelet cannot confirm the deletion; when it comes back it does
    k('annotate', 'node', 'k8ts-sim-2', 'k8ts.io/simulated-heartbeat-');
    await until('k8ts-sim-2 Ready again', () => /k8ts-sim-2\s+Ready/.test(k('get', 'nodes')));
    await until('taints removed', () => !(JSON.parse(k('get', 'node', 'k8ts-sim-2', '-o', 'json')).spec.taints ?? []).length);
    await until('victim gone', () => kubectl(srv.kubeconfig, ['get', 'pod', 'victim']).code !== 0);
  });
  it('a NoExecute taint from kubectl taint evicts tolerating pods once their tolerationSeconds pass', async () => {
    applyPod('tolerant', { nodeName: 'k8ts-sim-2', tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'x', effect: 'NoExecute', tolerationSeconds: 20 }] });
    applyPod('forever', { nodeName: 'k8ts-sim-2', tolerations: [{ key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }] });
    await until('both running', () => podJson('tolerant').status.phase === 'Running' && podJson('forever').status.phase === 'Running');
    k('taint', 'node', 'k8ts-sim-2', 'dedicated=x:NoExecute');
    try {
      // this server caps tolerationSeconds at 2 (K8TS_TOLERATION_SECONDS_CAP)
      await until('tolerant evicted', () => kubectl(srv.kubeconfig, ['get', 'pod', 'tolerant']).code !== 0, 20_000);
      assert.equal(podJson('forever').status.phase, 'Running');
      assert.match(k('get', 'events', '--field-selector', 'involvedObject.name=tolerant'), /TaintManagerEviction/);
    } finally {
      k('taint', 'node', 'k8ts-sim-2', 'dedicated-');
      kubectl(srv.kubeconfig, ['delete', 'pod', 'forever', '--grace-period=0', '--force']);
    }
  });

  it('kubectl cordon adds the unschedulable taint, uncordon removes it', async () => {
    const taints = () => (JSON.parse(k('get', 'node', 'k8ts-sim-1', '-o', 'json')).spec.taints ?? []).map((t: any) => `${t.key}:${t.effect}`);
    k('cordon', 'k8ts-sim-1');
    try {
      await until('taint added', () => taints().includes('node.kubernetes.io/unschedulable:NoSchedule'));
      assert.match(k('describe', 'node', 'k8ts-sim-1'), /Taints:\s+node.kubernetes.io\/unschedulable:NoSchedule/);
    } finally { k('uncordon', 'k8ts-sim-1'); }
    await until('taint removed', () => !taints().includes('node.kubernetes.io/unschedulable:NoSchedule'));
  });
});
