import { test } from 'node:test';
import assert from 'node:assert/strict';
import { podPrinter } from './printers/pod.js';
import { NOW, ago, columnNames, obj } from './testutil_test.js';

const running = (name: string, extra: object = {}) => ({ name, ready: true, restartCount: 0, state: { running: { startedAt: ago(200) } }, ...extra });
function pod(spec: object, status: object, meta: Record<string, unknown> = {}) {
  return obj('web-1', { spec: { containers: [{ name: 'app', image: 'nginx' }], ...spec }, status }, meta);
}
const cells = (p: ReturnType<typeof pod>) => podPrinter.print(p, NOW).cells;

test('pod columns match upstream, wide ones at priority 1', () => {
  assert.deepEqual(columnNames(podPrinter, 0), ['Name', 'Ready', 'Status', 'Restarts', 'Age']);
  assert.deepEqual(columnNames(podPrinter, 1), ['IP', 'Node', 'Nominated Node', 'Readiness Gates']);
  assert.equal(podPrinter.columns[0].format, 'name');
});

test('running pod: ready count, status, age and wide cells', () => {
  const p = pod({ nodeName: 'node-a' }, { phase: 'Running', podIP: '10.42.0.5', podIPs: [{ ip: '10.42.0.5' }], containerStatuses: [running('app')] });
  assert.deepEqual(cells(p), ['web-1', '1/1', 'Running', '0', '5m', '10.42.0.5', 'node-a', '<none>', '<none>']);
});

test('pending unscheduled pod shows <none> for IP and node', () => {
  const p = pod({}, { phase: 'Pending' });
  assert.deepEqual(cells(p), ['web-1', '0/1', 'Pending', '0', '5m', '<none>', '<none>', '<none>', '<none>']);
});

test('waiting reason wins: ContainerCreating, CrashLoopBackOff with restart age', () => {
  assert.equal(cells(pod({}, { phase: 'Pending', containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }] }))[2], 'ContainerCreating');
  const crash = pod({}, {
    phase: 'Running',
    containerStatuses: [{ name: 'app', ready: false, restartCount: 5, state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off' } },
      lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(125) } } }],
  });
  const c = cells(crash);
  assert.equal(c[1], '0/1');
  assert.equal(c[2], 'CrashLoopBackOff');
  assert.equal(c[3], '5 (2m5s ago)');
});

test('init containers: Init:0/2, Init:Error, Init:CrashLoopBackOff, PodInitializing', () => {
  const spec = { initContainers: [{ name: 'i1' }, { name: 'i2' }] };
  assert.equal(cells(pod(spec, { phase: 'Pending', initContainerStatuses: [
    { name: 'i1', restartCount: 0, state: { running: {} } }, { name: 'i2', restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }] }))[2], 'Init:0/2');
  assert.equal(cells(pod(spec, { phase: 'Pending', initContainerStatuses: [
    { name: 'i1', restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }, { name: 'i2', restartCount: 0, state: { running: {} } }] }))[2], 'Init:1/2');
  assert.equal(cells(pod(spec, { phase: 'Pending', initContainerStatuses: [
    { name: 'i1', restartCount: 0, state: { terminated: { exitCode: 1, reason: 'Error' } } }] }))[2], 'Init:Error');
  assert.equal(cells(pod(spec, { phase: 'Pending', initContainerStatuses: [
    { name: 'i1', restartCount: 0, state: { terminated: { exitCode: 2 } } }] }))[2], 'Init:ExitCode:2');
  const crash = cells(pod(spec, { phase: 'Pending', initContainerStatuses: [
    { name: 'i1', restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } } }] }));
  assert.equal(crash[2], 'Init:CrashLoopBackOff');
  assert.equal(crash[3], '3', 'no "ago" suffix without a lastState');
  // all init containers done, main container still waiting for PodInitializing
  assert.equal(cells(pod(spec, { phase: 'Pending', initContainerStatuses: [
    { name: 'i1', restartCount: 0, state: { terminated: { exitCode: 0 } } }, { name: 'i2', restartCount: 0, state: { terminated: { exitCode: 0 } } }],
  containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }] }))[2], 'PodInitializing');
});

test('sidecar (restartable init) containers count toward READY', () => {
  const p = pod({ initContainers: [{ name: 'proxy', restartPolicy: 'Always' }] }, {
    phase: 'Running', conditions: [{ type: 'Initialized', status: 'True' }],
    initContainerStatuses: [{ name: 'proxy', ready: true, started: true, restartCount: 1, state: { running: {} } }],
    containerStatuses: [running('app')],
  });
  const c = cells(p);
  assert.equal(c[1], '2/2');
  assert.equal(c[2], 'Running');
  assert.equal(c[3], '1');
});

test('completed, failed, terminated-without-reason pods', () => {
  const done = pod({ restartPolicy: 'Never' }, { phase: 'Succeeded', containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }] });
  assert.equal(cells(done)[2], 'Completed');
  assert.deepEqual(podPrinter.print(done, NOW).conditions?.[0]?.reason, 'Succeeded');
  const failed = pod({}, { phase: 'Failed', containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }] });
  assert.equal(cells(failed)[2], 'OOMKilled');
  assert.equal(podPrinter.print(failed, NOW).conditions?.[0]?.reason, 'Failed');
  assert.equal(cells(pod({}, { phase: 'Running', containerStatuses: [{ name: 'app', restartCount: 0, state: { terminated: { exitCode: 3 } } }] }))[2], 'ExitCode:3');
  assert.equal(cells(pod({}, { phase: 'Running', containerStatuses: [{ name: 'app', restartCount: 0, state: { terminated: { exitCode: 0, signal: 9 } } }] }))[2], 'Signal:9');
  assert.equal(cells(pod({}, { phase: 'Failed', reason: 'Evicted' }))[2], 'Evicted');
});

test('Completed container next to a running one shows Running or NotReady', () => {
  const spec = { containers: [{ name: 'a' }, { name: 'b' }] };
  const st = (conds: object[]) => ({ phase: 'Running', conditions: conds,
    containerStatuses: [running('a'), { name: 'b', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }] });
  assert.equal(cells(pod(spec, st([{ type: 'Ready', status: 'True' }])))[2], 'Running');
  assert.equal(cells(pod(spec, st([{ type: 'Ready', status: 'False' }])))[2], 'NotReady');
});

test('deletionTimestamp: Terminating, Unknown for NodeLost, not for finished pods', () => {
  const del = { deletionTimestamp: ago(1) };
  assert.equal(cells(pod({}, { phase: 'Running', containerStatuses: [running('app')] }, del))[2], 'Terminating');
  assert.equal(cells(pod({}, { phase: 'Running', reason: 'NodeLost' }, del))[2], 'Unknown');
  assert.equal(cells(pod({}, { phase: 'Succeeded', containerStatuses: [{ name: 'app', restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }] }, del))[2], 'Completed');
});

test('SchedulingGated, nominated node and readiness gates', () => {
  assert.equal(cells(pod({}, { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] }))[2], 'SchedulingGated');
  const p = pod({ readinessGates: [{ conditionType: 'example.com/a' }, { conditionType: 'example.com/b' }] },
    { phase: 'Pending', nominatedNodeName: 'node-b', conditions: [{ type: 'example.com/a', status: 'True' }, { type: 'example.com/b', status: 'False' }] });
  const c = cells(p);
  assert.equal(c[7], 'node-b');
  assert.equal(c[8], '1/2');
});

test('restarts sum over containers and use the latest termination for "ago"', () => {
  const p = pod({ containers: [{ name: 'a' }, { name: 'b' }] }, { phase: 'Running', containerStatuses: [
    running('a', { restartCount: 2, lastState: { terminated: { exitCode: 1, finishedAt: ago(3 * 3600) } } }),
    running('b', { restartCount: 1, lastState: { terminated: { exitCode: 1, finishedAt: ago(45) } } }),
  ] });
  const c = cells(p);
  assert.equal(c[1], '2/2');
  assert.equal(c[3], '3 (45s ago)');
});
