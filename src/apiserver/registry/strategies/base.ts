// Builds a Strategy from a small per-resource description, adding the parts every resource shares:
// ObjectMeta validation, status reset, generation management.
import type { KObject } from '../../../api/types.js';
import type { NameFunc } from '../../../api/validation/index.js';
import type { Strategy } from '../strategy.js';
import { validateObjectMeta, validateObjectMetaUpdate } from './meta.js';
import { clone, deepEqual, type Errs } from './field.js';

export interface Describe {
  /** undefined: the namespace is not checked */
  namespaced?: boolean;
  nameFunc?: NameFunc;
  /** 'subresource': status is cleared on create and kept on main-resource update */
  status?: 'subresource' | 'none';
  /** what bumps metadata.generation on update: 'spec' (default when generation is managed), 'spec+annotations', 'all-but-meta' (everything except metadata and status) */
  generation?: 'spec' | 'spec+annotations' | 'all-but-meta';
  defaults?(obj: KObject): void;
  create?(obj: KObject): void;
  update?(obj: KObject, old: KObject): void;
  validate?(obj: KObject): Errs;
  validateUpdate?(obj: KObject, old: KObject): Errs;
  selectableFields?(obj: KObject): Record<string, string>;
  /** why an object of this name may never be deleted, if so */
  deleteForbidden?(name: string): string | undefined;
  scale?: Strategy['scale'];
  decodeErrors?(obj: KObject): string[];
  statusUpdate?(obj: KObject, old: KObject): void;
  /** metadata a status write may still change (upstream's apps status strategies keep only spec and labels) */
  statusMayChange?: ('annotations' | 'labels')[];
  validateStatusUpdate?(obj: KObject, old: KObject): Errs;
  /** initial status on create, when status is 'subresource' (default {}) */
  initialStatus?(obj: KObject): any;
}

function generationChanged(mode: Describe['generation'], obj: KObject, old: KObject): boolean {
  if (mode === 'all-but-meta') {
    const strip = (o: KObject) => { const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = o; return rest; };
    return !deepEqual(strip(obj), strip(old));
  }
  if (!deepEqual(obj.spec, old.spec)) return true;
  return mode === 'spec+annotations' && !deepEqual(obj.metadata.annotations, old.metadata.annotations);
}

export function makeStrategy(d: Describe): Strategy {
  const s: Strategy = {
    defaults: d.defaults,
    prepareForCreate(obj) {
      if (d.status === 'subresource') obj.status = d.initialStatus ? d.initialStatus(obj) : {};
      if (d.generation) obj.metadata.generation = 1;
      d.create?.(obj);
    },
    prepareForUpdate(obj, old) {
      if (d.status === 'subresource') {
        if (old.status === undefined) delete obj.status; else obj.status = clone(old.status);
      }
      if (d.generation) {
        const g = old.metadata.generation ?? 1;
        obj.metadata.generation = generationChanged(d.generation, obj, old) ? g + 1 : g;
      }
      d.update?.(obj, old);
    },
    validate(obj) {
      return [...validateObjectMeta(obj, { namespaced: d.namespaced, nameFunc: d.nameFunc }), ...(d.validate?.(obj) ?? [])];
    },
    validateUpdate(obj, old) {
      return [...validateObjectMetaUpdate(obj, old), ...(d.validateUpdate?.(obj, old) ?? [])];
    },
    resetStatusOnUpdate: d.status === 'subresource',
    prepareForStatusUpdate(obj, old) {
      prepareStatusUpdate(obj, old, d.statusMayChange);
      d.statusUpdate?.(obj, old);
    },
    validateStatusUpdate(obj, old) {
      return [...validateObjectMetaUpdate(obj, old), ...(d.validateStatusUpdate?.(obj, old) ?? [])];
    },
  };
  if (d.selectableFields) s.selectableFields = d.selectableFields;
  if (d.deleteForbidden) s.deleteForbidden = d.deleteForbidden;
  if (d.scale) s.scale = d.scale;
  if (d.decodeErrors) s.decodeErrors = d.decodeErrors;
  return s;
}

/**
 * Status-subresource update (upstream's *StatusStrategy.PrepareForUpdate): everything but status
 * and metadata comes from the old object; metadata is the caller's (the store guards system fields),
 * except labels, annotations and ownerReferences, which a status write cannot change.
 */
export function prepareStatusUpdate(obj: KObject, old: KObject, mayChange: string[] = []): void {
  for (const k of Object.keys(obj)) if (k !== 'metadata' && k !== 'status' && k !== 'apiVersion' && k !== 'kind') delete obj[k];
  for (const [k, v] of Object.entries(old)) if (k !== 'metadata' && k !== 'status' && k !== 'apiVersion' && k !== 'kind') obj[k] = clone(v);
  for (const k of (['labels', 'annotations', 'ownerReferences'] as const).filter((x) => !mayChange.includes(x))) {
    if (old.metadata[k] === undefined) delete obj.metadata[k]; else obj.metadata[k] = clone(old.metadata[k]) as any;
  }
  if (old.metadata.generation !== undefined) obj.metadata.generation = old.metadata.generation;
}
