import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinResources } from './resources.js';
import { apiVersionOf } from './types.js';
import type { FieldSchema } from './schema-types.js';
import { registerSchema, resolve, schemaFor, schemaFromOpenAPIV3, unregisterSchema } from './schema.js';

function at(s: FieldSchema | undefined, ...path: string[]): FieldSchema {
  let cur = s;
  for (const p of path) {
    assert.ok(cur, `no schema before ${p}`);
    cur = p === '[]' ? resolve(cur.items) : resolve(cur.fields)?.[p];
  }
  assert.ok(cur, `no schema at ${path.join('.')}`);
  return cur;
}

test('every built-in kind has a schema with metadata', () => {
  for (const r of builtinResources) {
    const s = schemaFor(apiVersionOf(r), r.kind);
    assert.ok(s, `${r.kind}`);
    assert.equal(s.type, 'object');
    assert.equal(at(s, 'metadata').type, 'object', r.kind);
  }
  assert.equal(schemaFor('v1', 'NoSuchKind'), undefined);
});

test('pod merge facts follow upstream', () => {
  const pod = schemaFor('v1', 'Pod');
  const containers = at(pod, 'spec', 'containers');
  assert.deepEqual([containers.patchStrategy, containers.patchMergeKey, containers.listType, containers.listMapKeys], ['merge', 'name', 'map', ['name']]);
  const ports = at(containers, '[]', 'ports');
  assert.equal(ports.patchMergeKey, 'containerPort');
  assert.deepEqual(ports.listMapKeys, ['containerPort', 'protocol']);
  assert.equal(at(containers, '[]', 'env').patchMergeKey, 'name');
  assert.equal(at(containers, '[]', 'volumeMounts').patchMergeKey, 'mountPath');
  assert.equal(at(containers, '[]', 'ports', '[]', 'containerPort').type, 'integer');
  assert.equal(at(containers, '[]', 'resources', 'limits').type, 'map');
  assert.equal(at(pod, 'spec', 'volumes').patchStrategy, 'merge,retainKeys');
  assert.equal(at(pod, 'spec', 'tolerations').listType, 'atomic');
  assert.equal(at(pod, 'spec', 'nodeSelector').mapType, 'atomic');
  assert.equal(at(pod, 'metadata', 'finalizers').listType, 'set');
  assert.equal(at(pod, 'metadata', 'ownerReferences').patchMergeKey, 'uid');
  assert.equal(at(pod, 'metadata', 'labels').type, 'map');
  assert.equal(at(pod, 'metadata', 'creationTimestamp').type, 'string');
  assert.equal(at(pod, 'status', 'conditions').patchMergeKey, 'type');
});

test('other kinds: deployment strategy, service ports, int-or-string, core vs events Event', () => {
  const d = schemaFor('apps/v1', 'Deployment');
  assert.equal(at(d, 'spec', 'strategy').patchStrategy, 'retainKeys');
  assert.equal(at(d, 'spec', 'strategy', 'rollingUpdate', 'maxSurge').type, 'int-or-string');
  assert.equal(at(d, 'spec', 'selector').mapType, 'atomic');
  assert.equal(at(d, 'spec', 'template', 'spec', 'containers').patchMergeKey, 'name');
  const svc = schemaFor('v1', 'Service');
  assert.deepEqual(at(svc, 'spec', 'ports').listMapKeys, ['port', 'protocol']);
  assert.equal(at(svc, 'spec', 'ports', '[]', 'targetPort').type, 'int-or-string');
  assert.ok(resolve(schemaFor('v1', 'Event')!.fields)!.involvedObject);
  assert.ok(resolve(schemaFor('events.k8s.io/v1', 'Event')!.fields)!.regarding);
  // recursive CRD schema type resolves lazily without blowing up
  assert.equal(at(schemaFor('apiextensions.k8s.io/v1', 'CustomResourceDefinition'), 'spec', 'versions', '[]', 'schema', 'openAPIV3Schema', 'properties').type, 'map');
});

test('custom resources: registered from openAPIV3Schema and removed', () => {
  const s = schemaFromOpenAPIV3({
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        properties: {
          items: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'], items: { type: 'object', properties: { name: { type: 'string' } } } },
          port: { 'x-kubernetes-int-or-string': true },
          labels: { type: 'object', additionalProperties: { type: 'string' }, 'x-kubernetes-map-type': 'atomic' },
          free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        },
      },
    },
  });
  registerSchema('example.com/v1', 'Widget', s);
  const w = schemaFor('example.com/v1', 'Widget');
  assert.equal(at(w, 'spec', 'items').listType, 'map');
  assert.deepEqual(at(w, 'spec', 'items').listMapKeys, ['name']);
  assert.equal(at(w, 'spec', 'port').type, 'int-or-string');
  assert.equal(at(w, 'spec', 'labels').mapType, 'atomic');
  assert.equal(at(w, 'spec', 'free').type, 'any');
  assert.equal(at(w, 'metadata', 'finalizers').listType, 'set');
  unregisterSchema('example.com/v1', 'Widget');
  assert.equal(schemaFor('example.com/v1', 'Widget'), undefined);
});
