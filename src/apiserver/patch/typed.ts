// Schema-aware walks over objects for server-side apply, after structured-merge-diff's typed package:
// the field set of a value, the comparison of two values, the apply merge, and removal of a field set.
// Structs are granular unless mapType is atomic; lists follow listType (falling back to patchStrategy merge:
// associative by patchMergeKey, or a set); values without a schema are deduced (maps granular, lists atomic).
import { FieldSet, fieldPE, indexPE, keyPE, valuePE, type Path, type PathElement } from './fieldpath.js';
import { childOf, clone, deepEqual, fieldsOf, isNamedField, isObj, itemsOf, strategies, type Obj, type Schema } from './schema-util.js';

type NodeKind = 'struct' | 'map' | 'assoc' | 'set' | 'leaf';

/** Key fields a list item is identified by, when the list is associative. */
export function listKeys(s: Schema): string[] | undefined {
  if (!s || s.type !== 'array') return undefined;
  if (s.listType === 'map') return s.listMapKeys?.length ? s.listMapKeys : s.patchMergeKey ? [s.patchMergeKey] : undefined;
  if (s.listType) return undefined;
  if (strategies(s).includes('merge') && s.patchMergeKey) return [s.patchMergeKey];
  return undefined;
}

function isSetList(s: Schema): boolean {
  if (!s || s.type !== 'array') return false;
  if (s.listType) return s.listType === 'set';
  return strategies(s).includes('merge') && !s.patchMergeKey;
}

function nodeKind(v: unknown, s: Schema): NodeKind {
  if (isObj(v)) {
    if (s?.mapType === 'atomic') return 'leaf';
    if (s?.type === 'object' && fieldsOf(s)) return 'struct';
    return 'map';
  }
  if (Array.isArray(v)) {
    if (listKeys(s)) return 'assoc';
    if (isSetList(s)) return 'set';
    return 'leaf';
  }
  return 'leaf';
}

// Key fields the apiserver defaults, so items written without them still match live items.
const keyDefaults: Record<string, unknown> = { protocol: 'TCP' };

/** The path element of a list item. */
export function itemPE(item: unknown, index: number, kind: NodeKind, s: Schema): PathElement {
  if (kind === 'set') return valuePE(item);
  const keys = listKeys(s) ?? [];
  if (!isObj(item)) return indexPE(index);
  const k: Record<string, unknown> = {};
  for (const name of keys) {
    if (item[name] !== undefined && item[name] !== null) k[name] = item[name];
    else if (name in keyDefaults) k[name] = keyDefaults[name];
  }
  return Object.keys(k).length ? keyPE(k) : indexPE(index);
}

function entries(v: unknown, kind: NodeKind, s: Schema): Map<PathElement, { value: unknown; schema: Schema; key?: string }> {
  const out = new Map<PathElement, { value: unknown; schema: Schema; key?: string }>();
  if (kind === 'struct' || kind === 'map') {
    for (const [k, x] of Object.entries(v as Obj)) out.set(fieldPE(k), { value: x, schema: childOf(s, k), key: k });
  } else if (kind === 'assoc' || kind === 'set') {
    (v as unknown[]).forEach((x, i) => {
      const pe = itemPE(x, i, kind, s);
      if (!out.has(pe)) out.set(pe, { value: x, schema: itemsOf(s) });
    });
  }
  return out;
}

const isEmptyValue = (v: unknown) => v === null || (isObj(v) && Object.keys(v).length === 0) || (Array.isArray(v) && v.length === 0);

/** ToFieldSet: the fields a value sets. Struct fields holding non-empty values are not members themselves. */
export function toFieldSet(value: unknown, schema: Schema): FieldSet {
  const set = new FieldSet();
  const walk = (v: unknown, s: Schema, path: Path) => {
    const kind = nodeKind(v, s);
    if (kind === 'leaf') { set.insert(path); return; }
    for (const [pe, c] of entries(v, kind, s)) {
      const p = [...path, pe];
      walk(c.value, c.schema, p);
      if (kind === 'assoc' || kind === 'set') set.insert(p);
      else if (c.value === null || (isObj(c.value) && Object.keys(c.value).length === 0) || !isNamedField(s, c.key!)) set.insert(p);
    }
  };
  walk(value, schema, []);
  return set;
}

export interface Comparison { added: FieldSet; modified: FieldSet; removed: FieldSet }

/** Compare two objects: which fields were added, modified or removed going from lhs to rhs. */
export function compare(lhs: unknown, rhs: unknown, schema: Schema): Comparison {
  const c: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  const walk = (l: unknown, r: unknown, s: Schema, path: Path) => {
    const kl = l === undefined ? undefined : nodeKind(l, s);
    const kr = r === undefined ? undefined : nodeKind(r, s);
    if (kl && kr && kl !== kr) {
      // the value changed shape: everything under lhs went away and everything under rhs arrived
      walk(l, undefined, s, path);
      walk(undefined, r, s, path);
      c.modified.insert(path);
      return;
    }
    const kind = (kr ?? kl)!;
    // an unchanged subtree adds nothing (checked near the root, where whole sections such as spec stay put)
    if (kind !== 'leaf' && l !== undefined && r !== undefined && path.length <= 2 && (l === r || deepEqual(l, r))) return;
    const leaf = kind === 'leaf' || ((l === undefined || isEmptyValue(l)) && (r === undefined || isEmptyValue(r)));
    if (leaf) {
      if (path.length === 0) return;
      if (l === undefined) c.added.insert(path);
      else if (r === undefined) c.removed.insert(path);
      else if (!deepEqual(l, r)) c.modified.insert(path);
      return;
    }
    const le = l === undefined ? new Map() : entries(l, kind, s);
    const re = r === undefined ? new Map() : entries(r, kind, s);
    for (const [pe, x] of le) walk(x.value, re.get(pe)?.value, x.schema, [...path, pe]);
    for (const [pe, x] of re) if (!le.has(pe)) walk(undefined, x.value, x.schema, [...path, pe]);
    if (path.length === 0) return;
    // Non-leaf nodes: upstream diffs against zero-valued Go structs, so a struct field is never "added"
    // itself; maps, lists and list items record their own arrival. Any removal is recorded.
    if (l === undefined && (kind !== 'struct' || !path[path.length - 1].startsWith('f:'))) c.added.insert(path);
    else if (r === undefined) c.removed.insert(path);
  };
  walk(lhs, rhs, schema, []);
  return c;
}

/** The apply merge of config into live: config wins, granular structures merge, list order follows config. */
export function merge(live: unknown, config: unknown, schema: Schema): unknown {
  if (config === undefined) return live;
  if (live === undefined) return dropNulls(clone(config));
  const kl = nodeKind(live, schema);
  const kc = nodeKind(config, schema);
  if (kl !== kc || kc === 'leaf' || (isEmptyValue(live) && isEmptyValue(config))) return dropNulls(clone(config));
  if (kc === 'struct' || kc === 'map') {
    const out: Obj = {};
    const l = live as Obj;
    const c = config as Obj;
    for (const k of Object.keys(l)) {
      const v = Object.prototype.hasOwnProperty.call(c, k) ? merge(l[k], c[k], childOf(schema, k)) : l[k];
      if (v !== null && v !== undefined) out[k] = v;
      else if (!Object.prototype.hasOwnProperty.call(c, k)) out[k] = v;
    }
    for (const k of Object.keys(c)) {
      if (Object.prototype.hasOwnProperty.call(l, k)) continue;
      const v = merge(undefined, c[k], childOf(schema, k));
      if (v !== null && v !== undefined) out[k] = v;
    }
    return out;
  }
  return mergeList(live as unknown[], config as unknown[], kc, schema);
}

function dropNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropNulls);
  if (isObj(v)) {
    const out: Obj = {};
    for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = dropNulls(x);
    return out;
  }
  return v;
}

/** structured-merge-diff's list merge: shared items take config's order, live-only items keep their place. */
function mergeList(lhs: unknown[], rhs: unknown[], kind: NodeKind, s: Schema): unknown[] {
  const index = (list: unknown[]) => {
    const order: PathElement[] = [];
    const seen = new Map<PathElement, unknown>();
    list.forEach((x, i) => {
      const pe = itemPE(x, i, kind, s);
      if (!seen.has(pe)) { seen.set(pe, x); order.push(pe); }
    });
    return { order, seen };
  };
  const L = index(lhs);
  const R = index(rhs);
  const shared = R.order.filter((pe) => L.seen.has(pe));
  let next = shared.shift();
  const done = new Set<PathElement>();
  const out: unknown[] = [];
  const item = (pe: PathElement) => merge(L.seen.get(pe), R.seen.get(pe), itemsOf(s));
  let li = 0;
  let ri = 0;
  while (li < L.order.length || ri < R.order.length) {
    if (li < L.order.length && ri < R.order.length) {
      const pe = L.order[li];
      if (pe === R.order[ri]) {
        done.add(pe); out.push(item(pe)); li++; ri++;
        next = shared.shift();
        continue;
      }
      if (R.seen.has(pe) && next !== undefined && next !== pe) { li++; continue; }
    }
    if (li < L.order.length) {
      const pe = L.order[li];
      if (!R.seen.has(pe)) { out.push(L.seen.get(pe)); li++; continue; }
      if (done.has(pe)) { li++; continue; }
    }
    if (ri < R.order.length) {
      const pe = R.order[ri];
      done.add(pe); out.push(item(pe)); ri++;
      if (next === pe) next = shared.shift();
    }
  }
  return out;
}

/** RemoveItems: drop every path of the set from the value; structures left empty disappear. */
export function removeItems(value: unknown, set: FieldSet, schema: Schema): unknown {
  const kind = nodeKind(value, schema);
  if (kind === 'leaf') return value;
  const es = entries(value, kind, schema);
  if (kind === 'struct' || kind === 'map') {
    const out: Obj = {};
    for (const [pe, x] of es) {
      if (set.members.has(pe)) continue;
      const sub = set.child(pe);
      const v = sub && !sub.isEmpty() ? removeItems(x.value, sub, x.schema) : x.value;
      if (v !== undefined) out[x.key!] = v;
    }
    return Object.keys(out).length ? out : undefined;
  }
  const out: unknown[] = [];
  (value as unknown[]).forEach((x, i) => {
    const pe = itemPE(x, i, kind, schema);
    if (set.members.has(pe)) return;
    const sub = set.child(pe);
    const v = sub && !sub.isEmpty() ? removeItems(x, sub, itemsOf(schema)) : x;
    if (v !== undefined) out.push(v);
  });
  return out.length ? out : undefined;
}

/** EnsureNamedFieldsAreMembers: struct fields with owned children count as owned themselves. */
export function ensureNamedFieldsAreMembers(set: FieldSet, schema: Schema): FieldSet {
  const out = new FieldSet();
  for (const m of set.members) out.members.add(m);
  for (const [pe, c] of set.children) {
    let cs: Schema;
    if (pe.startsWith('f:')) {
      const name = pe.slice(2);
      cs = childOf(schema, name);
      if (isNamedField(schema, name) && !c.isEmpty()) out.members.add(pe);
    } else {
      cs = itemsOf(schema);
    }
    const sub = ensureNamedFieldsAreMembers(c, cs);
    if (!sub.isEmpty()) out.children.set(pe, sub);
  }
  return out;
}
