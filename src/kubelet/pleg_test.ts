import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pleg } from './pleg.js';
import { podUidLabel } from './runtime.js';
import type { CriClient } from './cri/client.js';

/** a runtime whose sandboxes and containers the test sets; answers the two list calls the PLEG makes */
function fakeRuntime() {
  const state = { sandboxes: [] as any[], containers: [] as any[] };
  const cri = {
    call: async (method: string) => method === 'ListPodSandbox' ? { items: state.sandboxes } : { containers: state.containers },
  } as unknown as CriClient;
  return { state, cri };
}
const labels = (uid: string) => ({ [podUidLabel]: uid });

test('a relist hands on pods whose sandboxes or containers appeared, changed state or vanished', async () => {
  const { state, cri } = fakeRuntime();
  const changed: string[] = [];
  const pleg = new Pleg(cri, (uid) => changed.push(uid));
  state.sandboxes = [{ id: 's1', state: 'SANDBOX_READY', labels: labels('a') }];
  state.containers = [{ id: 'c1', state: 'CONTAINER_RUNNING', labels: labels('a') }, { id: 'c2', state: 'CONTAINER_RUNNING', labels: labels('b') }];
  await pleg.relist();
  assert.deepEqual(changed.sort(), ['a', 'b']);
  changed.length = 0;
  await pleg.relist();
  assert.deepEqual(changed, [], 'nothing moved');
  state.containers = [{ id: 'c1', state: 'CONTAINER_EXITED', labels: labels('a') }];
  await pleg.relist();
  assert.deepEqual(changed.sort(), ['a', 'b'], 'a exited, b vanished');
});

test('what a sync observed is no news to the next relist, but a later change still is', async () => {
  const { state, cri } = fakeRuntime();
  const changed: string[] = [];
  const pleg = new Pleg(cri, (uid) => changed.push(uid));
  await pleg.relist();
  // the sync started a sandbox and a container and saw them running
  state.sandboxes = [{ id: 's1', state: 'SANDBOX_READY', labels: labels('a') }];
  state.containers = [{ id: 'c1', state: 'CONTAINER_RUNNING', labels: labels('a') }];
  pleg.observed('a', [['s/s1', 'SANDBOX_READY'], ['c/c1', 'CONTAINER_RUNNING']]);
  await pleg.relist();
  assert.deepEqual(changed, []);
  // the container exits after the sync looked: the relist reports it
  state.containers = [{ id: 'c1', state: 'CONTAINER_EXITED', labels: labels('a') }];
  await pleg.relist();
  assert.deepEqual(changed, ['a']);
  // a sync that saw an older state than the runtime has now does not hide the difference
  changed.length = 0;
  pleg.observed('a', [['c/c1', 'CONTAINER_RUNNING']]);
  await pleg.relist();
  assert.deepEqual(changed, ['a']);
});

test('changes to a pod whose sync is running wait for the first relist after it, which compares with what the sync saw', async () => {
  const { state, cri } = fakeRuntime();
  const changed: string[] = [];
  const pleg = new Pleg(cri, (uid) => changed.push(uid));
  await pleg.relist();
  pleg.syncStarted('a');
  // mid-sync: the sandbox is up, the container not yet
  state.sandboxes = [{ id: 's1', state: 'SANDBOX_READY', labels: labels('a') }];
  await pleg.relist();
  assert.deepEqual(changed, [], 'no news while its sync runs');
  state.containers = [{ id: 'c1', state: 'CONTAINER_RUNNING', labels: labels('a') }];
  pleg.observed('a', [['s/s1', 'SANDBOX_READY'], ['c/c1', 'CONTAINER_RUNNING']]);
  pleg.syncDone('a');
  await pleg.relist();
  assert.deepEqual(changed, [], 'the sync saw all of it');
  // a change the sync did not see is reported by the next relist
  pleg.syncStarted('a');
  state.containers = [{ id: 'c1', state: 'CONTAINER_EXITED', labels: labels('a') }];
  await pleg.relist();
  pleg.syncDone('a');
  assert.deepEqual(changed, []);
  await pleg.relist();
  assert.deepEqual(changed, ['a']);
});

test('a sync that runs while the lists are taken defers its pod to the next relist', async () => {
  const { state, cri } = fakeRuntime();
  const changed: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  const slow = { call: async (m: string) => { await gate; return cri.call(m as never); } } as unknown as CriClient;
  const pleg = new Pleg(slow, (uid) => changed.push(uid));
  // the lists are taken before the sync starts the container; the sync ends before they arrive
  state.sandboxes = [{ id: 's1', state: 'SANDBOX_READY', labels: labels('a') }];
  const listing = pleg.relist();
  pleg.syncStarted('a');
  pleg.observed('a', [['s/s1', 'SANDBOX_READY'], ['c/c1', 'CONTAINER_RUNNING']]);
  pleg.syncDone('a');
  release();
  await listing;
  assert.deepEqual(changed, [], 'the older lists are not news');
  state.containers = [{ id: 'c1', state: 'CONTAINER_RUNNING', labels: labels('a') }];
  await pleg.relist();
  assert.deepEqual(changed, []);
});
