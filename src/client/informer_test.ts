import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../api/types.js';
import { errors } from '../api/status.js';
import { RestClient } from './rest.js';
import { SharedInformer, SharedInformerFactory, clone } from './informer.js';
import { FakeApiServer } from './testing/fakeapi.js';

const pods = { group: '', version: 'v1', plural: 'pods', namespaced: true };
const secrets = { group: '', version: 'v1', plural: 'secrets', namespaced: true };
let srv: FakeApiServer;
let client: RestClient;
let ac: AbortController;

beforeEach(async () => { srv = new FakeApiServer(); client = new RestClient({ server: await srv.start() }); ac = new AbortController(); });
afterEach(async () => { ac.abort(); client.close(); await srv.stop(); });

const pod = (name: string, ns = 'default', labels: Record<string, string> = {}): KObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, labels } });

function recorder() {
  const log: string[] = [];
  return {
    log,
    h: {
      add: (o: KObject, initial: boolean) => log.push(`add ${o.metadata.name}${initial ? ' (initial)' : ''}`),
      update: (a: KObject, b: KObject) => log.push(`update ${b.metadata.name} ${a.metadata.resourceVersion}->${b.metadata.resourceVersion}`),
      delete: (o: KObject, unknown: boolean) => log.push(`delete ${o.metadata.name}${unknown ? ' (unknown)' : ''}`),
    },
  };
}

const watches = () => srv.requests.filter((r) => r.query.get('watch') === 'true');
const lists = () => srv.requests.filter((r) => r.method === 'GET' && r.query.get('watch') !== 'true');

test('paginated list, then watch from the list resourceVersion; events reach handlers and lister', async () => {
  for (let i = 0; i < 5; i++) srv.put(pods, pod(`p${i}`, i < 3 ? 'a' : 'b', { n: String(i % 2) }));
  const inf = new SharedInformer(client, pods, { pageSize: 2, backoffMs: [10, 50] });
  const r = recorder();
  inf.addEventHandler(r.h);
  inf.start(ac.signal);
  assert.equal(await inf.waitForSync(ac.signal), true);
  assert.ok(inf.hasSynced());
  assert.deepEqual(r.log, ['add p0 (initial)', 'add p1 (initial)', 'add p2 (initial)', 'add p3 (initial)', 'add p4 (initial)']);
  assert.deepEqual(lists().map((q) => [q.query.get('limit'), q.query.get('continue') !== null]), [['2', false], ['2', true], ['2', true]]);
  await waitFor(() => srv.watchCount === 1);
  assert.equal(watches()[0].query.get('resourceVersion'), srv.resourceVersion);
  assert.equal(watches()[0].query.get('allowWatchBookmarks'), 'true');

  assert.deepEqual(inf.lister.list('a').map((o) => o.metadata.name).sort(), ['p0', 'p1', 'p2']);
  assert.deepEqual(inf.lister.list(undefined, { matchLabels: { n: '1' } }).map((o) => o.metadata.name).sort(), ['p1', 'p3']);
  const cached = inf.lister.get('b', 'p3')!;
  assert.throws(() => { (cached.metadata as any).name = 'x'; }, TypeError);
  const copy = clone(cached);
  copy.metadata.labels!.n = 'changed';
  assert.equal(inf.lister.get('b', 'p3')!.metadata.labels!.n, '1');

  r.log.length = 0;
  const rv1 = srv.put(pods, { ...pod('p1', 'a'), spec: { x: 1 } }).metadata.resourceVersion;
  srv.put(pods, pod('p9', 'b'));
  srv.remove(pods, 'a', 'p0');
  await waitFor(() => r.log.length === 3);
  assert.match(r.log[0], new RegExp(`^update p1 \\d+->${rv1}$`));
  assert.deepEqual(r.log.slice(1), ['add p9', 'delete p0']);
  assert.equal(inf.lister.get('a', 'p0'), undefined);
  assert.deepEqual(inf.lister.get('a', 'p1')!.spec, { x: 1 });
  assert.equal(inf.lastSyncResourceVersion, srv.resourceVersion);
});

test('watch stream end: re-watch from the last seen resourceVersion without relisting; bookmarks advance it', async () => {
  srv.put(pods, pod('a'));
  const inf = new SharedInformer(client, pods, { backoffMs: [10, 50] });
  const r = recorder();
  inf.addEventHandler(r.h);
  inf.start(ac.signal);
  await inf.waitForSync();
  await waitFor(() => srv.watchCount === 1);
  r.log.length = 0;

  // changed while no watch is open: must be replayed by the next watch
  const before = srv.resourceVersion;
  srv.closeWatches();
  srv.put(pods, pod('b'));
  await waitFor(() => r.log.length === 1);
  assert.deepEqual(r.log, ['add b']);
  assert.equal(watches().length, 2);
  assert.equal(watches()[1].query.get('resourceVersion'), before);
  assert.equal(lists().length, 1);

  // writes to other resources move the resourceVersion on; a bookmark tells the informer
  srv.put(secrets, pod('s1'));
  srv.put(secrets, pod('s2'));
  await waitFor(() => srv.watchCount === 1);
  srv.bookmark();
  await waitFor(() => inf.lastSyncResourceVersion === srv.resourceVersion);
  const bookmarked = srv.resourceVersion;
  srv.closeWatches();
  await waitFor(() => watches().length === 3 && srv.watchCount === 1);
  assert.equal(watches()[2].query.get('resourceVersion'), bookmarked);
  assert.equal(lists().length, 1);
  assert.deepEqual(r.log, ['add b']);
});

test('relist on 410 Expired: deletions missed while away are delivered as final-state-unknown', async () => {
  srv.put(pods, pod('keep'));
  srv.put(pods, pod('gone'));
  const inf = new SharedInformer(client, pods, { backoffMs: [10, 50] });
  const r = recorder();
  inf.addEventHandler(r.h);
  inf.start(ac.signal);
  await inf.waitForSync();
  await waitFor(() => srv.watchCount === 1);
  r.log.length = 0;

  srv.closeWatches();
  srv.remove(pods, 'default', 'gone');
  srv.put(pods, pod('new'));
  srv.compact();   // the history the informer would resume from is gone -> 410
  await waitFor(() => lists().length === 2 && srv.watchCount === 1);
  await waitFor(() => r.log.length === 3);
  assert.deepEqual(r.log.map((l) => l.replace(/ \d+->\d+$/, '')).sort(), ['add new', 'delete gone (unknown)', 'update keep']);
  assert.deepEqual(inf.lister.list().map((o) => o.metadata.name).sort(), ['keep', 'new']);
  assert.equal(watches().at(-1)!.query.get('resourceVersion'), srv.resourceVersion);
  // the 410 came as an ERROR event on the re-watch
  assert.equal(watches().length, 3);
});

test('list errors are retried with back-off; late handlers get the cache replayed; resync', async () => {
  srv.put(pods, pod('a'));
  let fails = 2;
  srv.intercept = (r) => (r.query.get('watch') !== 'true' && fails-- > 0 ? errors.internal('etcd is down') : undefined);
  const inf = new SharedInformer(client, pods, { backoffMs: [10, 50] });
  inf.start(ac.signal);
  assert.equal(await inf.waitForSync(AbortSignal.timeout(3000)), true);
  assert.equal(lists().length, 3);
  const r = recorder();
  inf.addEventHandler(r.h, { resyncMs: 30 });
  assert.deepEqual(r.log, ['add a (initial)']);
  await waitFor(() => r.log.length >= 3);
  assert.match(r.log[1], /^update a (\d+)->\1$/);
});

test('factory shares one informer per resource and namespace; waitForCacheSync; stop', async () => {
  srv.put(pods, pod('a', 'x'));
  srv.put(pods, pod('b', 'y'));
  const f = new SharedInformerFactory(client);
  const i1 = f.informerFor(pods);
  assert.equal(f.informerFor(pods), i1);
  const inX = f.informerFor(pods, { namespace: 'x' });
  assert.notEqual(inX, i1);
  f.start(ac.signal);
  assert.equal(await f.waitForCacheSync(ac.signal), true);
  assert.equal(i1.lister.list().length, 2);
  assert.deepEqual(inX.lister.list().map((o) => o.metadata.name), ['a']);
  const late = f.informerFor(secrets);
  assert.equal(late.running, true);
  assert.equal(await f.waitForCacheSync(), true);
  await f.stop();
  assert.equal(i1.running, false);
  await waitFor(() => srv.watchCount === 0);
});

async function waitFor(cond: () => boolean, ms = 4000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) { if (Date.now() > end) throw new Error('timed out waiting'); await new Promise((r) => setTimeout(r, 5)); }
}
