// The Proxier against the fake API server, with the nft transactions recorded instead of applied:
// a full table first, then only the changed Service per event; ServiceLB writes the node's
// InternalIP through services/status; a failed transaction makes the next sync a full one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RestClient } from '../client/index.js';
import { FakeApiServer } from '../client/testing/fakeapi.js';
import { Proxier } from './proxy.js';

const core = (plural: string) => ({ group: '', plural });
const disc = { group: 'discovery.k8s.io', plural: 'endpointslices' };
const slice = (svc: string, ips: string[]) => ({
  metadata: { namespace: 'ns', name: `${svc}-x`, labels: { 'kubernetes.io/service-name': svc } },
  addressType: 'IPv4', ports: [{ name: '', port: 80, protocol: 'TCP' }],
  endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, f: () => boolean, ms = 5000): Promise<void> {
  for (const end = Date.now() + ms; !f();) { if (Date.now() > end) throw new Error(`timed out: ${what}`); await sleep(20); }
}

test('Proxier: full sync, then per-service transactions; ServiceLB status; full sync after a failure', async () => {
  const api = new FakeApiServer();
  await api.start();
  const client = new RestClient({ server: api.url });
  const scripts: string[] = [];
  let failNext = false;
  const proxier = new Proxier({
    client, table: 'k8ts-unit', bridge: 'k8tsunit', podCIDR: '10.42.0.0/24', nodeName: 'n1', serviceCIDR: '10.43.0.0/16', clusterCIDR: '10.42.0.0/16', log: () => {},
    apply: async (s) => { if (failNext) { failNext = false; throw new Error('nft: boom'); } scripts.push(s); },
  });
  const ac = new AbortController();
  let run: Promise<void> | undefined;
  try {
    api.put(core('nodes'), { metadata: { name: 'n1' }, spec: { podCIDR: '10.42.0.0/24' }, status: { addresses: [{ type: 'InternalIP', address: '192.168.1.5' }] } });
    api.put(core('services'), { metadata: { namespace: 'ns', name: 'web', creationTimestamp: '2024-01-01T00:00:00Z' }, spec: { type: 'ClusterIP', clusterIP: '10.43.0.20', ports: [{ port: 80, protocol: 'TCP' }] } });
    api.put(core('services'), { metadata: { namespace: 'ns', name: 'other', creationTimestamp: '2024-01-01T00:00:01Z' }, spec: { type: 'ClusterIP', clusterIP: '10.43.0.21', ports: [{ port: 80, protocol: 'TCP' }] } });
    api.put(core('services'), { metadata: { namespace: 'ns', name: 'headless' }, spec: { clusterIP: 'None', ports: [{ port: 80 }] } });
    api.put(disc, slice('web', ['10.42.0.5', '10.42.0.6']));
    api.put(disc, slice('other', ['10.42.0.7']));
    run = proxier.run(ac.signal);
    await until('first sync', () => proxier.stats.full >= 1 && scripts.some((s) => s.includes('192.168.1.5')));
    const full = scripts.at(-1)!;
    assert.match(full, /^add table inet k8ts-unit\ndelete table inet k8ts-unit\n/);
    assert.match(full, /service-ips \{ 10\.43\.0\.20 \. tcp \. 80 : goto service-\S+-ns\/web\/tcp\/ \}/);
    assert.match(full, /service-ips \{ 10\.43\.0\.21 \. tcp \. 80 : goto service-\S+-ns\/other\/tcp\/ \}/);
    assert.match(full, /numgen random mod 2 == 0 goto endpoint-\S+-ns\/web\/tcp\/__10\.42\.0\.5\/80\n/);
    assert.ok(!full.includes('headless'));

    // one endpoint goes: only web's chains change, in a partial transaction
    const before = scripts.length;
    api.put(disc, slice('web', ['10.42.0.5']));
    await until('partial sync', () => scripts.length > before);
    const part = scripts.slice(before).join('');
    assert.ok(!part.includes('table'), part);
    assert.ok(!part.includes('ns/other/'), part);
    assert.match(part, /flush chain inet k8ts-unit service-\S+-ns\/web\/tcp\/\n/);
    assert.match(part, /delete chain inet k8ts-unit endpoint-\S+-ns\/web\/tcp\/__10\.42\.0\.6\/80\n/);
    assert.match(part, /add rule inet k8ts-unit service-\S+-ns\/web\/tcp\/ goto endpoint-\S+__10\.42\.0\.5\/80\n/);

    // a LoadBalancer service: ServiceLB publishes the node IP, then its port on that IP is programmed
    api.put(core('services'), { metadata: { namespace: 'ns', name: 'lb' }, spec: { type: 'LoadBalancer', clusterIP: '10.43.0.22', ports: [{ port: 8080, protocol: 'TCP', nodePort: 30080 }] } });
    api.put(disc, slice('lb', ['10.42.0.8']));
    await until('LB programmed', () => scripts.some((s) => s.includes('service-ips { 192.168.1.5 . tcp . 8080 : goto external-')));
    const st = api.requests.find((r) => r.method === 'PUT' && r.path === '/api/v1/namespaces/ns/services/lb/status');
    assert.deepEqual(st?.body?.status?.loadBalancer?.ingress, [{ ip: '192.168.1.5' }]);
    assert.ok(scripts.some((s) => s.includes('service-nodeports { tcp . 30080 : goto external-')));

    // a failed transaction: the next one rewrites the whole table
    const fulls = proxier.stats.full;
    failNext = true;
    api.remove(core('services'), 'ns', 'other');
    await until('full resync', () => proxier.stats.full > fulls);
    assert.equal(proxier.stats.failed, 1);
    const again = scripts.at(-1)!;
    assert.match(again, /^add table inet k8ts-unit\ndelete table inet k8ts-unit\n/);
    assert.ok(!again.includes('ns/other/') && again.includes('ns/web/') && again.includes('ns/lb/'));
  } finally {
    ac.abort();
    await run;
    client.close();
    await api.stop();
  }
});

test('Proxier: two LoadBalancers on one port of the node IP: the older holds it, the other takes it once free', async () => {
  const api = new FakeApiServer();
  await api.start();
  const client = new RestClient({ server: api.url });
  const scripts: string[] = [];
  const proxier = new Proxier({
    client, table: 'k8ts-unit', bridge: 'k8tsunit', podCIDR: '10.42.0.0/24', nodeName: 'n1', serviceCIDR: '10.43.0.0/16', clusterCIDR: '10.42.0.0/16', log: () => {},
    apply: async (s) => { scripts.push(s); },
  });
  const ac = new AbortController();
  let run: Promise<void> | undefined;
  const lb = (name: string, ip: string, ts: string) => ({
    metadata: { namespace: 'ns', name, creationTimestamp: ts },
    spec: { type: 'LoadBalancer', clusterIP: ip, ports: [{ port: 8080, protocol: 'TCP', nodePort: name === 'a' ? 30001 : 30002 }] },
    status: { loadBalancer: { ingress: [{ ip: '192.168.1.5' }] } },
  });
  try {
    api.put(core('nodes'), { metadata: { name: 'n1' }, status: { addresses: [{ type: 'InternalIP', address: '192.168.1.5' }] } });
    api.put(core('services'), lb('a', '10.43.0.30', '2024-01-01T00:00:00Z'));
    api.put(core('services'), lb('b', '10.43.0.31', '2024-01-01T00:00:01Z'));
    api.put(disc, slice('a', ['10.42.0.5']));
    api.put(disc, slice('b', ['10.42.0.6']));
    run = proxier.run(ac.signal);
    const held = /service-ips \{ 192\.168\.1\.5 \. tcp \. 8080 : goto external-\S+-ns\/(\w)\/tcp\/ \}/;
    await until('programmed', () => scripts.some((s) => held.test(s) && s.includes('ns/b/')));
    const holders = new Set(scripts.map((s) => [...s.matchAll(new RegExp(held, 'g'))].map((m) => m[1])).flat());
    assert.deepEqual([...holders], ['a']);
    // ServiceLB takes the node's address back out of the younger one's status (pending, as k3s's)
    const statusOf = (name: string) => api.requests.filter((r) => r.method === 'PUT' && r.path === `/api/v1/namespaces/ns/services/${name}/status`).map((r) => r.body?.status?.loadBalancer?.ingress);
    await until('b pending', () => statusOf('b').some((i) => Array.isArray(i) && i.length === 0));
    assert.deepEqual(statusOf('a'), []);
    api.remove(core('services'), 'ns', 'a');
    await until('b published again', () => statusOf('b').some((i) => i?.[0]?.ip === '192.168.1.5'));
    await until('b takes the port', () => scripts.some((s) => held.exec(s)?.[1] === 'b'), 5000);
    const last = scripts.join('');
    assert.ok(last.indexOf('delete element inet k8ts-unit service-ips { 192.168.1.5 . tcp . 8080 }') < last.lastIndexOf('add element inet k8ts-unit service-ips { 192.168.1.5 . tcp . 8080 : goto external-'));
  } finally {
    ac.abort();
    await run;
    client.close();
    await api.stop();
  }
});

test('Proxier: the node\'s address arriving while the first full sync is being written gets a full sync of its own', async () => {
  const api = new FakeApiServer();
  await api.start();
  const client = new RestClient({ server: api.url });
  const scripts: string[] = [];
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => { release = r; });
  const proxier = new Proxier({
    client, table: 'k8ts-unit', bridge: 'k8tsunit', podCIDR: '10.42.0.0/24', nodeName: 'n1', serviceCIDR: '10.43.0.0/16', clusterCIDR: '10.42.0.0/16', log: () => {},
    apply: async (s) => { scripts.push(s); if (scripts.length === 1) await gate; },
  });
  const ac = new AbortController();
  let run: Promise<void> | undefined;
  try {
    api.put(core('services'), { metadata: { namespace: 'ns', name: 'np' }, spec: { type: 'NodePort', clusterIP: '10.43.0.30', ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }] } });
    run = proxier.run(ac.signal);
    await until('first full sync started', () => scripts.length === 1);
    assert.match(scripts[0], /add element inet k8ts-unit nodeport-ips \{ 127\.0\.0\.1 \}/);
    // the kubelet registers the node (with its InternalIP) while that write is in flight
    api.put(core('nodes'), { metadata: { name: 'n1' }, spec: { podCIDR: '10.42.0.0/24' }, status: { addresses: [{ type: 'InternalIP', address: '192.168.1.9' }] } });
    await sleep(100);
    release();
    await until('a full sync with the node IP', () => scripts.some((s) => /nodeport-ips \{ 192\.168\.1\.9, 127\.0\.0\.1 \}/.test(s)));
  } finally {
    ac.abort();
    await run;
    client.close();
    await api.stop();
  }
});
