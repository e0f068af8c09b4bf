// The API server's own watches (CustomResourceDefinitions, the namespace view) outlive the end of
// the storage watch under them, as when etcd restarts: they list again and watch on.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBackend } from '../storage/memory.js';
import type { WatchCallback, WatchOptions, Watcher } from '../storage/backend.js';
import type { ApiServer } from './server.js';
import { jsonRequest, startTestApi } from './testing/server.js';

/** a memory backend whose watches can all be ended at once */
class BreakableBackend extends MemoryBackend {
  private readonly live = new Set<AbortController>();
  override watch(prefix: string, opts: WatchOptions, cb: WatchCallback): Watcher {
    const ac = new AbortController();
    opts.signal?.addEventListener('abort', () => ac.abort(), { once: true });
    this.live.add(ac);
    const w = super.watch(prefix, { ...opts, signal: ac.signal }, cb);
    void w.done.finally(() => this.live.delete(ac)).catch(() => {});
    return w;
  }
  breakWatches(): number {
    const n = this.live.size;
    for (const ac of this.live) ac.abort();
    this.live.clear();
    return n;
  }
}

const backend = new BreakableBackend();
let api: ApiServer;

before(async () => { api = await startTestApi(backend); });
after(async () => { await api.stop(); await backend.close(); });

const req = (method: string, path: string, body?: unknown) => jsonRequest(api, method, path, body);

const crd = (plural: string, kind: string) => ({
  apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: `${plural}.example.test` },
  spec: {
    group: 'example.test', scope: 'Namespaced', names: { plural, singular: kind.toLowerCase(), kind },
    versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
  },
});

async function eventually(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 150; i++) { if (await check()) return; await new Promise((r) => setTimeout(r, 20)); }
  assert.fail(`timed out waiting for ${what}`);
}

test('a CRD created after the storage watch ended is still served', async () => {
  assert.equal((await req('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd('befores', 'Before'))).status, 201);
  await eventually('the first CRD to be served', async () => (await req('GET', '/apis/example.test/v1/namespaces/default/befores')).status === 200);
  assert.ok(backend.breakWatches() > 0, 'the API server had storage watches');
  assert.equal((await req('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd('afters', 'After'))).status, 201);
  await eventually('the CRD created after the break to be served', async () => (await req('GET', '/apis/example.test/v1/namespaces/default/afters')).status === 200);
  assert.equal((await req('GET', '/apis/example.test/v1/namespaces/default/befores')).status, 200);
  // and a CRD deleted after another break stops being served
  backend.breakWatches();
  assert.equal((await req('DELETE', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/befores.example.test')).status, 200);
  await eventually('the deleted CRD to go', async () => (await req('GET', '/apis/example.test/v1/namespaces/default/befores')).status === 404);
});

test('the namespace check still refuses a terminating namespace after the storage watch ended', async () => {
  assert.equal((await req('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'brk' } })).status, 201);
  backend.breakWatches();
  assert.equal((await req('DELETE', '/api/v1/namespaces/brk')).status, 200);
  assert.equal((await req('POST', '/api/v1/namespaces/brk/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } })).status, 403);
});
