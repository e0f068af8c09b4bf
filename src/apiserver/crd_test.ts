// CustomResourceDefinitions as the API server serves them: names accepted unless another CRD of the
// group holds them (upstream's naming controller), acceptedNames following the spec, creates refused
// while the CRD is deleted, and preserveUnknownFields refused on v1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBackend } from '../storage/memory.js';
import type { ApiServer } from './server.js';
import { jsonRequest, startTestApi } from './testing/server.js';

const backend = new MemoryBackend();
let api: ApiServer;
before(async () => { api = await startTestApi(backend); });
after(async () => { await api.stop(); await backend.close(); });

const req = (method: string, path: string, body?: unknown) => jsonRequest(api, method, path, body);
const crds = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
const crd = (plural: string, kind: string, shortNames: string[] = []) => ({
  apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: `${plural}.names.test` },
  spec: {
    group: 'names.test', scope: 'Namespaced', names: { plural, singular: kind.toLowerCase(), kind, shortNames },
    versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
  },
});
const condition = (o: any, type: string) => (o.status?.conditions ?? []).find((c: any) => c.type === type);

async function until<T>(what: string, f: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 250; i++) { const v = await f(); if (v) return v; await new Promise((r) => setTimeout(r, 20)); }
  assert.fail(`timed out waiting for ${what}`);
}

test('a CRD asking for a kind or short name another CRD of the group holds is not accepted, nor served, until it is free', async () => {
  assert.equal((await req('POST', crds, crd('crontabs', 'CronTab', ['ct']))).status, 201);
  await until('crontabs established', async () => condition((await req('GET', `${crds}/crontabs.names.test`)).json, 'Established')?.status === 'True');
  assert.equal((await req('POST', crds, crd('crontabz', 'CronTab', ['ct']))).status, 201);
  const z = await until('crontabz names judged', async () => { const o = (await req('GET', `${crds}/crontabz.names.test`)).json; return condition(o, 'NamesAccepted') && o; });
  // as upstream, the last conflicting name checked is the one reported (kind, then listKind)
  assert.deepEqual([condition(z, 'NamesAccepted').status, condition(z, 'NamesAccepted').reason, condition(z, 'NamesAccepted').message], ['False', 'ListKindConflict', '"CronTabList" is already in use']);
  assert.deepEqual([condition(z, 'Established').status, condition(z, 'Established').reason, condition(z, 'Established').message], ['False', 'NotAccepted', 'not all names are accepted']);
  assert.equal((await req('GET', '/apis/names.test/v1/namespaces/default/crontabz')).status, 404, 'not served');
  // the holder goes: the names are free, the second CRD is accepted and served
  assert.equal((await req('DELETE', `${crds}/crontabs.names.test`)).status, 200);
  await until('crontabz established', async () => condition((await req('GET', `${crds}/crontabz.names.test`)).json, 'Established')?.status === 'True');
  await until('crontabz served', async () => (await req('GET', '/apis/names.test/v1/namespaces/default/crontabz')).status === 200);
});

test('acceptedNames follow a changed spec; creates are refused while the CRD is deleted', async () => {
  assert.equal((await req('POST', crds, crd('gizmos', 'Gizmo', ['gz']))).status, 201);
  await until('gizmos established', async () => condition((await req('GET', `${crds}/gizmos.names.test`)).json, 'Established')?.status === 'True');
  const cur = (await req('GET', `${crds}/gizmos.names.test`)).json;
  cur.spec.names.shortNames = ['gz', 'gzm'];
  assert.equal((await req('PUT', `${crds}/gizmos.names.test`, cur)).status, 200);
  await until('acceptedNames updated', async () => JSON.stringify((await req('GET', `${crds}/gizmos.names.test`)).json.status.acceptedNames.shortNames) === '["gz","gzm"]');
  // an instance holding a finalizer keeps the CRD terminating
  const path = '/apis/names.test/v1/namespaces/default/gizmos';
  await until('gizmos served', async () => (await req('GET', path)).status === 200);
  assert.equal((await req('POST', path, { apiVersion: 'names.test/v1', kind: 'Gizmo', metadata: { name: 'held', finalizers: ['names.test/hold'] } })).status, 201);
  assert.equal((await req('DELETE', `${crds}/gizmos.names.test`)).status, 200);
  const refused = await until('create refused', async () => { const r = await req('POST', path, { apiVersion: 'names.test/v1', kind: 'Gizmo', metadata: { name: 'late' } }); return r.status === 405 ? r : undefined; });
  assert.equal(refused.json.message, 'create not allowed while custom resource definition is terminating');
  const held = (await req('GET', `${path}/held`)).json;
  held.metadata.finalizers = [];
  await req('PUT', `${path}/held`, held);
  await until('CRD gone', async () => (await req('GET', `${crds}/gizmos.names.test`)).status === 404);
});

test('spec.preserveUnknownFields: true is refused on apiextensions.k8s.io/v1', async () => {
  const r = await req('POST', crds, { ...crd('widgets', 'Widget'), spec: { ...crd('widgets', 'Widget').spec, preserveUnknownFields: true } });
  assert.equal(r.status, 422);
  assert.match(r.json.message, /spec.preserveUnknownFields: Invalid value: true: cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions\[\*\].schema instead/);
});

test('a custom resource read through a version whose schema has defaults gets them, whatever wrote it', async () => {
  const schema = (defaults: boolean) => ({ openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { cronSpec: { type: 'string' }, replicas: { type: 'integer', ...(defaults ? { default: 1 } : {}) } } } } } });
  const body = {
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'timers.names.test' },
    spec: {
      group: 'names.test', scope: 'Namespaced', names: { plural: 'timers', singular: 'timer', kind: 'Timer' },
      versions: [{ name: 'v1beta1', served: true, storage: false, schema: schema(false) }, { name: 'v1', served: true, storage: true, schema: schema(true) }],
    },
  };
  assert.equal((await req('POST', crds, body)).status, 201);
  await until('timers served', async () => (await req('GET', '/apis/names.test/v1beta1/namespaces/default/timers')).status === 200);
  assert.equal((await req('POST', '/apis/names.test/v1beta1/namespaces/default/timers', { apiVersion: 'names.test/v1beta1', kind: 'Timer', metadata: { name: 'beta' }, spec: { cronSpec: 'x' } })).status, 201);
  assert.deepEqual((await req('GET', '/apis/names.test/v1beta1/namespaces/default/timers/beta')).json.spec, { cronSpec: 'x' });
  assert.deepEqual((await req('GET', '/apis/names.test/v1/namespaces/default/timers/beta')).json.spec, { cronSpec: 'x', replicas: 1 });
  assert.deepEqual((await req('GET', '/apis/names.test/v1/namespaces/default/timers')).json.items[0].spec, { cronSpec: 'x', replicas: 1 });
});

test('a Scale leaves out what autoscaling/v1 omits when empty: spec.replicas at 0, status.selector without labelSelectorPath', async () => {
  const body = {
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'pools.names.test' },
    spec: {
      group: 'names.test', scope: 'Namespaced', names: { plural: 'pools', singular: 'pool', kind: 'Pool' },
      versions: [{ name: 'v1', served: true, storage: true, subresources: { scale: { specReplicasPath: '.spec.size', statusReplicasPath: '.status.size' } }, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
    },
  };
  assert.equal((await req('POST', crds, body)).status, 201);
  const path = '/apis/names.test/v1/namespaces/default/pools';
  await until('pools served', async () => (await req('GET', path)).status === 200);
  assert.equal((await req('POST', path, { apiVersion: 'names.test/v1', kind: 'Pool', metadata: { name: 'p' }, spec: { size: 0 } })).status, 201);
  const scale = (await req('GET', `${path}/p/scale`)).json;
  assert.deepEqual([scale.spec, scale.status], [{}, { replicas: 0 }]);
});
