import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { errors } from '../api/status.js';
import { RestClient } from './rest.js';
import { LeaderElector } from './leaderelection.js';
import { FakeApiServer } from './testing/fakeapi.js';

let srv: FakeApiServer;
const clients: RestClient[] = [];
const quiet = console.error;
beforeEach(async () => { srv = new FakeApiServer(); await srv.start(); console.error = () => {}; });
afterEach(async () => { console.error = quiet; clients.splice(0).forEach((c) => c.close()); await srv.stop(); });

const MICRO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

/** tracks who leads when, and checks two never lead at once */
function timeline() {
  const leading = new Set<string>();
  const log: string[] = [];
  let overlap = false;
  return {
    log, leading, get overlap() { return overlap; },
    candidate(id: string, ac: AbortController) {
      const client = new RestClient({ server: srv.url, userAgent: id });
      clients.push(client);
      const el = new LeaderElector({
        client, namespace: 'kube-system', name: 'ctrl', identity: id,
        leaseDurationSeconds: 1, renewDeadlineSeconds: 0.6, retryPeriodSeconds: 0.1,
        onStartedLeading: (signal) => {
          if (leading.size) overlap = true;
          leading.add(id); log.push(`start ${id}`);
          signal.addEventListener('abort', () => { leading.delete(id); log.push(`signal ${id}`); });
        },
        onStoppedLeading: () => log.push(`stop ${id}`),
      });
      return { el, done: el.run(ac.signal) };
    },
  };
}

const lease = () => srv.objects.get('coordination.k8s.io/leases|kube-system|ctrl')!;

test('hand-over between two electors when the leader releases on cancel', async () => {
  const t = timeline();
  const acA = new AbortController(), acB = new AbortController();
  const a = t.candidate('A', acA);
  await waitFor(() => t.leading.has('A'));
  const b = t.candidate('B', acB);
  const l0 = lease();
  assert.equal(l0.spec.holderIdentity, 'A');
  assert.equal(l0.spec.leaseDurationSeconds, 1);
  assert.equal(l0.spec.leaseTransitions, 0);
  assert.match(l0.spec.acquireTime, MICRO);
  assert.match(l0.spec.renewTime, MICRO);
  await sleep(400);            // A renews, B waits
  const l1 = lease();
  assert.equal(l1.spec.holderIdentity, 'A');
  assert.equal(l1.spec.acquireTime, l0.spec.acquireTime);
  assert.notEqual(l1.spec.renewTime, l0.spec.renewTime);
  assert.equal(b.el.isLeader(), false);
  assert.equal(b.el.getLeader(), 'A');

  const released = Date.now();
  acA.abort();
  await a.done;
  assert.deepEqual(t.log, ['start A', 'signal A', 'stop A']);
  await waitFor(() => t.leading.has('B'));
  assert.ok(Date.now() - released < 600, 'B took over without waiting for the lease to expire');
  const l2 = lease();
  assert.equal(l2.spec.holderIdentity, 'B');
  assert.equal(l2.spec.leaseTransitions, 1);
  assert.equal(b.el.isLeader(), true);
  acB.abort();
  await b.done;
  assert.equal(lease().spec.holderIdentity, '');
  assert.equal(t.overlap, false);
});

test('release after a renewal the server applied but the leader never heard back from', async () => {
  const t = timeline();
  const acA = new AbortController(), acB = new AbortController();
  const a = t.candidate('A', acA);
  await waitFor(() => t.leading.has('A'));
  const b = t.candidate('B', acB);
  // the renewal in flight at cancellation: written, its response lost, so A's record is one version old
  const held = lease();
  srv.put({ group: 'coordination.k8s.io', plural: 'leases' }, { ...held, spec: { ...held.spec, renewTime: held.spec.renewTime.replace(/\d{6}Z$/, '999999Z') } });
  try {
    const released = Date.now();
    acA.abort();
    await a.done;
    assert.notEqual(lease().spec.holderIdentity, 'A', 'A cleared the lease it still held');
    await waitFor(() => t.leading.has('B'));
    assert.ok(Date.now() - released < 600, 'B took over without waiting for the lease to expire');
    assert.equal(t.overlap, false);
  } finally {
    acB.abort();
    await b.done;
  }
});

test('a leader that cannot renew steps down; the other takes over only after the lease expires', async () => {
  const t = timeline();
  const acA = new AbortController(), acB = new AbortController();
  const a = t.candidate('A', acA);
  await waitFor(() => t.leading.has('A'));
  const b = t.candidate('B', acB);
  await sleep(200);
  // partition A from the server
  srv.intercept = (r) => (r.headers['user-agent'] === 'A' ? errors.internal('unreachable') : undefined);
  const cut = Date.now();
  await a.done;                 // run() returns once leadership is lost
  const stepDown = Date.now() - cut;
  assert.ok(stepDown >= 450 && stepDown < 1000, `A stepped down after ${stepDown}ms`);
  assert.deepEqual(t.log, ['start A', 'signal A', 'stop A']);
  await waitFor(() => t.leading.has('B'), 3000);
  const takeover = Date.now() - cut;
  assert.ok(takeover >= 800, `B took over after ${takeover}ms`);
  assert.equal(lease().spec.leaseTransitions, 1);
  assert.equal(t.overlap, false);
  acB.abort();
  await b.done;
});

test('racing candidates on a missing lease: exactly one wins (create/update CAS)', async () => {
  const t = timeline();
  const acs = ['A', 'B', 'C'].map(() => new AbortController());
  const runs = ['A', 'B', 'C'].map((id, i) => t.candidate(id, acs[i]));
  await waitFor(() => t.leading.size === 1);
  await sleep(300);
  assert.equal(t.leading.size, 1);
  assert.equal(t.overlap, false);
  const winner = [...t.leading][0];
  assert.equal(lease().spec.holderIdentity, winner);
  const creates = srv.requests.filter((r) => r.path.endsWith('/leases') && r.method === 'POST').length;
  assert.ok(creates >= 1);
  acs.forEach((ac) => ac.abort());
  await Promise.all(runs.map((r) => r.done));
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) { if (Date.now() > end) throw new Error('timed out waiting'); await sleep(5); }
}
