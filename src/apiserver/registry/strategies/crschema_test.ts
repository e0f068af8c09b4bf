import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fieldErrorMessage } from '../../../api/status.js';
import { applyDefaults, prune, validateCustomResource, type JSONSchemaProps } from './crschema.js';

const schema: JSONSchemaProps = {
  type: 'object',
  properties: {
    spec: {
      type: 'object', required: ['color'],
      properties: {
        color: { type: 'string', enum: ['red', 'blue'] },
        replicas: { type: 'integer', minimum: 0, maximum: 10, default: 1 },
        name: { type: 'string', pattern: '^[a-z]+$' },
        port: { 'x-kubernetes-int-or-string': true },
        tags: { type: 'array', items: { type: 'string' }, maxItems: 2 },
        extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        nested: { type: 'object', properties: { on: { type: 'boolean', default: true } }, default: {} },
      },
    },
  },
};

const messages = (o: any) => validateCustomResource(schema, o).map(fieldErrorMessage);

describe('custom resources against their structural schema', () => {
  it('prunes unknown fields at every level but keeps the root\'s metadata and what preserve-unknown-fields covers', () => {
    const o: any = { apiVersion: 'x/v1', kind: 'W', metadata: { name: 'a', labels: { k: 'v' } }, status: { x: 1 }, spec: { color: 'red', junk: 1, extra: { a: { b: 1 } }, labels: { a: 'b' }, tags: ['x'] } };
    prune(schema, o, true);
    assert.deepEqual(o, { apiVersion: 'x/v1', kind: 'W', metadata: { name: 'a', labels: { k: 'v' } }, spec: { color: 'red', extra: { a: { b: 1 } }, labels: { a: 'b' }, tags: ['x'] } });
  });

  it('fills defaults, nested ones included, and leaves given values alone', () => {
    const o: any = { spec: { color: 'red' } };
    applyDefaults(schema, o);
    assert.deepEqual(o.spec, { color: 'red', replicas: 1, nested: { on: true } });
    const p: any = { spec: { color: 'red', replicas: 0, nested: { on: false } } };
    applyDefaults(schema, p);
    assert.deepEqual(p.spec, { color: 'red', replicas: 0, nested: { on: false } });
  });

  it('validates with upstream\'s messages', () => {
    assert.deepEqual(messages({ spec: { color: 'red', replicas: 3, port: 'http', name: 'abc' } }), []);
    assert.deepEqual(messages({ spec: { color: 'green' } }), ['spec.color: Unsupported value: "green": supported values: "red", "blue"']);
    assert.deepEqual(messages({ spec: { color: 'red', replicas: 'x' } }), ['spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"']);
    assert.deepEqual(messages({ spec: { color: 'red', replicas: 1.5 } }), ['spec.replicas: Invalid value: "number": spec.replicas in body must be of type integer: "number"']);
    assert.deepEqual(messages({ spec: {} }), ['spec.color: Required value']);
    assert.deepEqual(messages({ spec: { color: 'red', replicas: -1 } }), ['spec.replicas: Invalid value: -1: spec.replicas in body should be greater than or equal to 0']);
    assert.deepEqual(messages({ spec: { color: 'red', name: 'A1' } }), ['spec.name: Invalid value: "A1": spec.name in body should match \'^[a-z]+$\'']);
    assert.deepEqual(messages({ spec: { color: 'red', port: true } }), ['spec.port: Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean"']);
    assert.deepEqual(messages({ spec: { color: 'red', labels: { a: 1 } } }), ['spec.labels.a: Invalid value: "integer": spec.labels.a in body must be of type string: "integer"']);
    assert.equal(messages({ spec: { color: 'red', tags: ['a', 'b', 'c'] } })[0], 'spec.tags: Too many: 3: must have at most 2 items');
  });

  it('checks string formats and that an embedded resource names its apiVersion and kind', () => {
    const s: JSONSchemaProps = { type: 'object', properties: { spec: { type: 'object', properties: {
      when: { type: 'string', format: 'date-time' }, id: { type: 'string', format: 'uuid' },
      tmpl: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true },
    } } } };
    const m = (o: any) => validateCustomResource(s, o).map(fieldErrorMessage);
    assert.deepEqual(m({ spec: { when: '2026-11-27T10:00:00Z', id: '123e4567-e89b-12d3-a456-426614174000', tmpl: { apiVersion: 'v1', kind: 'Pod' } } }), []);
    assert.deepEqual(m({ spec: { when: 'yesterday', tmpl: { foo: 1 } } }), [
      'spec.when: Invalid value: "yesterday": spec.when in body must be of type date-time: "yesterday"',
      'spec.tmpl.apiVersion: Required value: must not be empty',
      'spec.tmpl.kind: Required value: must not be empty',
    ]);
  });
});
