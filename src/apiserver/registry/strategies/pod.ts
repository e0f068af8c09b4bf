// Pods (upstream pkg/registry/core/pod/strategy.go, ValidatePodCreate/ValidatePodUpdate).
import type { KObject } from '../../../api/types.js';
import { parseQuantity } from '../../../api/validation/index.js';
import { makeStrategy } from './base.js';
import { clone, deepEqual, fe, arr, isObject, type Errs } from './field.js';
import { admitPodCreate, defaultPodOnly, defaultPodSpec } from './podspec_defaults.js';
import { validateEphemeralContainersUpdate, validatePodSpec } from './podspec_validate.js';
import type { Strategy } from '../strategy.js';
import { podQOSClass } from '../../../api/qos.js';

export { podQOSClass };

/** upstream qos.GetPodQOS */

export const podUpdateForbiddenMessage = 'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

/** upstream ValidatePodUpdate's spec rules */
export function validatePodSpecUpdate(spec: any, old: any): Errs {
  const errs: Errs = [];
  const a = clone(spec ?? {}); const b = old ?? {};
  const oldC = arr(b.containers); const oldI = arr(b.initContainers);
  arr(a.containers).forEach((c: any, i: number) => { if (isObject(c)) c.image = oldC[i]?.image; });
  arr(a.initContainers).forEach((c: any, i: number) => { if (isObject(c)) c.image = oldI[i]?.image; });
  // activeDeadlineSeconds: may be set when unset, or lowered, never unset
  if (b.activeDeadlineSeconds != null) {
    if (a.activeDeadlineSeconds == null) errs.push(fe.invalid('spec.activeDeadlineSeconds', null, 'must not update from a positive integer to nil value'));
    else if (a.activeDeadlineSeconds > b.activeDeadlineSeconds) errs.push(fe.invalid('spec.activeDeadlineSeconds', a.activeDeadlineSeconds, 'must be less than or equal to previous value'));
  }
  a.activeDeadlineSeconds = b.activeDeadlineSeconds;
  // tolerations: only additions
  const oldT = arr(b.tolerations);
  for (const t of oldT) {
    if (!arr(a.tolerations).some((n: any) => deepEqual(n, t) || (n?.key === t?.key && n?.operator === t?.operator && n?.value === t?.value && n?.effect === t?.effect && t?.tolerationSeconds != null && n?.tolerationSeconds != null && n.tolerationSeconds <= t.tolerationSeconds))) {
      errs.push(fe.forbidden('spec.tolerations', 'existing toleration can not be modified except its tolerationSeconds'));
      break;
    }
  }
  a.tolerations = b.tolerations;
  if (typeof b.terminationGracePeriodSeconds === 'number' && b.terminationGracePeriodSeconds < 0 && a.terminationGracePeriodSeconds === 1) {
    a.terminationGracePeriodSeconds = b.terminationGracePeriodSeconds;
  }
  // scheduling gates may only be removed
  const oldGates = arr(b.schedulingGates).map((g: any) => g?.name);
  if (arr(a.schedulingGates).every((g: any) => oldGates.includes(g?.name))) a.schedulingGates = b.schedulingGates;
  else errs.push(fe.forbidden('spec.schedulingGates', 'only deletion is allowed, but found new scheduling gate'));
  // nodeName is set through the binding subresource only
  if (!deepEqual(a, b)) errs.push(fe.forbidden('spec', podUpdateForbiddenMessage));
  return errs;
}

function podIP(o: KObject): string {
  return o.status?.podIP ?? arr(o.status?.podIPs)[0]?.ip ?? '';
}

export const podStrategy: Strategy = makeStrategy({
  namespaced: true,
  status: 'subresource',
  // upstream's podStatusStrategy keeps spec and ownerReferences only
  statusMayChange: ['labels', 'annotations'],
  defaults(o) {
    o.spec ??= {};
    defaultPodSpec(o.spec);
    defaultPodOnly(o.spec);
  },
  create(o) {
    admitPodCreate(o.spec);
    o.status = { phase: 'Pending', qosClass: podQOSClass(o.spec) };
  },
  validate(o) {
    return validatePodSpec(o.spec, 'spec');
  },
  validateUpdate(o, old) {
    return validatePodSpecUpdate(o.spec, old.spec);
  },
  selectableFields(o) {
    return {
      'spec.nodeName': o.spec?.nodeName ?? '',
      'spec.restartPolicy': o.spec?.restartPolicy ?? '',
      'spec.schedulerName': o.spec?.schedulerName ?? '',
      'spec.serviceAccountName': o.spec?.serviceAccountName ?? '',
      'spec.hostNetwork': String(o.spec?.hostNetwork === true),
      'status.phase': o.status?.phase ?? '',
      'status.podIP': podIP(o),
      'status.nominatedNodeName': o.status?.nominatedNodeName ?? '',
    };
  },
});

// pods/ephemeralcontainers: only spec.ephemeralContainers changes (upstream EphemeralContainersStrategy)
podStrategy.subresources = {
  ephemeralcontainers: {
    prepare(obj, old) {
      const next = clone(old);
      next.metadata = { ...old.metadata, ...(obj.metadata?.resourceVersion ? { resourceVersion: obj.metadata.resourceVersion } : {}) };
      next.spec = { ...(old.spec ?? {}), ephemeralContainers: clone(arr(obj.spec?.ephemeralContainers)) };
      defaultPodSpec(next.spec);
      if (!next.spec.ephemeralContainers.length) delete next.spec.ephemeralContainers;
      return next;
    },
    validate: (obj, old) => validateEphemeralContainersUpdate(obj.spec, old.spec),
  },
};
