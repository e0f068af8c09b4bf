import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerStatus, podPhase, podStatus, type ContainerView } from './status.js';

const sec = (s: number) => s * 1e9;
const running = (name: string, attempt = 0) => ({ id: `${name}-${attempt}`, metadata: { name, attempt }, state: 'CONTAINER_RUNNING', startedAt: sec(1_700_000_000), imageRef: 'sha256:x' });
const exited = (name: string, exitCode: number, attempt = 0) => ({
  id: `${name}-${attempt}`, metadata: { name, attempt }, state: 'CONTAINER_EXITED', exitCode, startedAt: sec(1_700_000_000), finishedAt: sec(1_700_000_005), imageRef: 'sha256:x',
});
const pod = (spec: any) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', uid: 'u' }, spec, status: {} });
const ips = { podIP: '10.42.0.5', hostIP: '10.0.0.1', sandboxReady: true };
const condition = (s: any, type: string) => s.conditions.find((c: any) => c.type === type);
const twoInits = pod({ initContainers: [{ name: 'a', image: 'busybox' }, { name: 'b', image: 'busybox' }], containers: [{ name: 'main', image: 'busybox' }] });

test('while the first init container runs: Pending, PodInitializing, Initialized False', () => {
  const s = podStatus(twoInits, new Map(), ips, new Map([['a', { status: running('a') }]]));
  assert.equal(s.phase, 'Pending');
  assert.deepEqual(s.initContainerStatuses.map((c: any) => [c.name, Object.keys(c.state)[0], c.ready]), [['a', 'running', false], ['b', 'waiting', false]]);
  assert.equal(s.initContainerStatuses[1].state.waiting.reason, 'PodInitializing');
  assert.equal(s.containerStatuses[0].state.waiting.reason, 'PodInitializing');
  assert.deepEqual(condition(s, 'Initialized'), {
    type: 'Initialized', status: 'False', reason: 'ContainersNotInitialized', message: 'containers with incomplete status: [a b]',
    lastProbeTime: null, lastTransitionTime: condition(s, 'Initialized').lastTransitionTime,
  });
  assert.equal(condition(s, 'Ready').message, 'containers with unready status: [main]');
});

test('init containers done: Initialized True, completed init containers are ready, app container runs', () => {
  const inits = new Map<string, ContainerView>([['a', { status: exited('a', 0) }], ['b', { status: exited('b', 0) }]]);
  const s = podStatus(twoInits, new Map([['main', { status: running('main'), started: true, ready: true }]]), ips, inits);
  assert.equal(s.phase, 'Running');
  assert.equal(condition(s, 'Initialized').status, 'True');
  assert.deepEqual(s.initContainerStatuses.map((c: any) => [c.state.terminated.reason, c.ready, c.started]), [['Completed', true, false], ['Completed', true, false]]);
  assert.equal(condition(s, 'Ready').status, 'True');
  assert.equal(condition(s, 'ContainersReady').status, 'True');
});

test('a failed init container: Failed under Never, Pending (restarting) otherwise', () => {
  const never = pod({ ...twoInits.spec, restartPolicy: 'Never' });
  const failed = new Map<string, ContainerView>([['a', { status: exited('a', 1) }]]);
  assert.equal(podStatus(never, new Map(), ips, failed).phase, 'Failed');
  const s = podStatus(twoInits, new Map(), ips, new Map([['a', { status: exited('a', 1), previous: exited('a', 1), waiting: { reason: 'CrashLoopBackOff', message: 'back-off' } }]]));
  assert.equal(s.phase, 'Pending');
  assert.equal(s.initContainerStatuses[0].state.waiting.reason, 'CrashLoopBackOff');
  assert.equal(s.initContainerStatuses[0].lastState.terminated.exitCode, 1);
});

test('readiness: a running but unready container keeps Ready and ContainersReady False', () => {
  const p = pod({ containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'x' }] });
  const s = podStatus(p, new Map<string, ContainerView>([['a', { status: running('a'), started: true, ready: true }], ['b', { status: running('b'), started: true, ready: false }]]), ips);
  assert.equal(s.phase, 'Running');
  assert.deepEqual(s.containerStatuses.map((c: any) => [c.name, c.ready, c.started]), [['a', true, true], ['b', false, true]]);
  for (const t of ['Ready', 'ContainersReady']) {
    assert.deepEqual([condition(s, t).status, condition(s, t).reason, condition(s, t).message], ['False', 'ContainersNotReady', 'containers with unready status: [b]']);
  }
  // not started yet (startup probe): neither started nor ready
  const c = containerStatus({ name: 'b', image: 'x' }, { status: running('b'), started: false, ready: true });
  assert.deepEqual([c.started, c.ready], [false, false]);
});

test('phase follows upstream getPhase for regular containers', () => {
  const p = (policy: string) => pod({ restartPolicy: policy, containers: [{ name: 'a' }, { name: 'b' }] });
  const st = (v: ContainerView, name: string) => containerStatus({ name }, v);
  const done0 = st({ status: exited('a', 0) }, 'a');
  const done1 = st({ status: exited('b', 1) }, 'b');
  const backoff = st({ status: exited('b', 1), previous: exited('b', 1), waiting: { reason: 'CrashLoopBackOff' } }, 'b');
  assert.equal(podPhase(p('Never'), [done0, done1]), 'Failed');
  assert.equal(podPhase(p('Never'), [done0, st({ status: exited('b', 0) }, 'b')]), 'Succeeded');
  assert.equal(podPhase(p('OnFailure'), [done0, backoff]), 'Running');
  assert.equal(podPhase(p('Always'), [done0, backoff]), 'Running');
  assert.equal(podPhase(p('Always'), [st({ status: running('a') }, 'a'), st({}, 'b')]), 'Pending');
});

test('sidecars (restartable init containers) gate initialization until started and count for readiness', () => {
  const p = pod({ initContainers: [{ name: 'side', image: 'x', restartPolicy: 'Always' }], containers: [{ name: 'main', image: 'x' }] });
  let s = podStatus(p, new Map(), ips, new Map([['side', { status: running('side'), started: false, ready: false }]]));
  assert.equal(s.phase, 'Pending');
  assert.equal(condition(s, 'Initialized').status, 'False');
  s = podStatus(p, new Map([['main', { status: running('main') }]]), ips, new Map([['side', { status: running('side'), started: true, ready: false }]]));
  assert.equal(s.phase, 'Running');
  assert.equal(condition(s, 'Initialized').status, 'True');
  assert.equal(condition(s, 'ContainersReady').message, 'containers with unready status: [side]');
});

test('a pod whose regular containers finished stays Running while a sidecar runs, then ends', () => {
  const p = pod({ restartPolicy: 'Never', initContainers: [{ name: 'side', image: 'x', restartPolicy: 'Always' }], containers: [{ name: 'main', image: 'x' }] });
  const done = new Map<string, ContainerView>([['main', { status: exited('main', 0) }]]);
  assert.equal(podStatus(p, done, ips, new Map([['side', { status: running('side'), started: true, ready: true }]])).phase, 'Running');
  assert.equal(podStatus(p, done, ips, new Map([['side', { status: exited('side', 137) }]])).phase, 'Succeeded');
});

test('readiness gates hold Ready (not ContainersReady) until their conditions are True; foreign conditions are kept', () => {
  const p: any = pod({ readinessGates: [{ conditionType: 'example.com/lb' }], containers: [{ name: 'a', image: 'x' }] });
  const views = new Map<string, ContainerView>([['a', { status: running('a'), started: true, ready: true }]]);
  let s = podStatus(p, views, ips);
  assert.equal(condition(s, 'ContainersReady').status, 'True');
  assert.deepEqual([condition(s, 'Ready').status, condition(s, 'Ready').reason, condition(s, 'Ready').message],
    ['False', 'ReadinessGatesNotReady', 'corresponding condition of pod readiness gate "example.com/lb" does not exist.']);
  p.status.conditions = [{ type: 'example.com/lb', status: 'False' }];
  s = podStatus(p, views, ips);
  assert.equal(condition(s, 'Ready').message, 'the status of pod readiness gate "example.com/lb" is not "True", but False');
  assert.deepEqual(condition(s, 'example.com/lb'), { type: 'example.com/lb', status: 'False' });
  p.status.conditions = [{ type: 'example.com/lb', status: 'True' }];
  assert.equal(condition(podStatus(p, views, ips), 'Ready').status, 'True');
});
