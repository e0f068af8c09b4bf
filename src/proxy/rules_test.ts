// Ruleset generation: Services + EndpointSlices -> kube-proxy-style nftables text, and the
// incremental diff between two programs of one Service.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { KObject } from '../api/types.js';
import { servicePorts } from './model.js';
import { baseRuleset, emptyProgram, endpointChain, fullRuleset, programDiff, serviceChain, serviceProgram, type RulesConfig } from './rules.js';

const cfg: RulesConfig = { table: 'k8ts-test00', serviceCIDR: '10.43.0.0/16', clusterCIDR: '10.42.0.0/16', podCIDR: '10.42.0.0/24', nodePortIPs: ['192.168.1.5', '127.0.0.1'] };

function svc(name: string, spec: Record<string, unknown>, status: Record<string, unknown> = {}): KObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { namespace: 'ns1', name }, spec: { type: 'ClusterIP', ports: [{ port: 80, protocol: 'TCP', targetPort: 8080 }], ...spec }, status } as KObject;
}
function slice(service: string, eps: { ip: string; ready?: boolean; terminating?: boolean }[], port = 8080, portName = ''): KObject {
  return {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { namespace: 'ns1', name: `${service}-abc`, labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4', ports: [{ name: portName, port, protocol: 'TCP' }],
    endpoints: eps.map((e) => ({ addresses: [e.ip], conditions: { ready: e.ready ?? true, serving: e.ready ?? true, terminating: e.terminating ?? false } })),
  } as KObject;
}
const lines = (p: ReturnType<typeof serviceProgram>) => fullRuleset(cfg, [p]).split('\n').filter((l) => !baseRuleset(cfg).includes(l));

test('the base table: verdict-map lookups, masquerade mark, reject without endpoints, drop of unallocated service IPs', () => {
  const b = baseRuleset(cfg);
  assert.match(b, /^add table inet k8ts-test00/);
  assert.match(b, /add chain inet k8ts-test00 nat-prerouting \{ type nat hook prerouting priority -100 ; \}/);
  assert.match(b, /add chain inet k8ts-test00 nat-output \{ type nat hook output priority -100 ; \}/);
  assert.match(b, /add rule inet k8ts-test00 nat-prerouting ip saddr 10\.42\.0\.0\/24 jump services/);
  assert.match(b, /add rule inet k8ts-test00 services ip daddr \. meta l4proto \. th dport vmap @service-ips/);
  assert.match(b, /add rule inet k8ts-test00 services ip daddr @nodeport-ips meta l4proto \. th dport vmap @service-nodeports/);
  assert.match(b, /masquerading mark and 0x4000 == 0 return\n.*mark set mark xor 0x4000\n.*masquerade fully-random/);
  assert.match(b, /filter-output ct state new jump service-endpoints-check\n.*filter-output ct state new jump cluster-ips-check/);
  assert.match(b, /filter-forward ct state new jump cluster-ips-check/);
  assert.match(b, /cluster-ips-check ip daddr @cluster-ips meta l4proto tcp reject with tcp reset/);
  assert.match(b, /reject-chain meta l4proto tcp reject with tcp reset\n.*reject-chain reject\n/);
  assert.match(b, /cluster-ips-check ip daddr 10\.43\.0\.0\/16 counter drop/);
  assert.match(b, /add element inet k8ts-test00 nodeport-ips \{ 192\.168\.1\.5, 127\.0\.0\.1 \}/);
});

test('a ClusterIP service: numgen over its ready endpoints, hairpin masquerade, DNAT to the target port', () => {
  const s = svc('web', { clusterIP: '10.43.0.20' });
  const ports = servicePorts(s, [slice('web', [{ ip: '10.42.0.7' }, { ip: '10.42.0.5' }, { ip: '10.42.0.6', ready: false }, { ip: '10.42.0.9', terminating: true, ready: false }, { ip: '10.42.0.6' }])]);
  assert.equal(ports.length, 1);
  assert.deepEqual(ports[0]!.endpoints, [{ ip: '10.42.0.5', port: 8080 }, { ip: '10.42.0.6', port: 8080 }, { ip: '10.42.0.7', port: 8080 }]);
  const l = lines(serviceProgram(cfg, ports));
  const sc = serviceChain('ns1/web/tcp/');
  assert.match(sc, /^service-[A-Z2-7]{8}-ns1\/web\/tcp\/$/);
  const ep = (ip: string) => endpointChain('ns1/web/tcp/', ip, 8080);
  assert.deepEqual(l.filter((x) => x.includes(` ${sc} `) && x.startsWith('add rule')), [
    `add rule inet k8ts-test00 ${sc} ip daddr 10.43.0.20 ip saddr != 10.42.0.0/16 meta mark set meta mark or 0x4000`,
    `add rule inet k8ts-test00 ${sc} numgen random mod 3 == 0 goto ${ep('10.42.0.5')}`,
    `add rule inet k8ts-test00 ${sc} numgen random mod 2 == 0 goto ${ep('10.42.0.6')}`,
    `add rule inet k8ts-test00 ${sc} goto ${ep('10.42.0.7')}`,
  ]);
  assert.ok(l.includes(`add rule inet k8ts-test00 ${ep('10.42.0.6')} ip saddr 10.42.0.6 meta mark set meta mark or 0x4000`));
  assert.ok(l.includes(`add rule inet k8ts-test00 ${ep('10.42.0.6')} meta l4proto tcp dnat ip to 10.42.0.6:8080`));
  assert.ok(l.includes(`add element inet k8ts-test00 service-ips { 10.43.0.20 . tcp . 80 : goto ${sc} }`));
  assert.ok(l.includes('add element inet k8ts-test00 cluster-ips { 10.43.0.20 }'));
  assert.ok(!l.some((x) => x.includes('10.42.0.9')), 'terminating endpoint programmed');
  // chains exist before rules refer to them
  const firstRule = l.findIndex((x) => x.startsWith('add rule'));
  assert.ok(l.slice(firstRule).every((x) => !x.startsWith('add chain')));
});

test('without ready endpoints: reject elements for the ClusterIP, NodePort and LoadBalancer IP, no chains', () => {
  const s = svc('lb', { type: 'LoadBalancer', clusterIP: '10.43.0.21', ports: [{ port: 8443, protocol: 'TCP', nodePort: 30123 }] }, { loadBalancer: { ingress: [{ ip: '192.168.1.5' }] } });
  const p = serviceProgram(cfg, servicePorts(s, [slice('lb', [{ ip: '10.42.0.5', ready: false }], 8443)]));
  assert.equal(p.chains.size, 0);
  assert.deepEqual([...p.elements], [
    ['cluster-ips|10.43.0.21', ''],
    ['no-endpoint-services|10.43.0.21 . tcp . 8443', 'goto reject-chain'],
    ['no-endpoint-services|192.168.1.5 . tcp . 8443', 'goto reject-chain'],
    ['no-endpoint-services|127.0.0.1 . tcp . 8443', 'goto reject-chain'],
    ['no-endpoint-nodeports|tcp . 30123', 'goto reject-chain'],
  ]);
});

test('NodePort and LoadBalancer traffic goes through an external chain that masquerades', () => {
  const s = svc('lb', { type: 'LoadBalancer', clusterIP: '10.43.0.21', ports: [{ name: 'https', port: 8443, protocol: 'TCP', nodePort: 30123 }] }, { loadBalancer: { ingress: [{ ip: '192.168.1.5' }] } });
  const p = serviceProgram(cfg, servicePorts(s, [slice('lb', [{ ip: '10.42.0.5' }], 443, 'https')]));
  const ext = [...p.chains.keys()].find((c) => c.startsWith('external-'))!;
  assert.deepEqual(p.chains.get(ext), ['meta mark set meta mark or 0x4000', `goto ${serviceChain('ns1/lb/tcp/https')}`]);
  assert.equal(p.elements.get('service-ips|192.168.1.5 . tcp . 8443'), `goto ${ext}`);
  // the load-balancer IP is the node's own (ServiceLB): its port answers on localhost too
  assert.equal(p.elements.get('service-ips|127.0.0.1 . tcp . 8443'), `goto ${ext}`);
  assert.equal(p.elements.get('service-nodeports|tcp . 30123'), `goto ${ext}`);
  // an externalIP is not the node's load balancer: no localhost
  const e = serviceProgram(cfg, servicePorts(svc('ext', { clusterIP: '10.43.0.22', externalIPs: ['192.168.1.5'] }), [slice('ext', [{ ip: '10.42.0.5' }])]));
  assert.equal(e.elements.get('service-ips|127.0.0.1 . tcp . 80'), undefined);
  assert.ok(p.chains.get(endpointChain('ns1/lb/tcp/https', '10.42.0.5', 443))!.includes('meta l4proto tcp dnat ip to 10.42.0.5:443'));
});

test('headless and ExternalName services get no rules; an unnamed slice port does not serve a named service port', () => {
  assert.deepEqual(servicePorts(svc('h', { clusterIP: 'None' }), [slice('h', [{ ip: '10.42.0.5' }])]), []);
  assert.deepEqual(servicePorts(svc('x', { type: 'ExternalName', externalName: 'example.com' }), []), []);
  const named = servicePorts(svc('n', { clusterIP: '10.43.0.9', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }), [slice('n', [{ ip: '10.42.0.5' }])]);
  assert.deepEqual(named[0]!.endpoints, []);
});

test('ClientIP affinity: a timed set per endpoint, checked before numgen and updated on DNAT', () => {
  const s = svc('a', { clusterIP: '10.43.0.30', ports: [{ port: 80, protocol: 'TCP' }], sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } } });
  const p = serviceProgram(cfg, servicePorts(s, [slice('a', [{ ip: '10.42.0.5' }, { ip: '10.42.0.6' }], 80)]));
  assert.equal(p.sets.size, 2);
  for (const spec of p.sets.values()) assert.equal(spec, '{ type ipv4_addr ; flags dynamic,timeout ; timeout 600s ; }');
  const rules = p.chains.get(serviceChain('ns1/a/tcp/'))!;
  assert.match(rules[1]!, /^ip saddr @affinity-\S+__10\.42\.0\.5\/80 goto endpoint-\S+__10\.42\.0\.5\/80$/);
  assert.match(rules[3]!, /^numgen random mod 2 == 0 goto endpoint-\S+__10\.42\.0\.5\/80$/);
  assert.match(rules[4]!, /^goto endpoint-\S+__10\.42\.0\.6\/80$/);
  assert.match(p.chains.get(endpointChain('ns1/a/tcp/', '10.42.0.6', 80))![1]!, /^update @affinity-\S+__10\.42\.0\.6\/80 \{ ip saddr \}$/);
});

test('the diff of one service touches only what changed, in an order nft accepts', () => {
  const s = svc('web', { clusterIP: '10.43.0.20' });
  const two = serviceProgram(cfg, servicePorts(s, [slice('web', [{ ip: '10.42.0.5' }, { ip: '10.42.0.6' }], 80)]));
  const one = serviceProgram(cfg, servicePorts(s, [slice('web', [{ ip: '10.42.0.5' }], 80)]));
  const none = serviceProgram(cfg, servicePorts(s, []));
  assert.deepEqual(programDiff(cfg.table, two, two), []);
  const sc = serviceChain('ns1/web/tcp/');
  const gone = endpointChain('ns1/web/tcp/', '10.42.0.6', 80);
  assert.deepEqual(programDiff(cfg.table, two, one), [
    `flush chain inet k8ts-test00 ${sc}`,
    `flush chain inet k8ts-test00 ${gone}`,
    `delete chain inet k8ts-test00 ${gone}`,
    `add rule inet k8ts-test00 ${sc} ip daddr 10.43.0.20 ip saddr != 10.42.0.0/16 meta mark set meta mark or 0x4000`,
    `add rule inet k8ts-test00 ${sc} goto ${endpointChain('ns1/web/tcp/', '10.42.0.5', 80)}`,
  ]);
  const down = programDiff(cfg.table, one, none);
  assert.equal(down[0], 'delete element inet k8ts-test00 service-ips { 10.43.0.20 . tcp . 80 }');
  assert.ok(down.indexOf(`delete chain inet k8ts-test00 ${sc}`) > down.indexOf(`flush chain inet k8ts-test00 ${sc}`));
  assert.equal(down.at(-1), 'add element inet k8ts-test00 no-endpoint-services { 10.43.0.20 . tcp . 80 : goto reject-chain }');
  const removed = programDiff(cfg.table, one, emptyProgram());
  assert.ok(removed.includes('delete element inet k8ts-test00 cluster-ips { 10.43.0.20 }'));
  assert.ok(removed.every((l) => l.startsWith('delete') || l.startsWith('flush')));
});

const nftCheck = process.getuid?.() === 0 && spawnSync('nft', ['--version']).status === 0;
test('nft accepts the generated table (nft -c, nothing applied)', { skip: nftCheck ? false : 'needs root and nft' }, () => {
  const programs = [
    serviceProgram(cfg, servicePorts(svc('web', { clusterIP: '10.43.0.20', sessionAffinity: 'ClientIP' }), [slice('web', [{ ip: '10.42.0.5' }, { ip: '10.42.0.6' }])])),
    serviceProgram(cfg, servicePorts(svc('lb', { type: 'LoadBalancer', clusterIP: '10.43.0.21', ports: [{ port: 8443, protocol: 'UDP', nodePort: 30123 }] }, { loadBalancer: { ingress: [{ ip: '192.168.1.5' }] } }), [])),
    serviceProgram(cfg, servicePorts(svc('loc', { type: 'LoadBalancer', externalTrafficPolicy: 'Local', clusterIP: '10.43.0.22', ports: [{ port: 8080, protocol: 'TCP', nodePort: 30124 }] }, { loadBalancer: { ingress: [{ ip: '192.168.1.5' }] } }), [Object.assign(slice('loc', [{ ip: '10.42.0.7' }], 80), { endpoints: [{ addresses: ['10.42.0.7'], nodeName: 'n1', conditions: { ready: true } }] })], 'n1')),
  ];
  assert.ok(programs[2]!.chains.size === 4, 'the Local service has its local chain');
  const r = spawnSync('nft', ['-c', '-f', '-'], { input: fullRuleset(cfg, programs), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

test('externalTrafficPolicy Local: pods and the host use every endpoint, outside clients only local ones, unmasqueraded', () => {
  const s = svc('loc', { type: 'NodePort', clusterIP: '10.43.0.40', externalTrafficPolicy: 'Local', ports: [{ port: 80, protocol: 'TCP', nodePort: 30040 }] });
  const sl = slice('loc', [{ ip: '10.42.0.5' }, { ip: '10.42.0.6' }], 80) as any;
  sl.endpoints[1].nodeName = 'n1';
  sl.endpoints[0].nodeName = 'n2';
  const p = serviceProgram(cfg, servicePorts(s, [sl], 'n1'));
  const ext = [...p.chains.keys()].find((c) => c.startsWith('external-'))!;
  const local = [...p.chains.keys()].find((c) => c.startsWith('local-'))!;
  assert.deepEqual(p.chains.get(ext), [
    `ip saddr 10.42.0.0/16 goto ${serviceChain('ns1/loc/tcp/')}`,
    'fib saddr type local meta mark set meta mark or 0x4000',
    `fib saddr type local goto ${serviceChain('ns1/loc/tcp/')}`,
    `goto ${local}`,
  ]);
  assert.deepEqual(p.chains.get(local), [`goto ${endpointChain('ns1/loc/tcp/', '10.42.0.6', 80)}`]);
  const none = serviceProgram(cfg, servicePorts(s, [sl], 'n3'));
  assert.equal(none.chains.get(ext)?.at(-1), 'drop');
});

test('nft applies each diff on a live scratch table: endpoints come and go, affinity on and off, the service goes', { skip: nftCheck ? false : 'needs root and nft' }, async () => {
  // addresses of 10.250/16 and 10.251/16 (not routed here; no packet is sent), no node ports
  const c: RulesConfig = { table: `k8ts-rtest${process.pid}`, serviceCIDR: '10.250.0.0/16', clusterCIDR: '10.251.0.0/16', podCIDR: '10.251.0.0/24', nodePortIPs: [] };
  const apply = (script: string) => { const r = spawnSync('nft', ['-f', '-'], { input: script, encoding: 'utf8' }); assert.equal(r.status, 0, `${r.stderr}\n${script}`); };
  const at = (eps: string[], spec: Record<string, unknown> = {}) => serviceProgram(c, servicePorts(
    { metadata: { namespace: 'ns1', name: 'web' }, spec: { type: 'NodePort', clusterIP: '10.250.0.20', ports: [{ port: 80, protocol: 'TCP', nodePort: 30999 }], ...spec } } as unknown as KObject,
    [{ metadata: { name: 'x' }, addressType: 'IPv4', ports: [{ name: '', port: 80, protocol: 'TCP' }], endpoints: eps.map((ip) => ({ addresses: [ip], conditions: { ready: true } })) } as unknown as KObject]));
  const steps = [
    at(['10.251.0.5', '10.251.0.6']),
    at(['10.251.0.5', '10.251.0.7', '10.251.0.8']),
    at(['10.251.0.5', '10.251.0.7'], { sessionAffinity: 'ClientIP' }),
    at(['10.251.0.7'], { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } } }),
    at([]),
    at(['10.251.0.9'], { externalTrafficPolicy: 'Local' }),
    emptyProgram(),
  ];
  try {
    apply(fullRuleset(c, []));
    let cur = emptyProgram();
    for (const next of steps) {
      const d = programDiff(c.table, cur, next);
      if (d.length) apply(d.join('\n') + '\n');
      cur = next;
    }
    const left = spawnSync('nft', ['list', 'table', 'inet', c.table], { encoding: 'utf8' }).stdout;
    assert.ok(!/chain (service|endpoint|external|local)-[A-Z2-7]{8}-/.test(left) && !left.includes('affinity-') && !left.includes('10.250.0.20 . tcp'), left);
  } finally {
    spawnSync('nft', ['delete', 'table', 'inet', c.table]);
  }
});
