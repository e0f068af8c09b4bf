// batch/v1 Job and CronJob (upstream pkg/apis/batch/validation, batch/v1 defaults, job strategy).
import type { KObject } from '../../../api/types.js';
import { parseCron } from '../../../api/validation/index.js';
import { makeStrategy } from './base.js';
import { clone, deepEqual, enumOf, fe, immutable, nonNegative, obj, setDefault, isObject, type Errs } from './field.js';
import { selectorIsEmpty, selectorMatches, validateLabelSelector } from './meta.js';
import { validatePodTemplateSpec } from './podspec_validate.js';
import { defaultTemplate } from './workloads.js';

export const controllerUidLabel = 'batch.kubernetes.io/controller-uid';
export const jobNameLabel = 'batch.kubernetes.io/job-name';

function defaultJobSpec(spec: any): void {
  if (spec.completions == null && spec.parallelism == null) { spec.completions = 1; spec.parallelism = 1; }
  if (spec.parallelism == null) spec.parallelism = 1;
  if (spec.backoffLimit == null) spec.backoffLimit = spec.backoffLimitPerIndex != null ? 2147483647 : 6;
  setDefault(spec, 'completionMode', 'NonIndexed');
  if (spec.suspend == null) spec.suspend = false;
  if (spec.manualSelector == null) spec.manualSelector = false;
  setDefault(spec, 'podReplacementPolicy', spec.podFailurePolicy != null ? 'Failed' : 'TerminatingOrFailed');
  defaultTemplate(spec.template);
}

/** upstream generateSelector: the selector and template labels a Job gets unless manualSelector is set */
export function generateJobSelector(o: KObject): void {
  const spec = o.spec;
  const uid = o.metadata.uid;
  if (!isObject(spec) || spec.manualSelector === true || !uid) return;
  const t = obj(spec, 'template');
  const m = obj(t, 'metadata');
  const labels = obj(m, 'labels');
  const name = o.metadata.name ?? '';
  for (const [k, v] of [[controllerUidLabel, uid], [jobNameLabel, name], ['controller-uid', uid], ['job-name', name]]) {
    if (labels[k] === undefined) labels[k] = v;
  }
  if (!isObject(spec.selector)) spec.selector = {};
  const ml = spec.selector.matchLabels ?? {};
  if (ml[controllerUidLabel] === undefined) spec.selector.matchLabels = { ...ml, [controllerUidLabel]: uid };
}

function validateJobSpec(spec: any, path: string, opts: { selectorMustBeSet: boolean }): Errs {
  const errs: Errs = [];
  errs.push(...nonNegative(`${path}.parallelism`, spec.parallelism));
  errs.push(...nonNegative(`${path}.completions`, spec.completions));
  errs.push(...nonNegative(`${path}.backoffLimit`, spec.backoffLimit));
  if (spec.activeDeadlineSeconds != null && spec.activeDeadlineSeconds <= 0) {
    errs.push(fe.invalid(`${path}.activeDeadlineSeconds`, spec.activeDeadlineSeconds, 'must be greater than 0'));
  }
  errs.push(...nonNegative(`${path}.ttlSecondsAfterFinished`, spec.ttlSecondsAfterFinished));
  errs.push(...enumOf(`${path}.completionMode`, spec.completionMode, ['NonIndexed', 'Indexed']));
  if (spec.completionMode === 'Indexed' && spec.completions == null) {
    errs.push(fe.required(`${path}.completions`, 'when completion mode is Indexed'));
  }
  if (opts.selectorMustBeSet || spec.selector != null) {
    if (!isObject(spec.selector)) errs.push(fe.required(`${path}.selector`));
    else errs.push(...validateLabelSelector(spec.selector, `${path}.selector`));
  }
  const t = spec.template;
  if (!isObject(t)) { errs.push(fe.required(`${path}.template`)); return errs; }
  if (isObject(spec.selector) && !selectorIsEmpty(spec.selector) && !selectorMatches(spec.selector, t.metadata?.labels)) {
    errs.push(fe.invalid(`${path}.template.metadata.labels`, t.metadata?.labels ?? {}, '`selector` does not match template `labels`'));
  }
  errs.push(...validatePodTemplateSpec(t, `${path}.template`));
  const rp = t.spec?.restartPolicy;
  if (rp !== 'OnFailure' && rp !== 'Never') errs.push(fe.notSupported(`${path}.template.spec.restartPolicy`, rp ?? '', ['OnFailure', 'Never']));
  return errs;
}

function validateJobUpdate(o: KObject, old: KObject): Errs {
  const a = o.spec ?? {}; const b = old.spec ?? {};
  const errs: Errs = [];
  errs.push(...immutable('spec.selector', a.selector, b.selector));
  errs.push(...immutable('spec.completionMode', a.completionMode, b.completionMode));
  const indexedScale = a.completionMode === 'Indexed' && a.completions === a.parallelism && b.completions === b.parallelism;
  if (!indexedScale) errs.push(...immutable('spec.completions', a.completions, b.completions));
  if (b.podFailurePolicy != null || a.podFailurePolicy != null) errs.push(...immutable('spec.podFailurePolicy', a.podFailurePolicy, b.podFailurePolicy));
  // a suspended job that never started may change scheduling directives of its template
  const neverStarted = old.status?.startTime == null;
  let ta = a.template; const tb = b.template;
  if (b.suspend === true && neverStarted && isObject(ta) && isObject(tb)) {
    ta = clone(ta);
    ta.metadata = { ...(ta.metadata ?? {}), labels: tb.metadata?.labels, annotations: tb.metadata?.annotations };
    ta.spec = { ...(ta.spec ?? {}) };
    for (const k of ['nodeSelector', 'tolerations', 'affinity', 'schedulingGates']) ta.spec[k] = tb.spec?.[k];
  }
  if (!deepEqual(ta, tb)) errs.push(fe.invalid('spec.template', a.template ?? null, 'field is immutable'));
  return errs;
}

export const jobStrategy = makeStrategy({
  namespaced: true, status: 'subresource', generation: 'spec',
  defaults(o) { defaultJobSpec(obj(o, 'spec')); },
  create(o) {
    generateJobSelector(o);
    // upstream's SetDefaults_Job (which also runs on every read, after the selector labels were
    // added to the template): a Job without labels carries its pod template's
    const tl = o.spec?.template?.metadata?.labels;
    if (tl && !Object.keys(o.metadata.labels ?? {}).length) o.metadata.labels = { ...tl };
  },
  validate(o) {
    // upstream generates the selector during create validation, once the uid is known
    if (!o.metadata.resourceVersion) generateJobSelector(o);
    return validateJobSpec(o.spec ?? {}, 'spec', { selectorMustBeSet: true });
  },
  validateUpdate: validateJobUpdate,
  selectableFields: (o) => ({ 'status.successful': String(o.status?.successful ?? 0) }),
});

// ---- CronJob ----

function defaultCronJob(o: KObject): void {
  const spec = obj(o, 'spec');
  setDefault(spec, 'concurrencyPolicy', 'Allow');
  if (spec.suspend == null) spec.suspend = false;
  if (spec.successfulJobsHistoryLimit == null) spec.successfulJobsHistoryLimit = 3;
  if (spec.failedJobsHistoryLimit == null) spec.failedJobsHistoryLimit = 1;
  const jt = obj(spec, 'jobTemplate');
  const js = obj(jt, 'spec');
  defaultTemplate(js.template);
}

function validateCronJob(o: KObject): Errs {
  const errs: Errs = [];
  if ((o.metadata.name ?? '').length > 52) errs.push(fe.invalid('metadata.name', o.metadata.name, 'must be no more than 52 characters'));
  const spec = o.spec ?? {};
  if (!spec.schedule) errs.push(fe.required('spec.schedule'));
  else {
    if (/TZ/.test(spec.schedule)) errs.push(fe.invalid('spec.schedule', spec.schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'));
    else {
      const err = parseCron(spec.schedule);
      if (err) errs.push(fe.invalid('spec.schedule', spec.schedule, err));
    }
  }
  errs.push(...enumOf('spec.concurrencyPolicy', spec.concurrencyPolicy, ['Allow', 'Forbid', 'Replace'], true));
  errs.push(...nonNegative('spec.startingDeadlineSeconds', spec.startingDeadlineSeconds));
  errs.push(...nonNegative('spec.successfulJobsHistoryLimit', spec.successfulJobsHistoryLimit));
  errs.push(...nonNegative('spec.failedJobsHistoryLimit', spec.failedJobsHistoryLimit));
  if (spec.timeZone != null && (spec.timeZone === '' || !validTimeZone(spec.timeZone))) {
    errs.push(fe.invalid('spec.timeZone', spec.timeZone, 'unknown time zone ' + spec.timeZone));
  }
  const js = spec.jobTemplate?.spec;
  if (!isObject(js)) errs.push(fe.required('spec.jobTemplate.spec'));
  else errs.push(...validateJobSpec(js, 'spec.jobTemplate.spec', { selectorMustBeSet: false }));
  return errs;
}

function validTimeZone(tz: string): boolean {
  try { new Intl.DateTimeFormat('en-US', { timeZone: tz }); return true; } catch { return false; }
}

export const cronJobStrategy = makeStrategy({
  namespaced: true, status: 'subresource', generation: 'spec',
  defaults: defaultCronJob,
  validate: validateCronJob,
});
