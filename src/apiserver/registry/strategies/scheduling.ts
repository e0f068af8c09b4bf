// scheduling.k8s.io/v1 PriorityClass (upstream pkg/apis/scheduling/validation): names starting
// with "system-" are reserved for the two built-in classes; value and preemptionPolicy are fixed
// once created.
import { makeStrategy } from './base.js';
import { enumOf, fe, immutable, setDefault, type Errs } from './field.js';

/** above this, values are reserved for the system classes */
export const highestUserDefinablePriority = 1_000_000_000;

/** the classes the API server keeps in place (upstream's SystemPriorityClasses) */
export const systemPriorityClasses = [
  { name: 'system-node-critical', value: 2_000_001_000, description: 'Used for system critical pods that must not be moved from their current node.' },
  { name: 'system-cluster-critical', value: 2_000_000_000, description: 'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.' },
];

function knownSystemClassError(name: string, value: unknown, globalDefault: unknown): string | undefined {
  const c = systemPriorityClasses.find((s) => s.name === name);
  if (!c) return `${name} is not a known system priority class`;
  if (c.value !== value) return `value of ${name} PriorityClass must be ${c.value}`;
  if (globalDefault === true) return `globalDefault of ${name} must be false`;
  return undefined;
}

export const priorityClassStrategy = makeStrategy({
  // as upstream's priorityclass REST Delete
  deleteForbidden: (name) => (name === 'system-node-critical' || name === 'system-cluster-critical' ? 'this is a system priority class and cannot be deleted' : undefined),
  namespaced: false,
  defaults(o) {
    setDefault(o, 'value', 0); // int32 without omitempty: absent decodes as 0
    setDefault(o, 'preemptionPolicy', 'PreemptLowerPriority');
  },
  validate(o) {
    const errs: Errs = [];
    const name = o.metadata.name ?? '';
    if (name.startsWith('system-')) {
      const why = knownSystemClassError(name, o.value, o.globalDefault);
      if (why) errs.push(fe.forbidden('metadata.name', `priority class names with 'system-' prefix are reserved for system use only. error: ${why}`));
    } else if (typeof o.value === 'number' && o.value > highestUserDefinablePriority) {
      errs.push(fe.forbidden('value', `maximum allowed value of a user defined priority is ${highestUserDefinablePriority}`));
    }
    if (o.preemptionPolicy != null) errs.push(...enumOf('preemptionPolicy', o.preemptionPolicy, ['Never', 'PreemptLowerPriority']));
    return errs;
  },
  validateUpdate(o, old) {
    const errs: Errs = [];
    if (o.value !== old.value) errs.push(fe.forbidden('value', 'may not be changed in an update.'));
    errs.push(...immutable('preemptionPolicy', o.preemptionPolicy, old.preemptionPolicy));
    return errs;
  },
});
