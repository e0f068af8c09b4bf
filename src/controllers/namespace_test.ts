import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { StaticDiscovery } from './discovery.js';
import { NamespaceController, ResourcesRemainingError } from './namespace.js';
import { fixture, res, type Fixture } from './testutil_test.js';

let f: Fixture;
beforeEach(async () => { f = await fixture(); });
afterEach(async () => { await f.close(); });

const terminating = (name: string) => ({
  apiVersion: 'v1', kind: 'Namespace',
  metadata: { name, deletionTimestamp: '2024-01-01T00:00:00Z' },
  spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' },
});

function controller(discovery = new StaticDiscovery(Object.values(res))) {
  return new NamespaceController({ client: f.client, informers: f.informers, discovery });
}

const left = (group: string, plural: string, ns: string) => [...f.srv.objects.keys()].filter((k) => k.startsWith(`${group}/${plural}|${ns}|`));

test('deletes every namespaced resource found by discovery (custom ones too), then finalizes', async () => {
  f.srv.put(res.namespaces, terminating('gone'));
  f.srv.put(res.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other' } });
  for (const [r, n] of [[res.configmaps, 'a'], [res.configmaps, 'b'], [res.secrets, 's'], [res.deployments, 'd'], [res.widgets, 'w']] as const) {
    f.srv.put(r, { metadata: { name: n, namespace: 'gone' } });
  }
  f.srv.put(res.configmaps, { metadata: { name: 'keep', namespace: 'other' } });
  await controller().sync('gone');
  for (const r of [res.configmaps, res.secrets, res.deployments, res.widgets]) assert.deepEqual(left(r.group, r.plural, 'gone'), [], r.plural);
  assert.equal(left('', 'configmaps', 'other').length, 1, 'other namespaces are untouched');
  const reqs = f.srv.requests.filter((r) => r.method !== 'GET');
  // phase Terminating through the status subresource first
  assert.equal(reqs[0].path, '/api/v1/namespaces/gone/status');
  assert.equal(reqs[0].body.status.phase, 'Terminating');
  // deletecollection is tried (the fake refuses it with 405), then each item is deleted in background
  assert.ok(reqs.some((r) => r.method === 'DELETE' && r.path === '/apis/example.com/v1/namespaces/gone/widgets'));
  const del = reqs.find((r) => r.method === 'DELETE' && r.path === '/apis/example.com/v1/namespaces/gone/widgets/w')!;
  assert.equal(del.body.propagationPolicy, 'Background');
  // resources without the delete verb are not touched
  assert.ok(!f.srv.requests.some((r) => r.path.includes('/bindings')));
  // conditions say all is well, then finalize drops 'kubernetes'
  const cond = reqs.filter((r) => r.path === '/api/v1/namespaces/gone/status').at(-1)!.body.status.conditions;
  assert.deepEqual(cond.map((c: any) => [c.type, c.status, c.reason]), [
    ['NamespaceDeletionDiscoveryFailure', 'False', 'ResourcesDiscovered'],
    ['NamespaceDeletionGroupVersionParsingFailure', 'False', 'ParsedGroupVersions'],
    ['NamespaceDeletionContentFailure', 'False', 'ContentDeleted'],
    ['NamespaceContentRemaining', 'False', 'ContentRemoved'],
    ['NamespaceFinalizersRemaining', 'False', 'ContentRemoved'],
  ]);
  const fin = reqs.at(-1)!;
  assert.equal(fin.method, 'PUT');
  assert.equal(fin.path, '/api/v1/namespaces/gone/finalize');
  assert.deepEqual(fin.body.spec.finalizers, []);
});

test('waits while objects held by finalizers remain, with conditions naming them', async () => {
  f.srv.put(res.namespaces, terminating('held'));
  f.srv.put(res.configmaps, { metadata: { name: 'x', namespace: 'held', deletionTimestamp: '2024-01-01T00:00:00Z', finalizers: ['example.com/wait'] } });
  const c = controller();
  await assert.rejects(c.sync('held'), (e) => e instanceof ResourcesRemainingError && e.estimate === 15);
  const st = f.srv.objects.get('/namespaces||held')!.status;
  const byType = Object.fromEntries(st.conditions.map((x: any) => [x.type, x]));
  assert.equal(st.phase, 'Terminating');
  assert.equal(byType.NamespaceContentRemaining.status, 'True');
  assert.equal(byType.NamespaceContentRemaining.message, 'Some resources are remaining: configmaps. has 1 resource instances');
  assert.equal(byType.NamespaceFinalizersRemaining.message, 'Some finalizers are remaining: example.com/wait in 1 resource instances');
  assert.ok(!f.srv.requests.some((r) => r.path.endsWith('/finalize')), 'not finalized while content remains');
  // reconcile turns the wait into a short requeue
  const r = await c.reconcile('held');
  assert.ok(r && r.requeueAfter > 0 && r.requeueAfter <= 8500);
  // once the object is gone, the next pass finalizes
  f.srv.remove(res.configmaps, 'held', 'x');
  await c.sync('held');
  assert.deepEqual(f.srv.objects.get('/namespaces||held')!.spec.finalizers, []);
  const conds = Object.fromEntries(f.srv.objects.get('/namespaces||held')!.status.conditions.map((x: any) => [x.type, x.status]));
  assert.equal(conds.NamespaceContentRemaining, 'False');
});

test('a discovery failure is reported in conditions and blocks finalization', async () => {
  f.srv.put(res.namespaces, terminating('d'));
  const c = controller(new StaticDiscovery([res.configmaps], new Map([['metrics.example.com/v1', 'the server is currently unable to handle the request']])));
  await assert.rejects(c.sync('d'), /discovery failed/);
  const cond = f.srv.objects.get('/namespaces||d')!.status.conditions.find((x: any) => x.type === 'NamespaceDeletionDiscoveryFailure');
  assert.equal(cond.status, 'True');
  assert.equal(cond.reason, 'DiscoveryFailed');
  assert.match(cond.message, /^Discovery failed for some groups, 1 failing: .*metrics\.example\.com\/v1/);
  assert.ok(!f.srv.requests.some((r) => r.path.endsWith('/finalize')));
});

test('namespaces without deletionTimestamp, or already finalized, are left alone', async () => {
  f.srv.put(res.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'live' }, spec: { finalizers: ['kubernetes'] } });
  f.srv.put(res.configmaps, { metadata: { name: 'c', namespace: 'live' } });
  f.srv.put(res.namespaces, { ...terminating('done'), spec: { finalizers: [] }, status: { phase: 'Terminating' } });
  const c = controller();
  await c.sync('live');
  await c.sync('done');
  await c.sync('missing');
  assert.equal(left('', 'configmaps', 'live').length, 1);
  assert.deepEqual(f.srv.requests.filter((r) => r.method !== 'GET'), []);
});

test('runs from the informer: a namespace marked for deletion is emptied and finalized', async () => {
  const c = controller();
  const run = c.run(2, f.ac.signal);
  f.informers.start(f.ac.signal);
  f.srv.put(res.configmaps, { metadata: { name: 'a', namespace: 'late' } });
  f.srv.put(res.namespaces, terminating('late'));
  const end = Date.now() + 5000;
  while (Date.now() < end && f.srv.objects.get('/namespaces||late')!.spec.finalizers.length) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(f.srv.objects.get('/namespaces||late')!.spec.finalizers, []);
  assert.deepEqual(left('', 'configmaps', 'late'), []);
  f.ac.abort();
  await run;
});
