// Field schemas (structure + merge facts) of every kind: built-ins from @kubernetes/client-node's models and the
// facts in listmeta.ts; custom resources registered from their CRD's openAPIV3Schema.
import type { FieldSchema, SchemaLookup } from './schema-types.js';
import { atomicStructs, fieldFacts, type MergeFacts } from './listmeta.js';
import { modelClassFor, modelInfo } from './schema/models.js';

export { schemaFromOpenAPIV3 } from './schema/crd.js';

const byClass = new Map<string, FieldSchema>();
const custom = new Map<string, FieldSchema>();

function key(apiVersion: string, kind: string): string {
  return `${apiVersion}/${kind}`;
}

function withFacts(s: FieldSchema, f: MergeFacts | undefined): FieldSchema {
  return f ? { ...s, ...f } : s;
}

/** The schema of a client-node type string (see ModelAttr.type). */
export function typeSchema(type: string, format = ''): FieldSchema {
  const arr = type.match(/^Array<(.+)>$/);
  if (arr) {
    const items = typeSchema(arr[1], format);
    return { type: 'array', items };
  }
  const map = type.match(/^\{ \[key: string\]: (.+); \}$/);
  if (map) return { type: 'map', items: typeSchema(map[1], format) };
  switch (type) {
    case 'string':
    case 'Date':
      return { type: 'string' };
    case 'number':
      return { type: format === 'double' ? 'number' : 'integer' };
    case 'boolean':
      return { type: 'boolean' };
    case 'IntOrString':
      return { type: 'int-or-string' };
    case 'any':
      return { type: 'any' };
  }
  return modelSchema(type) ?? { type: 'any' };
}

/** The object schema of a client-node model class (memoized; fields built lazily). */
export function modelSchema(className: string): FieldSchema | undefined {
  const hit = byClass.get(className);
  if (hit) return hit;
  const info = modelInfo(className);
  if (!info) return undefined;
  let fields: Record<string, FieldSchema> | undefined;
  const s: FieldSchema = {
    type: 'object',
    fields: () => {
      if (!fields) {
        fields = {};
        for (const a of info.attrs) fields[a.name] = withFacts(typeSchema(a.type, a.format), fieldFacts[className]?.[a.name]);
      }
      return fields;
    },
  };
  if (atomicStructs.has(className)) s.mapType = 'atomic';
  if (info.description) s.description = info.description;
  byClass.set(className, s);
  return s;
}

function splitApiVersion(apiVersion: string): [string, string] {
  const i = apiVersion.lastIndexOf('/');
  return i < 0 ? ['', apiVersion] : [apiVersion.slice(0, i), apiVersion.slice(i + 1)];
}

/** Finds the schema of a top-level kind: custom resources first, then built-ins. */
export const schemaFor: SchemaLookup = (apiVersion, kind) => {
  const c = custom.get(key(apiVersion, kind));
  if (c) return c;
  const [group, version] = splitApiVersion(apiVersion);
  const cls = modelClassFor(group, version, kind);
  return cls ? modelSchema(cls) : undefined;
};

/** Registers the schema of a custom resource kind (see schemaFromOpenAPIV3). */
export function registerSchema(apiVersion: string, kind: string, schema: FieldSchema): void {
  custom.set(key(apiVersion, kind), schema);
}

export function unregisterSchema(apiVersion: string, kind: string): void {
  custom.delete(key(apiVersion, kind));
}

/** Resolves a lazily given `fields`/`items` value. */
export function resolve<T>(v: T | (() => T) | undefined): T | undefined {
  return typeof v === 'function' ? (v as () => T)() : v;
}
