// Printers for batch/v1: jobs (STATUS COMPLETIONS DURATION AGE, as served since 1.30) and cronjobs.
import type { KObject } from '../../../api/types.js';
import { humanDuration, parseTime, since } from '../duration.js';
import { boolPtr, containerCells, formatLabelSelector, int } from '../format.js';
import { ageCol, col, containersCol, imagesCol, nameCol, type Printer } from '../types.js';

function jobCondition(o: KObject, type: string): boolean {
  const c = (o.status?.conditions ?? []).find((c: any) => c.type === type);
  return c?.status === 'True';
}

export function jobStatus(o: KObject): string {
  if (jobCondition(o, 'Complete')) return 'Complete';
  if (jobCondition(o, 'Failed')) return 'Failed';
  if (o.metadata.deletionTimestamp) return 'Terminating';
  if (jobCondition(o, 'Suspended')) return 'Suspended';
  if (jobCondition(o, 'FailureTarget')) return 'FailureTarget';
  return 'Running';
}

export const jobPrinter: Printer = {
  columns: [nameCol(), col('Status', 'string', 'Status of the job.'),
    col('Completions', 'string', 'The number of pods which reached phase Succeeded.'),
    col('Duration', 'string', 'Time required to complete the job.'), ageCol(), containersCol(), imagesCol(),
    col('Selector', 'string', 'A label query over pods that should match the pod count.', 1)],
  print(o, now) {
    const spec = o.spec ?? {};
    const succeeded = int(o.status?.succeeded);
    let completions: string;
    if (typeof spec.completions === 'number') completions = `${succeeded}/${spec.completions}`;
    else if (int(spec.parallelism) > 1) completions = `${succeeded}/1 of ${spec.parallelism}`;
    else completions = `${succeeded}/1`;
    const start = parseTime(o.status?.startTime);
    const end = parseTime(o.status?.completionTime);
    let duration = '';
    if (start !== undefined) duration = humanDuration((end ?? now.getTime()) - start);
    const [names, images] = containerCells(spec.template?.spec?.containers);
    return { cells: [o.metadata.name, jobStatus(o), completions, duration, since(o.metadata.creationTimestamp, now), names, images, formatLabelSelector(spec.selector)] };
  },
};

export const cronJobPrinter: Printer = {
  columns: [nameCol(), col('Schedule', 'string', 'The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.'),
    col('Timezone', 'string', 'The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones.'),
    col('Suspend', 'boolean', 'This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.'),
    col('Active', 'integer', 'A list of pointers to currently running jobs.'),
    col('Last Schedule', 'string', 'Information when was the last time the job was successfully scheduled.'), ageCol(), containersCol(), imagesCol(),
    col('Selector', 'string', 'A label query over pods that should match the pod count.', 1)],
  print(o, now) {
    const spec = o.spec ?? {};
    const last = o.status?.lastScheduleTime ? since(o.status.lastScheduleTime, now) : '<none>';
    const jt = spec.jobTemplate?.spec ?? {};
    const [names, images] = containerCells(jt.template?.spec?.containers);
    return {
      cells: [o.metadata.name, spec.schedule ?? '', spec.timeZone ?? '<none>', boolPtr(spec.suspend), (o.status?.active ?? []).length, last,
        since(o.metadata.creationTimestamp, now), names, images, formatLabelSelector(jt.selector)],
    };
  },
};
