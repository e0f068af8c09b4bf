// HorizontalPodAutoscaler defaults and validation, with upstream's messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../../api/types.js';
import { horizontalPodAutoscalerStrategy as hpas } from './autoscaling.js';
import { create } from './testutil_test.js';

const hpa = (spec: object): KObject => ({
  apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h', namespace: 'default' },
  spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, maxReplicas: 5, ...spec },
});
const metric = (type: string, src: object) => ({ type, [type[0].toLowerCase() + type.slice(1)]: src });

test('a behavior that is set gets every unset rule from the defaults; none stays none', () => {
  assert.equal(create(hpas, hpa({})).obj.spec.behavior, undefined);
  const { obj, errors } = create(hpas, hpa({ behavior: { scaleDown: { stabilizationWindowSeconds: 60 } } }));
  assert.deepEqual(errors, []);
  assert.deepEqual(obj.spec.behavior, {
    scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }] },
    scaleDown: { stabilizationWindowSeconds: 60, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
  });
  const own = create(hpas, hpa({ behavior: { scaleUp: { selectPolicy: 'Disabled', policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] } } })).obj.spec.behavior.scaleUp;
  assert.deepEqual(own, { stabilizationWindowSeconds: 0, selectPolicy: 'Disabled', policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] });
});

test('behavior rules are checked as upstream', () => {
  const errs = create(hpas, hpa({ behavior: {
    scaleUp: { stabilizationWindowSeconds: 3601, selectPolicy: 'Most', policies: [{ type: 'Replicas', value: 0, periodSeconds: 1801 }] },
    scaleDown: { stabilizationWindowSeconds: -1, policies: [] },
  } })).errors;
  assert.deepEqual(errs, [
    'spec.behavior.scaleUp.stabilizationWindowSeconds: Invalid value: 3601: must be less than or equal to 3600',
    'spec.behavior.scaleUp.selectPolicy: Unsupported value: "Most": supported values: "Disabled", "Max", "Min"',
    'spec.behavior.scaleUp.policies[0].type: Unsupported value: "Replicas": supported values: "Percent", "Pods"',
    'spec.behavior.scaleUp.policies[0].value: Invalid value: 0: must be greater than zero',
    'spec.behavior.scaleUp.policies[0].periodSeconds: Invalid value: 1801: must be less than or equal to 1800',
    'spec.behavior.scaleDown.stabilizationWindowSeconds: Invalid value: -1: must be greater than or equal to zero',
    'spec.behavior.scaleDown.policies: Required value: must specify at least one Policy',
  ]);
});

test('each metric source needs the target values upstream requires', () => {
  const errs = (m: object) => create(hpas, hpa({ metrics: [m] })).errors;
  assert.deepEqual(errs(metric('Resource', { name: 'cpu', target: { type: 'Value', value: '1' } })),
    ['spec.metrics[0].resource.target.averageUtilization: Required value: must set either a target raw value or a target utilization']);
  assert.deepEqual(errs(metric('Resource', { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50, averageValue: '100m' } })),
    ['spec.metrics[0].resource.target.averageValue: Forbidden: may not set both a target raw value and a target utilization']);
  assert.deepEqual(errs(metric('Resource', { name: 'memory', target: { type: 'AverageValue', averageValue: '0' } })),
    ['spec.metrics[0].resource.target.averageValue: Invalid value: "0": must be positive']);
  assert.deepEqual(errs(metric('Pods', { metric: { name: 'rps' }, target: { type: 'Value', value: '10' } })),
    ['spec.metrics[0].pods.target.averageValue: Required value: must specify a positive target averageValue']);
  assert.deepEqual(errs(metric('External', { metric: { name: 'queue' }, target: { type: 'Value', value: '10', averageValue: '2' } })),
    ['spec.metrics[0].external.target.value: Forbidden: may not set both a target value for metric and a per-pod target']);
  assert.deepEqual(errs(metric('Object', { metric: { name: 'hits' }, describedObject: { kind: 'Ingress' }, target: { type: 'Average' } })), [
    'spec.metrics[0].object.describedObject.name: Required value',
    'spec.metrics[0].object.target.type: Invalid value: "Average": must be either Utilization, Value, or AverageValue',
    'spec.metrics[0].object.target.averageValue: Required value: must set either a target value or averageValue',
  ]);
  assert.deepEqual(errs(metric('ContainerResource', { name: 'cpu', container: 'Web_1', target: { type: 'Utilization', averageUtilization: 0 } })), [
    'spec.metrics[0].containerResource.container: Invalid value: "Web_1": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or \'-\', and must start and end with an alphanumeric character (e.g. \'my-name\',  or \'123-abc\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?\')',
    'spec.metrics[0].containerResource.target.averageUtilization: Invalid value: 0: must be greater than 0',
  ]);
  assert.deepEqual(errs(metric('Pods', { metric: { name: 'rps' }, target: { type: 'AverageValue', averageValue: 100 } })), []);
});
