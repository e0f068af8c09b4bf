// The strategy for anything not in the table (custom resources): name validation, generation 1 on
// create and a bump on any change outside metadata (and status, when status is a subresource).
import type { Strategy } from '../strategy.js';
import { makeStrategy } from './base.js';
import { applyDefaults, prune, validateCustomResource, type JSONSchemaProps } from './crschema.js';

/** namespaced undefined: the namespace is not checked (the store sets or clears it by scope) */
export interface DefaultOptions { namespaced?: boolean; statusSubresource?: boolean }

export function defaultStrategy(opts: DefaultOptions = {}): Strategy {
  const s = makeStrategy({
    namespaced: opts.namespaced,
    status: opts.statusSubresource ? 'subresource' : 'none',
    generation: 'all-but-meta',
  });
  if (opts.statusSubresource) {
    // custom resources with a status subresource drop status on create (rather than setting {})
    const create = s.prepareForCreate!;
    s.prepareForCreate = (o) => { create(o); delete o.status; };
  }
  return s;
}

/**
 * A custom resource with its CRD's schema: on every write (create, update, patch, status) unknown
 * fields are pruned and defaults applied, then the object is validated against the schema; defaults
 * are applied on every read too.
 */
export function customResourceStrategy(opts: DefaultOptions, schema: JSONSchemaProps): Strategy {
  const s = defaultStrategy(opts);
  const structural = (o: Parameters<NonNullable<Strategy['defaults']>>[0]) => { prune(schema, o, true); applyDefaults(schema, o); };
  const { validate, validateStatusUpdate, prepareForStatusUpdate } = s;
  s.defaults = structural;
  s.prepareForStatusUpdate = (obj, old) => { prepareForStatusUpdate?.(obj, old); structural(obj); };
  s.validate = (obj) => [...(validate?.(obj) ?? []), ...validateCustomResource(schema, obj)];
  s.validateStatusUpdate = (obj, old) => [...(validateStatusUpdate?.(obj, old) ?? []), ...validateCustomResource(schema, obj)];
  // objects written before a default was added (or through a version without it) get it when read
  if (JSON.stringify(schema).includes('"default"')) s.readDefaults = (obj) => applyDefaults(schema, obj);
  return s;
}
