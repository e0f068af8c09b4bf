// Converts a CRD version's openAPIV3Schema (JSONSchemaProps) to a FieldSchema, keeping the x-kubernetes-* facts.
import type { FieldSchema } from '../schema-types.js';
import { modelSchema } from '../schema.js';

type Props = Record<string, unknown>;

function objectMeta(): FieldSchema {
  // the built-in ObjectMeta schema (all fields, with upstream's merge facts); the literal is a fallback
  const full = modelSchema('V1ObjectMeta');
  if (full) return full;
  return { type: 'object', fields: { finalizers: { type: 'array', items: { type: 'string' }, patchStrategy: 'merge', listType: 'set' }, ownerReferences: { type: 'array', items: { type: 'object' }, patchStrategy: 'merge', patchMergeKey: 'uid', listType: 'map', listMapKeys: ['uid'] }, labels: { type: 'map', items: { type: 'string' } }, annotations: { type: 'map', items: { type: 'string' } }, managedFields: { type: 'array', listType: 'atomic' } } };
}

/** Converts JSONSchemaProps to a FieldSchema. Custom resources have no strategic-merge facts; their list/map types carry over. */
export function schemaFromOpenAPIV3(props: Props | undefined, root = true): FieldSchema {
  if (!props || typeof props !== 'object') return { type: 'any' };
  const s = convert(props);
  if (root && s.type === 'object') {
    const fields = { ...(s.fields as Record<string, FieldSchema> | undefined) };
    fields.metadata = objectMeta();
    fields.apiVersion ??= { type: 'string' };
    fields.kind ??= { type: 'string' };
    s.fields = fields;
  }
  return s;
}

function convert(p: Props): FieldSchema {
  let s: FieldSchema;
  if (p['x-kubernetes-int-or-string']) s = { type: 'int-or-string' };
  else {
    switch (p.type) {
      case 'object': {
        const properties = p.properties as Record<string, Props> | undefined;
        const ap = p.additionalProperties;
        if (properties && Object.keys(properties).length) {
          const fields: Record<string, FieldSchema> = {};
          for (const [k, v] of Object.entries(properties)) fields[k] = convert(v);
          s = { type: 'object', fields };
        } else if (ap && typeof ap === 'object') {
          s = { type: 'map', items: convert(ap as Props) };
        } else if (p['x-kubernetes-embedded-resource']) {
          s = { type: 'object', fields: { metadata: objectMeta(), apiVersion: { type: 'string' }, kind: { type: 'string' } } };
        } else {
          s = { type: p['x-kubernetes-preserve-unknown-fields'] ? 'any' : 'map', items: { type: 'any' } };
        }
        break;
      }
      case 'array':
        s = { type: 'array', items: convert((p.items ?? {}) as Props) };
        break;
      case 'string':
      case 'integer':
      case 'number':
      case 'boolean':
        s = { type: p.type };
        break;
      default:
        s = { type: 'any' };
    }
  }
  if (s.type === 'object' && p['x-kubernetes-preserve-unknown-fields'] === true) s.preserveUnknownFields = true;
  const lt = p['x-kubernetes-list-type'];
  if (lt === 'atomic' || lt === 'set' || lt === 'map') s.listType = lt;
  if (Array.isArray(p['x-kubernetes-list-map-keys'])) s.listMapKeys = p['x-kubernetes-list-map-keys'] as string[];
  const mt = p['x-kubernetes-map-type'];
  if (mt === 'atomic' || mt === 'granular') s.mapType = mt;
  if (typeof p.description === 'string') s.description = p.description;
  return s;
}
