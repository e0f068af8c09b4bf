// Publishing kube-system/kube-dns and startDns against the fake API server: writes only on change,
// repairs, the ClusterIP derived from the kubernetes Service, answers following watch events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RestClient } from '../client/index.js';
import { FakeApiServer } from '../client/testing/fakeapi.js';
import { clusterDnsIP, endpointSlicesResource, endpointsResource, publishKubeDns, servicesResource } from './publish.js';
import { startDns } from './index.js';
import { query } from './client.js';

async function withFake(f: (srv: FakeApiServer, client: RestClient) => Promise<void>): Promise<void> {
  const srv = new FakeApiServer();
  const client = new RestClient({ server: await srv.start() });
  try { await f(srv, client); } finally { client.close(); await srv.stop(); }
}
const writes = (srv: FakeApiServer) => srv.requests.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path}`);

test('clusterDnsIP: the 10th address of the service CIDR from the kubernetes Service IP', () => {
  assert.equal(clusterDnsIP('10.43.0.1'), '10.43.0.10');
  assert.equal(clusterDnsIP('10.96.0.1'), '10.96.0.10');
  assert.equal(clusterDnsIP('172.20.255.1'), '172.20.255.10');
});

test('publishKubeDns creates the Service and EndpointSlice once, then writes only what changed', async () => {
  await withFake(async (srv, client) => {
    const o = { clusterIP: '10.43.0.10', address: '10.0.0.5', port: 5353, nodeName: 'node-a' };
    const lines = await publishKubeDns(client, o);
    assert.equal(lines.length, 3);
    assert.deepEqual(writes(srv), ['POST /api/v1/namespaces/kube-system/services', 'POST /apis/discovery.k8s.io/v1/namespaces/kube-system/endpointslices', 'POST /api/v1/namespaces/kube-system/endpoints']);
    const svc = await client.get<any>(servicesResource, 'kube-dns', { namespace: 'kube-system' });
    assert.equal(svc.spec.clusterIP, '10.43.0.10');
    assert.equal(svc.spec.selector, undefined);
    assert.deepEqual(svc.spec.ports, [{ name: 'dns', port: 53, protocol: 'UDP', targetPort: 5353 }, { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 5353 }]);
    const slice = await client.get<any>(endpointSlicesResource, 'kube-dns', { namespace: 'kube-system' });
    assert.equal(slice.metadata.labels['kubernetes.io/service-name'], 'kube-dns');
    assert.equal(slice.metadata.labels['endpointslice.kubernetes.io/managed-by'], 'k8ts-dns');
    assert.equal(slice.metadata.ownerReferences[0].uid, svc.metadata.uid);
    assert.deepEqual(slice.endpoints, [{ addresses: ['10.0.0.5'], conditions: { ready: true, serving: true, terminating: false }, nodeName: 'node-a' }]);
    // the Endpoints as `kubectl get endpoints kube-dns -n kube-system` shows it (not mirrored: the slice is ours)
    const ep = await client.get<any>(endpointsResource, 'kube-dns', { namespace: 'kube-system' });
    assert.equal(ep.metadata.labels['endpointslice.kubernetes.io/skip-mirror'], 'true');
    assert.deepEqual(ep.subsets, [{ addresses: [{ ip: '10.0.0.5', nodeName: 'node-a' }], ports: [{ name: 'dns', port: 5353, protocol: 'UDP' }, { name: 'dns-tcp', port: 5353, protocol: 'TCP' }] }]);

    srv.requests.length = 0;
    assert.deepEqual(await publishKubeDns(client, o), []);
    assert.deepEqual(writes(srv), [], 'nothing changed, nothing written');

    // a restart on another port updates both; a leftover selector goes
    srv.put(servicesResource, { ...svc, spec: { ...svc.spec, selector: { 'k8s-app': 'kube-dns' } } });
    await publishKubeDns(client, { ...o, port: 5454 });
    assert.deepEqual(writes(srv), ['PUT /api/v1/namespaces/kube-system/services/kube-dns', 'PUT /apis/discovery.k8s.io/v1/namespaces/kube-system/endpointslices/kube-dns', 'PUT /api/v1/namespaces/kube-system/endpoints/kube-dns']);
    const svc2 = await client.get<any>(servicesResource, 'kube-dns', { namespace: 'kube-system' });
    assert.equal(svc2.spec.selector, undefined);
    assert.deepEqual(svc2.spec.ports.map((p: any) => p.targetPort), [5454, 5454]);
    const slice2 = await client.get<any>(endpointSlicesResource, 'kube-dns', { namespace: 'kube-system' });
    assert.deepEqual(slice2.ports.map((p: any) => p.port), [5454, 5454]);
  });
});

test('startDns: serves from the informer caches, follows changes, republishes a deleted EndpointSlice', async () => {
  await withFake(async (srv, client) => {
    srv.put(servicesResource, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'kubernetes', namespace: 'default' }, spec: { clusterIP: '10.96.0.1' } });
    const dns = await startDns({ client, host: '127.0.0.1', port: 0, upstreams: [] });
    try {
      const svc = await client.get<any>(servicesResource, 'kube-dns', { namespace: 'kube-system' });
      assert.equal(svc.spec.clusterIP, '10.96.0.10');
      assert.equal((await query('127.0.0.1', dns.port, 'web.default.svc.cluster.local', 'A')).rcode, 'NXDOMAIN');
      srv.put(servicesResource, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { clusterIP: '10.96.3.3' } });
      const end = Date.now() + 5000;
      let answer: any[] = [];
      while (!answer.length && Date.now() < end) {
        answer = (await query('127.0.0.1', dns.port, 'web.default.svc.cluster.local', 'A')).answers ?? [];
        if (!answer.length) await new Promise((r) => setTimeout(r, 20));
      }
      assert.deepEqual(answer.map((a) => a.data), ['10.96.3.3']);
      // names outside the zone with no upstream: SERVFAIL
      assert.equal((await query('127.0.0.1', dns.port, 'example.com', 'A')).rcode, 'SERVFAIL');
      srv.remove(endpointSlicesResource, 'kube-system', 'kube-dns');
      let back: any;
      while (!back && Date.now() < end) {
        back = await client.get<any>(endpointSlicesResource, 'kube-dns', { namespace: 'kube-system' }).catch(() => undefined);
        if (!back) await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(back?.ports[0].port, dns.port);
    } finally {
      await dns.stop();
    }
  });
});
