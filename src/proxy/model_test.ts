// Services + EndpointSlices -> service ports, and ServiceLB's wanted status (pure).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../api/types.js';
import { portTaken, wantedIngress } from './lbstatus.js';
import { servicePorts } from './model.js';

const svc = (spec: Record<string, unknown>, status: Record<string, unknown> = {}) => ({ metadata: { namespace: 'ns', name: 's' }, spec, status }) as unknown as KObject;
const slice = (addressType: string, ports: unknown[], endpoints: unknown[]) => ({ metadata: { namespace: 'ns', name: `s-${Math.random()}` }, addressType, ports, endpoints }) as unknown as KObject;

test('ports by name and protocol, endpoints merged from every IPv4 slice, not-ready and terminating left out', () => {
  const s = svc({ type: 'NodePort', clusterIP: '10.43.0.5', ports: [{ name: 'dns', port: 53, protocol: 'UDP', nodePort: 30053 }, { name: 'dns-tcp', port: 53, protocol: 'TCP', nodePort: 30054 }] });
  const ports = servicePorts(s, [
    slice('IPv4', [{ name: 'dns', port: 5353, protocol: 'UDP' }, { name: 'dns-tcp', port: 5354, protocol: 'TCP' }], [
      { addresses: ['10.42.0.9'], conditions: { ready: true } },
      { addresses: ['10.42.0.10'], conditions: { ready: false, serving: true } },
      { addresses: ['10.42.0.11'] },
    ]),
    slice('IPv4', [{ name: 'dns', port: 5353, protocol: 'UDP' }], [{ addresses: ['10.42.0.2'], conditions: { ready: true, terminating: false } }, { addresses: ['10.42.0.3'], conditions: { ready: false, terminating: true } }]),
    slice('IPv6', [{ name: 'dns', port: 5353, protocol: 'UDP' }], [{ addresses: ['fd00::1'], conditions: { ready: true } }]),
  ]);
  assert.deepEqual(ports.map((p) => [p.key, p.protocol, p.port, p.nodePort, p.endpoints.map((e) => `${e.ip}:${e.port}`)]), [
    ['ns/s/udp/dns', 'udp', 53, 30053, ['10.42.0.2:5353', '10.42.0.9:5353', '10.42.0.11:5353']],
    ['ns/s/tcp/dns-tcp', 'tcp', 53, 30054, ['10.42.0.9:5354', '10.42.0.11:5354']],
  ]);
});

test('LoadBalancer addresses come from status, externalIPs from spec; a ClusterIP service has no node port', () => {
  const [lb] = servicePorts(svc({ type: 'LoadBalancer', clusterIP: '10.43.0.6', externalIPs: ['192.0.2.9'], ports: [{ port: 80, nodePort: 30080 }] }, { loadBalancer: { ingress: [{ ip: '192.0.2.7' }, { hostname: 'x.example' }] } }), []);
  assert.deepEqual(lb!.externalIPs, ['192.0.2.7', '192.0.2.9']);
  assert.equal(lb!.nodePort, 30080);
  const [cip] = servicePorts(svc({ type: 'ClusterIP', clusterIP: '10.43.0.7', ports: [{ port: 80, nodePort: 30081 }] }, { loadBalancer: { ingress: [{ ip: '192.0.2.7' }] } }), []);
  assert.equal(cip!.nodePort, undefined);
  assert.deepEqual(cip!.externalIPs, []);
  assert.equal(servicePorts(svc({ clusterIP: '10.43.0.8', sessionAffinity: 'ClientIP', ports: [{ port: 80 }] }), [])[0]!.affinityTimeout, 10800);
});

test('ServiceLB: the node IP is added to a LoadBalancer service once, and taken out when the type changes', () => {
  const lb = svc({ type: 'LoadBalancer', clusterIP: '10.43.0.6', ports: [{ port: 80 }] });
  assert.deepEqual(wantedIngress(lb, '192.0.2.2'), [{ ip: '192.0.2.2' }]);
  assert.equal(wantedIngress(lb, undefined), undefined);
  const done = svc({ type: 'LoadBalancer', ports: [{ port: 80 }] }, { loadBalancer: { ingress: [{ ip: '192.0.2.2' }] } });
  assert.equal(wantedIngress(done, '192.0.2.2'), undefined);
  assert.equal(wantedIngress(svc({ type: 'LoadBalancer', loadBalancerClass: 'other.io/lb' }), '192.0.2.2'), undefined);
  assert.deepEqual(wantedIngress(svc({ type: 'ClusterIP' }, { loadBalancer: { ingress: [{ ip: '192.0.2.2' }] } }), '192.0.2.2'), []);
  assert.equal(wantedIngress(svc({ type: 'ClusterIP' }), '192.0.2.2'), undefined);
});

test('ServiceLB: a port the node serves, or an older LoadBalancer holds, leaves the Service pending', () => {
  const lb = (name: string, ts: string, ports: unknown[], extra: Record<string, unknown> = {}) =>
    ({ metadata: { namespace: 'ns', name, creationTimestamp: ts }, spec: { type: 'LoadBalancer', ports, ...extra } }) as unknown as KObject;
  const a = lb('a', '2024-01-01T00:00:00Z', [{ port: 8080 }]);
  const b = lb('b', '2024-01-01T00:00:01Z', [{ port: 8080, protocol: 'TCP' }, { port: 9090 }]);
  const c = lb('c', '2024-01-01T00:00:02Z', [{ port: 8080, protocol: 'UDP' }]);
  const web = lb('web', '2024-01-01T00:00:03Z', [{ port: 80 }]);
  const other = lb('other', '2024-01-01T00:00:00Z', [{ port: 9090 }], { loadBalancerClass: 'other.io/lb' });
  const all = [web, c, b, a, other];
  const ingressPorts = [{ protocol: 'TCP', port: 80 }, { protocol: 'TCP', port: 443 }];
  assert.equal(portTaken(a, all, ingressPorts), false);
  assert.equal(portTaken(b, all, ingressPorts), true, 'the older a has TCP 8080');
  assert.equal(portTaken(c, all, ingressPorts), false, 'UDP 8080 is another port');
  assert.equal(portTaken(web, all, ingressPorts), true, 'the ingress listens on 80');
  assert.equal(portTaken(web, all, []), false);
  // a blocked Service holds nothing: one after it may have the port it could not
  const d = lb('d', '2024-01-01T00:00:04Z', [{ port: 9090 }]);
  assert.equal(portTaken(d, [...all, d], ingressPorts), false);
  // pending: no address, and an address it had is taken back out
  assert.equal(wantedIngress(b, '192.0.2.2', true), undefined);
  const had = { ...b, status: { loadBalancer: { ingress: [{ ip: '192.0.2.2' }] } } } as unknown as KObject;
  assert.deepEqual(wantedIngress(had, '192.0.2.2', true), []);
});
