// RFC 7386 JSON merge patch, as gopkg.in/evanphx/json-patch.v4 MergePatch applies it for the apiserver.
import { badRequest, parseJSON } from './errors.js';
import { clone, isObj, type Obj } from './schema-util.js';

/** Remove null-valued keys from objects (also inside arrays); the patch value is being set, not merged. */
export function pruneNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map((x) => (x === null ? x : pruneNulls(x)));
  if (isObj(v)) {
    const out: Obj = {};
    for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = pruneNulls(x);
    return out;
  }
  return v;
}

/** Merge `patch` into `target` (neither is modified). */
export function mergePatchValue(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return pruneNulls(clone(patch));
  const out: Obj = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (isObj(v) && isObj(out[k])) out[k] = mergePatchValue(out[k], v);
    else out[k] = pruneNulls(clone(v));
  }
  return out;
}

/** Apply a merge patch body; a body that is not a JSON object is a 400 ("Invalid JSON Patch"). */
export function mergePatch(doc: unknown, body: string): unknown {
  let patch: unknown;
  try {
    patch = parseJSON(body);
  } catch {
    throw badRequest('Invalid JSON Patch');
  }
  if (!isObj(patch)) throw badRequest('Invalid JSON Patch');
  return mergePatchValue(doc, patch);
}
