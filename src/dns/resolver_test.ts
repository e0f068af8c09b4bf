// The DNS server over real UDP and TCP sockets on loopback: zone answers, forwarding to a fake
// upstream, SERVFAIL when upstream is silent or absent, CNAME chasing, truncation and TCP retry.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as packet from 'dns-packet';
import { Lister, Store } from '../client/index.js';
import type { KObject } from '../api/types.js';
import { ClusterView } from './view.js';
import { Resolver } from './resolver.js';
import { Forwarder, parseUpstreams, resolvConfUpstreams } from './forward.js';
import { listenDns, type DnsListener } from './server.js';
import { decodeMessage, encodeFitting, maxUdpSize, type Message } from './message.js';
import { query, queryMessage } from './client.js';
import { connect } from 'node:net';

const closers: (() => Promise<void> | void)[] = [];
after(async () => { for (const c of closers.reverse()) await c(); });

/** a stand-in for the host's resolver: *.example.test -> 192.0.2.1 (big.example.test: 80 addresses) */
async function fakeUpstream(): Promise<DnsListener & { seen: string[] }> {
  const seen: string[] = [];
  const l = await listenDns({
    host: '127.0.0.1', port: 0,
    async handler(msg, transport) {
      const q = decodeMessage(msg);
      const name = q.questions![0].name;
      seen.push(`${transport} ${name}`);
      const n = name === 'big.example.test' ? 80 : name.endsWith('example.test') ? 1 : 0;
      const answers = Array.from({ length: n }, (_, i) => ({ name, type: 'A' as const, ttl: 60, data: `192.0.2.${i + 1}` }));
      const reply = { type: 'response' as const, id: q.id, flags: packet.RECURSION_AVAILABLE | (n ? 0 : 3), questions: q.questions, answers };
      return encodeFitting(reply, transport === 'tcp' ? 65535 : maxUdpSize(q));
    },
  });
  closers.push(() => l.close());
  return Object.assign(l, { seen });
}

function view(): ClusterView {
  const services = new Store<KObject>();
  services.set({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { clusterIP: '10.43.5.5', ports: [{ name: 'http', port: 80 }] } });
  services.set({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'ext', namespace: 'default' }, spec: { type: 'ExternalName', externalName: 'www.example.test' } });
  services.set({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'alias', namespace: 'default' }, spec: { type: 'ExternalName', externalName: 'web.default.svc.cluster.local' } });
  const slices = new Store<KObject>();
  slices.set({
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', addressType: 'IPv4', metadata: { name: 'h-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'h' } },
    endpoints: Array.from({ length: 60 }, (_, i) => ({ addresses: [`10.42.9.${i + 1}`], conditions: { ready: true } })),
  });
  services.set({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'h', namespace: 'default' }, spec: { clusterIP: 'None' } });
  return new ClusterView(new Lister(services), new Lister(slices));
}

async function serve(forwarder?: Forwarder): Promise<DnsListener> {
  const resolver = new Resolver(view(), { forwarder });
  const l = await listenDns({ host: '127.0.0.1', port: 0, handler: (m, t) => resolver.handle(m, t) });
  closers.push(() => l.close());
  return l;
}

test('zone answers over UDP and TCP on one port', async () => {
  const s = await serve();
  for (const transport of ['udp', 'tcp'] as const) {
    const r = await query('127.0.0.1', s.port, 'web.default.svc.cluster.local', 'A', { transport });
    assert.deepEqual(r.answers!.map((a: any) => a.data), ['10.43.5.5'], transport);
    assert.ok(r.flag_aa);
  }
});

test('other names go to the upstream; its answer comes back with the client id', async () => {
  const up = await fakeUpstream();
  const s = await serve(new Forwarder([{ host: '127.0.0.1', port: up.port }]));
  const r = await query('127.0.0.1', s.port, 'www.example.test', 'A', { id: 4242 });
  assert.equal(r.id, 4242);
  assert.equal(r.rcode, 'NOERROR');
  assert.deepEqual(r.answers!.map((a: any) => a.data), ['192.0.2.1']);
  const nx = await query('127.0.0.1', s.port, 'nothing.invalid', 'A', { transport: 'tcp' });
  assert.equal(nx.rcode, 'NXDOMAIN');
  assert.deepEqual(up.seen, ['udp www.example.test', 'tcp nothing.invalid']);
  // an unknown reverse name is not ours either
  await query('127.0.0.1', s.port, '9.9.9.9.in-addr.arpa', 'PTR');
  assert.equal(up.seen.at(-1), 'udp 9.9.9.9.in-addr.arpa');
});

test('a truncated upstream answer reaches a UDP client with TC; over TCP it is whole', async () => {
  const up = await fakeUpstream();
  const s = await serve(new Forwarder([{ host: '127.0.0.1', port: up.port }]));
  const u = await query('127.0.0.1', s.port, 'big.example.test', 'A');
  assert.ok(u.flag_tc);
  const t = await query('127.0.0.1', s.port, 'big.example.test', 'A', { transport: 'tcp' });
  assert.equal(t.flag_tc, false);
  assert.equal(t.answers!.length, 80);
});

test('large zone answers: TC over UDP (512 or the EDNS size), complete over TCP', async () => {
  const s = await serve();
  const u = await query('127.0.0.1', s.port, 'h.default.svc.cluster.local', 'A');
  assert.ok(u.flag_tc);
  assert.ok(u.answers!.length < 60);
  const e = await query('127.0.0.1', s.port, 'h.default.svc.cluster.local', 'A', { ednsSize: 4096 });
  assert.equal(e.flag_tc, false);
  assert.equal(e.answers!.length, 60);
  const t = await query('127.0.0.1', s.port, 'h.default.svc.cluster.local', 'A', { transport: 'tcp' });
  assert.equal(t.answers!.length, 60);
});

test('SERVFAIL within 2 s when the upstream is silent, at once when there is none', async () => {
  const silent = createSocket('udp4');
  await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()));
  closers.push(() => new Promise<void>((r) => silent.close(() => r())));
  const s = await serve(new Forwarder([{ host: '127.0.0.1', port: silent.address().port }]));
  let t0 = Date.now();
  const r = await query('127.0.0.1', s.port, 'www.example.test', 'A', { timeoutMs: 5000 });
  assert.equal(r.rcode, 'SERVFAIL');
  assert.ok(Date.now() - t0 <= 2000, `took ${Date.now() - t0} ms`);
  const none = await serve(new Forwarder([]));
  t0 = Date.now();
  assert.equal((await query('127.0.0.1', none.port, 'www.example.test', 'A')).rcode, 'SERVFAIL');
  assert.ok(Date.now() - t0 < 500);
});

test('ExternalName: the CNAME is followed upstream, or inside the zone', async () => {
  const up = await fakeUpstream();
  const s = await serve(new Forwarder([{ host: '127.0.0.1', port: up.port }]));
  const r = await query('127.0.0.1', s.port, 'ext.default.svc.cluster.local', 'A');
  assert.deepEqual(r.answers!.map((a: any) => [a.type, a.data]), [['CNAME', 'www.example.test'], ['A', '192.0.2.1']]);
  const a = await query('127.0.0.1', s.port, 'alias.default.svc.cluster.local', 'A');
  assert.deepEqual(a.answers!.map((x: any) => [x.type, x.data]), [['CNAME', 'web.default.svc.cluster.local'], ['A', '10.43.5.5']]);
  // without an upstream the CNAME still answers
  const n = await serve();
  const c = await query('127.0.0.1', n.port, 'ext.default.svc.cluster.local', 'A');
  assert.deepEqual(c.answers!.map((x: any) => x.type), ['CNAME']);
});

test('garbage gets FORMERR; several queries share one TCP connection', async () => {
  const s = await serve();
  const junk = Buffer.from([0, 7, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xff, 0xff]);
  const sock = createSocket('udp4');
  const reply = await new Promise<Buffer>((resolve) => { sock.on('message', resolve); sock.send(junk, s.port, '127.0.0.1'); });
  sock.close();
  const d = decodeMessage(reply);
  assert.equal(d.id, 7);
  assert.equal(d.rcode, 'FORMERR');
  // two framed queries in one write, two framed replies on the same connection
  const frame = (m: Buffer) => Buffer.concat([Buffer.from([m.length >> 8, m.length & 0xff]), m]);
  const c = connect({ host: '127.0.0.1', port: s.port });
  c.write(Buffer.concat([frame(queryMessage('web.default.svc.cluster.local', 'A', { id: 1 })), frame(queryMessage('nope.default.svc.cluster.local', 'A', { id: 2 }))]));
  let buf = Buffer.alloc(0);
  const replies: Message[] = [];
  await new Promise<void>((resolve, reject) => {
    c.on('error', reject);
    c.on('data', (x) => {
      buf = Buffer.concat([buf, x]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        replies.push(decodeMessage(buf.subarray(2, 2 + buf.readUInt16BE(0))));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
      }
      if (replies.length === 2) resolve();
    });
  });
  c.destroy();
  assert.deepEqual(replies.map((r) => [r.id, r.rcode]).sort(), [[1, 'NOERROR'], [2, 'NXDOMAIN']]);
});

test('upstreams from resolv.conf skip ones that would loop back to us; K8TS_DNS_UPSTREAM syntax', () => {
  const dir = mkdtempSync(join(tmpdir(), 'k8ts-dns-'));
  try {
    const f = join(dir, 'resolv.conf');
    writeFileSync(f, 'search example\nnameserver 127.0.0.1\nnameserver 127.0.0.53\nnameserver 10.0.0.2\nnameserver fe80::1%eth0\noptions ndots:2\n');
    assert.deepEqual(resolvConfUpstreams({ host: '127.0.0.1', port: 53 }, f).map((u) => u.host), ['10.0.0.2', 'fe80::1']);
    assert.deepEqual(resolvConfUpstreams({ host: '10.0.0.5', port: 53 }, f).map((u) => u.host), ['127.0.0.1', '127.0.0.53', '10.0.0.2', 'fe80::1']);
    assert.deepEqual(resolvConfUpstreams({ host: '10.0.0.2', port: 53 }, f).map((u) => u.host), ['127.0.0.1', '127.0.0.53', 'fe80::1']);
    assert.deepEqual(resolvConfUpstreams({ host: '127.0.0.1', port: 5353 }, f).length, 4);
    assert.deepEqual(resolvConfUpstreams({ host: '0.0.0.0', port: 53 }, join(dir, 'missing')), []);
  } finally { rmSync(dir, { recursive: true, force: true }); }
  assert.deepEqual(parseUpstreams('127.0.0.1:5353, 10.0.0.1,[fd00::1]:54'), [
    { host: '127.0.0.1', port: 5353 }, { host: '10.0.0.1', port: 53 }, { host: 'fd00::1', port: 54 },
  ]);
  assert.throws(() => parseUpstreams('dns.example:53'), /invalid DNS upstream/);
});
