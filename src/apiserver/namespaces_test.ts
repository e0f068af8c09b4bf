// The create-time namespace check over real HTTP: served from the watched view once it has seen the
// namespace (no storage read per create), read-your-writes after this server's own namespace
// writes, and other servers' writes picked up from the watch.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBackend } from '../storage/memory.js';
import type { KeyValue, WatchCallback, WatchOptions, Watcher } from '../storage/backend.js';
import { ApiServer } from './server.js';
import { bootstrap } from './bootstrap.js';
import { jsonRequest } from './testing/server.js';

/** a memory backend that counts reads of namespace keys, and delivers watch events late (as a remote etcd may) */
class CountingBackend extends MemoryBackend {
  namespaceGets = 0;
  override async get(key: string, revision?: number): Promise<KeyValue | undefined> {
    if (key.includes('/namespaces/')) this.namespaceGets++;
    return super.get(key, revision);
  }
  override watch(prefix: string, opts: WatchOptions, cb: WatchCallback): Watcher {
    return super.watch(prefix, opts, (evs) => { setTimeout(() => cb(evs), 50); });
  }
}

const backend = new CountingBackend();
let a: ApiServer, b: ApiServer;

before(async () => {
  a = new ApiServer({ backend, port: 0, compactionIntervalMs: 3_600_000 });
  b = new ApiServer({ backend, port: 0, compactionIntervalMs: 3_600_000 });
  await a.start();
  await b.start();
  await bootstrap(a.registry, { serviceIP: '10.43.0.1', advertiseAddress: '127.0.0.1', port: a.port });
});
after(async () => { await a.stop(); await b.stop(); await backend.close(); });

const req = jsonRequest;

const cm = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { k: 'v' } });
const ns = (name: string) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });

/** waits until creates in ns on this server are checked from the view (no namespace read) */
async function viewHas(server: ApiServer, name: string): Promise<void> {
  await eventually(`the view of ${name}`, async () => {
    const before = backend.namespaceGets;
    assert.equal((await req(server, 'POST', `/api/v1/namespaces/${name}/configmaps`, { ...cm(''), metadata: { generateName: 'c-' } })).status, 201);
    return backend.namespaceGets === before;
  });
}

async function eventually(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) { if (await check()) return; await new Promise((r) => setTimeout(r, 20)); }
  assert.fail(`timed out waiting for ${what}`);
}

test('a namespace created a moment ago is usable at once; once seen, creates do not read it from storage', async () => {
  assert.equal((await req(a, 'POST', '/api/v1/namespaces', ns('fresh'))).status, 201);
  assert.equal((await req(a, 'POST', '/api/v1/namespaces/fresh/configmaps', cm('first'))).status, 201);
  // once the view has the namespace, the check is answered from memory
  await viewHas(a, 'fresh');
  const before2 = backend.namespaceGets;
  for (let i = 0; i < 5; i++) assert.equal((await req(a, 'POST', '/api/v1/namespaces/fresh/configmaps', cm(`more-${i}`))).status, 201);
  assert.equal(backend.namespaceGets, before2);
});

test('missing namespaces are refused with 404', async () => {
  const r = await req(a, 'POST', '/api/v1/namespaces/nowhere/configmaps', cm('x'));
  assert.equal(r.status, 404);
  assert.equal(r.json.message, 'namespaces "nowhere" not found');
});

test('after this server deletes a namespace, a create in it is refused at once (read your writes)', async () => {
  assert.equal((await req(a, 'POST', '/api/v1/namespaces', ns('doomed'))).status, 201);
  await viewHas(a, 'doomed');
  assert.equal((await req(a, 'DELETE', '/api/v1/namespaces/doomed')).status, 200); // terminating: the kubernetes finalizer stays
  const r = await req(a, 'POST', '/api/v1/namespaces/doomed/configmaps', cm('y'));
  assert.equal(r.status, 403);
  assert.equal(r.json.details.causes[0].reason, 'NamespaceTerminating');
});

test('a namespace deleted through another server is refused once the watch delivers it', async () => {
  assert.equal((await req(a, 'POST', '/api/v1/namespaces', ns('elsewhere'))).status, 201);
  await viewHas(b, 'elsewhere');
  assert.equal((await req(a, 'DELETE', '/api/v1/namespaces/elsewhere')).status, 200);
  await eventually('server b to refuse creates', async () => (await req(b, 'POST', '/api/v1/namespaces/elsewhere/configmaps', cm('late'))).status === 403);
});
