// events.k8s.io/v1 Event <-> core/v1 Event (upstream pkg/apis/events/v1 conversion): one Event
// object, stored as core/v1, seen through either API, so `kubectl describe` shows the events a
// controller wrote with the events.k8s.io recorder and the other way round.
import type { KObject } from './types.js';

function pick(o: any, pairs: [string, string][]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [from, to] of pairs) if (o[from] !== undefined && o[from] !== null) out[to] = o[from];
  return out;
}

const shared: [string, string][] = [['type', 'type'], ['reason', 'reason'], ['action', 'action'], ['related', 'related'], ['reportingInstance', 'reportingInstance'], ['eventTime', 'eventTime']];

/** a stored core/v1 Event as events.k8s.io/v1 shows it */
export function eventToV1(o: KObject): KObject {
  const out: KObject = {
    apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: o.metadata,
    ...pick(o, [...shared, ['involvedObject', 'regarding'], ['message', 'note'], ['reportingComponent', 'reportingController'],
      ['source', 'deprecatedSource'], ['firstTimestamp', 'deprecatedFirstTimestamp'], ['lastTimestamp', 'deprecatedLastTimestamp'], ['count', 'deprecatedCount']]),
  };
  if (o.series) out.series = { count: o.series.count, lastObservedTime: o.series.lastObservedTime };
  if (out.eventTime === undefined) out.eventTime = null;
  return out;
}

/** an events.k8s.io/v1 Event as core/v1 (storage) holds it */
export function eventToCore(o: KObject): KObject {
  const out: KObject = {
    apiVersion: 'v1', kind: 'Event', metadata: o.metadata,
    ...pick(o, [...shared, ['regarding', 'involvedObject'], ['note', 'message'], ['reportingController', 'reportingComponent'],
      ['deprecatedSource', 'source'], ['deprecatedFirstTimestamp', 'firstTimestamp'], ['deprecatedLastTimestamp', 'lastTimestamp'], ['deprecatedCount', 'count']]),
  };
  if (o.series) out.series = { count: o.series.count, lastObservedTime: o.series.lastObservedTime };
  out.involvedObject ??= {};
  return out;
}
