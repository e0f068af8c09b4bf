// Endpoints and EndpointSlice controllers: desired state from pods, and reconcile against the fake API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../api/types.js';
import { RestClient, SharedInformerFactory } from '../client/index.js';
import { FakeApiServer } from '../client/testing/fakeapi.js';
import { desiredSubsets, EndpointsController } from './endpoints.js';
import { desiredEndpoints, EndpointSliceController } from './endpointslice.js';
import { rfc3339Nano } from './endpointsutil.js';

const podsColl = { group: '', plural: 'pods' };
const svcColl = { group: '', plural: 'services' };

function pod(name: string, ip: string | undefined, opts: { ready?: boolean; deleting?: boolean; phase?: string; port?: number; node?: string; hostname?: string; subdomain?: string } = {}): KObject {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: 'ns', uid: `uid-${name}`, labels: { app: 'web' }, ...(opts.deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}) },
    spec: {
      nodeName: opts.node ?? 'n1', hostname: opts.hostname, subdomain: opts.subdomain,
      containers: [{ name: 'c', ports: [{ name: 'http', containerPort: opts.port ?? 8080 }] }],
    },
    status: { phase: opts.phase ?? 'Running', ...(ip ? { podIP: ip, podIPs: [{ ip }] } : {}), conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }] },
  };
}

const svc = (spec: Record<string, unknown> = {}): KObject => ({
  apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'ns', uid: 'svc-uid', labels: { tier: 'front' } },
  spec: { selector: { app: 'web' }, clusterIP: '10.43.0.5', ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }], ...spec },
});

test('Endpoints subsets: ready vs notReady, terminal and IP-less pods left out, named ports per pod, hostname', () => {
  const pods = [
    pod('a', '10.42.0.2'), pod('b', '10.42.0.3', { ready: false }), pod('c', '10.42.0.4', { port: 9090 }),
    pod('d', undefined), pod('e', '10.42.0.6', { phase: 'Succeeded' }), pod('f', '10.42.0.7', { deleting: true }),
    pod('g', '10.42.0.8', { hostname: 'g0', subdomain: 'web' }),
  ];
  const subsets = desiredSubsets(svc(), pods);
  assert.equal(subsets.length, 2);
  const s8080 = subsets.find((s) => s.ports![0].port === 8080)!;
  const s9090 = subsets.find((s) => s.ports![0].port === 9090)!;
  assert.deepEqual(s8080.addresses!.map((a) => a.ip), ['10.42.0.2', '10.42.0.8']);
  assert.deepEqual(s8080.notReadyAddresses!.map((a) => a.ip), ['10.42.0.3']);
  assert.deepEqual(s8080.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
  assert.deepEqual(s9090.addresses!.map((a) => a.targetRef.name), ['c']);
  const g = s8080.addresses!.find((a) => a.ip === '10.42.0.8')!;
  assert.equal(g.hostname, 'g0');
  assert.equal(g.nodeName, 'n1');
  assert.deepEqual(g.targetRef, { kind: 'Pod', namespace: 'ns', name: 'g', uid: 'uid-g' });
  // publishNotReadyAddresses: everything with an IP is ready, terminating pods included
  const all = desiredSubsets(svc({ publishNotReadyAddresses: true }), pods);
  assert.equal(all.flatMap((s) => s.addresses ?? []).length, 5);
});

test('EndpointSlice endpoints: conditions for ready, unready and terminating pods', () => {
  const groups = desiredEndpoints(svc(), [pod('a', '10.42.0.2'), pod('b', '10.42.0.3', { ready: false }), pod('f', '10.42.0.7', { deleting: true })], () => 'zone-a');
  assert.equal(groups.size, 1);
  const [g] = [...groups.values()];
  assert.deepEqual(g.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
  const cond = Object.fromEntries(g.endpoints.map((e) => [e.targetRef.name, e.conditions]));
  assert.deepEqual(cond.a, { ready: true, serving: true, terminating: false });
  assert.deepEqual(cond.b, { ready: false, serving: false, terminating: false });
  assert.deepEqual(cond.f, { ready: false, serving: true, terminating: true });
  assert.equal(g.endpoints[0].zone, 'zone-a');
  assert.equal(rfc3339Nano(Date.parse('2024-01-01T00:00:00.120Z')), '2024-01-01T00:00:00.12Z');
  assert.equal(rfc3339Nano(Date.parse('2024-01-01T00:00:10Z')), '2024-01-01T00:00:10Z');
});

async function harness() {
  const api = new FakeApiServer();
  await api.start();
  const client = new RestClient({ server: api.url });
  const informers = new SharedInformerFactory(client);
  const ac = new AbortController();
  const objs = (coll: string) => [...api.objects.entries()].filter(([k]) => k.startsWith(coll)).map(([, o]) => o);
  const stop = async () => { ac.abort(); await informers.stop(); client.close(); await api.stop(); };
  return { api, client, informers, ac, objs, stop };
}

async function until<T>(what: string, f: () => T | undefined | false, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  while (Date.now() < end) { const v = f(); if (v) return v; await new Promise((r) => setTimeout(r, 20)); }
  throw new Error(`timed out waiting for ${what}`);
}

test('EndpointSlice controller: 100 endpoints per slice, stable placement, placeholder when empty', async () => {
  const h = await harness();
  try {
    const ctrl = new EndpointSliceController({ client: h.client, informers: h.informers, maxEndpointsPerSlice: 3 });
    h.informers.start(h.ac.signal);
    const run = ctrl.run(1, h.ac.signal);
    h.api.put(svcColl, svc());
    for (let i = 0; i < 7; i++) h.api.put(podsColl, pod(`p${i}`, `10.42.0.${10 + i}`));
    const slices = () => h.objs('discovery.k8s.io/endpointslices|');
    const eps = () => slices().flatMap((s) => s.endpoints);
    await until('7 endpoints in 3 slices', () => eps().length === 7 && slices().length === 3);
    for (const s of slices()) {
      assert.ok(s.endpoints.length <= 3);
      assert.equal(s.addressType, 'IPv4');
      assert.equal(s.metadata.labels!['kubernetes.io/service-name'], 'web');
      assert.equal(s.metadata.labels!['endpointslice.kubernetes.io/managed-by'], 'endpointslice-controller.k8s.io');
      assert.equal(s.metadata.labels!.tier, 'front');
      assert.deepEqual(s.metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: 'svc-uid', controller: true, blockOwnerDeletion: true }]);
      assert.ok(s.metadata.annotations!['endpoints.kubernetes.io/last-change-trigger-time']);
    }
    const where = new Map(slices().flatMap((s) => s.endpoints.map((e: any) => [e.targetRef.name, s.metadata.name])));
    // one pod becomes unready: it stays in its slice, with ready false
    h.api.put(podsColl, pod('p4', '10.42.0.14', { ready: false }));
    await until('p4 unready', () => eps().some((e) => e.targetRef.name === 'p4' && !e.conditions.ready));
    const where2 = new Map(slices().flatMap((s) => s.endpoints.map((e: any) => [e.targetRef.name, s.metadata.name])));
    assert.deepEqual(where2, where);
    for (let i = 0; i < 7; i++) h.api.remove(podsColl, 'ns', `p${i}`);
    await until('one empty placeholder slice', () => slices().length === 1 && slices()[0].endpoints.length === 0);
    assert.deepEqual(slices()[0].ports, []);
    h.ac.abort();
    await run;
  } finally { await h.stop(); }
});

test('Endpoints controller: writes, updates on readiness, deletes with the Service', async () => {
  const h = await harness();
  try {
    const ctrl = new EndpointsController({ client: h.client, informers: h.informers });
    h.informers.start(h.ac.signal);
    const run = ctrl.run(1, h.ac.signal);
    h.api.put(svcColl, svc({ clusterIP: 'None' }));
    h.api.put(podsColl, pod('a', '10.42.0.2'));
    const ep = () => h.api.objects.get('/endpoints|ns|web');
    const e1 = await until('endpoints', () => ep()?.subsets?.[0]?.addresses?.length === 1 && ep());
    assert.equal(e1.metadata.labels!['service.kubernetes.io/headless'], '');
    assert.equal(e1.metadata.labels!.tier, 'front');
    assert.match(e1.metadata.annotations!['endpoints.kubernetes.io/last-change-trigger-time'], /^\d{4}-\d\d-\d\dT/);
    h.api.put(podsColl, pod('a', '10.42.0.2', { ready: false }));
    await until('not ready', () => ep()?.subsets?.[0]?.notReadyAddresses?.length === 1 && !ep()?.subsets?.[0]?.addresses);
    const writes = h.api.requests.filter((r) => r.path.includes('/endpoints') && r.method !== 'GET').length;
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(h.api.requests.filter((r) => r.path.includes('/endpoints') && r.method !== 'GET').length, writes, 'no rewrite loop');
    h.api.remove(svcColl, 'ns', 'web');
    await until('endpoints deleted', () => !ep());
    h.ac.abort();
    await run;
  } finally { await h.stop(); }
});

test('Endpoints controller: a create that hits AlreadyExists (cache behind its own write) is retried, not dropped', async () => {
  const h = await harness();
  try {
    const ctrl = new EndpointsController({ client: h.client, informers: h.informers });
    h.informers.start(h.ac.signal);
    const epKey = '/endpoints|ns|web';
    // an Endpoints the cache has not seen yet (as right after this controller's own create): stored
    // without a watch event, and listing only pod a
    const stale: KObject = {
      apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'web', namespace: 'ns', uid: 'ep-uid', resourceVersion: '1', labels: { tier: 'front' } },
      subsets: desiredSubsets(svc(), [pod('a', '10.42.0.2')]),
    };
    h.api.put(svcColl, svc());
    h.api.put(podsColl, pod('a', '10.42.0.2'));
    h.api.put(podsColl, pod('b', '10.42.0.3', { port: 9090 }));
    await until('informers synced with both pods', () => ctrl.pods.lister.list('ns').length === 2 && ctrl.services.lister.list('ns').length === 1);
    h.api.objects.set(epKey, stale);
    const run = ctrl.run(1, h.ac.signal);
    await until('a create answered AlreadyExists', () => h.api.requests.some((r) => r.method === 'POST' && r.path.endsWith('/endpoints')));
    // now the cache catches up: the watch brings the Endpoints as ADDED
    h.api.objects.delete(epKey);
    h.api.put({ group: '', plural: 'endpoints' }, stale);
    const ep = await until('endpoints with both pods', () => (h.api.objects.get(epKey)?.subsets ?? []).length === 2 && h.api.objects.get(epKey));
    assert.deepEqual(ep.subsets.map((s: any) => s.addresses[0].targetRef.name), ['a', 'b']);
    h.ac.abort();
    await run;
  } finally { await h.stop(); }
});
