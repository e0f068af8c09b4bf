// ObjectMeta, labels, annotations and label selector validation (upstream apimachinery validation).
import type { KObject } from '../../../api/types.js';
import { isQualifiedName, isValidLabelValue, nameIsDNSSubdomain, nameIsDNSLabel, type NameFunc } from '../../../api/validation/index.js';
import { fe, each, immutable, arr, isObject, type Errs } from './field.js';

export const totalAnnotationSizeLimit = 256 * 1024;

export function validateLabels(labels: unknown, path: string): Errs {
  const errs: Errs = [];
  if (!isObject(labels)) return errs;
  for (const [k, v] of Object.entries(labels)) {
    errs.push(...each(path, k, isQualifiedName(k)));
    errs.push(...each(path, v, isValidLabelValue(String(v ?? ''))));
  }
  return errs;
}

export function validateAnnotations(annotations: unknown, path: string): Errs {
  const errs: Errs = [];
  if (!isObject(annotations)) return errs;
  let size = 0;
  for (const [k, v] of Object.entries(annotations)) {
    errs.push(...each(path, k, isQualifiedName(k.toLowerCase())));
    size += Buffer.byteLength(k) + Buffer.byteLength(String(v ?? ''));
  }
  if (size > totalAnnotationSizeLimit) errs.push(fe.tooLong(path, totalAnnotationSizeLimit));
  return errs;
}

function validateOwnerReferences(refs: unknown, path: string): Errs {
  const errs: Errs = [];
  const controllers: string[] = [];
  for (const r of arr(refs)) {
    if (!r?.apiVersion) errs.push(fe.invalid(`${path}.apiVersion`, r?.apiVersion ?? '', 'version must not be empty'));
    if (!r?.kind) errs.push(fe.invalid(`${path}.kind`, r?.kind ?? '', 'kind must not be empty'));
    if (!r?.name) errs.push(fe.invalid(`${path}.name`, r?.name ?? '', 'name must not be empty'));
    if (!r?.uid) errs.push(fe.invalid(`${path}.uid`, r?.uid ?? '', 'uid must not be empty'));
    if (r?.controller === true) controllers.push(`${r.kind}/${r.name}`);
  }
  if (controllers.length > 1) {
    errs.push(fe.invalid(path, refs, `Only one reference can have Controller set to true. Found "true" in references for ${controllers.join(' and ')}`));
  }
  return errs;
}

/** namespaced undefined: the namespace is not checked */
export interface MetaOptions { namespaced?: boolean; nameFunc?: NameFunc }

/** upstream ValidateObjectMeta (path "metadata") */
export function validateObjectMeta(obj: KObject, opts: MetaOptions, path = 'metadata'): Errs {
  const m = obj.metadata ?? {};
  const nameFunc = opts.nameFunc ?? nameIsDNSSubdomain;
  const errs: Errs = [];
  if (m.generateName) errs.push(...each(`${path}.generateName`, m.generateName, nameFunc(m.generateName, true)));
  if (!m.name) errs.push(fe.required(`${path}.name`, 'name or generateName is required'));
  else errs.push(...each(`${path}.name`, m.name, nameFunc(m.name, false)));
  if (opts.namespaced) {
    if (!m.namespace) errs.push(fe.required(`${path}.namespace`));
    else errs.push(...each(`${path}.namespace`, m.namespace, nameIsDNSLabel(m.namespace, false)));
  } else if (opts.namespaced === false && m.namespace) {
    errs.push(fe.forbidden(`${path}.namespace`, 'not allowed on this type'));
  }
  if (typeof m.generation === 'number' && m.generation < 0) errs.push(fe.invalid(`${path}.generation`, m.generation, 'must be greater than or equal to 0'));
  errs.push(...validateLabels(m.labels, `${path}.labels`));
  errs.push(...validateAnnotations(m.annotations, `${path}.annotations`));
  errs.push(...validateOwnerReferences(m.ownerReferences, `${path}.ownerReferences`));
  arr(m.finalizers).forEach((f: string) => errs.push(...each(`${path}.finalizers`, f, isQualifiedName(String(f)))));
  return errs;
}

/** upstream ValidateObjectMetaUpdate (the parts the store does not already enforce) */
export function validateObjectMetaUpdate(obj: KObject, old: KObject, path = 'metadata'): Errs {
  const m = obj.metadata ?? {}; const o = old.metadata ?? {};
  const errs: Errs = [];
  if (o.deletionTimestamp) {
    const extra = arr(m.finalizers).filter((f) => !arr(o.finalizers).includes(f)).sort();
    if (extra.length) errs.push(fe.forbidden(`${path}.finalizers`, `no new finalizers can be added if the object is being deleted, found new finalizers []string{${extra.map((x) => JSON.stringify(x)).join(', ')}}`));
  }
  errs.push(...immutable(`${path}.name`, m.name, o.name));
  errs.push(...immutable(`${path}.namespace`, m.namespace, o.namespace));
  if (m.uid) errs.push(...immutable(`${path}.uid`, m.uid, o.uid));
  return errs;
}

// ---- label selectors ----

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** upstream metav1validation.ValidateLabelSelector */
export function validateLabelSelector(sel: unknown, path: string): Errs {
  const errs: Errs = [];
  if (!isObject(sel)) return errs;
  errs.push(...validateLabels(sel.matchLabels, `${path}.matchLabels`));
  arr(sel.matchExpressions).forEach((r: any, i: number) => {
    const p = `${path}.matchExpressions[${i}]`;
    switch (r?.operator) {
      case 'In': case 'NotIn':
        if (arr(r.values).length === 0) errs.push(fe.required(`${p}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
        break;
      case 'Exists': case 'DoesNotExist':
        if (arr(r.values).length > 0) errs.push(fe.forbidden(`${p}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
        break;
      default:
        errs.push(fe.invalid(`${p}.operator`, r?.operator ?? '', 'not a valid selector operator'));
    }
    errs.push(...each(`${p}.key`, r?.key ?? '', isQualifiedName(String(r?.key ?? ''))));
    arr(r?.values).forEach((v: string, j: number) => errs.push(...each(`${p}.values[${j}]`, v, isValidLabelValue(String(v)))));
  });
  return errs;
}

export function selectorIsEmpty(sel: unknown): boolean {
  return !isObject(sel) || (Object.keys(sel.matchLabels ?? {}).length === 0 && arr(sel.matchExpressions).length === 0);
}

/** whether a LabelSelector matches a label set (an empty selector matches everything) */
export function selectorMatches(sel: unknown, labels: Record<string, string> | undefined): boolean {
  if (!isObject(sel)) return true;
  const l = labels ?? {};
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const r of arr(sel.matchExpressions)) {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    const vals: string[] = arr(r.values);
    switch (r.operator) {
      case 'In': if (!has || !vals.includes(l[r.key])) return false; break;
      case 'NotIn': if (has && vals.includes(l[r.key])) return false; break;
      case 'Exists': if (!has) return false; break;
      case 'DoesNotExist': if (has) return false; break;
      default: return false;
    }
  }
  return true;
}

/** a map selector (Service, ReplicationController) matches when every pair is present */
export function mapSelectorMatches(sel: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  return Object.entries(sel ?? {}).every(([k, v]) => l[k] === v);
}
