// managedFields bookkeeping: decoding/encoding entries, manager identities and the fields never tracked.
import { FieldSet, fieldPE } from './fieldpath.js';
import { isObj, type Obj } from './schema-util.js';

export interface ManagedFieldsEntry {
  manager?: string;
  operation?: 'Apply' | 'Update';
  apiVersion?: string;
  time?: string;
  fieldsType?: 'FieldsV1';
  fieldsV1?: Record<string, unknown>;
  subresource?: string;
}

export interface Manager {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  subresource?: string;
  time?: string;
  set: FieldSet;
}

/** BuildManagerIdentifier: the entry without fields and time (and without apiVersion for appliers). */
export function managerId(m: Pick<Manager, 'manager' | 'operation' | 'apiVersion' | 'subresource'>): string {
  const id: Record<string, string> = { manager: m.manager, operation: m.operation };
  if (m.operation === 'Update' && m.apiVersion) id.apiVersion = m.apiVersion;
  if (m.subresource) id.subresource = m.subresource;
  return JSON.stringify(id);
}

/** printManager: how a conflict names its manager. */
export function printManager(m: Pick<Manager, 'manager' | 'operation' | 'apiVersion' | 'subresource'>): string {
  let s = JSON.stringify(m.manager);
  if (m.subresource) s += ` with subresource ${JSON.stringify(m.subresource)}`;
  if (m.operation === 'Update') s += ` using ${m.apiVersion}`;
  return s;
}

/** Decode metadata.managedFields; undefined when they are malformed (upstream then starts afresh). */
export function decodeManaged(entries: unknown): Map<string, Manager> | undefined {
  const out = new Map<string, Manager>();
  if (entries === undefined || entries === null) return out;
  if (!Array.isArray(entries)) return undefined;
  try {
    for (const raw of entries as unknown[]) {
      if (!isObj(raw)) return undefined;
      const e = raw as ManagedFieldsEntry;
      if (e.fieldsType !== undefined && e.fieldsType !== 'FieldsV1') return undefined;
      if (e.operation !== 'Apply' && e.operation !== 'Update') return undefined;
      const m: Manager = {
        manager: e.manager ?? '', operation: e.operation, apiVersion: e.apiVersion ?? '',
        subresource: e.subresource || undefined, time: e.time, set: e.fieldsV1 ? FieldSet.fromFieldsV1(e.fieldsV1) : new FieldSet(),
      };
      const id = managerId(m);
      const prev = out.get(id);
      if (prev) prev.set = prev.set.union(m.set);
      else out.set(id, m);
    }
  } catch {
    return undefined;
  }
  return out;
}

/** Encode managers, sorted as upstream sorts them (operation, time, manager, apiVersion, subresource). */
export function encodeManaged(managers: Map<string, Manager>): ManagedFieldsEntry[] {
  const list = [...managers.values()].filter((m) => !m.set.isEmpty());
  const secs = (t?: string) => (t ? Math.floor(Date.parse(t) / 1000) : 0);
  list.sort((p, q) => {
    if (p.operation !== q.operation) return p.operation < q.operation ? -1 : 1;
    if (secs(p.time) !== secs(q.time)) return secs(p.time) - secs(q.time);
    if (p.manager !== q.manager) return p.manager < q.manager ? -1 : 1;
    if (p.apiVersion !== q.apiVersion) return p.apiVersion < q.apiVersion ? -1 : 1;
    return (p.subresource ?? '') < (q.subresource ?? '') ? -1 : (p.subresource ?? '') > (q.subresource ?? '') ? 1 : 0;
  });
  return list.map((m) => {
    const e: ManagedFieldsEntry = { manager: m.manager, operation: m.operation, apiVersion: m.apiVersion };
    if (m.time) e.time = m.time;
    e.fieldsType = 'FieldsV1';
    e.fieldsV1 = m.set.toFieldsV1();
    if (m.subresource) e.subresource = m.subresource;
    return e;
  });
}

/** Fields never tracked (stripMetaManager). Removed without their subtrees. */
export const strippedFields = FieldSet.of(
  [fieldPE('apiVersion')], [fieldPE('kind')], [fieldPE('metadata')],
  ...['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'clusterName', 'generation', 'managedFields', 'resourceVersion']
    .map((f) => [fieldPE('metadata'), fieldPE(f)]),
);

/** A copy of the object without metadata.managedFields, for diffing. */
export function withoutManagedFields(obj: unknown): Obj {
  if (!isObj(obj)) return {};
  const out: Obj = { ...obj };
  if (isObj(obj.metadata)) {
    const md: Obj = { ...obj.metadata };
    delete md.managedFields;
    out.metadata = md;
  }
  return out;
}

/** isResetManagedFields: `managedFields: []` or `[{}]` asks for them to be cleared. */
export function isReset(entries: unknown): boolean {
  if (!Array.isArray(entries)) return false;
  if (entries.length === 0) return true;
  return entries.length === 1 && isObj(entries[0]) && Object.keys(entries[0]).length === 0;
}

/** metav1.Time as managedFields carry it: RFC 3339, seconds, UTC. */
export function formatTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
