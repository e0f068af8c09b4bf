// autoscaling/v2 HorizontalPodAutoscaler (upstream pkg/apis/autoscaling/v2 defaults and
// pkg/apis/autoscaling/validation, the parts a user meets): minReplicas defaults to 1, no metrics
// means 80% average CPU utilization, and the target reference and replica bounds are checked.
import { hpaToV1, hpaToV2 } from '../../../api/hpa.js';
import { isValidPathSegmentName } from '../../../api/validation/index.js';
import { makeStrategy } from './base.js';
import { arr, each, enumOf, fe, isObject, obj, setDefault, type Errs } from './field.js';

const metricTypes = ['ContainerResource', 'External', 'Object', 'Pods', 'Resource'];
const sourceField: Record<string, string> = { ContainerResource: 'containerResource', External: 'external', Object: 'object', Pods: 'pods', Resource: 'resource' };
const targetTypes = ['AverageValue', 'Utilization', 'Value'];

function validateTarget(t: any, path: string): Errs {
  if (!isObject(t)) return [fe.required(path)];
  const errs: Errs = [];
  if (!t.type) errs.push(fe.required(`${path}.type`, 'must specify a metric target type'));
  else errs.push(...enumOf(`${path}.type`, t.type, targetTypes));
  if (typeof t.averageUtilization === 'number' && t.averageUtilization <= 0) errs.push(fe.invalid(`${path}.averageUtilization`, t.averageUtilization, 'must be greater than 0'));
  if (t.type === 'Utilization' && t.averageUtilization == null) errs.push(fe.required(`${path}.averageUtilization`, 'must set averageUtilization when type is Utilization'));
  if (t.type === 'AverageValue' && t.averageValue == null) errs.push(fe.required(`${path}.averageValue`, 'must set averageValue when type is AverageValue'));
  if (t.type === 'Value' && t.value == null) errs.push(fe.required(`${path}.value`, 'must set value when type is Value'));
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
  if (m.type === 'Resource' || m.type === 'ContainerResource') {
    if (!src.name) errs.push(fe.required(`${sp}.name`));
    if (m.type === 'ContainerResource' && !src.container) errs.push(fe.required(`${sp}.container`));
  } else if (!isObject(src.metric) || !src.metric.name) {
    errs.push(fe.required(`${sp}.metric.name`));
  }
  if (m.type === 'Object' && !isObject(src.describedObject)) errs.push(fe.required(`${sp}.describedObject`));
  errs.push(...validateTarget(src.target, `${sp}.target`));
  return errs;
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
  },
  validate(o) {
    const spec = o.spec ?? {};
    const errs = validateScaleBounds(spec);
    arr(spec.metrics).forEach((m: any, i: number) => errs.push(...validateMetric(m, `spec.metrics[${i}]`)));
    return errs;
  },
});

/** scaleTargetRef, minReplicas and maxReplicas, as both versions have them */
function validateScaleBounds(spec: any): Errs {
  const errs: Errs = [];
  const ref = spec.scaleTargetRef ?? {};
  if (!ref.kind) errs.push(fe.required('spec.scaleTargetRef.kind'));
  else errs.push(...each('spec.scaleTargetRef.kind', ref.kind, isValidPathSegmentName(ref.kind)));
  if (!ref.name) errs.push(fe.required('spec.scaleTargetRef.name'));
  else errs.push(...each('spec.scaleTargetRef.name', ref.name, isValidPathSegmentName(ref.name)));
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
