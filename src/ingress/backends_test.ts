import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../api/types.js';
import { Lister, Store } from '../client/index.js';
import { Backends } from './backends.js';
import type { Backend } from './match.js';

function listers(objs: { services: KObject[]; slices: KObject[] }) {
  const s = new Store(); const e = new Store();
  for (const o of objs.services) s.set(o);
  for (const o of objs.slices) e.set(o);
  return { services: new Lister(s), slices: new Lister(e), sliceStore: e };
}
const svc = (name: string, spec: any): KObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'ns' }, spec });
const slice = (name: string, service: string, ports: any[], endpoints: any[]): KObject =>
  ({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name, namespace: 'ns', labels: { 'kubernetes.io/service-name': service } }, addressType: 'IPv4', ports, endpoints } as KObject);
const backend = (name: string, port: { number?: number; name?: string }): Backend => ({ namespace: 'ns', ingress: 'ns/ing', service: { name, port } });

test('service port (by number or name) -> slice port of the same name -> ready endpoints, round robin', () => {
  const l = listers({
    services: [svc('web', { ports: [{ name: 'http', port: 80, targetPort: 8080 }, { name: 'admin', port: 9000, targetPort: 'admin' }] })],
    slices: [
      slice('web-1', 'web', [{ name: 'http', port: 8080 }, { name: 'admin', port: 9901 }], [
        { addresses: ['10.42.0.1'], conditions: { ready: true } },
        { addresses: ['10.42.0.2'], conditions: { ready: false } },
        { addresses: ['10.42.0.3'] }, // ready unset counts as ready
      ]),
      slice('other', 'db', [{ name: 'http', port: 1 }], [{ addresses: ['10.42.9.9'] }]),
    ],
  });
  const b = new Backends(l.services, l.slices);
  const picks = Array.from({ length: 4 }, () => b.pick(backend('web', { number: 80 })));
  assert.deepEqual(picks.map((p) => ('target' in p ? `${p.target.host}:${p.target.port}` : p.status)), ['10.42.0.1:8080', '10.42.0.3:8080', '10.42.0.1:8080', '10.42.0.3:8080']);
  const admin = b.pick(backend('web', { name: 'admin' }));
  assert.ok('target' in admin);
  assert.deepEqual(admin.target, { host: '10.42.0.1', port: 9901 });
});

test('503 reasons: missing Service, unknown port, no ready endpoints; invalidate() sees new slices', () => {
  const l = listers({ services: [svc('web', { ports: [{ name: 'http', port: 80 }] })], slices: [] });
  const b = new Backends(l.services, l.slices);
  const reason = (p: ReturnType<Backends['pick']>) => ('target' in p ? 'ok' : `${p.status} ${p.reason}`);
  assert.equal(reason(b.pick(backend('nope', { number: 80 }))), '503 service "ns/nope" not found');
  assert.equal(reason(b.pick(backend('web', { number: 81 }))), '503 service "ns/web" has no port 81');
  assert.equal(reason(b.pick(backend('web', { number: 80 }))), '503 no ready endpoints for service "ns/web" port http');
  l.sliceStore.set(slice('web-a', 'web', [{ name: 'http', port: 8080 }], [{ addresses: ['10.42.0.7'], conditions: { ready: true } }]));
  assert.equal(reason(b.pick(backend('web', { number: 80 }))), '503 no ready endpoints for service "ns/web" port http', 'cached until invalidated');
  b.invalidate();
  assert.deepEqual(b.pick(backend('web', { number: 80 })), { target: { host: '10.42.0.7', port: 8080 } });
});

test('ExternalName Services proxy to the external name', () => {
  const l = listers({ services: [svc('ext', { type: 'ExternalName', externalName: 'example.test', ports: [{ name: 'https', port: 443 }] })], slices: [] });
  const b = new Backends(l.services, l.slices);
  assert.deepEqual(b.pick(backend('ext', { number: 8080 })), { target: { host: 'example.test', port: 8080 } });
  assert.deepEqual(b.pick(backend('ext', { name: 'https' })), { target: { host: 'example.test', port: 443 } });
});
