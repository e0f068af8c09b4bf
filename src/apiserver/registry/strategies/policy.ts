// policy/v1 PodDisruptionBudget (upstream pkg/registry/policy/poddisruptionbudget and
// pkg/apis/policy/validation): the spec is mutable; status belongs to the disruption controller
// and to the eviction subresource.
import { makeStrategy } from './base.js';
import { enumOf, fe, intOrPercent, isObject, nonNegative, type Errs } from './field.js';
import { validateLabelSelector } from './meta.js';

export const unhealthyPodEvictionPolicies = ['AlwaysAllow', 'IfHealthyBudget'];

function validateStatus(st: any): Errs {
  if (!isObject(st)) return [];
  return ['disruptionsAllowed', 'currentHealthy', 'desiredHealthy', 'expectedPods'].flatMap((f) => nonNegative(`status.${f}`, st[f]));
}

export const podDisruptionBudgetStrategy = makeStrategy({
  namespaced: true, status: 'subresource', generation: 'spec',
  initialStatus: () => ({ disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 }),
  validate(o) {
    const spec = o.spec ?? {};
    const errs: Errs = [];
    if (spec.minAvailable != null && spec.maxUnavailable != null) errs.push(fe.invalid('spec', spec, 'minAvailable and maxUnavailable cannot be both set'));
    errs.push(...intOrPercent(spec.minAvailable, 'spec.minAvailable'));
    errs.push(...intOrPercent(spec.maxUnavailable, 'spec.maxUnavailable'));
    if (spec.selector != null) errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
    if (spec.unhealthyPodEvictionPolicy != null) errs.push(...enumOf('spec.unhealthyPodEvictionPolicy', spec.unhealthyPodEvictionPolicy, unhealthyPodEvictionPolicies));
    return errs;
  },
  validateStatusUpdate: (o) => validateStatus(o.status),
});
