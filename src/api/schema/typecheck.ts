// JSON type errors of a built-in object, as upstream's decoder reports them. The API server decodes
// request bodies into typed Go structs, so a value of the wrong JSON type (a string for an int32, a
// number for a string, an object for a list, ...) is rejected at decoding with encoding/json's
// message: `json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type
// int32` (the struct holding the field, the JSON field path from the root without list indices or
// map keys, and the Go type). The first such error in document order is reported, as Go does.
// Walks @kubernetes/client-node's model metadata (the same facts as upstream's OpenAPI).
import { modelInfo, type ModelAttr } from './models.js';
import { canonicalQuantity } from '../validation/quantity.js';

// resource.Quantity decodes from a JSON string or number; client-node types these fields as plain
// strings, so they are known by name: every Quantity and ResourceList field of the served kinds
const quantityFields = new Set([
  'CSIStorageCapacity.capacity', 'CSIStorageCapacity.maximumVolumeSize', 'ContainerStatus.allocatedResources',
  'EmptyDirVolumeSource.sizeLimit', 'LimitRangeItem.default', 'LimitRangeItem.defaultRequest', 'LimitRangeItem.max',
  'LimitRangeItem.min', 'LimitRangeItem.maxLimitRequestRatio', 'NodeStatus.allocatable', 'NodeStatus.capacity',
  'PersistentVolumeClaimStatus.allocatedResources', 'PersistentVolumeClaimStatus.capacity', 'PersistentVolumeSpec.capacity',
  'PodSpec.overhead', 'ResourceFieldSelector.divisor', 'ResourceQuotaSpec.hard', 'ResourceQuotaStatus.hard',
  'ResourceQuotaStatus.used', 'ResourceRequirements.limits', 'ResourceRequirements.requests',
  'VolumeResourceRequirements.limits', 'VolumeResourceRequirements.requests', 'MetricTarget.value',
  'MetricTarget.averageValue', 'MetricValueStatus.value', 'MetricValueStatus.averageValue',
]);

/** a decoded quantity (or map of them) encoded again: canonical strings, as upstream writes them back */
function canonical(v: unknown): unknown {
  if (typeof v === 'string' || typeof v === 'number') return canonicalQuantity(v) ?? v;
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, canonical(x)]));
  }
  return v;
}

/** a model class's Go struct name: V1DeploymentSpec -> DeploymentSpec, CoreV1Event -> Event */
const structName = (cls: string) => cls.replace(/^(?:[A-Z][a-z]+)*V\d+(?:(?:alpha|beta)\d+)?/, '');
/** its package-qualified Go type: V1DeploymentSpec -> v1.DeploymentSpec */
const structType = (cls: string) => `${(/V\d+(?:(?:alpha|beta)\d+)?/.exec(cls)?.[0] ?? 'v1').toLowerCase()}.${structName(cls)}`;

/** the Go type of a client-node type string (for the message) */
function goType(type: string, format: string, quantity: boolean): string {
  const arr = /^Array<(.+)>$/.exec(type);
  if (arr) return `[]${goType(arr[1], format, quantity)}`;
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) return `map[string]${goType(map[1], format, quantity)}`;
  switch (type) {
    case 'string': return quantity ? 'resource.Quantity' : format === 'byte' ? '[]uint8' : 'string';
    case 'number': return format === 'double' ? 'float64' : format || 'int64';
    case 'boolean': return 'bool';
    case 'Date': return 'v1.Time';
    case 'V1MicroTime': return 'v1.MicroTime';
    case 'IntOrString': return 'intstr.IntOrString';
    default: return structType(type);
  }
}

/** encoding/json's name for a JSON value's type ("number 1.5" for a number that does not fit) */
function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  return typeof v === 'object' ? 'object' : typeof v;
}

const intRange: Record<string, [number, number]> = { int32: [-(2 ** 31), 2 ** 31 - 1], int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER] };

interface Ctx { struct: string; path: string[] }

/** the error for `v` against a client-node type, or undefined */
function check(type: string, format: string, quantity: boolean, v: unknown, c: Ctx): string | undefined {
  if (v === null || v === undefined) return undefined; // null leaves a Go field at its zero value
  const fail = (value = jsonKind(v)) =>
    `json: cannot unmarshal ${value} into Go struct field ${c.struct}.${c.path.join('.')} of type ${goType(type, format, quantity)}`;
  const arr = /^Array<(.+)>$/.exec(type);
  if (arr) {
    if (!Array.isArray(v)) return fail();
    for (const x of v) { const e = check(arr[1], format, quantity, x, c); if (e) return e; }
    return undefined;
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    if (typeof v !== 'object' || Array.isArray(v)) return fail();
    for (const x of Object.values(v as object)) { const e = check(map[1], format, quantity, x, c); if (e) return e; }
    return undefined;
  }
  switch (type) {
    case 'string':
      return typeof v === 'string' || (quantity && typeof v === 'number') ? undefined : fail();
    case 'Date':
    case 'V1MicroTime':
      return typeof v === 'string' ? undefined : fail();
    case 'boolean':
      return typeof v === 'boolean' ? undefined : fail();
    case 'number': {
      if (typeof v !== 'number') return fail();
      if (format === 'double') return undefined;
      const [lo, hi] = intRange[format] ?? intRange.int64;
      return Number.isInteger(v) && v >= lo && v <= hi ? undefined : fail(`number ${v}`);
    }
    case 'IntOrString':
      return typeof v === 'string' || typeof v === 'number' ? undefined : fail();
    case 'any':
      return undefined;
  }
  if (typeof v !== 'object' || Array.isArray(v)) return fail();
  return checkModel(type, v as Record<string, unknown>, c.path);
}

const attrsOf = new Map<string, Map<string, ModelAttr> | null>();

function checkModel(cls: string, obj: Record<string, unknown>, path: string[]): string | undefined {
  let attrs = attrsOf.get(cls);
  if (attrs === undefined) {
    const info = modelInfo(cls);
    attrs = info ? new Map(info.attrs.map((a) => [a.name, a])) : null;
    attrsOf.set(cls, attrs);
  }
  if (!attrs) return undefined;
  const struct = structName(cls);
  // in the body's order: the decoder reports the first error it meets
  for (const k in obj) {
    const a = attrs.get(k);
    if (!a) continue;
    const quantity = quantityFields.has(`${struct}.${k}`);
    path.push(k);
    const e = check(a.type, a.format, quantity, obj[k], { struct, path });
    path.pop();
    if (e) return e;
    if (quantity) obj[k] = canonical(obj[k]);
  }
  return undefined;
}

/**
 * The decoding error upstream gives for a body of model class `cls` (see modelClassFor), or
 * undefined when every known field has a value of its type. Unknown fields are not looked at
 * (field validation reports them). As upstream's decode and encode, quantities are rewritten in
 * their canonical form (`cpu: 0.5` is stored as "500m"); malformed ones are left for validation.
 */
export function typeError(cls: string, body: unknown): string | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined;
  return checkModel(cls, body as Record<string, unknown>, []);
}
