import { test } from 'node:test';
import assert from 'node:assert/strict';
import { endpointSlicePrinter, ingressClassPrinter, ingressPrinter, networkPolicyPrinter } from './printers/networking.js';
import { NOW, columnNames, obj } from './testutil_test.js';

test('ingresses: class, hosts, address, ports', () => {
  assert.deepEqual(columnNames(ingressPrinter), ['Name', 'Class', 'Hosts', 'Address', 'Ports', 'Age']);
  const ing = (spec: object, status: object = {}) => ingressPrinter.print(obj('i', { spec, status }), NOW).cells;
  assert.deepEqual(ing({ ingressClassName: 'traefik', rules: [{ host: 'a.example.com' }, { host: 'b.example.com' }], tls: [{ hosts: ['a.example.com'] }] },
    { loadBalancer: { ingress: [{ ip: '192.168.1.3' }, { ip: '192.168.1.2' }] } }),
  ['i', 'traefik', 'a.example.com,b.example.com', '192.168.1.2,192.168.1.3', '80, 443', '5m']);
  assert.deepEqual(ing({ rules: [{ http: {} }] }).slice(1, 5), ['<none>', '*', '', '80']);
  assert.equal(ing({ rules: [{ host: 'a' }, { host: 'b' }, { host: 'c' }, { host: 'd' }, { host: 'e' }] })[2], 'a,b,c + 2 more...');
});

test('ingressclasses, networkpolicies, endpointslices', () => {
  assert.deepEqual(ingressClassPrinter.print(obj('nginx', { spec: { controller: 'k8s.io/ingress-nginx', parameters: { apiGroup: 'k8s.example.com', kind: 'IngressParameters', name: 'p' } } }), NOW).cells,
    ['nginx', 'k8s.io/ingress-nginx', 'IngressParameters.k8s.example.com/p', '5m']);
  assert.equal(ingressClassPrinter.print(obj('x', { spec: { controller: 'c' } }), NOW).cells[2], '<none>');
  assert.deepEqual(networkPolicyPrinter.print(obj('deny', { spec: { podSelector: {} } }), NOW).cells, ['deny', '<none>', '5m']);
  assert.deepEqual(networkPolicyPrinter.print(obj('web', { spec: { podSelector: { matchLabels: { app: 'web' } } } }), NOW).cells, ['web', 'app=web', '5m']);
  assert.deepEqual(columnNames(endpointSlicePrinter), ['Name', 'AddressType', 'Ports', 'Endpoints', 'Age']);
  const es = obj('web-abc', {
    addressType: 'IPv4', ports: [{ name: 'http', port: 80 }, { name: 'named' }, {}],
    endpoints: [{ addresses: ['10.42.0.1'] }, { addresses: ['10.42.0.2'] }, { addresses: ['10.42.0.3'] }, { addresses: ['10.42.0.4'] }],
  });
  assert.deepEqual(endpointSlicePrinter.print(es, NOW).cells, ['web-abc', 'IPv4', '80,named,*', '10.42.0.1,10.42.0.2,10.42.0.3 + 1 more...', '5m']);
  assert.deepEqual(endpointSlicePrinter.print(obj('empty', { addressType: 'IPv4' }), NOW).cells.slice(2, 4), ['<unset>', '<unset>']);
});
