// Event rows (core/v1 and events.k8s.io/v1): LAST SEEN TYPE REASON OBJECT MESSAGE; wide SUBOBJECT SOURCE FIRST SEEN COUNT NAME.
import type { KObject } from '../../../api/types.js';
import { since } from '../duration.js';
import { col, nameCol, type Printer } from '../types.js';

interface EventView {
  name: string; type: string; reason: string; message: string;
  involved: { kind?: string; name?: string; fieldPath?: string };
  source: { component?: string; host?: string };
  reportingController: string; reportingInstance: string;
  firstTimestamp?: string; lastTimestamp?: string; eventTime?: string; count: number;
  series?: { count?: number; lastObservedTime?: string };
}

/** Normalizes either API's Event to the fields the printer needs (as upstream converts both to the internal type). */
function view(o: KObject): EventView {
  const isNew = typeof o.apiVersion === 'string' && o.apiVersion.startsWith('events.k8s.io/');
  if (isNew || (o.regarding && !o.involvedObject)) {
    return {
      name: o.metadata.name ?? '', type: o.type ?? '', reason: o.reason ?? '', message: o.note ?? '',
      involved: o.regarding ?? {}, source: o.deprecatedSource ?? {},
      reportingController: o.reportingController ?? '', reportingInstance: o.reportingInstance ?? '',
      firstTimestamp: o.deprecatedFirstTimestamp, lastTimestamp: o.deprecatedLastTimestamp, eventTime: o.eventTime,
      count: o.deprecatedCount ?? 0, series: o.series,
    };
  }
  return {
    name: o.metadata.name ?? '', type: o.type ?? '', reason: o.reason ?? '', message: o.message ?? '',
    involved: o.involvedObject ?? {}, source: o.source ?? {},
    reportingController: o.reportingComponent ?? '', reportingInstance: o.reportingInstance ?? '',
    firstTimestamp: o.firstTimestamp, lastTimestamp: o.lastTimestamp, eventTime: o.eventTime,
    count: o.count ?? 0, series: o.series,
  };
}

function formatSource(e: EventView): string {
  const component = e.source.component || e.reportingController;
  const instance = e.source.host || e.reportingInstance;
  return instance ? `${component}, ${instance}` : component;
}

export const eventPrinter: Printer = {
  columns: [
    col('Last Seen', 'string', 'The time at which the most recent occurrence of this event was recorded.'),
    col('Type', 'string', 'Type of this event (Normal, Warning), new types could be added in the future'),
    col('Reason', 'string', 'This should be a short, machine understandable string that gives the reason for the transition into the object\'s current status.'),
    col('Object', 'string', 'The object that this event is about.'),
    col('Subobject', 'string', 'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement.', 1),
    col('Source', 'string', 'The component reporting this event. Should be a short machine understandable string.', 1),
    col('Message', 'string', 'A human-readable description of the status of this operation.'),
    col('First Seen', 'string', 'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)', 1),
    col('Count', 'string', 'The number of times this event has occurred.', 1),
    { ...nameCol(), priority: 1 },
  ],
  print(o, now) {
    const e = view(o);
    const first = e.firstTimestamp ? since(e.firstTimestamp, now) : since(e.eventTime, now);
    let last = e.lastTimestamp ? since(e.lastTimestamp, now) : first;
    let count = e.count;
    if (e.series) {
      last = since(e.series.lastObservedTime, now);
      count = e.series.count ?? 0;
    } else if (count === 0) {
      count = 1;
    }
    const kind = (e.involved.kind ?? '').toLowerCase();
    const target = e.involved.name ? `${kind}/${e.involved.name}` : kind;
    return {
      cells: [last, e.type, e.reason, target, e.involved.fieldPath ?? '', formatSource(e), e.message.trim(), first, count, e.name],
    };
  },
};
