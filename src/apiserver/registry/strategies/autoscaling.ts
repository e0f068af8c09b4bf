// autoscaling/v2 HorizontalPodAutoscaler (upstream pkg/apis/autoscaling/v2 defaults and
// pkg/apis/autoscaling/validation, the parts a user meets): minReplicas defaults to 1, no metrics
// means 80% average CPU utilization, and the target reference and replica bounds are checked.
import { hpaToV1, hpaToV2 } from '../../../api/hpa.js';
import { isDNS1123Label, isValidPathSegmentName, parseQuantity, quantityFormatError } from '../../../api/validation/index.js';
import { makeStrategy } from './base.js';
import { arr, each, fe, isObject, obj, setDefault, type Errs } from './field.js';

const metricTypes = ['ContainerResource', 'External', 'Object', 'Pods', 'Resource'];
const sourceField: Record<string, string> = { ContainerResource: 'containerResource', External: 'external', Object: 'object', Pods: 'pods', Resource: 'resource' };
const targetTypes = ['AverageValue', 'Utilization', 'Value'];

/** a target quantity that is set must be a positive quantity */
function positiveQuantity(path: string, v: unknown): Errs {
  if (v === undefined || v === null) return [];
  const n = parseQuantity(v);
  if (n === undefined) return [fe.invalid(path, v, quantityFormatError)];
  return n > 0 ? [] : [fe.invalid(path, v, 'must be positive')];
}

function validateTarget(t: any, path: string): Errs {
  if (!isObject(t)) t = {};
  const errs: Errs = [];
  if (!t.type) errs.push(fe.required(`${path}.type`, 'must specify a metric target type'));
  if (!targetTypes.includes(t.type)) errs.push(fe.invalid(`${path}.type`, t.type ?? '', 'must be either Utilization, Value, or AverageValue'));
  errs.push(...positiveQuantity(`${path}.value`, t.value), ...positiveQuantity(`${path}.averageValue`, t.averageValue));
  if (typeof t.averageUtilization === 'number' && t.averageUtilization < 1) errs.push(fe.invalid(`${path}.averageUtilization`, t.averageUtilization, 'must be greater than 0'));
  return errs;
}

const set = (v: unknown) => v !== undefined && v !== null;

/** what each source needs of its target (upstream validate*Source) */
function validateSourceTarget(type: string, t: any, sp: string): Errs {
  const target = isObject(t) ? t : {};
  const errs: Errs = [];
  if (type === 'Resource' || type === 'ContainerResource') {
    if (!set(target.averageUtilization) && !set(target.averageValue)) errs.push(fe.required(`${sp}.target.averageUtilization`, 'must set either a target raw value or a target utilization'));
    if (set(target.averageUtilization) && set(target.averageValue)) errs.push(fe.forbidden(`${sp}.target.averageValue`, 'may not set both a target raw value and a target utilization'));
  } else if (type === 'Pods') {
    if (!set(target.averageValue)) errs.push(fe.required(`${sp}.target.averageValue`, 'must specify a positive target averageValue'));
  } else if (type === 'Object') {
    if (!set(target.value) && !set(target.averageValue)) errs.push(fe.required(`${sp}.target.averageValue`, 'must set either a target value or averageValue'));
  } else if (type === 'External') {
    if (!set(target.value) && !set(target.averageValue)) errs.push(fe.required(`${sp}.target.averageValue`, 'must set either a target value for metric or a per-pod target'));
    if (set(target.value) && set(target.averageValue)) errs.push(fe.forbidden(`${sp}.target.value`, 'may not set both a target value for metric and a per-pod target'));
  }
  return errs;
}

function validateMetric(m: any, path: string): Errs {
  if (!isObject(m)) return [fe.required(path)];
  if (!m.type) return [fe.required(`${path}.type`, 'must specify a metric source type')];
  if (!metricTypes.includes(m.type)) return [fe.notSupported(`${path}.type`, m.type, metricTypes)];
  const errs: Errs = [];
  for (const [t, f] of Object.entries(sourceField)) {
    if (t !== m.type && m[f] != null) errs.push(fe.forbidden(`${path}.${f}`, 'must populate the given metric source only'));
  }
  const src = m[sourceField[m.type]];
  if (!isObject(src)) return [...errs, fe.required(`${path}.${sourceField[m.type]}`, 'must populate information for the given metric source')];
  const sp = `${path}.${sourceField[m.type]}`;
  if (m.type === 'Object') errs.push(...validateCrossVersionRef(src.describedObject, `${sp}.describedObject`));
  if (m.type === 'Resource' || m.type === 'ContainerResource') {
    if (!src.name) errs.push(fe.required(`${sp}.name`, 'must specify a resource name'));
    if (m.type === 'ContainerResource') {
      if (!src.container) errs.push(fe.required(`${sp}.container`, 'must specify a container'));
      else errs.push(...each(`${sp}.container`, src.container, isDNS1123Label(src.container)));
    }
  } else if (!isObject(src.metric) || !src.metric.name) {
    errs.push(fe.required(`${sp}.metric.name`, 'must specify a metric name'));
  }
  errs.push(...validateTarget(src.target, `${sp}.target`), ...validateSourceTarget(m.type, src.target, sp));
  return errs;
}

const selectPolicies = ['Disabled', 'Max', 'Min'];

/** spec.behavior.scaleUp/scaleDown (upstream validateScalingRules and validateScalingPolicy) */
function validateRules(r: any, path: string): Errs {
  if (!isObject(r)) return [];
  const errs: Errs = [];
  const w = r.stabilizationWindowSeconds;
  if (typeof w === 'number' && w < 0) errs.push(fe.invalid(`${path}.stabilizationWindowSeconds`, w, 'must be greater than or equal to zero'));
  if (typeof w === 'number' && w > 3600) errs.push(fe.invalid(`${path}.stabilizationWindowSeconds`, w, 'must be less than or equal to 3600'));
  if (set(r.selectPolicy) && !selectPolicies.includes(r.selectPolicy as string)) errs.push(fe.notSupported(`${path}.selectPolicy`, r.selectPolicy, selectPolicies));
  if (!arr(r.policies).length) errs.push(fe.required(`${path}.policies`, 'must specify at least one Policy'));
  arr(r.policies).forEach((p: any, i: number) => {
    const pp = `${path}.policies[${i}]`;
    if (p?.type !== 'Pods' && p?.type !== 'Percent') errs.push(fe.notSupported(`${pp}.type`, p?.type ?? '', ['Percent', 'Pods']));
    const value = p?.value ?? 0, period = p?.periodSeconds ?? 0;
    if (value <= 0) errs.push(fe.invalid(`${pp}.value`, value, 'must be greater than zero'));
    if (period <= 0) errs.push(fe.invalid(`${pp}.periodSeconds`, period, 'must be greater than zero'));
    if (period > 1800) errs.push(fe.invalid(`${pp}.periodSeconds`, period, 'must be less than or equal to 1800'));
  });
  return errs;
}

/** upstream's defaults for the rules of a behavior that is set: each unset field from these */
const defaultRules = {
  scaleUp: () => ({ stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }] }),
  // the scale-down window stays unset: the controller's --horizontal-pod-autoscaler-downscale-stabilization (300 s) applies
  scaleDown: () => ({ selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] }),
};

function defaultBehavior(b: any): void {
  for (const dir of ['scaleUp', 'scaleDown'] as const) {
    const given = isObject(b[dir]) ? b[dir] : {};
    const out: any = defaultRules[dir]();
    for (const k of ['selectPolicy', 'stabilizationWindowSeconds', 'policies']) if (set(given[k])) out[k] = given[k];
    b[dir] = { ...given, ...out };
  }
}

export const horizontalPodAutoscalerStrategy = makeStrategy({
  namespaced: true, status: 'subresource', generation: 'spec',
  initialStatus: () => ({ desiredReplicas: 0 }),
  defaults(o) {
    const spec = obj(o, 'spec');
    setDefault(spec, 'minReplicas', 1);
    if (!arr(spec.metrics).length) {
      spec.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }];
    }
    if (isObject(spec.behavior)) defaultBehavior(spec.behavior);
  },
  validate(o) {
    const spec = o.spec ?? {};
    const errs = validateScaleBounds(spec);
    arr(spec.metrics).forEach((m: any, i: number) => errs.push(...validateMetric(m, `spec.metrics[${i}]`)));
    if (isObject(spec.behavior)) errs.push(...validateRules(spec.behavior.scaleUp, 'spec.behavior.scaleUp'), ...validateRules(spec.behavior.scaleDown, 'spec.behavior.scaleDown'));
    return errs;
  },
});

/** a CrossVersionObjectReference: kind and name, each a valid path segment */
function validateCrossVersionRef(r: any, path: string): Errs {
  const ref = isObject(r) ? r : {};
  const errs: Errs = [];
  if (!ref.kind) errs.push(fe.required(`${path}.kind`));
  else errs.push(...each(`${path}.kind`, ref.kind, isValidPathSegmentName(ref.kind)));
  if (!ref.name) errs.push(fe.required(`${path}.name`));
  else errs.push(...each(`${path}.name`, ref.name, isValidPathSegmentName(ref.name)));
  return errs;
}

/** scaleTargetRef, minReplicas and maxReplicas, as both versions have them */
function validateScaleBounds(spec: any): Errs {
  const errs = validateCrossVersionRef(spec.scaleTargetRef, 'spec.scaleTargetRef');
  if (typeof spec.minReplicas === 'number' && spec.minReplicas < 1) errs.push(fe.invalid('spec.minReplicas', spec.minReplicas, 'must be greater than or equal to 1'));
  if (typeof spec.maxReplicas !== 'number' || spec.maxReplicas < 1) errs.push(fe.invalid('spec.maxReplicas', spec.maxReplicas ?? 0, 'must be greater than 0'));
  else if (typeof spec.minReplicas === 'number' && spec.maxReplicas < spec.minReplicas) errs.push(fe.invalid('spec.maxReplicas', spec.maxReplicas, 'must be greater than or equal to `minReplicas`'));
  return errs;
}

/** autoscaling/v1: the same objects, stored as v2 (the conversion keeps what v1 cannot show in annotations) */
export const horizontalPodAutoscalerV1Strategy = makeStrategy({
  namespaced: true, status: 'subresource', generation: 'spec',
  initialStatus: () => ({ currentReplicas: 0, desiredReplicas: 0 }),
  defaults: (o) => setDefault(obj(o, 'spec'), 'minReplicas', 1),
  validate(o) {
    const spec = o.spec ?? {};
    const errs = validateScaleBounds(spec);
    const cpu = spec.targetCPUUtilizationPercentage;
    if (typeof cpu === 'number' && cpu < 1) errs.push(fe.invalid('spec.metrics[0].resource.target.averageUtilization', cpu, 'must be greater than 0'));
    return errs;
  },
});
horizontalPodAutoscalerV1Strategy.conversion = { toServed: hpaToV1, toStored: hpaToV2 };
