import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cronJobPrinter, jobPrinter } from './printers/batch.js';
import { NOW, ago, columnNames, obj } from './testutil_test.js';

const template = { spec: { containers: [{ name: 'pi', image: 'perl' }] } };
const selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': 'abc' } };

test('jobs: 1.32 columns STATUS COMPLETIONS DURATION AGE', () => {
  assert.deepEqual(columnNames(jobPrinter, 0), ['Name', 'Status', 'Completions', 'Duration', 'Age']);
  assert.deepEqual(columnNames(jobPrinter, 1), ['Containers', 'Images', 'Selector']);
  const done = obj('pi', {
    spec: { completions: 1, parallelism: 1, selector, template },
    status: { succeeded: 1, startTime: ago(290), completionTime: ago(250), conditions: [{ type: 'Complete', status: 'True' }] },
  });
  assert.deepEqual(jobPrinter.print(done, NOW).cells, ['pi', 'Complete', '1/1', '40s', '5m', 'pi', 'perl', 'batch.kubernetes.io/controller-uid=abc']);
});

test('job status and completion strings', () => {
  const job = (spec: object, status: object, meta = {}) => jobPrinter.print(obj('j', { spec: { template, ...spec }, status }, meta), NOW).cells;
  assert.deepEqual(job({ completions: 4 }, { succeeded: 1, startTime: ago(130) }).slice(1, 4), ['Running', '1/4', '2m10s']);
  assert.deepEqual(job({ parallelism: 3 }, {}).slice(1, 4), ['Running', '0/1 of 3', '']);
  assert.deepEqual(job({}, {}).slice(2, 3), ['0/1']);
  assert.equal(job({}, { conditions: [{ type: 'Failed', status: 'True' }] })[1], 'Failed');
  assert.equal(job({}, { conditions: [{ type: 'Suspended', status: 'True' }] })[1], 'Suspended');
  assert.equal(job({}, { conditions: [{ type: 'FailureTarget', status: 'True' }] })[1], 'FailureTarget');
  assert.equal(job({}, { conditions: [{ type: 'Complete', status: 'False' }] })[1], 'Running');
  assert.equal(job({}, {}, { deletionTimestamp: ago(1) })[1], 'Terminating');
});

test('cronjobs', () => {
  assert.deepEqual(columnNames(cronJobPrinter, 0), ['Name', 'Schedule', 'Timezone', 'Suspend', 'Active', 'Last Schedule', 'Age']);
  const cj = obj('hello', {
    spec: { schedule: '*/1 * * * *', suspend: false, jobTemplate: { spec: { template } } },
    status: { active: [{ name: 'hello-1' }], lastScheduleTime: ago(40) },
  });
  assert.deepEqual(cronJobPrinter.print(cj, NOW).cells, ['hello', '*/1 * * * *', '<none>', 'False', 1, '40s', '5m', 'pi', 'perl', '<none>']);
  const tz = obj('tz', { spec: { schedule: '0 0 * * *', timeZone: 'Etc/UTC', suspend: true, jobTemplate: { spec: { template } } } });
  assert.deepEqual(cronJobPrinter.print(tz, NOW).cells.slice(2, 6), ['Etc/UTC', 'True', 0, '<none>']);
});
