// The zone's answers against a seeded cache: queries and replies go through dns-packet's wire format.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as packet from 'dns-packet';
import type { RecordType } from 'dns-packet';
import { Lister, Store } from '../client/index.js';
import type { KObject } from '../api/types.js';
import { ClusterView } from './view.js';
import { decodeMessage, encodeFitting, respond, type Message } from './message.js';
import { reverseName, ipFromReverse, expandIPv6 } from './names.js';

const svc = (name: string, spec: any, namespace = 'default'): KObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec });
const slice = (name: string, service: string, endpoints: any[], ports: any[], namespace = 'default'): KObject => ({
  apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', addressType: 'IPv4',
  metadata: { name, namespace, labels: { 'kubernetes.io/service-name': service } }, endpoints, ports,
});

function fixture(extraSlices: KObject[] = []): ClusterView {
  const services = new Store<KObject>();
  const slices = new Store<KObject>();
  for (const s of [
    svc('web', { clusterIP: '10.43.5.5', clusterIPs: ['10.43.5.5'], ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }, { port: 9090, protocol: 'TCP' }] }),
    svc('db', { clusterIP: 'None', clusterIPs: ['None'], ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }] }),
    svc('ext', { type: 'ExternalName', externalName: 'Example.COM.' }),
    svc('dual', { clusterIP: '10.43.7.7', clusterIPs: ['10.43.7.7', 'fd00:43::7'], ports: [{ port: 1 }] }, 'other'),
  ]) services.set(s);
  for (const s of [
    slice('db-abcde', 'db', [
      { addresses: ['10.42.0.10'], hostname: 'db-0', conditions: { ready: true } },
      { addresses: ['10.42.0.11'], hostname: 'db-1', conditions: { ready: true } },
      { addresses: ['10.42.0.12'], conditions: {} },
      { addresses: ['10.42.0.13'], hostname: 'db-3', conditions: { ready: false } },
    ], [{ name: 'pg', port: 5432, protocol: 'TCP' }]),
    slice('web-xyz', 'web', [{ addresses: ['10.42.0.50'], conditions: { ready: true } }], [{ name: 'http', port: 8080, protocol: 'TCP' }]),
    ...extraSlices,
  ]) slices.set(s);
  return new ClusterView(new Lister(services), new Lister(slices));
}

/** a query through the wire format and back, as a client would see the reply */
function ask(view: ClusterView, name: string, type: RecordType, opts: { id?: number } = {}): Message | undefined {
  const q = packet.decode(packet.encode({ type: 'query', id: opts.id ?? 42, flags: packet.RECURSION_DESIRED, questions: [{ name, type, class: 'IN' }] }));
  const r = respond(q, view);
  return r && decodeMessage(encodeFitting(r, 65535));
}
const data = (p: Message | undefined) => (p?.answers ?? []).map((a: any) => a.data);

test('ClusterIP Service: A with TTL 5, authoritative, case-insensitive, id and RD echoed', () => {
  const r = ask(fixture(), 'WEB.Default.svc.cluster.local.', 'A', { id: 777 })!;
  assert.equal(r.rcode, 'NOERROR');
  assert.equal(r.id, 777);
  assert.ok(r.flag_aa && r.flag_rd && r.flag_qr);
  assert.deepEqual(r.answers!.map((a: any) => [a.name, a.type, a.ttl, a.data]), [['WEB.Default.svc.cluster.local', 'A', 5, '10.43.5.5']]);
});

test('an existing name without records of the type is NODATA with the SOA', () => {
  const r = ask(fixture(), 'web.default.svc.cluster.local', 'AAAA')!;
  assert.equal(r.rcode, 'NOERROR');
  assert.equal(r.answers!.length, 0);
  assert.equal(r.authorities![0].type, 'SOA');
  assert.equal((r.authorities![0] as any).data.mname, 'ns.dns.cluster.local');
  assert.equal((r.authorities![0] as any).data.minimum, 5);
});

test('dual-stack Service: A and AAAA from clusterIPs', () => {
  const v = fixture();
  assert.deepEqual(data(ask(v, 'dual.other.svc.cluster.local', 'A')), ['10.43.7.7']);
  assert.deepEqual(data(ask(v, 'dual.other.svc.cluster.local', 'AAAA')), ['fd00:43::7']);
});

test('unknown names in the zone are NXDOMAIN with the SOA in authority', () => {
  const v = fixture();
  for (const name of ['nope.default.svc.cluster.local', 'web.nope.svc.cluster.local', 'nope.default.svc.cluster.local.default.svc.cluster.local', 'x.y.cluster.local', 'a.b.web.default.svc.cluster.local']) {
    const r = ask(v, name, 'A')!;
    assert.equal(r.rcode, 'NXDOMAIN', name);
    assert.equal(r.authorities![0].type, 'SOA', name);
    assert.equal(r.authorities![0].name, 'cluster.local');
  }
  // a namespace with Services exists as a name (NODATA), as does the apex
  assert.equal(ask(v, 'default.svc.cluster.local', 'A')!.rcode, 'NOERROR');
  assert.equal(ask(v, 'cluster.local', 'SOA')!.answers![0].type, 'SOA');
});

test('headless Service: one A per ready endpoint; endpoint names by hostname or dashed IP', () => {
  const v = fixture();
  assert.deepEqual(data(ask(v, 'db.default.svc.cluster.local', 'A')).sort(), ['10.42.0.10', '10.42.0.11', '10.42.0.12']);
  assert.deepEqual(data(ask(v, 'db-1.db.default.svc.cluster.local', 'A')), ['10.42.0.11']);
  assert.deepEqual(data(ask(v, '10-42-0-12.db.default.svc.cluster.local', 'A')), ['10.42.0.12']);
  assert.equal(ask(v, 'db-3.db.default.svc.cluster.local', 'A')!.rcode, 'NXDOMAIN', 'not ready');
  assert.equal(ask(v, 'db-9.db.default.svc.cluster.local', 'A')!.rcode, 'NXDOMAIN');
});

test('a headless Service without ready endpoints has no name at all: NXDOMAIN (CoreDNS errNoItems)', () => {
  const services = new Store<KObject>();
  services.set(svc('empty', { clusterIP: 'None' }));
  const v = new ClusterView(new Lister(services), new Lister(new Store<KObject>()));
  for (const t of ['A', 'AAAA', 'SRV'] as const) {
    const r = ask(v, 'empty.default.svc.cluster.local', t)!;
    assert.equal(r.rcode, 'NXDOMAIN', t);
    assert.equal(r.authorities![0].type, 'SOA');
  }
});

test('ns.dns.<zone> resolves to the kube-dns Service', () => {
  const services = new Store<KObject>();
  services.set(svc('kube-dns', { clusterIP: '10.43.0.10', clusterIPs: ['10.43.0.10'] }, 'kube-system'));
  const v = new ClusterView(new Lister(services), new Lister(new Store<KObject>()));
  assert.deepEqual(data(ask(v, 'ns.dns.cluster.local', 'A')), ['10.43.0.10']);
});

test('headless Service with publishNotReadyAddresses includes endpoints that are not ready', () => {
  const services = new Store<KObject>();
  const slices = new Store<KObject>();
  services.set(svc('h', { clusterIP: 'None', publishNotReadyAddresses: true }));
  slices.set(slice('h-1', 'h', [{ addresses: ['10.42.1.1'], conditions: { ready: false } }], []));
  const v = new ClusterView(new Lister(services), new Lister(slices));
  assert.deepEqual(data(ask(v, 'h.default.svc.cluster.local', 'A')), ['10.42.1.1']);
});

test('SRV for named ports: ClusterIP targets the Service, headless each endpoint, with glue', () => {
  const v = fixture();
  const web = ask(v, '_http._tcp.web.default.svc.cluster.local', 'SRV')!;
  assert.deepEqual(data(web), [{ priority: 0, weight: 100, port: 80, target: 'web.default.svc.cluster.local' }]);
  assert.deepEqual(web.additionals!.map((a: any) => [a.name, a.data]), [['web.default.svc.cluster.local', '10.43.5.5']]);
  const db = ask(v, '_pg._tcp.db.default.svc.cluster.local', 'SRV')!;
  assert.deepEqual(data(db).map((d: any) => `${d.port} ${d.target}`).sort(), [
    '5432 10-42-0-12.db.default.svc.cluster.local', '5432 db-0.db.default.svc.cluster.local', '5432 db-1.db.default.svc.cluster.local',
  ]);
  assert.equal(db.additionals!.length, 3);
  for (const name of ['_http._udp.web.default.svc.cluster.local', '_nope._tcp.web.default.svc.cluster.local', 'http.tcp.web.default.svc.cluster.local']) {
    assert.equal(ask(v, name, 'SRV')!.rcode, 'NXDOMAIN', name);
  }
  // SRV on the Service name itself lists every port (CoreDNS)
  assert.deepEqual(data(ask(v, 'web.default.svc.cluster.local', 'SRV')).map((d: any) => d.port), [80, 9090]);
});

test('ExternalName Service answers a CNAME to the external name', () => {
  const v = fixture();
  for (const t of ['A', 'AAAA', 'CNAME'] as const) {
    const r = ask(v, 'ext.default.svc.cluster.local', t)!;
    assert.deepEqual(r.answers!.map((a: any) => [a.type, a.data]), [['CNAME', 'example.com']], t);
  }
});

test('PTR for ClusterIPs and for the endpoints of Services; unknown reverse names are not ours', () => {
  const v = fixture();
  assert.deepEqual(data(ask(v, '5.5.43.10.in-addr.arpa', 'PTR')), ['web.default.svc.cluster.local']);
  assert.deepEqual(data(ask(v, reverseName('10.42.0.10'), 'PTR')), ['db-0.db.default.svc.cluster.local']);
  assert.deepEqual(data(ask(v, reverseName('10.42.0.12'), 'PTR')), ['10-42-0-12.db.default.svc.cluster.local']);
  assert.deepEqual(data(ask(v, reverseName('fd00:43::7'), 'PTR')), ['dual.other.svc.cluster.local']);
  // an endpoint of a ClusterIP Service is named by its dashed IP (CoreDNS serviceRecordForIP)
  assert.deepEqual(data(ask(v, reverseName('10.42.0.50'), 'PTR')), ['10-42-0-50.web.default.svc.cluster.local']);
  assert.equal(ask(v, '9.9.9.9.in-addr.arpa', 'PTR'), undefined);
});

test('names outside the zone are forwarded (no local reply)', () => {
  const v = fixture();
  assert.equal(ask(v, 'example.com', 'A'), undefined);
  assert.equal(ask(v, 'cluster.localx', 'A'), undefined);
});

test('pod records (pods insecure), dns-version TXT, NS at the apex', () => {
  const v = fixture();
  assert.deepEqual(data(ask(v, '10-42-0-99.default.pod.cluster.local', 'A')), ['10.42.0.99']);
  assert.equal(ask(v, 'not-an-ip.default.pod.cluster.local', 'A')!.rcode, 'NXDOMAIN');
  assert.deepEqual(data(ask(v, 'dns-version.cluster.local', 'TXT')), [[Buffer.from('1.1.0')]]);
  assert.deepEqual(data(ask(v, 'cluster.local', 'NS')), ['ns.dns.cluster.local']);
});

test('a view follows changes after invalidate()', () => {
  const services = new Store<KObject>();
  const slices = new Store<KObject>();
  const v = new ClusterView(new Lister(services), new Lister(slices));
  assert.equal(ask(v, reverseName('10.43.9.9'), 'PTR'), undefined);
  services.set(svc('late', { clusterIP: '10.43.9.9' }));
  v.invalidate();
  assert.deepEqual(data(ask(v, reverseName('10.43.9.9'), 'PTR')), ['late.default.svc.cluster.local']);
  assert.deepEqual(data(ask(v, 'late.default.svc.cluster.local', 'A')), ['10.43.9.9']);
});

test('UDP replies are cut to 512 bytes (or the EDNS size) with TC set', () => {
  const many = Array.from({ length: 100 }, (_, i) => ({ addresses: [`10.42.3.${i + 1}`], conditions: { ready: true } }));
  const v = fixture([slice('db-many', 'db', many, [])]);
  const q = packet.decode(packet.encode({ type: 'query', id: 1, questions: [{ name: 'db.default.svc.cluster.local', type: 'A' }] }));
  const r = respond(q, v)!;
  assert.equal(r.answers!.length, 103);
  const udp = encodeFitting(r, 512);
  assert.ok(udp.length <= 512);
  const d = packet.decode(udp);
  assert.ok(d.flag_tc);
  assert.ok(d.answers!.length > 0 && d.answers!.length < 103);
  const tcp = packet.decode(encodeFitting(r, 65535));
  assert.equal(tcp.flag_tc, false);
  assert.equal(tcp.answers!.length, 103);
});

test('non-QUERY opcodes get NOTIMP', () => {
  const q = packet.decode(packet.encode({ type: 'query', id: 5, flags: 5 << 11, questions: [{ name: 'web.default.svc.cluster.local', type: 'A' }] }));
  const r = decodeMessage(packet.encode(respond(q, fixture())!));
  assert.equal(r.rcode, 'NOTIMP');
});

test('reverse names and IPv6 expansion', () => {
  assert.equal(reverseName('10.43.0.10'), '10.0.43.10.in-addr.arpa');
  assert.equal(ipFromReverse('10.0.43.10.in-addr.arpa'), '10.43.0.10');
  assert.equal(ipFromReverse('0.43.10.in-addr.arpa'), undefined);
  assert.equal(expandIPv6('fd00::1'), 'fd00:0000:0000:0000:0000:0000:0000:0001');
  assert.equal(ipFromReverse(reverseName('fd00::1')), expandIPv6('fd00::1'));
  assert.equal(expandIPv6('::ffff:1.2.3.4'), '0000:0000:0000:0000:0000:ffff:0102:0304');
});
