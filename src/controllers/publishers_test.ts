// The `default` ServiceAccount and `kube-root-ca.crt` ConfigMap publishers.
import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { errors, StatusError } from '../api/status.js';
import { ServiceAccountsController } from './serviceaccount.js';
import { description, RootCAPublisher } from './rootca.js';
import { eventually, fixture, res, type Fixture } from './testutil_test.js';

let f: Fixture;
let runs: Promise<void>[] = [];
beforeEach(async () => { f = await fixture(); runs = []; });
afterEach(async () => { f.ac.abort(); await Promise.all(runs); await f.close(); });

const ca = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const ns = (name: string, extra: object = {}) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name }, status: { phase: 'Active' }, ...extra });
const terminating = (name: string) => ns(name, { metadata: { name, deletionTimestamp: '2024-01-01T00:00:00Z' }, status: { phase: 'Terminating' } });
const sa = (n: string) => f.srv.objects.get(`/serviceaccounts|${n}|default`);
const cm = (n: string) => f.srv.objects.get(`/configmaps|${n}|kube-root-ca.crt`);

function start() {
  const s = new ServiceAccountsController({ client: f.client, informers: f.informers });
  const r = new RootCAPublisher({ client: f.client, informers: f.informers, rootCA: ca });
  runs.push(s.run(2, f.ac.signal), r.run(2, f.ac.signal));
  f.informers.start(f.ac.signal);
}

test('every active namespace gets the default ServiceAccount and kube-root-ca.crt; terminating ones do not', async () => {
  f.srv.put(res.namespaces, ns('a'));
  f.srv.put(res.namespaces, terminating('t'));
  start();
  f.srv.put(res.namespaces, ns('b'));
  await eventually('created in a and b', () => !!(sa('a') && sa('b') && cm('a') && cm('b')));
  assert.deepEqual(cm('a')!.data, { 'ca.crt': ca });
  assert.equal(cm('a')!.metadata.annotations!['kubernetes.io/description'], description);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(sa('t'), undefined);
  assert.equal(cm('t'), undefined);
});

test('a deleted ServiceAccount is recreated; an edited or deleted ConfigMap is put back', async () => {
  f.srv.put(res.namespaces, ns('a'));
  start();
  await eventually('created', () => !!(sa('a') && cm('a')));
  f.srv.remove(res.serviceaccounts, 'a', 'default');
  f.srv.put(res.configmaps, { ...cm('a')!, data: { 'ca.crt': 'x' } });
  await eventually('sa recreated', () => !!sa('a'));
  await eventually('data restored', () => cm('a')!.data['ca.crt'] === ca);
  f.srv.remove(res.configmaps, 'a', 'kube-root-ca.crt');
  await eventually('configmap recreated', () => !!cm('a'));
});

test('a create refused because the namespace is terminating is not retried', async () => {
  f.srv.put(res.namespaces, ns('a'));
  let refused = 0;
  f.srv.intercept = (r) => {
    if (r.method !== 'POST') return undefined;
    refused++;
    return new StatusError(403, 'Forbidden', 'unable to create new content in namespace a because it is being terminated', { name: 'a', kind: 'namespaces', causes: [{ reason: 'NamespaceTerminating', message: 'namespace a is being terminated', field: 'metadata.namespace' }] });
  };
  start();
  await eventually('both creates tried', () => refused === 2);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(refused, 2);
  // other errors are retried
  f.srv.intercept = (r) => (r.method === 'POST' && refused++ < 4 ? errors.internal('etcd unavailable') : undefined);
  f.srv.put(res.namespaces, ns('a', { metadata: { name: 'a', labels: { touch: '1' } } }));
  await eventually('created after retries', () => !!(sa('a') && cm('a')));
});
