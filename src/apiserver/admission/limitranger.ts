// LimitRanger admission (upstream plugin/pkg/admission/limitranger), on create: a pod's containers
// get the default limits and requests of the namespace's LimitRanges (type Container) where they
// set none, recorded in the kubernetes.io/limit-ranger annotation; then the pod is checked against
// each item's min, max and maxLimitRequestRatio per Container and per Pod, and a claim against
// min and max storage per PersistentVolumeClaim. A violation is 403 Forbidden with upstream's
// messages.
import { formatQuantity } from '../../api/quota.js';
import { StatusError } from '../../api/status.js';
import type { KObject } from '../../api/types.js';
import { parseQuantity } from '../../api/validation/quantity.js';

type List = Record<string, unknown>;
const isList = (v: unknown): v is List => typeof v === 'object' && v !== null && !Array.isArray(v);
const q = (v: unknown) => parseQuantity(v) ?? NaN;
const text = (v: unknown) => String(v);

/** upstream's minConstraint/maxConstraint/limitRequestRatioConstraint, for one resource */
function check(kind: 'Container' | 'Pod' | 'PersistentVolumeClaim', item: any, resource: string, request: unknown, limit: unknown, errs: string[]): void {
  const min = item.min?.[resource], max = item.max?.[resource], ratio = item.maxLimitRequestRatio?.[resource];
  if (min !== undefined) {
    if (request === undefined) errs.push(`minimum ${resource} usage per ${kind} is ${text(min)}.  No request is specified`);
    else if (q(request) < q(min)) errs.push(`minimum ${resource} usage per ${kind} is ${text(min)}, but request is ${text(request)}`);
  }
  if (max !== undefined) {
    if (kind === 'PersistentVolumeClaim') { if (request !== undefined && q(request) > q(max)) errs.push(`maximum ${resource} usage per ${kind} is ${text(max)}, but request is ${text(request)}`); }
    else if (limit === undefined) errs.push(`maximum ${resource} usage per ${kind} is ${text(max)}.  No limit is specified`);
    else if (q(limit) > q(max)) errs.push(`maximum ${resource} usage per ${kind} is ${text(max)}, but limit is ${text(limit)}`);
  }
  if (ratio !== undefined && kind !== 'PersistentVolumeClaim') {
    if (request === undefined || q(request) === 0) errs.push(`${resource} max limit to request ratio per ${kind} is ${text(ratio)}, but no request is specified or request is 0`);
    else if (limit === undefined || q(limit) === 0) errs.push(`${resource} max limit to request ratio per ${kind} is ${text(ratio)}, but no limit is specified or limit is 0`);
    else if (q(limit) / q(request) > q(ratio)) errs.push(`${resource} max limit to request ratio per ${kind} is ${text(ratio)}, but provided ratio is ${(q(limit) / q(request)).toFixed(6)}`);
  }
}

function forbidden(resource: string, name: string, errs: string[]): StatusError {
  const why = errs.length === 1 ? errs[0] : `[${errs.join(', ')}]`;
  return new StatusError(403, 'Forbidden', `${resource} "${name}" is forbidden: ${why}`, { name, kind: resource });
}

/** defaults and checks a new pod against the namespace's LimitRanges */
export function admitPod(pod: KObject, limitRanges: KObject[]): void {
  const items = limitRanges.flatMap((lr) => (Array.isArray(lr.spec?.limits) ? lr.spec.limits : []));
  if (!items.length) return;
  const containers: any[] = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  // defaults (mergeContainerResources): limits and requests a container does not set
  const notes: string[] = [];
  for (const item of items.filter((i: any) => i?.type === 'Container')) {
    for (const c of containers) {
      const res = (c.resources ??= {});
      const set = (field: 'limits' | 'requests', defaults: unknown) => {
        if (!isList(defaults)) return [];
        const have: List = (res[field] ??= {});
        const added = Object.keys(defaults).filter((k) => have[k] === undefined);
        for (const k of added) have[k] = defaults[k];
        if (!Object.keys(have).length) delete res[field];
        return added;
      };
      const req = set('requests', item.defaultRequest);
      const lim = set('limits', item.default);
      const what = `${(pod.spec?.initContainers ?? []).includes(c) ? 'init container' : 'container'} ${c.name}`;
      if (req.length) notes.push(`${req.sort().join(', ')} request for ${what}`);
      if (lim.length) notes.push(`${lim.sort().join(', ')} limit for ${what}`);
    }
  }
  if (notes.length) pod.metadata.annotations = { ...(pod.metadata.annotations ?? {}), 'kubernetes.io/limit-ranger': `LimitRanger plugin set: ${notes.join('; ')}` };
  const errs: string[] = [];
  for (const item of items) {
    const keys = new Set([...Object.keys(item.min ?? {}), ...Object.keys(item.max ?? {}), ...Object.keys(item.maxLimitRequestRatio ?? {})]);
    if (item.type === 'Container') {
      for (const c of containers) for (const r of keys) check('Container', item, r, c.resources?.requests?.[r], c.resources?.limits?.[r], errs);
    } else if (item.type === 'Pod') {
      // the pod's sum over its containers (a resource no container sets is absent)
      const sum = (field: 'requests' | 'limits', r: string) => {
        const vals = (pod.spec?.containers ?? []).map((c: any) => c.resources?.[field]?.[r]).filter((v: unknown) => v !== undefined);
        return vals.length === (pod.spec?.containers ?? []).length && vals.length ? formatQuantity(r, vals.reduce((a: number, v: unknown) => a + q(v), 0)) : undefined;
      };
      for (const r of keys) check('Pod', item, r, sum('requests', r), sum('limits', r), errs);
    }
  }
  if (errs.length) throw forbidden('pods', pod.metadata.name ?? '', errs);
}

/** checks a new claim's storage request against the namespace's LimitRanges */
export function admitClaim(pvc: KObject, limitRanges: KObject[]): void {
  const errs: string[] = [];
  for (const item of limitRanges.flatMap((lr) => (Array.isArray(lr.spec?.limits) ? lr.spec.limits : []))) {
    if (item?.type !== 'PersistentVolumeClaim') continue;
    for (const r of new Set([...Object.keys(item.min ?? {}), ...Object.keys(item.max ?? {})])) check('PersistentVolumeClaim', item, r, pvc.spec?.resources?.requests?.[r], undefined, errs);
  }
  if (errs.length) throw forbidden('persistentvolumeclaims', pvc.metadata.name ?? '', errs);
}
