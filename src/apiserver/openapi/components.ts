// Builds OpenAPI v3 `components.schemas` entries, named as upstream does (io.k8s.api.core.v1.Pod, ...), from the
// @kubernetes/client-node models (structure, formats, required) and kubernetes-types (descriptions, Quantity/Time).
import { modelInfo, type ModelAttr } from '../../api/schema/models.js';
import { atomicStructs, fieldFacts, type MergeFacts } from '../../api/listmeta.js';
import { ktypesOf, type KField, type KType } from './ktypes.js';

export type Schema = Record<string, unknown>;
export type Schemas = Record<string, Schema>;

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
export const refs = {
  time: `${META}.Time`,
  microTime: `${META}.MicroTime`,
  intOrString: 'io.k8s.apimachinery.pkg.util.intstr.IntOrString',
  quantity: 'io.k8s.apimachinery.pkg.api.resource.Quantity',
  rawExtension: 'io.k8s.apimachinery.pkg.runtime.RawExtension',
  objectMeta: `${META}.ObjectMeta`,
};

const GROUP_FOLDERS = ['core', 'apps', 'batch', 'networking', 'discovery', 'coordination', 'events', 'rbac', 'storage', 'apiextensions',
  'policy', 'autoscaling', 'scheduling', 'node', 'certificates', 'authentication', 'authorization', 'admissionregistration',
  'flowcontrol', 'resource', 'storagemigration', 'apiserverinternal'];

/** upstream definition-name prefix of a kubernetes-types package folder */
export function defPrefix(pkg: string): string {
  if (pkg === 'meta/v1') return META;
  if (pkg === 'api/resource') return 'io.k8s.apimachinery.pkg.api.resource';
  if (pkg === 'runtime') return 'io.k8s.apimachinery.pkg.runtime';
  if (pkg === 'version') return 'io.k8s.apimachinery.pkg.version';
  const [g, v] = pkg.split('/');
  if (g === 'apiextensions') return `io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.${v}`;
  if (g === 'apiregistration') return `io.k8s.kube-aggregator.pkg.apis.apiregistration.${v}`;
  return `io.k8s.api.${g}.${v}`;
}

/** kubernetes-types folder of an API group: '' -> core, 'networking.k8s.io' -> networking, 'rbac.authorization.k8s.io' -> rbac */
export function folderOfGroup(group: string): string {
  return group === '' ? 'core' : group.split('.')[0];
}

const leafDefs: Schemas = {
  [refs.time]: { description: 'Time is a wrapper around time.Time which supports correct marshaling to YAML and JSON.  Wrappers are provided for many of the factory methods that the time package offers.', type: 'string', format: 'date-time' },
  [refs.microTime]: { description: 'MicroTime is version of Time with microsecond level precision.', type: 'string', format: 'date-time' },
  [refs.intOrString]: { description: 'IntOrString is a type that can hold an int32 or a string.  When used in JSON or YAML marshalling and unmarshalling, it produces or consumes the inner type.  This allows you to have, for example, a JSON field that can accept a name or number.', type: 'string', format: 'int-or-string', 'x-kubernetes-int-or-string': true },
  [refs.rawExtension]: { description: 'RawExtension is used to hold extensions in external versions.', type: 'object' },
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON': { description: 'JSON represents any valid JSON value. These types are supported: bool, int64, float64, string, []interface{}, map[string]interface{} and nil.' },
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrArray': { description: 'JSONSchemaPropsOrArray represents a value that can either be a JSONSchemaProps or an array of JSONSchemaProps. Mainly here for serialization purposes.' },
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrBool': { description: 'JSONSchemaPropsOrBool represents JSONSchemaProps or a boolean value. Defaults to true for the boolean property.' },
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrStringArray': { description: 'JSONSchemaPropsOrStringArray represents a JSONSchemaProps or a string array.' },
};

function quantityDef(): Schema {
  const q = ktypesOf('api/resource').get('Quantity');
  return { description: q?.description ?? 'Quantity is a fixed-point representation of a number.', oneOf: [{ type: 'string' }, { type: 'number' }] };
}

export function ref(name: string): Schema {
  return { $ref: `#/components/schemas/${name}` };
}

interface Resolved {
  defName: string;
  ktype?: KType;
}

/** Upstream definition name (and kubernetes-types entry) of a client-node class; preferFolder decides ambiguous names. */
export function resolveClass(cls: string, preferFolder: string): Resolved {
  const m = cls.match(/^([A-Z][a-z]+)?(V\d+(?:alpha\d+|beta\d+)?)([A-Z]\w*)$/);
  if (!m) return { defName: `io.k8s.api.${preferFolder}.${cls}` };
  const [, prefix, V, name] = m;
  const version = V.toLowerCase();
  const order = [prefix?.toLowerCase(), preferFolder, 'core', 'meta', ...GROUP_FOLDERS].filter((f): f is string => !!f);
  for (const f of [...new Set(order)]) {
    const kt = ktypesOf(`${f}/${version}`).get(name);
    if (kt && kt.fields.size + (kt.description ? 1 : 0) > 0) return { defName: `${defPrefix(`${f}/${version}`)}.${name}`, ktype: kt };
  }
  const f = prefix?.toLowerCase() ?? preferFolder;
  return { defName: `${defPrefix(`${f}/${version}`)}.${name}` };
}

function factsExt(f: MergeFacts | undefined): Schema {
  if (!f) return {};
  const out: Schema = {};
  if (f.listMapKeys) out['x-kubernetes-list-map-keys'] = f.listMapKeys;
  if (f.listType) out['x-kubernetes-list-type'] = f.listType;
  if (f.mapType) out['x-kubernetes-map-type'] = f.mapType;
  if (f.patchMergeKey) out['x-kubernetes-patch-merge-key'] = f.patchMergeKey;
  if (f.patchStrategy) out['x-kubernetes-patch-strategy'] = f.patchStrategy;
  return out;
}

/** Collects schemas into `out`, following references. */
export class SchemaBuilder {
  constructor(readonly out: Schemas, readonly preferFolder: string) {}

  private leaf(name: string): Schema {
    if (!this.out[name]) this.out[name] = name === refs.quantity ? quantityDef() : leafDefs[name];
    return ref(name);
  }

  /** Adds a model class (and everything it references); returns its definition name. */
  addClass(cls: string, extra: Schema = {}): string {
    const { defName, ktype } = resolveClass(cls, this.preferFolder);
    if (this.out[defName]) {
      Object.assign(this.out[defName], extra);
      return defName;
    }
    const info = modelInfo(cls);
    const def: Schema = {};
    this.out[defName] = def;
    if (!info) return defName;
    const description = ktype?.description ?? info.description;
    if (description) def.description = description;
    const props: Schemas = {};
    for (const a of info.attrs) props[a.name] = this.prop(cls, a, ktype?.fields.get(a.name), info.fieldDocs[a.name]);
    def.properties = props;
    const required = info.required.filter((r) => r in props);
    if (required.length) def.required = required;
    def.type = 'object';
    if (atomicStructs.has(cls)) def['x-kubernetes-map-type'] = 'atomic';
    Object.assign(def, extra);
    return defName;
  }

  private prop(cls: string, a: ModelAttr, kf: KField | undefined, doc: string | undefined): Schema {
    const description = kf?.description ?? doc;
    const s = this.typeSchema(a.type, a.format, kf?.type ?? '', false);
    const out: Schema = s.$ref ? { allOf: [s] } : { ...s };
    if (a.name === 'metadata' && s.$ref) out.default = {};
    if (description) out.description = description;
    return { ...out, ...factsExt(fieldFacts[cls]?.[a.name]) };
  }

  /** Schema of a client-node type; ktype is the kubernetes-types text of the same field (for Quantity etc.). */
  typeSchema(type: string, format: string, ktype: string, item: boolean): Schema {
    const arr = type.match(/^Array<(.+)>$/);
    if (arr) {
      const it = this.typeSchema(arr[1], format, ktype, true);
      return { type: 'array', items: it.$ref && !isLeafRef(it) ? { allOf: [it], default: {} } : it };
    }
    const map = type.match(/^\{ \[key: string\]: (.+); \}$/);
    if (map) return { type: 'object', additionalProperties: this.typeSchema(map[1], format, ktype, true) };
    switch (type) {
      case 'string':
        if (/\bQuantity\b/.test(ktype)) return this.leaf(refs.quantity);
        if (format === 'byte') return { type: 'string', format: 'byte' };
        return item ? { default: '', type: 'string' } : { type: 'string' };
      case 'Date':
        return this.leaf(format === 'date-time-micro' || /MicroTime/.test(ktype) ? refs.microTime : refs.time);
      case 'number':
        if (format === 'double') return { type: 'number', format: 'double' };
        return item ? { default: 0, type: 'integer', format: format || 'int32' } : { type: 'integer', format: format || 'int32' };
      case 'boolean':
        return { type: 'boolean' };
      case 'IntOrString':
        return this.leaf(refs.intOrString);
      case 'any': {
        const ae = 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.';
        if (/RawExtension/.test(ktype)) return this.leaf(refs.rawExtension);
        for (const n of ['JSONSchemaPropsOrArray', 'JSONSchemaPropsOrBool', 'JSONSchemaPropsOrStringArray', 'JSON']) {
          if (new RegExp(`\\b${n}\\b`).test(ktype)) return this.leaf(ae + n);
        }
        return {};
      }
    }
    return ref(this.addClass(type));
  }
}

function isLeafRef(s: Schema): boolean {
  return typeof s.$ref === 'string' && Object.keys(leafDefs).concat(refs.quantity).some((n) => s.$ref === `#/components/schemas/${n}`);
}
