// Event recorder: core/v1 Events about objects, as client-go's record.EventRecorder.
// Identical repeats bump count/lastTimestamp on the first Event (a patch); more than 10 similar
// events (same object, type and reason, other messages) within 10 minutes are combined into one.
import type { KObject } from '../api/types.js';
import { isNotFound } from './errors.js';
import { rfc3339 } from './microtime.js';
import type { RestClient } from './rest.js';

export const coreEvents = { group: '', version: 'v1', plural: 'events', namespaced: true, kind: 'Event' };

export interface EventSource { component: string; host?: string }
export type EventType = 'Normal' | 'Warning';

export interface ObjectReference {
  kind?: string; namespace?: string; name?: string; uid?: string;
  apiVersion?: string; resourceVersion?: string; fieldPath?: string;
}

interface Seen { name: string; count: number; firstTimestamp: string }
interface Similar { messages: Set<string>; since: number }

const maxLruEntries = 4096;
const similarThreshold = 10;
const similarWindowMs = 600_000;

function lruSet<K, V>(m: Map<K, V>, k: K, v: V): void {
  m.delete(k);
  m.set(k, v);
  if (m.size > maxLruEntries) m.delete(m.keys().next().value!);
}

export function referenceTo(obj: KObject): ObjectReference {
  const m = obj.metadata;
  const ref: ObjectReference = { kind: obj.kind, namespace: m.namespace, name: m.name, uid: m.uid, apiVersion: obj.apiVersion, resourceVersion: m.resourceVersion };
  for (const k of Object.keys(ref) as (keyof ObjectReference)[]) if (ref[k] === undefined || ref[k] === '') delete ref[k];
  return ref;
}

export class EventRecorder {
  private seen = new Map<string, Seen>();
  private similar = new Map<string, Similar>();
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly client: RestClient, private readonly source: EventSource) {}

  /**
   * Records an event about obj (which needs kind and metadata.name). Writes happen in the
   * background, in order; failures are logged, never thrown. flush() waits for them.
   */
  event(obj: KObject | ObjectReference, type: EventType, reason: string, message: string): void {
    const ref = 'metadata' in obj && obj.metadata ? referenceTo(obj as KObject) : { ...(obj as ObjectReference) };
    if (!ref.kind || !ref.name) {
      console.error(`event recorder: could not construct reference to ${JSON.stringify(ref)}: kind and name are required; will not report event ${type} ${reason} ${message}`);
      return;
    }
    const now = new Date();
    const ev = this.make(ref, type, reason, message, now);
    const key = this.aggregate(ev, now.getTime());
    const msg = ev.message;
    const prior = this.seen.get(key);
    if (prior) {
      prior.count++;
      ev.metadata.name = prior.name;
      ev.firstTimestamp = prior.firstTimestamp;
      ev.count = prior.count;
    } else {
      lruSet(this.seen, key, { name: ev.metadata.name!, count: 1, firstTimestamp: ev.firstTimestamp });
    }
    const patch = { count: ev.count, lastTimestamp: ev.lastTimestamp, message: msg };
    this.chain = this.chain.then(() => this.write(ev, prior ? patch : undefined, key));
  }

  /** waits until every event recorded so far has been written (or failed) */
  flush(): Promise<void> { return this.chain; }

  private make(ref: ObjectReference, type: EventType, reason: string, message: string, now: Date): KObject {
    const t = rfc3339(now);
    const nanos = BigInt(now.getTime()) * 1_000_000n + BigInt(Math.floor(Math.random() * 1_000_000));
    return {
      apiVersion: 'v1', kind: 'Event',
      metadata: { name: `${ref.name}.${nanos.toString(16)}`, namespace: ref.namespace || 'default' },
      involvedObject: ref, reason, message, type,
      source: { component: this.source.component, ...(this.source.host ? { host: this.source.host } : {}) },
      firstTimestamp: t, lastTimestamp: t, count: 1, eventTime: null,
      reportingComponent: this.source.component, reportingInstance: this.source.host ?? '',
    };
  }

  /** the dedup key; past the threshold of similar messages, the event becomes the combined one */
  private aggregate(ev: KObject, now: number): string {
    const r = ev.involvedObject as ObjectReference;
    const group = [ev.source.component, ev.source.host ?? '', r.kind, r.namespace ?? '', r.name, r.uid ?? '', r.apiVersion ?? '', ev.type, ev.reason, ev.reportingComponent, ev.reportingInstance].join('\x00');
    let s = this.similar.get(group);
    if (!s || now - s.since > similarWindowMs) { s = { messages: new Set(), since: now }; }
    s.messages.add(ev.message);
    lruSet(this.similar, group, s);
    if (s.messages.size < similarThreshold) return `${group}\x00${ev.message}`;
    ev.message = `(combined from similar events): ${ev.message}`;
    return `${group}\x00(combined)`;
  }

  private async write(ev: KObject, patch: Record<string, unknown> | undefined, key: string): Promise<void> {
    const ns = ev.metadata.namespace!;
    try {
      if (patch) {
        try {
          await this.client.patch(coreEvents, ev.metadata.name!, { namespace: ns, type: 'strategic', patch });
          return;
        } catch (e) {
          if (!isNotFound(e)) throw e;
          // the first Event is gone (TTL): start over with this one
        }
      }
      const made = await this.client.create(coreEvents, ev, { namespace: ns });
      const s = this.seen.get(key);
      if (s && patch) { s.name = made.metadata.name!; }
    } catch (e) {
      console.error(`event recorder: unable to write event ${ns}/${ev.metadata.name} (${ev.reason}): ${e instanceof Error ? e.message : e}`);
    }
  }
}
