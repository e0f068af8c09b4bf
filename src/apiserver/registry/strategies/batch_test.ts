import { test } from 'node:test';
import assert from 'node:assert/strict';
import { strategyFor } from './index.js';
import { create, update } from './testutil_test.js';

const jobs = strategyFor('batch', 'jobs');
const cronjobs = strategyFor('batch', 'cronjobs');
const uid = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const tpl = (restartPolicy?: string) => ({ spec: { ...(restartPolicy ? { restartPolicy } : {}), containers: [{ name: 'c', image: 'busybox:1' }] } });

test('job defaults and generated selector', () => {
  const { obj, errors } = create(jobs, { metadata: { name: 'pi', namespace: 'default' }, spec: { template: tpl('Never') } }, uid);
  assert.deepEqual(errors, []);
  const s = obj.spec;
  assert.equal(s.completions, 1);
  assert.equal(s.parallelism, 1);
  assert.equal(s.backoffLimit, 6);
  assert.equal(s.completionMode, 'NonIndexed');
  assert.equal(s.suspend, false);
  assert.equal(s.manualSelector, false);
  assert.deepEqual(s.selector, { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } });
  assert.deepEqual(s.template.metadata.labels, {
    'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': 'pi', 'controller-uid': uid, 'job-name': 'pi',
  });
  assert.equal(obj.metadata.generation, 1);
  // a Job without labels carries its template's, generated ones included (SetDefaults_Job)
  assert.deepEqual(obj.metadata.labels, obj.spec.template.metadata.labels);
  const labelled = create(jobs, { metadata: { name: 'pi', namespace: 'default', labels: { mine: 'x' } }, spec: { template: tpl('Never') } }, uid).obj;
  assert.deepEqual(labelled.metadata.labels, { mine: 'x' });
});

test('job validation: restartPolicy, manual selector, immutable template', () => {
  assert.deepEqual(create(jobs, { metadata: { name: 'pi', namespace: 'default' }, spec: { template: tpl() } }, uid).errors,
    ['spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"']);
  assert.deepEqual(create(jobs, { metadata: { name: 'pi', namespace: 'default' }, spec: { manualSelector: true, template: tpl('Never') } }, uid).errors,
    ['spec.selector: Required value']);
  const { obj: old } = create(jobs, { metadata: { name: 'pi', namespace: 'default' }, spec: { template: tpl('Never') } }, uid);
  old.metadata.resourceVersion = '5';
  const next = structuredClone(old); next.spec.template.spec.containers[0].image = 'busybox:2';
  const r = update(jobs, next, old);
  assert.equal(r.errors.length, 1);
  assert.match(r.errors[0], /^spec\.template: Invalid value: .*: field is immutable$/);
  const ok = structuredClone(old); ok.spec.activeDeadlineSeconds = 30;
  assert.deepEqual(update(jobs, ok, old).errors, []);
  assert.deepEqual(jobs.selectableFields!({ metadata: {}, status: { successful: 1 } }), { 'status.successful': '1' });
});

test('cronjob defaults and schedule validation', () => {
  const cj = (schedule?: string) => ({ metadata: { name: 'c', namespace: 'default' }, spec: { ...(schedule !== undefined ? { schedule } : {}), jobTemplate: { spec: { template: tpl('OnFailure') } } } });
  const { obj, errors } = create(cronjobs, cj('*/1 * * * *'));
  assert.deepEqual(errors, []);
  assert.equal(obj.spec.concurrencyPolicy, 'Allow');
  assert.equal(obj.spec.suspend, false);
  assert.equal(obj.spec.successfulJobsHistoryLimit, 3);
  assert.equal(obj.spec.failedJobsHistoryLimit, 1);
  assert.equal(obj.spec.jobTemplate.spec.template.spec.dnsPolicy, 'ClusterFirst');
  assert.deepEqual(create(cronjobs, cj()).errors, ['spec.schedule: Required value']);
  assert.deepEqual(create(cronjobs, cj('every minute')).errors, ['spec.schedule: Invalid value: "every minute": expected exactly 5 fields, found 2: [every minute]']);
  assert.deepEqual(create(cronjobs, cj('TZ=UTC 0 * * * *')).errors, ['spec.schedule: Invalid value: "TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead']);
});
