import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RestClient } from './rest.js';
import { EventRecorder, coreEvents } from './events.js';
import { FakeApiServer } from './testing/fakeapi.js';

let srv: FakeApiServer;
let client: RestClient;
before(async () => { srv = new FakeApiServer(); client = new RestClient({ server: await srv.start() }); });
after(async () => { client.close(); await srv.stop(); });

const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', namespace: 'shop', uid: 'u-1', resourceVersion: '7' } };
const stored = () => [...srv.objects.entries()].filter(([k]) => k.startsWith('/events|')).map(([, v]) => v);

test('creates an Event like upstream, then patches count/lastTimestamp on repeats', async () => {
  const rec = new EventRecorder(client, { component: 'deployment-controller', host: 'node-a' });
  rec.event(pod, 'Normal', 'Scheduled', 'Successfully assigned shop/web-1 to node-a');
  await rec.flush();
  const post = srv.requests.at(-1)!;
  assert.equal(post.method, 'POST');
  assert.equal(post.path, '/api/v1/namespaces/shop/events');
  const ev = post.body;
  assert.match(ev.metadata.name, /^web-1\.[0-9a-f]{12,}$/);
  assert.deepEqual(ev.involvedObject, { kind: 'Pod', namespace: 'shop', name: 'web-1', uid: 'u-1', apiVersion: 'v1', resourceVersion: '7' });
  assert.deepEqual(ev.source, { component: 'deployment-controller', host: 'node-a' });
  assert.equal(ev.reportingComponent, 'deployment-controller');
  assert.equal(ev.reportingInstance, 'node-a');
  assert.equal(ev.type, 'Normal');
  assert.equal(ev.reason, 'Scheduled');
  assert.equal(ev.count, 1);
  assert.match(ev.firstTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(ev.firstTimestamp, ev.lastTimestamp);

  rec.event(pod, 'Normal', 'Scheduled', 'Successfully assigned shop/web-1 to node-a');
  rec.event(pod, 'Normal', 'Scheduled', 'Successfully assigned shop/web-1 to node-a');
  await rec.flush();
  const patch = srv.requests.at(-1)!;
  assert.equal(patch.method, 'PATCH');
  assert.equal(patch.path, `/api/v1/namespaces/shop/events/${ev.metadata.name}`);
  assert.equal(patch.contentType, 'application/strategic-merge-patch+json');
  assert.deepEqual(Object.keys(patch.body).sort(), ['count', 'lastTimestamp', 'message']);
  const evs = stored();
  assert.equal(evs.length, 1);
  assert.equal(evs[0].count, 3);
  assert.equal(evs[0].firstTimestamp, ev.firstTimestamp);

  // the first Event vanished (TTL): a repeat creates it again
  srv.remove(coreEvents, 'shop', ev.metadata.name);
  rec.event(pod, 'Normal', 'Scheduled', 'Successfully assigned shop/web-1 to node-a');
  await rec.flush();
  assert.deepEqual(srv.requests.slice(-2).map((r) => r.method), ['PATCH', 'POST']);
  assert.equal(stored()[0].count, 4);
});

test('cluster-scoped objects get events in "default"; similar events are combined past 10 messages', async () => {
  for (const [k] of [...srv.objects]) srv.objects.delete(k);
  const rec = new EventRecorder(client, { component: 'kubelet' });
  const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', uid: 'n-1' } };
  for (let i = 0; i < 14; i++) rec.event(node, 'Warning', 'ImageGCFailed', `failed ${i}`);
  rec.event({ metadata: { name: 'no-kind' } }, 'Normal', 'X', 'y');
  await rec.flush();
  const evs = stored();
  assert.ok(evs.every((e) => e.metadata.namespace === 'default'));
  const combined = evs.filter((e) => e.message.startsWith('(combined from similar events): '));
  assert.equal(evs.length, 10);
  assert.equal(combined.length, 1);
  assert.equal(combined[0].count, 5);
  assert.equal(combined[0].message, '(combined from similar events): failed 13');
});
