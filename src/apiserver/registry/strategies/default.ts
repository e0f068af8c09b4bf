// The strategy for anything not in the table (custom resources): name validation, generation 1 on
// create and a bump on any change outside metadata (and status, when status is a subresource).
import type { Strategy } from '../strategy.js';
import { makeStrategy } from './base.js';

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
