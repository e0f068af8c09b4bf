// Field error constructors (upstream field.Required/Invalid/...), and small object helpers.
import type { FieldError } from '../../../api/status.js';
import { isValidPercent } from '../../../api/validation/index.js';

export type Errs = FieldError[];

export const fe = {
  required: (field: string, detail = ''): FieldError => ({ type: 'FieldValueRequired', field, detail }),
  invalid: (field: string, value: unknown, detail = ''): FieldError => ({ type: 'FieldValueInvalid', field, value, detail }),
  notSupported: (field: string, value: unknown, valid: string[]): FieldError =>
    ({ type: 'FieldValueNotSupported', field, value, detail: valid.length ? 'supported values: ' + valid.map((v) => JSON.stringify(v)).join(', ') : '' }),
  duplicate: (field: string, value: unknown): FieldError => ({ type: 'FieldValueDuplicate', field, value }),
  forbidden: (field: string, detail: string): FieldError => ({ type: 'FieldValueForbidden', field, detail }),
  /** the value is not printed (upstream prints no value for Too long) */
  tooLong: (field: string, max: number): FieldError => ({ type: 'FieldValueTooLong', field, detail: `must have at most ${max} bytes` }),
  tooMany: (field: string, actual: number, max: number): FieldError => ({ type: 'FieldValueTooMany', field, value: actual, detail: `must have at most ${max} items` }),
  /** upstream field.NotFound: `field: Not found: "value"` */
  notFound: (field: string, value: unknown): FieldError => ({ type: 'FieldValueNotFound', field, value }),
};

/** wraps each message of a pure validator into an Invalid error */
export function each(field: string, value: unknown, msgs: string[]): Errs {
  return msgs.map((m) => fe.invalid(field, value, m));
}

/** one Invalid error joining all messages with ',' (upstream's strings.Join(errs, ",")) */
export function joined(field: string, value: unknown, msgs: string[]): Errs {
  return msgs.length ? [fe.invalid(field, value, msgs.join(','))] : [];
}

export function nonNegative(field: string, v: unknown): Errs {
  return typeof v === 'number' && v < 0 ? [fe.invalid(field, v, 'must be greater than or equal to 0')] : [];
}

export function positive(field: string, v: unknown): Errs {
  return typeof v === 'number' && v <= 0 ? [fe.invalid(field, v, 'must be greater than 0')] : [];
}

/** IntOrString as upstream ValidatePositiveIntOrPercent + IsNotMoreThan100Percent */
export function intOrPercent(v: unknown, path: string): Errs {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') {
    const errs = each(path, v, isValidPercent(v));
    if (!errs.length && Number(v.slice(0, -1)) > 100) errs.push(fe.invalid(path, v, 'must not be greater than 100%'));
    return errs;
  }
  if (typeof v === 'number' && v < 0) return [fe.invalid(path, v, 'must be greater than or equal to 0')];
  return [];
}

export function immutable(field: string, now: unknown, old: unknown): Errs {
  return deepEqual(now, old) ? [] : [fe.invalid(field, now ?? null, 'field is immutable')];
}

export function enumOf(field: string, v: unknown, valid: string[], required = false): Errs {
  if (v === undefined || v === null || v === '') return required ? [fe.required(field)] : [];
  return valid.includes(v as string) ? [] : [fe.notSupported(field, v, valid)];
}

/** deep equality of JSON values as upstream's Semantic.DeepEqual on typed structs: absent, null, '', false, {} and [] are all equal */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (isEmpty(a) && isEmpty(b)) return true;
  if (a === b) return true;
  if (typeof a !== typeof b || typeof a !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => deepEqual(x, bb[i]));
  }
  const ao = a as Record<string, unknown>; const bo = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ao), ...Object.keys(bo)]);
  for (const k of keys) if (!deepEqual(ao[k], bo[k])) return false;
  return true;
}

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === '' || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v as object).length === 0;
  return false;
}

export function clone<T>(v: T): T { return v === undefined ? v : structuredClone(v); }

/** get or create a nested object */
export function obj(parent: any, key: string): any {
  if (parent[key] === undefined || parent[key] === null || typeof parent[key] !== 'object') parent[key] = {};
  return parent[key];
}

export function setDefault(o: any, key: string, v: unknown): void {
  if (o[key] === undefined || o[key] === null || o[key] === '') o[key] = v;
}

export function isObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function arr(v: unknown): any[] { return Array.isArray(v) ? v : []; }
