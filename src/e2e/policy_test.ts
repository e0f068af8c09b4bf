// End to end: PodDisruptionBudgets (the disruption controller, pods/eviction and kubectl drain),
// PriorityClasses (Priority admission) and HorizontalPodAutoscalers in both served versions with
// the autoscaler's replica bounds, and the deprecated ComponentStatuses, on
// `k8ts server --simulated-nodes 2` with real kubectl.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kc, kubectl, startK8ts, type ServerHandle } from './harness.js';
import { eventually } from './poll.js';

let srv: ServerHandle;
const k = (...args: string[]) => kc(srv.kubeconfig, args);
const json = (...args: string[]) => JSON.parse(k('get', ...args, '-o', 'json'));

/** f's value once it is truthy */
const until = <T>(what: string, f: () => T | undefined | false, timeoutMs = 30_000): Promise<T> => eventually(what, () => f() || undefined, timeoutMs, 300);

const evict = (pod: string) => kubectl(srv.kubeconfig, ['create', '--raw', `/api/v1/namespaces/default/pods/${pod}/eviction`, '-f', '-'],
  { input: JSON.stringify({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: pod, namespace: 'default' } }) });

describe('PodDisruptionBudget, PriorityClass and HorizontalPodAutoscaler', { timeout: 180_000 }, () => {
  before(async () => {
    srv = await startK8ts({ args: ['--simulated-nodes', '2'] });
    await until('2 Ready nodes', () => (k('get', 'nodes', '--no-headers').match(/ Ready /g) ?? []).length === 2);
  });
  after(async () => { await srv?.stop(); });

  it('keeps a budget current and refuses an eviction it does not allow (429)', async () => {
    for (const i of [0, 1, 2]) k('run', `db-${i}`, '--image=busybox', '--labels=app=db');
    k('create', 'pdb', 'db', '--selector=app=db', '--min-available=2');
    const st = await until('status with 3 healthy', () => { const s = json('pdb', 'db').status; return s.currentHealthy === 3 && s; });
    assert.deepEqual([st.desiredHealthy, st.expectedPods, st.disruptionsAllowed, st.observedGeneration], [2, 3, 1, 1]);
    const cond = st.conditions.find((c: any) => c.type === 'DisruptionAllowed');
    assert.deepEqual([cond.status, cond.reason], ['True', 'SufficientPods']);
    assert.match(k('get', 'pdb', 'db'), /^db\s+2\s+N\/A\s+1\s+/m);

    const first = evict('db-0');
    assert.equal(first.code, 0, first.stderr);
    const second = evict('db-1');
    assert.notEqual(second.code, 0);
    assert.match(second.stderr, /Cannot evict pod as it would violate the pod's disruption budget/);
    assert.equal(json('pod', 'db-1').metadata.deletionTimestamp, undefined);
    // the evicted pod got the DisruptionTarget condition on its way out, and the budget is spent
    const after = await until('budget recomputed', () => { const s = json('pdb', 'db').status; return s.currentHealthy === 2 && s; });
    assert.equal(after.disruptionsAllowed, 0);
    assert.equal(after.conditions.find((c: any) => c.type === 'DisruptionAllowed').reason, 'InsufficientPods');
    await until('db-0 gone', () => kubectl(srv.kubeconfig, ['get', 'pod', 'db-0']).code !== 0);
    k('delete', 'pdb', 'db');
    k('delete', 'pods', '-l', 'app=db', '--wait=true');
  });

  it('lets kubectl drain move a Deployment one pod at a time under maxUnavailable', async () => {
    k('create', 'deployment', 'web', '--image=busybox', '--replicas=4');
    k('create', 'pdb', 'web', '--selector=app=web', '--max-unavailable=1');
    await until('4 healthy', () => json('pdb', 'web').status.currentHealthy === 4);
    const st = json('pdb', 'web').status;
    // expectedPods comes from the Deployment's scale, desiredHealthy = 4 - 1
    assert.deepEqual([st.expectedPods, st.desiredHealthy, st.disruptionsAllowed], [4, 3, 1]);
    const onNode = (n: string) => json('pods', '-l', 'app=web').items.filter((p: any) => p.spec.nodeName === n && !p.metadata.deletionTimestamp).length;
    const before = onNode('k8ts-sim-0');
    const r = kubectl(srv.kubeconfig, ['drain', 'k8ts-sim-0', '--ignore-daemonsets', '--timeout=90s'], { timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /node\/k8ts-sim-0 drained/);
    // with two pods on the node, the second eviction had to wait for the first replacement
    if (before >= 2) assert.match(r.stderr + r.stdout, /Cannot evict pod as it would violate the pod's disruption budget/);
    assert.equal(onNode('k8ts-sim-0'), 0);
    await until('4 ready pods on k8ts-sim-1', () => json('deployment', 'web').status.readyReplicas === 4 && onNode('k8ts-sim-1') === 4);
  });

  it('resolves priorityClassName at pod creation (Priority admission)', async () => {
    assert.match(k('get', 'priorityclass'), /system-cluster-critical\s+2000000000\s+false/);
    assert.match(k('get', 'pc', 'system-node-critical'), /2000001000/);
    assert.match(kubectl(srv.kubeconfig, ['delete', 'pc', 'system-cluster-critical']).stderr, /priorityclasses.scheduling.k8s.io "system-cluster-critical" is forbidden: this is a system priority class and cannot be deleted/);
    k('create', 'priorityclass', 'high', '--value=1000');
    k('run', 'urgent', '--image=busybox', '--overrides', JSON.stringify({ spec: { priorityClassName: 'high' } }));
    assert.deepEqual([json('pod', 'urgent').spec.priority, json('pod', 'urgent').spec.preemptionPolicy], [1000, 'PreemptLowerPriority']);
    const missing = kubectl(srv.kubeconfig, ['run', 'lost', '--image=busybox', '--overrides', JSON.stringify({ spec: { priorityClassName: 'nope' } })]);
    assert.match(missing.stderr, /pods "lost" is forbidden: no PriorityClass with name nope was found/);
    const reserved = kubectl(srv.kubeconfig, ['create', 'priorityclass', 'system-mine', '--value=1']);
    assert.match(reserved.stderr, /priority class names with 'system-' prefix are reserved for system use only/);
    assert.match(kubectl(srv.kubeconfig, ['patch', 'pc', 'high', '-p', '{"value":1}']).stderr, /value: Forbidden: may not be changed in an update/);
    // a global default applies to pods that name no class; only one may exist
    k('create', 'priorityclass', 'normal', '--value=10', '--global-default=true');
    assert.match(kubectl(srv.kubeconfig, ['create', 'priorityclass', 'other', '--value=20', '--global-default=true']).stderr,
      /PriorityClass normal is already marked as default. Only one default can exist/);
    k('run', 'plain', '--image=busybox');
    const p = json('pod', 'plain');
    assert.deepEqual([p.spec.priorityClassName, p.spec.priority], ['normal', 10]);
  });

  it('the autoscaler keeps the target within minReplicas..maxReplicas, and says it has no metrics', async () => {
    k('create', 'deployment', 'small', '--image=busybox');
    k('autoscale', 'deployment', 'small', '--min=3', '--max=4', '--cpu-percent=50');
    await until('scaled to 3', () => json('deployment', 'small').spec.replicas === 3);
    const ev = k('get', 'events', '--field-selector', 'involvedObject.name=small,involvedObject.kind=HorizontalPodAutoscaler', '-o', 'json');
    assert.match(ev, /New size: 3; reason: Current number of replicas below Spec.MinReplicas/);
    const st = await until('status', () => { const s = json('hpa', 'small').status; return s.desiredReplicas === 3 && s; });
    assert.equal(st.conditions.find((c: any) => c.type === 'AbleToScale').reason, 'SucceededRescale');
    assert.ok(st.lastScaleTime);
  });

  it('two autoscalers of the same pods both refuse to act (AmbiguousSelector)', async () => {
    k('create', 'deployment', 'twice', '--image=busybox');
    for (const n of ['twice-a', 'twice-b']) k('autoscale', 'deployment', 'twice', `--name=${n}`, '--max=3', '--cpu-percent=50');
    const want = 'pods by selector app=twice are controlled by multiple HPAs: [default/twice-a default/twice-b]';
    for (const n of ['twice-a', 'twice-b']) {
      const c = await until(`${n} AmbiguousSelector`, () => (json('hpa', n).status?.conditions ?? []).find((x: any) => x.type === 'ScalingActive' && x.reason === 'AmbiguousSelector'));
      assert.deepEqual([c.status, c.message], ['False', want]);
    }
    assert.match(k('get', 'events', '--field-selector', 'involvedObject.name=twice-b,reason=AmbiguousSelector', '-o', 'jsonpath={.items[0].message}'), new RegExp(want.replace(/[[\]/]/g, '\\$&')));
    k('delete', 'hpa', 'twice-b');
    await until('twice-a active again', () => (json('hpa', 'twice-a').status?.conditions ?? []).find((x: any) => x.type === 'ScalingActive' && x.reason !== 'AmbiguousSelector'), 40_000);
  });

  it('kubectl get cs: the components holding their Leases and the datastore, with the deprecation warning', async () => {
    const r = kubectl(srv.kubeconfig, ['get', 'cs']);
    assert.equal(r.code, 0, r.stderr);
    for (const c of ['controller-manager', 'scheduler', 'etcd-0']) assert.match(r.stdout, new RegExp(`^${c}\\s+Healthy\\s+ok`, 'm'));
    assert.match(r.stderr, /v1 ComponentStatus is deprecated in v1.19\+/);
  });

  it('serves HorizontalPodAutoscalers as autoscaling/v2 and v1 (kubectl autoscale)', () => {
    k('create', 'deployment', 'api', '--image=busybox');
    assert.match(k('autoscale', 'deployment', 'api', '--min=2', '--max=5', '--cpu-percent=70'), /horizontalpodautoscaler.autoscaling\/api autoscaled/);
    assert.match(k('get', 'hpa', 'api'), /^api\s+Deployment\/api\s+cpu: <unknown>\/70%\s+2\s+5\s+/m);
    const v2 = JSON.parse(k('get', '--raw', '/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/api'));
    assert.deepEqual(v2.spec.metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }]);
    const v1 = JSON.parse(k('get', '--raw', '/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers/api'));
    assert.equal(v1.apiVersion, 'autoscaling/v1');
    assert.equal(v1.spec.targetCPUUtilizationPercentage, 70);
    // what v1 cannot hold survives a v1 round trip in annotations
    k('patch', 'hpa', 'api', '--type=merge', '-p', JSON.stringify({ spec: { metrics: [v2.spec.metrics[0], { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '100Mi' } } }] } }));
    const viaV1 = JSON.parse(k('get', '--raw', '/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers/api'));
    // (without its resourceVersion: the autoscaler writes status meanwhile)
    const { resourceVersion: _rv, ...meta } = viaV1.metadata;
    kc(srv.kubeconfig, ['replace', '-f', '-'], { input: JSON.stringify({ ...viaV1, metadata: meta, spec: { ...viaV1.spec, maxReplicas: 6 } }) });
    const back = JSON.parse(k('get', '--raw', '/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/api'));
    assert.equal(back.spec.maxReplicas, 6);
    assert.equal(back.spec.metrics.length, 2);
    assert.equal(back.metadata.annotations, undefined);
    const bad = kubectl(srv.kubeconfig, ['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'bad' }, spec: { scaleTargetRef: { kind: 'Deployment' }, minReplicas: 3, maxReplicas: 2 } }) });
    assert.match(bad.stderr, /spec.scaleTargetRef.name: Required value/);
    assert.match(bad.stderr, /spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`/);
  });
});
