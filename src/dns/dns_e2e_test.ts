// Cluster DNS end to end: a real `k8ts server` (API and components, no kubelet) serving DNS on a free
// loopback port, objects made with real kubectl, queries over UDP and TCP, forwarding to a fake
// upstream started here (no external DNS).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as packet from 'dns-packet';
import type { RecordType } from 'dns-packet';
import { startK8ts, kc, kubectl, type ServerHandle } from '../e2e/harness.js';
import { listenDns, type DnsListener } from './server.js';
import { decodeMessage, encodeFitting, maxUdpSize, type Message } from './message.js';
import { query } from './client.js';
import { reverseName } from './names.js';
import { eventually } from '../e2e/poll.js';

let server: ServerHandle;
let upstream: DnsListener;
const upstreamSeen: string[] = [];
let dnsHost = '';
let dnsPort = 0;

const manifests = `
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080, protocol: TCP}, {name: metrics, port: 9000, targetPort: 9000}]
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: default}
spec:
  clusterIP: None
  ports: [{name: pg, port: 5432, protocol: TCP}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: db-manual
  namespace: default
  labels: {kubernetes.io/service-name: db}
addressType: IPv4
ports: [{name: pg, port: 5432, protocol: TCP}]
endpoints:
- {addresses: [10.42.0.10], hostname: db-0, conditions: {ready: true}}
- {addresses: [10.42.0.11], hostname: db-1, conditions: {ready: true}}
- {addresses: [10.42.0.12], hostname: db-2, conditions: {ready: true}}
- {addresses: [10.42.0.13], hostname: db-3, conditions: {ready: false}}
---
apiVersion: v1
kind: Service
metadata: {name: ext, namespace: default}
spec: {type: ExternalName, externalName: www.example.test}
`;

before(async () => {
  // the stand-in for the host's resolver: *.example.test -> 192.0.2.7, anything else NXDOMAIN
  upstream = await listenDns({
    host: '127.0.0.1', port: 0,
    async handler(msg, transport) {
      const q = decodeMessage(msg);
      const name = q.questions![0].name;
      upstreamSeen.push(name);
      const ok = name.endsWith('example.test') && q.questions![0].type === 'A';
      return encodeFitting({
        type: 'response', id: q.id, flags: packet.RECURSION_AVAILABLE | (name.endsWith('example.test') ? 0 : 3), questions: q.questions,
        answers: ok ? [{ name, type: 'A', ttl: 60, data: '192.0.2.7' }] : [],
      }, transport === 'tcp' ? 65535 : maxUdpSize(q));
    },
  });
  server = await startK8ts({
    args: ['--disable', 'scheduler'],
    env: { K8TS_DNS_PORT: '0', K8TS_NODE_IP: '127.0.0.1', K8TS_DNS_UPSTREAM: `127.0.0.1:${upstream.port}` },
  });
});

after(async () => {
  await server?.stop();
  await upstream?.close();
});


const ask = (name: string, type: RecordType, transport: 'udp' | 'tcp' = 'udp'): Promise<Message> => query(dnsHost, dnsPort, name, type, { transport });
const data = (m: Message) => (m.answers ?? []).map((a: any) => a.data);

test('the server publishes kube-system/kube-dns: ClusterIP 10.43.0.10 and an EndpointSlice with the real port', async () => {
  const slice = await eventually('the kube-dns EndpointSlice', () => {
    const r = kubectl(server.kubeconfig, ['get', 'endpointslice', 'kube-dns', '-n', 'kube-system', '-o', 'json']);
    return r.code === 0 ? JSON.parse(r.stdout) : undefined;
  });
  assert.equal(slice.metadata.labels['kubernetes.io/service-name'], 'kube-dns');
  assert.equal(slice.metadata.labels['endpointslice.kubernetes.io/managed-by'], 'k8ts-dns');
  assert.deepEqual(slice.endpoints.map((e: any) => e.addresses), [['127.0.0.1']]);
  dnsHost = slice.endpoints[0].addresses[0];
  dnsPort = slice.ports.find((p: any) => p.name === 'dns').port;
  assert.ok(dnsPort > 0 && dnsPort !== 53);
  assert.deepEqual(slice.ports.map((p: any) => [p.name, p.protocol, p.port]).sort(), [['dns', 'UDP', dnsPort], ['dns-tcp', 'TCP', dnsPort]]);
  const svc = JSON.parse(kc(server.kubeconfig, ['get', 'service', 'kube-dns', '-n', 'kube-system', '-o', 'json']));
  assert.equal(svc.spec.clusterIP, '10.43.0.10');
  assert.equal(svc.spec.selector, undefined);
  assert.deepEqual(svc.spec.ports.map((p: any) => [p.name, p.protocol, p.port, p.targetPort]), [['dns', 'UDP', 53, dnsPort], ['dns-tcp', 'TCP', 53, dnsPort]]);
  assert.deepEqual(data(await ask('kube-dns.kube-system.svc.cluster.local', 'A')), ['10.43.0.10']);
});

test('records for Services made with kubectl, over UDP and TCP', async () => {
  assert.ok(dnsPort, 'the first test found the server');
  kc(server.kubeconfig, ['apply', '-f', '-'], { input: manifests });
  const webIP = JSON.parse(kc(server.kubeconfig, ['get', 'svc', 'web', '-o', 'json'])).spec.clusterIP;
  for (const transport of ['udp', 'tcp'] as const) {
    const a = await eventually('web A', async () => { const r = await ask('web.default.svc.cluster.local', 'A', transport); return r.answers?.length ? r : undefined; });
    assert.deepEqual(data(a), [webIP], transport);
    assert.equal((a.answers![0] as { ttl?: number }).ttl, 5);
    assert.ok(a.flag_aa);
  }
  // headless: one A per ready endpoint, hostnames, SRV per endpoint
  const h = await eventually('db A', async () => { const r = await ask('db.default.svc.cluster.local', 'A'); return r.answers?.length === 3 ? r : undefined; });
  assert.deepEqual(data(h).sort(), ['10.42.0.10', '10.42.0.11', '10.42.0.12']);
  assert.deepEqual(data(await ask('db-1.db.default.svc.cluster.local', 'A', 'tcp')), ['10.42.0.11']);
  assert.equal((await ask('db-3.db.default.svc.cluster.local', 'A')).rcode, 'NXDOMAIN');
  const srv = await ask('_pg._tcp.db.default.svc.cluster.local', 'SRV');
  assert.deepEqual(data(srv).map((d: any) => `${d.port} ${d.target}`).sort(), [0, 1, 2].map((i) => `5432 db-${i}.db.default.svc.cluster.local`));
  const webSrv = await ask('_http._tcp.web.default.svc.cluster.local', 'SRV');
  assert.deepEqual(data(webSrv).map((d: any) => `${d.port} ${d.target}`), ['80 web.default.svc.cluster.local']);
  // PTR for the ClusterIP and for a headless endpoint
  assert.deepEqual(data(await ask(reverseName(webIP), 'PTR')), ['web.default.svc.cluster.local']);
  assert.deepEqual(data(await ask(reverseName('10.42.0.12'), 'PTR', 'tcp')), ['db-2.db.default.svc.cluster.local']);
  // ExternalName: CNAME, chased through the upstream
  const ext = await ask('ext.default.svc.cluster.local', 'A');
  assert.deepEqual(ext.answers!.map((a: any) => [a.type, a.data]), [['CNAME', 'www.example.test'], ['A', '192.0.2.7']]);
  // unknown names in the zone: NXDOMAIN with the SOA
  for (const name of ['nope.default.svc.cluster.local', 'web.nope.svc.cluster.local']) {
    const nx = await ask(name, 'A');
    assert.equal(nx.rcode, 'NXDOMAIN', name);
    assert.equal(nx.authorities![0].type, 'SOA', name);
  }
});

test('other names are forwarded to the upstream from K8TS_DNS_UPSTREAM', async () => {
  assert.ok(dnsPort);
  const before = upstreamSeen.length;
  assert.deepEqual(data(await ask('api.example.test', 'A')), ['192.0.2.7']);
  assert.equal((await ask('nothing.invalid', 'A', 'tcp')).rcode, 'NXDOMAIN');
  assert.deepEqual(upstreamSeen.slice(before), ['api.example.test', 'nothing.invalid']);
});

test('deletes are followed; a deleted kube-dns EndpointSlice is put back', async () => {
  assert.ok(dnsPort);
  kc(server.kubeconfig, ['delete', 'service', 'web']);
  await eventually('web NXDOMAIN', async () => ((await ask('web.default.svc.cluster.local', 'A')).rcode === 'NXDOMAIN' ? true : undefined));
  kc(server.kubeconfig, ['delete', 'endpointslice', 'kube-dns', '-n', 'kube-system']);
  const back = await eventually('the kube-dns EndpointSlice again', () => {
    const r = kubectl(server.kubeconfig, ['get', 'endpointslice', 'kube-dns', '-n', 'kube-system', '-o', 'json']);
    return r.code === 0 ? JSON.parse(r.stdout) : undefined;
  });
  assert.equal(back.ports[0].port, dnsPort);
});

test('StatefulSet pods get <hostname>.<service> records through the EndpointSlice controller (simulated node)', async () => {
  const srv = await startK8ts({ args: ['--simulated-nodes', '1'], env: { K8TS_DNS_PORT: '0', K8TS_NODE_IP: '127.0.0.1', K8TS_DNS_UPSTREAM: `127.0.0.1:${upstream.port}` } });
  try {
    kc(srv.kubeconfig, ['apply', '-f', '-'], {
      input: `
apiVersion: v1
kind: Service
metadata: {name: pets, namespace: default}
spec:
  clusterIP: None
  selector: {app: pets}
  ports: [{name: web, port: 80}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: pet, namespace: default}
spec:
  serviceName: pets
  replicas: 2
  selector: {matchLabels: {app: pets}}
  template:
    metadata: {labels: {app: pets}}
    spec: {containers: [{name: c, image: busybox, ports: [{name: web, containerPort: 80}]}]}
`,
    });
    const slice = await eventually('the kube-dns EndpointSlice', () => {
      const r = kubectl(srv.kubeconfig, ['get', 'endpointslice', 'kube-dns', '-n', 'kube-system', '-o', 'json']);
      return r.code === 0 ? JSON.parse(r.stdout) : undefined;
    });
    const port = slice.ports[0].port;
    const ips = await eventually('two ready pods with IPs', () => {
      const pods = JSON.parse(kc(srv.kubeconfig, ['get', 'pods', '-l', 'app=pets', '-o', 'json'])).items;
      const ready = pods.filter((p: any) => p.status?.podIP && p.status.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True'));
      return ready.length === 2 ? Object.fromEntries(ready.map((p: any) => [p.metadata.name, p.status.podIP])) : undefined;
    }, 30_000);
    for (const name of ['pet-0', 'pet-1']) {
      const r = await eventually(`${name} A`, async () => {
        const m = await query('127.0.0.1', port, `${name}.pets.default.svc.cluster.local`, 'A');
        return m.answers?.length ? m : undefined;
      });
      assert.deepEqual(data(r), [ips[name]], name);
      assert.deepEqual(data(await query('127.0.0.1', port, reverseName(ips[name]), 'PTR')), [`${name}.pets.default.svc.cluster.local`]);
    }
    const srv2 = await query('127.0.0.1', port, '_web._tcp.pets.default.svc.cluster.local', 'SRV', { transport: 'tcp' });
    assert.deepEqual(data(srv2).map((d: any) => `${d.port} ${d.target}`).sort(), ['80 pet-0.pets.default.svc.cluster.local', '80 pet-1.pets.default.svc.cluster.local']);
  } finally {
    await srv.stop();
  }
});
