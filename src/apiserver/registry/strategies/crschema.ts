// A custom resource against its CRD's structural schema (openAPIV3Schema), as upstream's
// apiextensions-apiserver does on every write: unknown fields are pruned (unless
// x-kubernetes-preserve-unknown-fields), `default`s fill absent fields, and the result is validated
// (type, nullable, enum, required, minimum/maximum, lengths, pattern, the common string formats, item
// and property counts, an embedded resource's apiVersion and kind) with
// the messages of kube-openapi's validator turned into field errors. CEL rules
// (x-kubernetes-validations) are not evaluated.
import type { FieldError } from '../../../api/status.js';
import { ipFamilyOf } from '../../../api/validation/index.js';
import type { KObject } from '../../../api/types.js';
import { clone, deepEqual } from '../../../util/deep.js';

/** the parts of JSONSchemaProps used here */
export interface JSONSchemaProps {
  type?: string; format?: string; nullable?: boolean; default?: unknown; enum?: unknown[];
  properties?: Record<string, JSONSchemaProps>; additionalProperties?: boolean | JSONSchemaProps; items?: JSONSchemaProps;
  required?: string[];
  minimum?: number; maximum?: number; exclusiveMinimum?: boolean; exclusiveMaximum?: boolean; multipleOf?: number;
  minLength?: number; maxLength?: number; pattern?: string;
  minItems?: number; maxItems?: number; uniqueItems?: boolean; minProperties?: number; maxProperties?: number;
  'x-kubernetes-preserve-unknown-fields'?: boolean; 'x-kubernetes-int-or-string'?: boolean; 'x-kubernetes-embedded-resource'?: boolean;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const preserves = (s: JSONSchemaProps) => s['x-kubernetes-preserve-unknown-fields'] === true;

/** drops fields the schema does not know, at every level (the root's apiVersion, kind and metadata stay) */
export function prune(s: JSONSchemaProps | undefined, v: unknown, root = false): void {
  if (!s) return;
  if (Array.isArray(v)) { for (const x of v) prune(s.items, x); return; }
  if (!isObject(v)) return;
  const embedded = root || s['x-kubernetes-embedded-resource'] === true;
  for (const k of Object.keys(v)) {
    if (embedded && (k === 'apiVersion' || k === 'kind' || k === 'metadata')) continue;
    const p = s.properties?.[k];
    if (p) { prune(p, v[k]); continue; }
    if (isObject(s.additionalProperties)) { prune(s.additionalProperties, v[k]); continue; }
    if (s.additionalProperties === true || preserves(s)) continue;
    delete v[k];
  }
}

/** fills absent (or null, when not nullable) properties that have a default, at every level */
export function applyDefaults(s: JSONSchemaProps | undefined, v: unknown): void {
  if (!s) return;
  if (Array.isArray(v)) { for (const x of v) applyDefaults(s.items, x); return; }
  if (!isObject(v)) return;
  for (const [k, p] of Object.entries(s.properties ?? {})) {
    if (p.default !== undefined && (v[k] === undefined || (v[k] === null && !p.nullable))) v[k] = clone(p.default);
    if (v[k] !== undefined) applyDefaults(p, v[k]);
  }
  if (isObject(s.additionalProperties)) for (const k of Object.keys(v)) if (!s.properties?.[k]) applyDefaults(s.additionalProperties, v[k]);
}

/** kube-openapi's name for a value's type */
function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v === 'object' ? 'object' : typeof v;
}

function typeOk(s: JSONSchemaProps, v: unknown): boolean {
  if (s['x-kubernetes-int-or-string']) return (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'string';
  switch (s.type) {
    case undefined: case '': return true;
    case 'object': return isObject(v);
    case 'array': return Array.isArray(v);
    case 'string': return typeof v === 'string';
    case 'integer': return typeof v === 'number' && Number.isInteger(v);
    case 'number': return typeof v === 'number';
    case 'boolean': return typeof v === 'boolean';
    default: return true;
  }
}

const jsonText = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/** the string formats upstream's schema validation checks (kube-openapi's strfmt), the common ones */
const formats: Record<string, (v: string) => boolean> = {
  'date-time': (v) => /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(v) && !Number.isNaN(Date.parse(v.replace(' ', 'T'))),
  date: (v) => /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(v)),
  uuid: (v) => /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(v),
  ipv4: (v) => ipFamilyOf(v) === 'IPv4',
  ipv6: (v) => ipFamilyOf(v) === 'IPv6',
  byte: (v) => /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(v),
};

/** the field errors of `v` (at `path`) against the schema */
export function validateValue(s: JSONSchemaProps | undefined, v: unknown, path: string, out: FieldError[]): void {
  if (!s || v === undefined) return;
  const where = `${path} in body`;
  if (v === null) {
    if (!s.nullable && s.type) out.push({ type: 'FieldValueTypeInvalid', field: path, value: 'null', detail: `${where} must be of type ${s.type}: "null"` });
    return;
  }
  if (!typeOk(s, v)) {
    const want = s['x-kubernetes-int-or-string'] ? 'integer,string' : s.type;
    out.push({ type: 'FieldValueTypeInvalid', field: path, value: typeName(v), detail: `${where} must be of type ${want}: "${typeName(v)}"` });
    return;
  }
  if (s.enum && !s.enum.some((e) => deepEqual(e, v))) {
    out.push({ type: 'FieldValueNotSupported', field: path, value: v, detail: `supported values: ${s.enum.map((e) => `"${jsonText(e)}"`).join(', ')}` });
  }
  if (typeof v === 'number') {
    if (s.minimum !== undefined && (s.exclusiveMinimum ? v <= s.minimum : v < s.minimum)) {
      out.push({ type: 'FieldValueInvalid', field: path, value: v, detail: `${where} should be greater than ${s.exclusiveMinimum ? '' : 'or equal to '}${s.minimum}` });
    }
    if (s.maximum !== undefined && (s.exclusiveMaximum ? v >= s.maximum : v > s.maximum)) {
      out.push({ type: 'FieldValueInvalid', field: path, value: v, detail: `${where} should be less than ${s.exclusiveMaximum ? '' : 'or equal to '}${s.maximum}` });
    }
    if (s.multipleOf && Math.abs(v / s.multipleOf - Math.round(v / s.multipleOf)) > 1e-9) {
      out.push({ type: 'FieldValueInvalid', field: path, value: v, detail: `${where} should be a multiple of ${s.multipleOf}` });
    }
  }
  if (typeof v === 'string') {
    const check = s.format ? formats[s.format] : undefined;
    if (check && !check(v)) out.push({ type: 'FieldValueInvalid', field: path, value: v, detail: `${where} must be of type ${s.format}: ${JSON.stringify(v)}` });
    const len = [...v].length;
    if (s.maxLength !== undefined && len > s.maxLength) out.push({ type: 'FieldValueTooLong', field: path, value: v, detail: `may not be longer than ${s.maxLength}` });
    if (s.minLength !== undefined && len < s.minLength) out.push({ type: 'FieldValueInvalid', field: path, value: v, detail: `${where} should be at least ${s.minLength} chars long` });
    if (s.pattern !== undefined) {
      let re: RegExp | undefined;
      try { re = new RegExp(s.pattern, 'u'); } catch { re = undefined; }
      if (re && !re.test(v)) out.push({ type: 'FieldValueInvalid', field: path, value: v, detail: `${where} should match '${s.pattern}'` });
    }
  }
  if (Array.isArray(v)) {
    if (s.maxItems !== undefined && v.length > s.maxItems) out.push({ type: 'FieldValueTooMany', field: path, value: v.length, detail: `must have at most ${s.maxItems} items` });
    if (s.minItems !== undefined && v.length < s.minItems) out.push({ type: 'FieldValueInvalid', field: path, value: v.length, detail: `${where} should have at least ${s.minItems} items` });
    if (s.uniqueItems && v.some((x, i) => v.findIndex((y) => deepEqual(x, y)) !== i)) out.push({ type: 'FieldValueDuplicate', field: path, value: v, detail: `${where} shouldn't contain duplicates` });
    v.forEach((x, i) => validateValue(s.items, x, `${path}[${i}]`, out));
  }
  if (isObject(v)) {
    // an embedded object names its own apiVersion and kind (upstream validateEmbeddedResource)
    if (s['x-kubernetes-embedded-resource'] === true) {
      for (const k of ['apiVersion', 'kind']) {
        if (v[k] === undefined) out.push({ type: 'FieldValueRequired', field: `${path}.${k}`, detail: 'must not be empty' });
        else if (typeof v[k] !== 'string') out.push({ type: 'FieldValueInvalid', field: `${path}.${k}`, value: v[k], detail: 'must be a string' });
        else if (!v[k]) out.push({ type: 'FieldValueInvalid', field: `${path}.${k}`, value: v[k], detail: 'must not be empty' });
      }
    }
    const n = Object.keys(v).length;
    if (s.maxProperties !== undefined && n > s.maxProperties) out.push({ type: 'FieldValueTooMany', field: path, value: n, detail: `must have at most ${s.maxProperties} items` });
    if (s.minProperties !== undefined && n < s.minProperties) out.push({ type: 'FieldValueInvalid', field: path, value: n, detail: `${where} should have at least ${s.minProperties} properties` });
    for (const r of s.required ?? []) if (v[r] === undefined) out.push({ type: 'FieldValueRequired', field: path ? `${path}.${r}` : r, detail: '' });
    for (const [k, x] of Object.entries(v)) {
      const p = s.properties?.[k] ?? (isObject(s.additionalProperties) ? s.additionalProperties : undefined);
      validateValue(p, x, path ? `${path}.${k}` : k, out);
    }
  }
}

/** the errors of a whole custom resource; metadata is validated as ObjectMeta elsewhere */
export function validateCustomResource(s: JSONSchemaProps | undefined, obj: KObject): FieldError[] {
  if (!s) return [];
  const out: FieldError[] = [];
  const { metadata: _m, apiVersion: _a, kind: _k, ...rest } = obj;
  validateValue(s, rest, '', out);
  return out;
}
