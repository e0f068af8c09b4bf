import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../api/types.js';
import { errors } from '../api/status.js';
import { StaticDiscovery } from './discovery.js';
import { GarbageCollector } from './garbagecollector.js';
import { DependencyGraph, type GraphNode } from './gcgraph.js';
import { eventually, fixture, res, type Fixture } from './testutil_test.js';

let f: Fixture;
let gc: GarbageCollector;
let run: Promise<void>;
beforeEach(async () => { f = await fixture(); });
afterEach(async () => { f.ac.abort(); await run; await f.close(); });

async function startGC(workers = 4): Promise<void> {
  gc = new GarbageCollector({ client: f.client, metadataClient: f.client, metadataInformers: f.informers, discovery: new StaticDiscovery(Object.values(res)) });
  f.informers.start(f.ac.signal);
  run = gc.run(workers, f.ac.signal);
  await eventually('monitors synced', () => gc.monitored().length > 0 && f.srv.watchCount >= gc.monitored().length);
}

const key = (r: { group: string; plural: string }, ns: string, name: string) => `${r.group}/${r.plural}|${ns}|${name}`;
const get = (r: { group: string; plural: string }, ns: string, name: string): KObject | undefined => f.srv.objects.get(key(r, ns, name));
const ref = (o: KObject, extra: object = {}) => ({ apiVersion: 'apps/v1', kind: 'Deployment', name: o.metadata.name!, uid: o.metadata.uid!, ...extra });

test('monitors every resource with list, watch and delete, except events', async () => {
  await startGC();
  assert.deepEqual(gc.monitored().sort(), ['/v1/configmaps', '/v1/namespaces', '/v1/nodes', '/v1/pods', '/v1/secrets', '/v1/serviceaccounts', 'apps/v1/deployments', 'example.com/v1/widgets']);
});

test('background: dependents of a deleted owner are deleted; a dependent with another live owner only loses the reference', async () => {
  const owner = f.srv.put(res.deployments, { metadata: { name: 'web', namespace: 'ns' } });
  const other = f.srv.put(res.deployments, { metadata: { name: 'other', namespace: 'ns' } });
  f.srv.put(res.configmaps, { metadata: { name: 'dep', namespace: 'ns', ownerReferences: [ref(owner)] } });
  f.srv.put(res.widgets, { metadata: { name: 'w', namespace: 'ns', ownerReferences: [ref(owner)] } });
  f.srv.put(res.secrets, { metadata: { name: 'both', namespace: 'ns', ownerReferences: [ref(owner), ref(other)] } });
  await startGC();
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(get(res.configmaps, 'ns', 'dep'), 'nothing happens while owners exist');
  f.srv.remove(res.deployments, 'ns', 'web');
  await eventually('dependents deleted', () => !get(res.configmaps, 'ns', 'dep') && !get(res.widgets, 'ns', 'w'));
  await eventually('dangling reference removed', () => get(res.secrets, 'ns', 'both')?.metadata.ownerReferences?.length === 1);
  assert.equal(get(res.secrets, 'ns', 'both')!.metadata.ownerReferences![0].uid, other.metadata.uid);
  const del = f.srv.requests.find((r) => r.method === 'DELETE' && r.path === '/api/v1/namespaces/ns/configmaps/dep')!;
  assert.equal(del.body.propagationPolicy, 'Background');
  assert.equal(del.body.preconditions.uid, get(res.configmaps, 'ns', 'dep')?.metadata.uid ?? del.body.preconditions.uid);
});

test('an owner replaced by another object of the same name (uid mismatch) counts as gone', async () => {
  f.srv.put(res.configmaps, { metadata: { name: 'dep', namespace: 'ns', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'old-uid' }] } });
  f.srv.put(res.deployments, { metadata: { name: 'web', namespace: 'ns', uid: 'new-uid' } });
  await startGC();
  await eventually('dependent of the old owner deleted', () => !get(res.configmaps, 'ns', 'dep'));
  assert.ok(get(res.deployments, 'ns', 'web'));
});

test('orphan: references are removed from dependents, then the orphan finalizer', async () => {
  const owner = f.srv.put(res.deployments, { metadata: { name: 'web', namespace: 'ns' } });
  f.srv.put(res.configmaps, { metadata: { name: 'a', namespace: 'ns', ownerReferences: [ref(owner)] } });
  f.srv.put(res.configmaps, { metadata: { name: 'b', namespace: 'ns', ownerReferences: [ref(owner), { apiVersion: 'v1', kind: 'Node', name: 'n', uid: 'node-uid' }] } });
  f.srv.put(res.nodes, { metadata: { name: 'n', uid: 'node-uid' } });
  await startGC();
  f.srv.put(res.deployments, { ...owner, metadata: { ...owner.metadata, deletionTimestamp: '2024-01-01T00:00:00Z', finalizers: ['orphan', 'example.com/other'] } });
  await eventually('orphan finalizer removed', () => JSON.stringify(get(res.deployments, 'ns', 'web')!.metadata.finalizers) === '["example.com/other"]');
  assert.equal(get(res.configmaps, 'ns', 'a')!.metadata.ownerReferences, undefined);
  assert.deepEqual(get(res.configmaps, 'ns', 'b')!.metadata.ownerReferences!.map((r) => r.uid), ['node-uid']);
  // the patches carry the resourceVersion read, for optimistic concurrency
  const p = f.srv.requests.find((r) => r.method === 'PATCH' && r.path.endsWith('/configmaps/a'))!;
  assert.equal(p.contentType, 'application/merge-patch+json');
  assert.ok(p.body.metadata.resourceVersion);
  assert.equal(p.body.metadata.ownerReferences, null);
});

test('foreground: dependents are deleted, the finalizer goes once no blocking dependent is left', async () => {
  const owner = f.srv.put(res.deployments, { metadata: { name: 'web', namespace: 'ns' } });
  f.srv.put(res.configmaps, { metadata: { name: 'block', namespace: 'ns', ownerReferences: [ref(owner, { blockOwnerDeletion: true })] } });
  f.srv.put(res.configmaps, { metadata: { name: 'free', namespace: 'ns', ownerReferences: [ref(owner)] } });
  // a blocking dependent that itself has dependents is deleted in foreground too
  const mid = f.srv.put(res.widgets, { metadata: { name: 'mid', namespace: 'ns', ownerReferences: [ref(owner, { blockOwnerDeletion: true })] } });
  f.srv.put(res.secrets, { metadata: { name: 'leaf', namespace: 'ns', ownerReferences: [{ apiVersion: 'example.com/v1', kind: 'Widget', name: 'mid', uid: mid.metadata.uid!, blockOwnerDeletion: true }] } });
  await startGC();
  f.srv.put(res.deployments, { ...owner, metadata: { ...owner.metadata, deletionTimestamp: '2024-01-01T00:00:00Z', finalizers: ['foregroundDeletion'] } });
  await eventually('foreground finalizer removed', () => get(res.deployments, 'ns', 'web')!.metadata.finalizers === undefined);
  assert.equal(get(res.configmaps, 'ns', 'block'), undefined);
  assert.equal(get(res.configmaps, 'ns', 'free'), undefined);
  const midDelete = f.srv.requests.find((r) => r.method === 'DELETE' && r.path.endsWith('/widgets/mid'))!;
  assert.equal(midDelete.body.propagationPolicy, 'Foreground');
});

test('foreground waits while a blocking dependent still exists', async () => {
  const owner = f.srv.put(res.deployments, { metadata: { name: 'web', namespace: 'ns' } });
  f.srv.put(res.configmaps, { metadata: { name: 'stuck', namespace: 'ns', ownerReferences: [ref(owner, { blockOwnerDeletion: true })] } });
  await startGC();
  // the dependent is being deleted but held (e.g. by a finalizer): put it back as such after each delete
  f.srv.intercept = (r) => {
    if (r.method === 'DELETE' && r.path.endsWith('/configmaps/stuck')) {
      const cur = get(res.configmaps, 'ns', 'stuck')!;
      setImmediate(() => f.srv.put(res.configmaps, { ...cur, metadata: { ...cur.metadata, deletionTimestamp: '2024-01-01T00:00:00Z', finalizers: ['example.com/x'] } }));
      return errors.conflict({ group: '', resource: 'configmaps' }, 'stuck', 'held for the test');
    }
    return undefined;
  };
  f.srv.put(res.deployments, { ...owner, metadata: { ...owner.metadata, deletionTimestamp: '2024-01-01T00:00:00Z', finalizers: ['foregroundDeletion'] } });
  await eventually('dependent marked deleting', () => !!get(res.configmaps, 'ns', 'stuck')?.metadata.deletionTimestamp);
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(get(res.deployments, 'ns', 'web')!.metadata.finalizers, ['foregroundDeletion']);
  f.srv.remove(res.configmaps, 'ns', 'stuck');
  await eventually('finalizer removed after the dependent is gone', () => get(res.deployments, 'ns', 'web')!.metadata.finalizers === undefined);
});

test('scale: 300 dependents of one owner are collected promptly, with two requests each', async () => {
  const owner = f.srv.put(res.deployments, { metadata: { name: 'big', namespace: 'ns' } });
  for (let i = 0; i < 300; i++) f.srv.put(res.configmaps, { metadata: { name: `c${i}`, namespace: 'ns', ownerReferences: [ref(owner)] } });
  await startGC(20);
  const n0 = f.srv.requests.length;
  const t0 = Date.now();
  f.srv.remove(res.deployments, 'ns', 'big');
  await eventually('all collected', () => ![...f.srv.objects.keys()].some((k) => k.startsWith('/configmaps|ns|c')), 15_000);
  // one GET of the dependent and one DELETE each; the absent owner is looked up only a few times
  const reqs = f.srv.requests.slice(n0);
  assert.equal(reqs.filter((r) => r.method === 'DELETE').length, 300);
  assert.ok(reqs.length <= 300 * 2 + 25, `${reqs.length} requests`);
  // (the bound is loose: loopback HTTP on a loaded test machine is the limit, ~2 ms a request)
  assert.ok(Date.now() - t0 < 10_000, `took ${Date.now() - t0} ms`);
});

test('graph: virtual owners, owner changes and transitions reach the right queues', () => {
  const del: string[] = [], orphan: string[] = [];
  const g = new DependencyGraph({ attemptToDelete: (n: GraphNode) => del.push(n.identity.name), attemptToOrphan: (n: GraphNode) => orphan.push(n.identity.name) });
  const id = (name: string, uid: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name, uid });
  g.observe('add', id('dep', 'd1'), { ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'own', uid: 'o1', blockOwnerDeletion: true }] });
  assert.deepEqual(del, ['own'], 'an unseen owner becomes a virtual node to verify');
  assert.equal(g.nodes.get('o1')!.virtual, true);
  g.observe('add', id('own', 'o1'), {});
  assert.equal(g.nodes.get('o1')!.virtual, false);
  assert.deepEqual(g.nodes.get('o1')!.blockingDependents().map((n) => n.identity.name), ['dep']);
  del.length = 0;
  g.observe('update', id('own', 'o1'), { deletionTimestamp: 't', finalizers: ['foregroundDeletion'] }, {});
  assert.deepEqual(del.sort(), ['dep', 'own']);
  del.length = 0;
  g.observe('update', id('dep', 'd1'), {}, { ownerReferences: [] });
  assert.deepEqual(del, ['own'], 'a removed blocking reference wakes the foreground owner');
  assert.equal(g.nodes.get('o1')!.dependents.size, 0);
  g.observe('add', id('o2', 'o2'), { deletionTimestamp: 't', finalizers: ['orphan'] });
  assert.deepEqual(orphan, ['o2']);
  g.observe('update', id('o2', 'o2'), { deletionTimestamp: 't', finalizers: ['orphan'] }, { deletionTimestamp: 't', finalizers: ['orphan'] });
  assert.deepEqual(orphan, ['o2'], 'no transition, no new work');
  del.length = 0;
  g.observe('add', id('dep2', 'd2'), { ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'own', uid: 'o1' }] });
  g.observe('delete', id('own', 'o1'), {});
  assert.deepEqual(del, ['dep2'], 'deleting an owner enqueues its dependents');
  assert.equal(g.nodes.has('o1'), false);
});
