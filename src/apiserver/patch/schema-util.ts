// Small accessors over FieldSchema (fields/items may be lazy) shared by the patch engines.
import type { FieldSchema } from '../../api/schema-types.js';

export type Schema = FieldSchema | undefined;
export type Obj = Record<string, unknown>;

export function fieldsOf(s: Schema): Record<string, FieldSchema> | undefined {
  if (!s || !s.fields) return undefined;
  return typeof s.fields === 'function' ? s.fields() : s.fields;
}

export function itemsOf(s: Schema): Schema {
  if (!s || !s.items) return undefined;
  return typeof s.items === 'function' ? s.items() : s.items;
}

/** Schema of the value under key `k` of an object/map schema. */
export function childOf(s: Schema, k: string): Schema {
  if (!s) return undefined;
  if (s.type === 'object') return fieldsOf(s)?.[k];
  if (s.type === 'map') return itemsOf(s);
  return undefined;
}

/** True when `k` is a declared field of a struct schema. */
export function isNamedField(s: Schema, k: string): boolean {
  return !!s && s.type === 'object' && !!fieldsOf(s) && Object.prototype.hasOwnProperty.call(fieldsOf(s), k);
}

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function clone<T>(v: T): T {
  return v === undefined ? v : structuredClone(v);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/** Strategies listed in x-kubernetes-patch-strategy (comma separated). */
export function strategies(s: Schema): string[] {
  return s?.patchStrategy ? s.patchStrategy.split(',').map((x) => x.trim()).filter(Boolean) : [];
}
