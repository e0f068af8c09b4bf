// Strategic merge patch, following k8s.io/apimachinery/pkg/util/strategicpatch as the apiserver applies it
// (MergeParallelList and IgnoreUnmatchedNulls on): lists merge by patchMergeKey when the field's strategy is
// 'merge', primitive merge lists are unioned, and the directives $patch, $retainKeys, $setElementOrder/<f> and
// $deleteFromPrimitiveList/<f> are honoured. Without a schema every map merges and every list is replaced.
import { StatusError } from '../../api/status.js';
import { badRequest, goFmt, parseJSON, plainError } from './errors.js';
import { childOf, clone, isObj, itemsOf, strategies, type Obj, type Schema } from './schema-util.js';

const directiveMarker = '$patch';
const retainKeysDirective = '$retainKeys';
const deleteFromPrimitiveListPrefix = '$deleteFromPrimitiveList';
const setElementOrderPrefix = '$setElementOrder';

// mergepatch's sentinel errors and how the patch handler maps them (interpretStrategicMergePatchError).
const errBadPatchFormatForPrimitiveList = () => badRequest('invalid patch format of primitive list');
const errBadPatchFormatForRetainKeys = () => badRequest('invalid patch format of retainKeys');
const errBadPatchFormatForSetElementOrderList = () => badRequest('invalid patch format of setElementOrder list');
const errNoListOfLists = () => new StatusError(422, 'Invalid', 'the server rejected our request due to an error in our request', {
  causes: [{ reason: 'UnexpectedServerResponse', message: 'lists of lists are not supported' }],
});
const errNoMergeKey = (m: Obj, k: string) => plainError(`map: ${goFmt(m)} does not contain declared merge key: ${k}`);
const errBadPatchType = (t: unknown, m: Obj) => plainError(`unknown patch type: ${goFmt(t)} in map: ${goFmt(m)}`);

type Kind = 'map' | 'list' | 'scalar';
const kindOf = (v: unknown): Kind => (Array.isArray(v) ? 'list' : isObj(v) ? 'map' : 'scalar');

/** The field's strategy with retainKeys taken out ('merge' | 'replace' | ''). */
function fieldStrategy(s: Schema): string {
  const all = strategies(s).filter((x) => x !== 'retainKeys');
  if (all.length > 1) throw plainError(`unexpected patch strategy: ${s?.patchStrategy}`);
  return all[0] ?? '';
}

/** Apply a strategic merge patch body to `original` (not modified); returns the patched object. */
export function strategicMergePatch(original: unknown, body: string, schema: Schema): Obj {
  const patch = parseJSON(body);
  if (patch === null) return clone(isObj(original) ? original : {});
  if (!isObj(patch)) throw badRequest(`json: cannot unmarshal ${Array.isArray(patch) ? 'array' : typeof patch} into Go value of type map[string]interface {}`);
  return strategicMergeMap(original, patch, schema);
}

/** Apply an already decoded strategic patch map. */
export function strategicMergeMap(original: unknown, patch: Obj, schema: Schema): Obj {
  return mergeMap(clone(isObj(original) ? original : {}), clone(patch), schema);
}

function handleDirectiveInMergeMap(directive: unknown, patch: Obj, schema: Schema): Obj {
  if (directive === 'replace') {
    delete patch[directiveMarker];
    return mergeMap({}, patch, schema);
  }
  if (directive === 'delete') return {};
  throw errBadPatchType(directive, patch);
}

function mergeMap(original: Obj, patch: Obj, schema: Schema): Obj {
  if (Object.prototype.hasOwnProperty.call(patch, directiveMarker)) {
    // `$patch: merge` is the default behaviour (upstream rejects it in maps); drop it and merge.
    if (patch[directiveMarker] !== 'merge') return handleDirectiveInMergeMap(patch[directiveMarker], patch, schema);
    delete patch[directiveMarker];
  }
  applyRetainKeys(original, patch);
  mergeSetElementOrder(original, patch, schema);

  for (let [k, pv] of Object.entries(patch)) {
    let isDeleteList = false;
    if (k.startsWith(deleteFromPrimitiveListPrefix)) {
      k = extractKey(k, deleteFromPrimitiveListPrefix);
      isDeleteList = true;
    } else if (k.startsWith('$')) {
      continue; // other directives were consumed above; unknown ones are dropped like unknown fields
    }
    if (pv === null) {
      delete original[k];
      continue;
    }
    const cs = childOf(schema, k);
    if (!Object.prototype.hasOwnProperty.call(original, k) || original[k] === null) {
      if (!isDeleteList) {
        const v = newValue(pv, cs);
        if (v !== undefined) original[k] = v;
      }
      continue;
    }
    const ov = original[k];
    const kind = kindOf(ov);
    if (kind !== kindOf(pv)) {
      if (!isDeleteList) original[k] = newValue(pv, cs);
      continue;
    }
    if (kind === 'map') {
      original[k] = fieldStrategy(cs) === 'replace' ? newValue(pv, cs) : mergeMap(ov as Obj, pv as Obj, cs);
    } else if (kind === 'list') {
      original[k] = mergeSliceHandler(ov as unknown[], pv as unknown[], cs, isDeleteList);
    } else if (!isDeleteList) {
      original[k] = pv;
    }
  }
  return original;
}

/** A patch value for a key the original lacks: directives and nulls are resolved against nothing. */
function newValue(pv: unknown, s: Schema): unknown {
  if (isObj(pv)) {
    if (pv[directiveMarker] === 'delete') return undefined;
    return mergeMap({}, pv, s);
  }
  if (Array.isArray(pv)) {
    if (fieldStrategy(s) === 'merge') return mergeSliceHandler([], pv, s, false);
    return pv;
  }
  return pv;
}

function extractKey(k: string, prefix: string): string {
  const i = k.indexOf('/');
  if (i < 0 || k.slice(0, i) !== prefix) {
    throw prefix === deleteFromPrimitiveListPrefix ? errBadPatchFormatForPrimitiveList() : errBadPatchFormatForSetElementOrderList();
  }
  return k.slice(i + 1);
}

function applyRetainKeys(original: Obj, patch: Obj): void {
  if (!Object.prototype.hasOwnProperty.call(patch, retainKeysDirective)) return;
  const list = patch[retainKeysDirective];
  delete patch[retainKeysDirective];
  if (!Array.isArray(list)) throw errBadPatchFormatForRetainKeys();
  const keep = new Set(list);
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || k.startsWith(deleteFromPrimitiveListPrefix) || k.startsWith(setElementOrderPrefix) || k === directiveMarker) continue;
    if (!keep.has(k)) throw errBadPatchFormatForRetainKeys();
  }
  for (const k of Object.keys(original)) if (!keep.has(k)) delete original[k];
}

function listMergeKey(s: Schema): string {
  return s?.patchMergeKey ?? '';
}

function mergeSetElementOrder(original: Obj, patch: Obj, schema: Schema): void {
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(setElementOrderPrefix)) continue;
    const order = patch[key];
    delete patch[key];
    const field = extractKey(key, setElementOrderPrefix);
    if (!Array.isArray(order)) throw plainError(`expected a []interface {}, but received a ${goTypeName(order)}`);
    const foundOriginal = Array.isArray(original[field]);
    const foundPatch = Array.isArray(patch[field]);
    if (original[field] !== undefined && original[field] !== null && !foundOriginal) throw plainError(`expected a []interface {}, but received a ${goTypeName(original[field])}`);
    if (patch[field] !== undefined && patch[field] !== null && !foundPatch) throw plainError(`expected a []interface {}, but received a ${goTypeName(patch[field])}`);
    const originalList = foundOriginal ? (original[field] as unknown[]) : [];
    const patchList = foundPatch ? (patch[field] as unknown[]) : [];
    const cs = childOf(schema, field);
    const mergeKey = listMergeKey(cs);
    validatePatchWithSetOrderList(patchList, order, mergeKey);
    let merged: unknown[];
    if (foundOriginal && !foundPatch) merged = originalList;
    else if (!foundOriginal && foundPatch) merged = newValue(patchList, cs) as unknown[];
    else if (foundOriginal && foundPatch) merged = mergeSliceHandler(originalList, patchList, cs, false);
    else continue;
    const [patchItems, serverOnly] = partition(merged, order, mergeKey);
    const kind = elementKind(originalList, patchList);
    original[field] = normalizeElementOrder(patchItems, serverOnly, order, originalList, mergeKey, kind);
    delete patch[field];
  }
}

function goTypeName(v: unknown): string {
  if (Array.isArray(v)) return '[]interface {}';
  if (isObj(v)) return 'map[string]interface {}';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'float64';
  if (typeof v === 'boolean') return 'bool';
  return '%!s(<nil>)';
}

function validatePatchWithSetOrderList(patchList: unknown[], order: unknown[], mergeKey: string): void {
  if (order.length === 0 || patchList.length === 0) return;
  let nonDelete = patchList;
  if (mergeKey) nonDelete = patchList.filter((v) => !(isObj(v) && v[directiveMarker] === 'delete'));
  let pi = 0;
  let oi = 0;
  while (pi < nonDelete.length && oi < order.length) {
    const item = nonDelete[pi];
    if (isObj(item) && Object.prototype.hasOwnProperty.call(item, directiveMarker)) { pi++; continue; }
    if (mergeKeyValueEqual(item, order[oi], mergeKey)) pi++;
    oi++;
  }
  if (pi < nonDelete.length && oi >= order.length) {
    throw plainError(`The order in patch list:\n${goFmt(patchList)}\n doesn't match ${setElementOrderPrefix} list:\n${goFmt(order)}\n`);
  }
}

function mergeKeyValueEqual(l: unknown, r: unknown, mergeKey: string): boolean {
  if (!mergeKey) return l === r;
  if (!isObj(l)) throw plainError(`expected a map[string]interface {}, but received a ${goTypeName(l)}`);
  if (!isObj(r)) throw plainError(`expected a map[string]interface {}, but received a ${goTypeName(r)}`);
  if (!(mergeKey in l)) throw errNoMergeKey(l, mergeKey);
  if (!(mergeKey in r)) throw errNoMergeKey(r, mergeKey);
  return l[mergeKey] === r[mergeKey];
}

function mergeSliceHandler(original: unknown[], patch: unknown[], s: Schema, isDeleteList: boolean): unknown[] {
  if (fieldStrategy(s) === 'merge' || isDeleteList) return mergeSlice(original, patch, s, isDeleteList);
  return patch;
}

/** sliceElementType: 'map' or 'scalar'; lists of lists are rejected. */
function elementKind(...lists: unknown[][]): 'map' | 'scalar' | undefined {
  let kind: string | undefined;
  for (const l of lists) {
    for (const v of l) {
      const k = Array.isArray(v) ? 'list' : isObj(v) ? 'map' : v === null ? 'null' : typeof v;
      if (kind === undefined) {
        if (k === 'list') throw errNoListOfLists();
        kind = k;
      } else if (k !== kind) {
        throw plainError(`list element types are not identical: ${goFmt(lists)}`);
      }
    }
  }
  if (kind === undefined) return undefined;
  return kind === 'map' ? 'map' : 'scalar';
}

function mergeSlice(original: unknown[], patch: unknown[], s: Schema, isDeleteList: boolean): unknown[] {
  if (original.length === 0 && patch.length === 0) return original;
  const kind = elementKind(original, patch);
  const mergeKey = listMergeKey(s);
  let merged: unknown[];
  if (kind !== 'map') {
    if (isDeleteList) {
      const del = new Set(patch);
      return original.filter((v) => !del.has(v));
    }
    merged = dedupe([...original, ...patch]);
  } else {
    if (!mergeKey) throw plainError('cannot merge lists without merge key for type map');
    [original, patch] = withSpecialElements(original, patch, mergeKey, itemsOf(s));
    merged = withoutSpecialElements(original, patch, mergeKey, itemsOf(s));
  }
  const [patchItems, serverOnly] = partition(merged, patch, kind === 'map' ? mergeKey : '');
  return normalizeElementOrder(patchItems, serverOnly, patch, original, kind === 'map' ? mergeKey : '', kind);
}

function dedupe(list: unknown[]): unknown[] {
  const seen = new Set<unknown>();
  return list.filter((v) => (seen.has(v) ? false : (seen.add(v), true)));
}

function withSpecialElements(original: unknown[], patch: unknown[], mergeKey: string, itemSchema: Schema): [unknown[], unknown[]] {
  const rest: unknown[] = [];
  let replace = false;
  for (const v of patch) {
    const m = v as Obj;
    if (!Object.prototype.hasOwnProperty.call(m, directiveMarker)) { rest.push(v); continue; }
    const d = m[directiveMarker];
    if (d === 'delete') {
      if (!(mergeKey in m)) throw errNoMergeKey(m, mergeKey);
      original = original.filter((o) => !(isObj(o) && o[mergeKey] === m[mergeKey]));
    } else if (d === 'replace') {
      replace = true;
    } else if (d === 'merge') {
      throw plainError('merging lists cannot yet be specified in the patch');
    } else {
      throw errBadPatchType(d, m);
    }
  }
  if (replace) return [rest.map((v) => mergeMap({}, v as Obj, itemSchema)), []];
  return [original, rest];
}

function withoutSpecialElements(original: unknown[], patch: unknown[], mergeKey: string, itemSchema: Schema): unknown[] {
  const out = [...original];
  for (const v of patch) {
    const m = v as Obj;
    if (!(mergeKey in m)) throw errNoMergeKey(m, mergeKey);
    const i = out.findIndex((o) => {
      if (!isObj(o)) throw plainError('value for key is not a map.');
      return mergeKey in o && o[mergeKey] === m[mergeKey];
    });
    if (i >= 0) out[i] = mergeMap(out[i] as Obj, m, itemSchema);
    else out.push(mergeMap({}, m, itemSchema));
  }
  return out;
}

const keyOf = (v: unknown, mergeKey: string) => (mergeKey ? (isObj(v) ? v[mergeKey] : undefined) : v);

function indexIn(list: unknown[], v: unknown, mergeKey: string): number {
  const want = keyOf(v, mergeKey);
  return list.findIndex((x) => keyOf(x, mergeKey) === want);
}

/** Split items into those present in `by` (by merge key or value) and the rest. */
function partition(items: unknown[], by: unknown[], mergeKey: string): [unknown[], unknown[]] {
  const inPatch: unknown[] = [];
  const serverOnly: unknown[] = [];
  for (const v of items) {
    if (mergeKey && isObj(v) && !(mergeKey in v)) throw errNoMergeKey(v, mergeKey);
    (indexIn(by, v, mergeKey) >= 0 ? inPatch : serverOnly).push(v);
  }
  return [inPatch, serverOnly];
}

/** normalizeSliceOrder: Go's sort.SliceStable (insertion sort) with upstream's comparator. */
function sortByOrder(list: unknown[], order: unknown[], mergeKey: string): unknown[] {
  const keep = list.filter((v) => !(mergeKey && isObj(v) && v[directiveMarker] === 'delete'));
  const del = list.filter((v) => mergeKey && isObj(v) && v[directiveMarker] === 'delete');
  const less = (a: unknown, b: unknown) => {
    const ia = indexIn(order, a, mergeKey);
    if (ia >= 0) {
      const ib = indexIn(order, b, mergeKey);
      if (ib >= 0) return ia < ib;
    }
    return true;
  };
  for (let i = 1; i < keep.length; i++) {
    for (let j = i; j > 0 && less(keep[j], keep[j - 1]); j--) [keep[j], keep[j - 1]] = [keep[j - 1], keep[j]];
  }
  return [...keep, ...del];
}

function normalizeElementOrder(patch: unknown[], serverOnly: unknown[], patchOrder: unknown[], serverOrder: unknown[], mergeKey: string, kind: string | undefined): unknown[] {
  const mk = kind === 'map' ? mergeKey : '';
  const right = sortByOrder(patch, patchOrder, mk);
  const left = sortByOrder(serverOnly, serverOrder, mk);
  // mergeSortedSlice: server-only items are placed before a patch item only when the live order says so
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]);
    else if (j >= right.length) out.push(left[i++]);
    else {
      const li = indexIn(serverOrder, left[i], mk);
      const ri = indexIn(serverOrder, right[j], mk);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}
