import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../api/types.js';
import { Algorithm, numFeasibleNodesToFind } from './algorithm.js';
import { SchedulerCache } from './cache.js';
import { SchedulingQueue } from './queue.js';

let uid = 0;
function node(name: string, o: { cpu?: string; labels?: Record<string, string>; taints?: any[]; unschedulable?: boolean; pods?: string } = {}): KObject {
  return {
    apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name, ...o.labels } },
    spec: { taints: o.taints, unschedulable: o.unschedulable },
    status: { allocatable: { cpu: o.cpu ?? '4', memory: '16Gi', pods: o.pods ?? '110' } },
  };
}
function pod(name: string, spec: any = {}, labels?: Record<string, string>, nodeName?: string): KObject {
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', uid: `u${uid++}`, labels },
    spec: { containers: [{ name: 'c', image: 'busybox', resources: spec.requests ? { requests: spec.requests } : undefined, ports: spec.ports }], nodeName, ...spec.extra },
    status: { phase: 'Pending' },
  };
}
function setup(nodes: KObject[], pods: KObject[] = []) {
  const cache = new SchedulerCache();
  for (const n of nodes) cache.setNode(n);
  for (const p of pods) cache.updatePod(p);
  return { cache, algo: new Algorithm(cache, { random: () => 0.5 }) };
}
const msg = (r: any) => { assert.ok('message' in r, `expected unschedulable, got ${JSON.stringify(r)}`); return r.message as string; };

test('insufficient cpu on all nodes: upstream message with the preemption part', () => {
  const { algo } = setup([node('a'), node('b'), node('c')]);
  assert.equal(msg(algo.schedule(pod('big', { requests: { cpu: '100' } }))),
    '0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod..');
});

test('taints and resources mixed: sorted histogram, unresolvable nodes are not helped by preemption', () => {
  const { algo } = setup([node('a', { taints: [{ key: 'gpu', value: 'true', effect: 'NoSchedule' }] }), node('b', { cpu: '1' }), node('c', { cpu: '1' })]);
  assert.equal(msg(algo.schedule(pod('p', { requests: { cpu: '2' } }))),
    '0/3 nodes are available: 1 node(s) had untolerated taint {gpu: true}, 2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod..');
});

test('a tainted node is avoided unless tolerated', () => {
  const taints = [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }];
  const { algo } = setup([node('a', { taints }), node('b', { cpu: '1' })]);
  assert.equal((algo.schedule(pod('p', { requests: { cpu: '2' } })) as any).node, undefined);
  const tol = pod('t', { requests: { cpu: '2' }, extra: { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'x', effect: 'NoSchedule' }] } });
  assert.equal((algo.schedule(tol) as any).node, 'a');
});

test('requests count against allocatable, incrementally', () => {
  const { cache, algo } = setup([node('a', { cpu: '2' })]);
  const p1 = pod('p1', { requests: { cpu: '1500m' } });
  assert.equal((algo.schedule(p1) as any).node, 'a');
  cache.assume(p1, 'a');
  assert.match(msg(algo.schedule(pod('p2', { requests: { cpu: '1' } }))), /^0\/1 nodes are available: 1 Insufficient cpu\./);
  cache.forget(p1);
  assert.equal((algo.schedule(pod('p3', { requests: { cpu: '1' } })) as any).node, 'a');
});

test('too many pods, node selector, unschedulable, host ports', () => {
  const { algo } = setup([node('a', { pods: '1' }), node('b', { unschedulable: true }), node('c', { labels: { disk: 'ssd' } })],
    [pod('x', {}, undefined, 'a'), pod('y', { ports: [{ containerPort: 80, hostPort: 8080 }] }, undefined, 'c')]);
  assert.match(msg(algo.schedule(pod('p', { ports: [{ containerPort: 80, hostPort: 8080 }] }))),
    /^0\/3 nodes are available: 1 Too many pods, 1 node\(s\) didn't have free ports for the requested pod ports, 1 node\(s\) were unschedulable\./);
  assert.match(msg(algo.schedule(pod('q', { extra: { nodeSelector: { disk: 'hdd' } } }))), /^0\/3 nodes are available: 1 node\(s\) were unschedulable, 2 node\(s\) didn't match Pod's node affinity\/selector\. preemption: 0\/3 nodes are available: 3 Preemption is not helpful for scheduling\.\.$/);
  assert.equal((algo.schedule(pod('r', { extra: { nodeSelector: { disk: 'ssd' } } })) as any).node, 'c');
});

test('required node affinity and preferred node affinity', () => {
  const { algo } = setup([node('a', { labels: { zone: 'z1' } }), node('b', { labels: { zone: 'z2' } }), node('c')]);
  const req = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['z2'] }] }] } } };
  assert.equal((algo.schedule(pod('p', { extra: { affinity: req } })) as any).node, 'b');
  const pref = { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['z1'] }] } }] } };
  assert.equal((algo.schedule(pod('q', { extra: { affinity: pref } })) as any).node, 'a');
});

test('pod anti-affinity and affinity', () => {
  const { algo } = setup([node('a'), node('b')], [pod('web-1', {}, { app: 'web' }, 'a')]);
  const term = { labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' };
  assert.equal((algo.schedule(pod('anti', { extra: { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } } } }, { app: 'web' })) as any).node, 'b');
  assert.equal((algo.schedule(pod('aff', { extra: { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } } } })) as any).node, 'a');
  const noMatch = { labelSelector: { matchLabels: { app: 'db' } }, topologyKey: 'kubernetes.io/hostname' };
  assert.match(msg(algo.schedule(pod('aff2', { extra: { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [noMatch] } } } }))),
    /2 node\(s\) didn't match pod affinity rules\. preemption: 0\/2 nodes are available: 2 Preemption is not helpful for scheduling\.\./);
});

test('existing pods anti-affinity rejects the incoming pod', () => {
  const guard = pod('guard', { extra: { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'x' } }, topologyKey: 'kubernetes.io/hostname' }] } } } }, {}, 'a');
  const { algo } = setup([node('a'), node('b')], [guard]);
  assert.equal((algo.schedule(pod('x1', {}, { app: 'x' })) as any).node, 'b');
});

test('topology spread, hard constraint', () => {
  const pods = [pod('s1', {}, { app: 's' }, 'a'), pod('s2', {}, { app: 's' }, 'a')];
  const { algo } = setup([node('a'), node('b', { labels: {} })], pods);
  const tsc = [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 's' } } }];
  assert.equal((algo.schedule(pod('s3', { extra: { topologySpreadConstraints: tsc } }, { app: 's' })) as any).node, 'b');
  const { algo: a2 } = setup([node('a')], pods);
  const tscZone = [{ ...tsc[0], topologyKey: 'zone' }];
  assert.match(msg(a2.schedule(pod('s4', { extra: { topologySpreadConstraints: tscZone } }, { app: 's' }))), /1 node\(s\) didn't match pod topology spread constraints \(missing required label\)/);
});

test('scores: least allocated prefers the emptier node; controller pods spread', () => {
  const { cache, algo } = setup([node('a'), node('b')], [pod('hog', { requests: { cpu: '3' } }, {}, 'a')]);
  assert.equal((algo.schedule(pod('p', { requests: { cpu: '100m' } })) as any).node, 'b');
  const owner = [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'rs1', controller: true }];
  const mk = (n: string) => { const p = pod(n); p.metadata.ownerReferences = owner; return p; };
  const placed: Record<string, number> = {};
  for (let i = 0; i < 4; i++) {
    cache.removePod('default/hog');
    const p = mk(`r${i}`);
    const r = algo.schedule(p) as any;
    cache.assume(p, r.node);
    placed[r.node] = (placed[r.node] ?? 0) + 1;
  }
  assert.deepEqual(placed, { a: 2, b: 2 });
});

test('numFeasibleNodesToFind follows upstream', () => {
  assert.equal(numFeasibleNodesToFind(50), 50);
  assert.equal(numFeasibleNodesToFind(1000), 420);
  assert.equal(numFeasibleNodesToFind(5000), 500);
  assert.equal(numFeasibleNodesToFind(150), 100);
});

test('queue: unschedulable pods wait for a cluster change, then back off', () => {
  let now = 0;
  const q = new SchedulingQueue({ now: () => now, initialBackoffMs: 1000 });
  q.add('default/p');
  return q.pop().then((e) => {
    assert.equal(e!.key, 'default/p');
    q.requeue('default/p', true, new Set(['NodeResourcesFit']));
    assert.equal(q.state('default/p'), 'unschedulable');
    q.moveAll(['InterPodAffinity']);
    assert.equal(q.state('default/p'), 'unschedulable');
    q.moveAll();
    assert.equal(q.state('default/p'), 'backoff');
    now = 1000;
    q.flush();
    assert.equal(q.state('default/p'), 'active');
    q.close();
  });
});
