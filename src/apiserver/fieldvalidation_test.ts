// Unknown fields of custom resources: an object that preserves unknown fields keeps them (no strict
// error, no warning) while its declared fields are still checked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { schemaFromOpenAPIV3 } from '../api/schema/crd.js';
import { unknownFields } from './fieldvalidation.js';

test('x-kubernetes-preserve-unknown-fields beside properties, and on an embedded resource, keeps undeclared fields', () => {
  const schema = schemaFromOpenAPIV3({
    type: 'object',
    properties: {
      spec: {
        type: 'object', 'x-kubernetes-preserve-unknown-fields': true,
        properties: {
          known: { type: 'string' },
          strict: { type: 'object', properties: { a: { type: 'string' } } },
          tmpl: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true },
        },
      },
    },
  });
  const found: string[] = [];
  unknownFields(schema, { apiVersion: 'x/v1', kind: 'T', metadata: { name: 'a' }, spec: { known: 'a', extra: { b: 1 }, strict: { a: 'x', nope: 1 }, tmpl: { apiVersion: 'v1', kind: 'Pod', foo: 1 } }, other: 1 }, '', found);
  assert.deepEqual(found, ['spec.strict.nope', 'other']);
});
