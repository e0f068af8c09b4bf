// apps/v1 workloads and ReplicationController (upstream pkg/apis/apps/validation, apps/v1 defaults).
import type { KObject } from '../../../api/types.js';
import { makeStrategy } from './base.js';
import { fe, each, enumOf, intOrPercent, immutable, nonNegative, obj, setDefault, isObject, clone, type Errs } from './field.js';
import { mapSelectorMatches, selectorIsEmpty, selectorMatches, validateAnnotations, validateLabelSelector, validateLabels } from './meta.js';
import { defaultPodSpec } from './podspec_defaults.js';
import { validatePodTemplateSpec } from './podspec_validate.js';
import { defaultPVCSpec } from './storage_defaults.js';

export function defaultTemplate(t: any): void {
  if (!isObject(t)) return;
  t.metadata ??= {};
  t.spec ??= {};
  defaultPodSpec(t.spec);
}

function defaultReplicas(spec: any): void {
  if (spec.replicas === undefined || spec.replicas === null) spec.replicas = 1;
}

function defaultRevisionHistory(spec: any): void {
  if (spec.revisionHistoryLimit === undefined || spec.revisionHistoryLimit === null) spec.revisionHistoryLimit = 10;
}

function isZero(v: unknown): boolean {
  return v === 0 || v === '0%' || (typeof v === 'string' && /^0+%$/.test(v));
}

/** selector + template checks shared by the apps workloads (ValidatePodTemplateSpecForReplicaSet & co.) */
function validateSelectorAndTemplate(spec: any, kindWord: string, opts: { requireAlways: boolean; podSpec?: boolean }): Errs {
  const errs: Errs = [];
  if (!isObject(spec.selector)) errs.push(fe.required('spec.selector'));
  else {
    errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
    if (selectorIsEmpty(spec.selector)) errs.push(fe.invalid('spec.selector', spec.selector, `empty selector is invalid for ${kindWord}`));
  }
  const t = spec.template;
  if (!isObject(t)) { errs.push(fe.required('spec.template')); return errs; }
  if (isObject(spec.selector) && !selectorIsEmpty(spec.selector) && !selectorMatches(spec.selector, t.metadata?.labels)) {
    errs.push(fe.invalid('spec.template.metadata.labels', t.metadata?.labels ?? {}, '`selector` does not match template `labels`'));
  }
  if (opts.podSpec === false) {
    // upstream's ValidatePodTemplateSpecForStatefulSet: labels and annotations only (the pod spec's
    // volume mounts may name volumeClaimTemplates, which are volumes only in the pods)
    const m = isObject(t.metadata) ? t.metadata : {};
    errs.push(...validateLabels(m.labels, 'spec.template.labels'), ...validateAnnotations(m.annotations, 'spec.template.annotations'));
  } else {
    errs.push(...validatePodTemplateSpec(t, 'spec.template'));
  }
  if (opts.requireAlways && t.spec?.restartPolicy !== 'Always') {
    errs.push(fe.notSupported('spec.template.spec.restartPolicy', t.spec?.restartPolicy ?? '', ['Always']));
  }
  if (opts.requireAlways && t.spec?.activeDeadlineSeconds != null) {
    errs.push(fe.invalid('spec.template.spec.activeDeadlineSeconds', t.spec.activeDeadlineSeconds, `activeDeadlineSeconds in ${kindWord === 'daemonset' ? 'DaemonSet' : kindWord === 'statefulset' ? 'StatefulSet' : 'ReplicaSet'} is not Supported`));
  }
  return errs;
}

function common(spec: any): Errs {
  return [
    ...nonNegative('spec.replicas', spec.replicas),
    ...nonNegative('spec.minReadySeconds', spec.minReadySeconds),
    ...nonNegative('spec.revisionHistoryLimit', spec.revisionHistoryLimit),
  ];
}

const replicasScale = { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.spec.selector' };

// ---- Deployment ----

function defaultDeployment(o: KObject): void {
  const spec = obj(o, 'spec');
  defaultReplicas(spec);
  const st = obj(spec, 'strategy');
  setDefault(st, 'type', 'RollingUpdate');
  if (st.type === 'RollingUpdate') {
    const ru = obj(st, 'rollingUpdate');
    if (ru.maxUnavailable === undefined || ru.maxUnavailable === null) ru.maxUnavailable = '25%';
    if (ru.maxSurge === undefined || ru.maxSurge === null) ru.maxSurge = '25%';
  }
  defaultRevisionHistory(spec);
  if (spec.progressDeadlineSeconds === undefined || spec.progressDeadlineSeconds === null) spec.progressDeadlineSeconds = 600;
  defaultTemplate(spec.template);
}

function validateDeployment(o: KObject): Errs {
  const spec = o.spec ?? {};
  const errs = [...common(spec), ...validateSelectorAndTemplate(spec, 'deployment', { requireAlways: true })];
  const st = spec.strategy ?? {};
  errs.push(...enumOf('spec.strategy.type', st.type, ['Recreate', 'RollingUpdate'], true));
  if (st.type === 'Recreate' && st.rollingUpdate != null) {
    errs.push(fe.forbidden('spec.strategy.rollingUpdate', "may not be specified when strategy `type` is 'Recreate'"));
  }
  if (st.type === 'RollingUpdate' && isObject(st.rollingUpdate)) {
    const { maxUnavailable, maxSurge } = st.rollingUpdate;
    errs.push(...intOrPercent(maxUnavailable, 'spec.strategy.rollingUpdate.maxUnavailable'));
    errs.push(...intOrPercent(maxSurge, 'spec.strategy.rollingUpdate.maxSurge'));
    if (isZero(maxUnavailable) && isZero(maxSurge)) {
      errs.push(fe.invalid('spec.strategy.rollingUpdate.maxUnavailable', maxUnavailable, 'may not be 0 when `maxSurge` is 0'));
    }
  }
  if (spec.progressDeadlineSeconds != null) {
    errs.push(...nonNegative('spec.progressDeadlineSeconds', spec.progressDeadlineSeconds));
    if (spec.progressDeadlineSeconds <= (spec.minReadySeconds ?? 0)) {
      errs.push(fe.invalid('spec.progressDeadlineSeconds', spec.progressDeadlineSeconds, 'must be greater than minReadySeconds'));
    }
  }
  return errs;
}

export const deploymentStrategy = makeStrategy({
  statusMayChange: ['annotations'],
  namespaced: true, status: 'subresource', generation: 'spec+annotations',
  defaults: defaultDeployment,
  validate: validateDeployment,
  validateUpdate: (o, old) => immutable('spec.selector', o.spec?.selector, old.spec?.selector),
  scale: replicasScale,
});

// ---- ReplicaSet ----

export const replicaSetStrategy = makeStrategy({
  statusMayChange: ['annotations'],
  namespaced: true, status: 'subresource', generation: 'spec',
  defaults(o) { const spec = obj(o, 'spec'); defaultReplicas(spec); defaultTemplate(spec.template); },
  validate(o) { const spec = o.spec ?? {}; return [...common(spec), ...validateSelectorAndTemplate(spec, 'replicaset', { requireAlways: true })]; },
  validateUpdate: (o, old) => immutable('spec.selector', o.spec?.selector, old.spec?.selector),
  selectableFields: (o) => ({ 'status.replicas': String(o.status?.replicas ?? 0) }),
  scale: replicasScale,
});

// ---- StatefulSet ----

function defaultStatefulSet(o: KObject): void {
  const spec = obj(o, 'spec');
  setDefault(spec, 'podManagementPolicy', 'OrderedReady');
  const us = obj(spec, 'updateStrategy');
  setDefault(us, 'type', 'RollingUpdate');
  if (us.type === 'RollingUpdate') {
    const ru = obj(us, 'rollingUpdate');
    if (ru.partition === undefined || ru.partition === null) ru.partition = 0;
  }
  const pr = obj(spec, 'persistentVolumeClaimRetentionPolicy');
  setDefault(pr, 'whenDeleted', 'Retain');
  setDefault(pr, 'whenScaled', 'Retain');
  defaultReplicas(spec);
  defaultRevisionHistory(spec);
  defaultTemplate(spec.template);
  for (const c of Array.isArray(spec.volumeClaimTemplates) ? spec.volumeClaimTemplates : []) {
    if (!isObject(c)) continue;
    setDefault(c, 'apiVersion', 'v1');
    setDefault(c, 'kind', 'PersistentVolumeClaim');
    defaultPVCSpec(obj(c, 'spec'));
    const st = obj(c, 'status');
    setDefault(st, 'phase', 'Pending');
  }
}

function validateStatefulSet(o: KObject): Errs {
  const spec = o.spec ?? {};
  const errs = [...common(spec), ...validateSelectorAndTemplate(spec, 'statefulset', { requireAlways: true, podSpec: false })];
  errs.push(...enumOf('spec.podManagementPolicy', spec.podManagementPolicy, ['OrderedReady', 'Parallel'], true));
  const us = spec.updateStrategy ?? {};
  errs.push(...enumOf('spec.updateStrategy.type', us.type, ['RollingUpdate', 'OnDelete'], true));
  if (us.type === 'OnDelete' && us.rollingUpdate != null) {
    errs.push(fe.invalid('spec.updateStrategy.rollingUpdate', us.rollingUpdate, "only allowed for updateStrategy 'RollingUpdate'"));
  }
  if (us.type === 'RollingUpdate' && isObject(us.rollingUpdate)) {
    errs.push(...nonNegative('spec.updateStrategy.rollingUpdate.partition', us.rollingUpdate.partition));
    if (us.rollingUpdate.maxUnavailable != null) errs.push(...intOrPercent(us.rollingUpdate.maxUnavailable, 'spec.updateStrategy.rollingUpdate.maxUnavailable'));
  }
  const pr = spec.persistentVolumeClaimRetentionPolicy ?? {};
  errs.push(...enumOf('spec.persistentVolumeClaimRetentionPolicy.whenDeleted', pr.whenDeleted, ['Retain', 'Delete']));
  errs.push(...enumOf('spec.persistentVolumeClaimRetentionPolicy.whenScaled', pr.whenScaled, ['Retain', 'Delete']));
  if (spec.ordinals != null) errs.push(...nonNegative('spec.ordinals.start', spec.ordinals.start));
  return errs;
}

/** upstream: updates to statefulset spec for fields other than these are forbidden */
const stsUpdatable = ['replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds', 'revisionHistoryLimit'];
function validateStatefulSetUpdate(o: KObject, old: KObject): Errs {
  const a = clone(o.spec ?? {}); const b = old.spec ?? {};
  for (const k of stsUpdatable) a[k] = b[k];
  const { volumeClaimTemplates: av, ...ar } = a; const { volumeClaimTemplates: bv, ...br } = b;
  const same = JSON.stringify(sortKeys(ar)) === JSON.stringify(sortKeys(br)) && JSON.stringify(sortKeys(stripStatus(av))) === JSON.stringify(sortKeys(stripStatus(bv)));
  return same ? [] : [fe.forbidden('spec', "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden")];
}
function stripStatus(v: any): any { return Array.isArray(v) ? v.map((c) => { const { status: _s, ...r } = c ?? {}; return r; }) : v; }
function sortKeys(v: any): any {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (isObject(v)) return Object.fromEntries(Object.keys(v).sort().filter((k) => v[k] !== undefined).map((k) => [k, sortKeys(v[k])]));
  return v;
}

export const statefulSetStrategy = makeStrategy({
  statusMayChange: ['annotations'],
  namespaced: true, status: 'subresource', generation: 'spec',
  defaults: defaultStatefulSet,
  validate: validateStatefulSet,
  validateUpdate: validateStatefulSetUpdate,
  scale: replicasScale,
});

// ---- DaemonSet ----

function defaultDaemonSet(o: KObject): void {
  const spec = obj(o, 'spec');
  const us = obj(spec, 'updateStrategy');
  setDefault(us, 'type', 'RollingUpdate');
  if (us.type === 'RollingUpdate') {
    const ru = obj(us, 'rollingUpdate');
    if (ru.maxUnavailable === undefined || ru.maxUnavailable === null) ru.maxUnavailable = 1;
    if (ru.maxSurge === undefined || ru.maxSurge === null) ru.maxSurge = 0;
  }
  defaultRevisionHistory(spec);
  defaultTemplate(spec.template);
}

function validateDaemonSet(o: KObject): Errs {
  const spec = o.spec ?? {};
  const errs = [...nonNegative('spec.minReadySeconds', spec.minReadySeconds), ...nonNegative('spec.revisionHistoryLimit', spec.revisionHistoryLimit)];
  errs.push(...validateSelectorAndTemplate(spec, 'daemonset', { requireAlways: true }));
  const us = spec.updateStrategy ?? {};
  errs.push(...enumOf('spec.updateStrategy.type', us.type, ['OnDelete', 'RollingUpdate'], true));
  if (us.type === 'RollingUpdate' && isObject(us.rollingUpdate)) {
    const { maxUnavailable, maxSurge } = us.rollingUpdate;
    errs.push(...intOrPercent(maxUnavailable, 'spec.updateStrategy.rollingUpdate.maxUnavailable'));
    errs.push(...intOrPercent(maxSurge, 'spec.updateStrategy.rollingUpdate.maxSurge'));
    const hasUnavailable = maxUnavailable != null && !isZero(maxUnavailable);
    const hasSurge = maxSurge != null && !isZero(maxSurge);
    if (hasUnavailable && hasSurge) errs.push(fe.invalid('spec.updateStrategy.rollingUpdate.maxSurge', maxSurge, 'may not be set when maxUnavailable is non-zero'));
    if (!hasUnavailable && !hasSurge) errs.push(fe.required('spec.updateStrategy.rollingUpdate.maxUnavailable', 'cannot be 0 when maxSurge is 0'));
  }
  return errs;
}

export const daemonSetStrategy = makeStrategy({
  statusMayChange: ['annotations'],
  namespaced: true, status: 'subresource', generation: 'spec',
  defaults: defaultDaemonSet,
  validate: validateDaemonSet,
  validateUpdate: (o, old) => immutable('spec.selector', o.spec?.selector, old.spec?.selector),
});

// ---- ReplicationController (core/v1) ----

function defaultRC(o: KObject): void {
  const spec = obj(o, 'spec');
  const tl = spec.template?.metadata?.labels;
  if (isObject(tl)) {
    if (!isObject(spec.selector) || Object.keys(spec.selector).length === 0) spec.selector = { ...tl };
    if (!isObject(o.metadata.labels) || Object.keys(o.metadata.labels).length === 0) o.metadata.labels = { ...tl };
  }
  defaultReplicas(spec);
  defaultTemplate(spec.template);
}

function validateRC(o: KObject): Errs {
  const spec = o.spec ?? {};
  const errs = [...nonNegative('spec.replicas', spec.replicas), ...nonNegative('spec.minReadySeconds', spec.minReadySeconds)];
  const sel = spec.selector;
  if (!isObject(sel) || Object.keys(sel).length === 0) errs.push(fe.required('spec.selector'));
  else errs.push(...validateLabels(sel, 'spec.selector'));
  const t = spec.template;
  if (!isObject(t)) errs.push(fe.required('spec.template'));
  else {
    if (isObject(sel) && Object.keys(sel).length && !mapSelectorMatches(sel, t.metadata?.labels)) {
      errs.push(fe.invalid('spec.template.metadata.labels', t.metadata?.labels ?? {}, '`selector` does not match template `labels`'));
    }
    errs.push(...validatePodTemplateSpec(t, 'spec.template'));
    if (t.spec?.restartPolicy !== 'Always') errs.push(fe.notSupported('spec.template.spec.restartPolicy', t.spec?.restartPolicy ?? '', ['Always']));
  }
  return errs;
}

export const replicationControllerStrategy = makeStrategy({
  namespaced: true, status: 'subresource', generation: 'spec',
  defaults: defaultRC,
  validate: validateRC,
  selectableFields: (o) => ({ 'status.replicas': String(o.status?.replicas ?? 0) }),
  scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.spec.selector' },
});

// ---- ControllerRevision ----

export const controllerRevisionStrategy = makeStrategy({
  namespaced: true,
  validate(o) {
    const errs: Errs = [];
    if (typeof o.revision === 'number' && o.revision < 0) errs.push(fe.invalid('revision', o.revision, 'must be greater than or equal to 0'));
    return errs;
  },
  validateUpdate(o, old) {
    return immutable('data', o.data, old.data);
  },
});
