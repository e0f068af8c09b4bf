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
/** core/v1 field -> events.k8s.io/v1 field */
const renamed: [string, string][] = [['involvedObject', 'regarding'], ['message', 'note'], ['reportingComponent', 'reportingController'],
  ['source', 'deprecatedSource'], ['firstTimestamp', 'deprecatedFirstTimestamp'], ['lastTimestamp', 'deprecatedLastTimestamp'], ['count', 'deprecatedCount']];

function convert(o: KObject, apiVersion: string, pairs: [string, string][]): KObject {
  const out: KObject = { apiVersion, kind: 'Event', metadata: o.metadata, ...pick(o, [...shared, ...pairs]) };
  if (o.series) out.series = { count: o.series.count, lastObservedTime: o.series.lastObservedTime };
  return out;
}

/** a stored core/v1 Event as events.k8s.io/v1 shows it */
export function eventToV1(o: KObject): KObject {
  const out = convert(o, 'events.k8s.io/v1', renamed);
  out.eventTime ??= null;
  return out;
}

/** an events.k8s.io/v1 Event as core/v1 (storage) holds it */
export function eventToCore(o: KObject): KObject {
  const out = convert(o, 'v1', renamed.map(([core, v1]) => [v1, core]));
  out.involvedObject ??= {};
  return out;
}
