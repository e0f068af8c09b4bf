import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { StatusError } from '../api/status.js';
import { RestClient, type WatchEvent } from './rest.js';
import { isConflict, isNotFound, isAlreadyExists } from './errors.js';
import { FakeApiServer } from './testing/fakeapi.js';

const cms = { group: '', version: 'v1', plural: 'configmaps', namespaced: true };
const deps = { group: 'apps', version: 'v1', plural: 'deployments', namespaced: true };
let srv: FakeApiServer;
let c: RestClient;

before(async () => { srv = new FakeApiServer(); c = new RestClient({ server: await srv.start(), token: 'abc' }); });
after(async () => { c.close(); await srv.stop(); });

test('create, get, update with resourceVersion CAS, status, delete', async () => {
  const made = await c.create(cms, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'ns1' }, data: { x: '1' } });
  assert.equal(srv.requests.at(-1)!.path, '/api/v1/namespaces/ns1/configmaps');
  assert.ok(made.metadata.resourceVersion);
  await assert.rejects(c.create(cms, { metadata: { name: 'a', namespace: 'ns1' } }), (e) => isAlreadyExists(e) && (e as StatusError).message === 'configmaps "a" already exists');
  const got = await c.get(cms, 'a', { namespace: 'ns1' });
  assert.deepEqual(got.data, { x: '1' });
  const upd = await c.update(cms, { ...got, data: { x: '2' } }, { fieldManager: 'me' });
  assert.equal(srv.requests.at(-1)!.query.get('fieldManager'), 'me');
  assert.notEqual(upd.metadata.resourceVersion, got.metadata.resourceVersion);
  // stale resourceVersion: 409 rebuilt from the server's Status
  await assert.rejects(c.update(cms, { ...got, data: { x: '3' } }), (e) => {
    assert.ok(e instanceof StatusError);
    assert.equal(e.code, 409);
    assert.ok(isConflict(e));
    assert.match(e.message, /^Operation cannot be fulfilled on configmaps "a": the object has been modified/);
    return true;
  });
  const d = await c.create(deps, { metadata: { name: 'web', namespace: 'ns1' }, spec: { replicas: 1 } });
  await c.updateStatus(deps, { ...d, status: { readyReplicas: 1 } });
  assert.equal(srv.requests.at(-1)!.path, '/apis/apps/v1/namespaces/ns1/deployments/web/status');
  assert.deepEqual((await c.get(deps, 'web', { namespace: 'ns1' })).status, { readyReplicas: 1 });
  await c.delete(cms, 'a', { namespace: 'ns1', propagationPolicy: 'Foreground', gracePeriodSeconds: 0, preconditions: { uid: upd.metadata.uid } });
  assert.deepEqual(srv.requests.at(-1)!.body, { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Foreground', gracePeriodSeconds: 0, preconditions: { uid: upd.metadata.uid } });
  await assert.rejects(c.get(cms, 'a', { namespace: 'ns1' }), (e) => isNotFound(e) && (e as StatusError).message === 'configmaps "a" not found');
});

test('list passes selectors and pagination; patch sets content types and apply options', async () => {
  for (let i = 0; i < 5; i++) await c.create(cms, { metadata: { name: `p${i}`, namespace: 'ns2', labels: { app: i % 2 ? 'odd' : 'even' } } });
  const page1 = await c.list(cms, { namespace: 'ns2', limit: 2 });
  assert.equal(page1.items.length, 2);
  assert.ok(page1.metadata.continue);
  const page2 = await c.list(cms, { namespace: 'ns2', limit: 2, continue: page1.metadata.continue });
  assert.deepEqual(page2.items.map((o) => o.metadata.name), ['p2', 'p3']);
  const even = await c.list(cms, { namespace: 'ns2', labelSelector: 'app=even', fieldSelector: 'metadata.name!=x' });
  assert.deepEqual(even.items.map((o) => o.metadata.name), ['p0', 'p2', 'p4']);
  const q = srv.requests.at(-1)!.query;
  assert.equal(q.get('labelSelector'), 'app=even');
  assert.equal(q.get('fieldSelector'), 'metadata.name!=x');

  const types: Array<[any, string]> = [['merge', 'application/merge-patch+json'], ['strategic', 'application/strategic-merge-patch+json'], ['apply', 'application/apply-patch+yaml']];
  for (const [type, ct] of types) {
    await c.patch(cms, 'p0', { namespace: 'ns2', type, patch: { data: { t: type } }, fieldManager: 'mgr', force: true });
    const r = srv.requests.at(-1)!;
    assert.equal(r.method, 'PATCH');
    assert.equal(r.contentType, ct);
    assert.equal(r.query.get('force'), type === 'apply' ? 'true' : null);
  }
  assert.deepEqual((await c.get(cms, 'p0', { namespace: 'ns2' })).data, { t: 'apply' });
  assert.throws(() => c.patch(cms, 'p0', { namespace: 'ns2', type: 'apply', patch: {} }), /fieldManager is required/);
});

test('non-Status error bodies become StatusErrors by code; Authorization header is sent', async () => {
  const s = http.createServer((req, res) => { res.writeHead(503); res.end(String(req.headers.authorization)); });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const cc = new RestClient({ server: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, token: 'tok' });
  try {
    await assert.rejects(cc.request('GET', '/healthz'), (e) => e instanceof StatusError && e.code === 503 && e.reason === 'ServiceUnavailable' && e.message.includes('Bearer tok'));
  } finally { cc.close(); s.close(); }
});

test('watch yields events from a resourceVersion, bookmarks, and ends when the server closes', async () => {
  const start = (await c.list(cms, { namespace: 'w' })).metadata.resourceVersion!;
  srv.put({ group: '', plural: 'configmaps' }, { metadata: { name: 'one', namespace: 'w' } });
  const got: WatchEvent[] = [];
  const done = (async () => { for await (const ev of c.watch(cms, { namespace: 'w', resourceVersion: start, allowWatchBookmarks: true, timeoutSeconds: 30 })) got.push(ev); })();
  await waitFor(() => srv.watchCount === 1);
  const q = srv.requests.at(-1)!.query;
  assert.equal(q.get('watch'), 'true');
  assert.equal(q.get('allowWatchBookmarks'), 'true');
  assert.equal(q.get('timeoutSeconds'), '30');
  srv.remove({ group: '', plural: 'configmaps' }, 'w', 'one');
  srv.bookmark();
  await waitFor(() => got.length === 3);
  srv.closeWatches();
  await done;
  assert.deepEqual(got.map((e) => `${e.type} ${e.object.metadata.name ?? ''}`), ['ADDED one', 'DELETED one', 'BOOKMARK ']);
  assert.equal(got[2].object.metadata.resourceVersion, srv.resourceVersion);
});

test('watch: HTTP 410 throws StatusError; abort ends iteration quietly', async () => {
  const s = http.createServer((req, res) => {
    if (req.url!.includes('resourceVersion=1')) {
      res.writeHead(410, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'too old resource version: 1 (50)', reason: 'Expired', code: 410 }));
    } else { res.writeHead(200); res.write('{"type":"ADDED","object":{"metadata":{"name":"x"}}}\n'); }
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const cc = new RestClient({ server: `http://127.0.0.1:${(s.address() as AddressInfo).port}` });
  try {
    await assert.rejects((async () => { for await (const _ of cc.watch(cms, { resourceVersion: '1' })) { /* none */ } })(),
      (e) => e instanceof StatusError && e.code === 410 && e.reason === 'Expired' && e.message === 'too old resource version: 1 (50)');
    const ac = new AbortController();
    const seen: string[] = [];
    for await (const ev of cc.watch(cms, { resourceVersion: '5', signal: ac.signal })) { seen.push(ev.object.metadata.name!); ac.abort(); }
    assert.deepEqual(seen, ['x']);
  } finally { cc.close(); s.closeAllConnections(); s.close(); }
});

test('fromKubeconfig reads server, token and namespace of the current context', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kc-'));
  try {
    writeFileSync(join(dir, 'tok'), 'file-token\n');
    writeFileSync(join(dir, 'config'), `apiVersion: v1
kind: Config
current-context: b
clusters:
- name: c1
  cluster: {server: "${srv.url}"}
users:
- name: u1
  user: {tokenFile: tok}
contexts:
- name: a
  context: {cluster: nope, user: u1}
- name: b
  context: {cluster: c1, user: u1, namespace: team}
`);
    const kc = RestClient.fromKubeconfig(join(dir, 'config'));
    assert.equal(kc.namespace, 'team');
    const seen: string[] = [];
    srv.intercept = (r) => { seen.push(`${r.path} ${r.headers.authorization}`); return undefined; };
    await kc.list(cms, { namespace: 'team' });
    kc.close();
    srv.intercept = undefined;
    assert.deepEqual(seen, ['/api/v1/namespaces/team/configmaps Bearer file-token']);
    assert.throws(() => RestClient.fromKubeconfig(join(dir, 'config'), { context: 'a' }), /cluster "nope" not found/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

async function waitFor(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) { if (Date.now() > end) throw new Error('timed out waiting'); await new Promise((r) => setTimeout(r, 5)); }
}
