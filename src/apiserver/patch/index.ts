// The patch entry point of the API server: dispatches on the request's content type.
// Non-apply patches only transform the object; the store records their field ownership with updateManagedFields.
// Apply patches come back with managedFields already set (updateManagedFields then leaves them alone).
import { parse as parseYAML } from 'yaml';
import { errors, StatusError, type FieldError } from '../../api/status.js';
import { schemaFor } from '../../api/schema.js';
import { serverSideApply, trackUpdate, type UpdateOptions } from './apply.js';
import type { FieldSet } from './fieldpath.js';
import { badRequest } from './errors.js';
import { jsonPatch } from './json-patch.js';
import { mergePatch } from './merge-patch.js';
import { isObj, type Obj, type Schema } from './schema-util.js';
import { strategicMergePatch } from './strategic.js';

export { jsonPatch } from './json-patch.js';
export { mergePatch, mergePatchValue } from './merge-patch.js';
export { strategicMergePatch, strategicMergeMap } from './strategic.js';
export { serverSideApply, trackUpdate, conflictError } from './apply.js';
export { FieldSet, pathString } from './fieldpath.js';
export type { ManagedFieldsEntry } from './managed.js';

export const JSONPatchType = 'application/json-patch+json';
export const MergePatchType = 'application/merge-patch+json';
export const StrategicMergePatchType = 'application/strategic-merge-patch+json';
export const ApplyPatchType = 'application/apply-patch+yaml';

export interface PatchOptions {
  /** PatchOptions.fieldManager; required for apply */
  fieldManager?: string;
  /** PatchOptions.force; only meaningful for apply */
  force?: boolean;
  subresource?: string;
  /** apply: the object does not exist yet and `current` is a bare skeleton */
  isCreate?: boolean;
  /** apply: the expected apiVersion/kind (default: current's) */
  apiVersion?: string;
  kind?: string;
  /** strategic merge patch is not offered (custom resources) */
  noStrategic?: boolean;
  /** apply: fields the operation may not own (default `.status` on the main resource) */
  resetFields?: FieldSet;
  now?: Date;
  /** apply: decodes the configuration as the kind's type would (quantities in canonical form) */
  decodeConfig?: (config: Obj) => void;
}

/** The patch types a resource accepts, in upstream's order. */
export function patchTypes(noStrategic = false): string[] {
  return noStrategic ? [JSONPatchType, MergePatchType, ApplyPatchType] : [JSONPatchType, MergePatchType, StrategicMergePatchType, ApplyPatchType];
}

function unsupported(noStrategic: boolean): StatusError {
  return new StatusError(415, 'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${patchTypes(noStrategic).join(', ')}`);
}

/** Apply a PATCH body of the given content type to `current`; returns the patched object (current is not modified). */
export function applyPatch(contentType: string, current: object | null | undefined, patchBody: Buffer | string, schema: Schema, opts: PatchOptions = {}): object {
  const ct = contentType.split(';')[0].trim().toLowerCase();
  const body = typeof patchBody === 'string' ? patchBody : patchBody.toString('utf8');
  const cur = (current ?? {}) as Obj;
  switch (ct) {
    case JSONPatchType: {
      const out = jsonPatch(cur, body);
      if (!isObj(out)) throw errors.invalid('', '', '', [{ type: 'FieldValueInvalid', field: 'patch', value: JSON.stringify(out), detail: `json: cannot unmarshal ${Array.isArray(out) ? 'array' : typeof out} into Go value of type map[string]interface {}` }]);
      return out;
    }
    case MergePatchType:
      return mergePatch(cur, body) as object;
    case StrategicMergePatchType:
      if (opts.noStrategic) throw unsupported(true);
      return strategicMergePatch(cur, body, schema);
    case ApplyPatchType: {
      if (!opts.fieldManager) {
        const e: FieldError = { type: 'FieldValueRequired', field: 'fieldManager', detail: 'is required for apply patch' };
        throw errors.invalid('meta.k8s.io', 'PatchOptions', '', [e]);
      }
      const config = decodeApplyBody(body);
      opts.decodeConfig?.(config);
      return serverSideApply(current ? cur : undefined, config, schema, {
        fieldManager: opts.fieldManager, force: opts.force, subresource: opts.subresource, isCreate: opts.isCreate,
        apiVersion: opts.apiVersion, kind: opts.kind, now: opts.now, resetFields: opts.resetFields,
      });
    }
    default:
      throw unsupported(!!opts.noStrategic);
  }
}

/** Decode an apply body (YAML or JSON) the way sigs.k8s.io/yaml does; failures are 400. */
export function decodeApplyBody(body: string): Obj {
  let v: unknown;
  try {
    v = parseYAML(body, { version: '1.1' });
  } catch (e) {
    throw badRequest(`error decoding YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (v === null || v === undefined) return {};
  if (!isObj(v)) {
    const t = Array.isArray(v) ? 'array' : typeof v === 'boolean' ? 'bool' : typeof v;
    throw badRequest(`error decoding YAML: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${t} into Go value of type map[string]interface {}`);
  }
  return v;
}

/**
 * Record field ownership for a create (old undefined) or an update/patch by `manager`: sets obj.metadata.managedFields
 * in place. Objects produced by apply are left as they are. The schema defaults to the kind's registered schema.
 */
export function updateManagedFields(obj: object, old: object | undefined, manager: string, subresource = '', opts: UpdateOptions = {}): void {
  const o = obj as Obj;
  let schema = opts.schema;
  if (!schema && typeof o.apiVersion === 'string' && typeof o.kind === 'string') {
    try { schema = schemaFor(o.apiVersion, o.kind); } catch { schema = undefined; }
  }
  trackUpdate(o, old as Obj | undefined, manager, subresource, { ...opts, schema });
}
