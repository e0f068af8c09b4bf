// Server-side apply and field ownership, after sigs.k8s.io/structured-merge-diff's merge.Updater and the
// apiserver's fieldmanager chain (stripMeta, managedFieldsUpdater, skipNonApplied, versionCheck).
import { StatusError } from '../../api/status.js';
import { badRequest } from './errors.js';
import { FieldSet, fieldPE, pathString, type Path } from './fieldpath.js';
import {
  decodeManaged, encodeManaged, formatTime, isReset, managerId, printManager, strippedFields, withoutManagedFields,
  type Manager,
} from './managed.js';
import { deepEqual, isObj, type Obj, type Schema } from './schema-util.js';
import { nowRFC3339 } from '../../util/time.js';
import { compare, ensureNamedFieldsAreMembers, merge, removeItems, toFieldSet, type Comparison } from './typed.js';

export interface ApplyOptions {
  fieldManager: string;
  force?: boolean;
  subresource?: string;
  /** the object does not exist yet (live is a bare skeleton) */
  isCreate?: boolean;
  /** expected apiVersion/kind; defaults to the live object's */
  apiVersion?: string;
  kind?: string;
  now?: Date;
  /** fields the operation may not own (resetFields); default `.status` for the main resource */
  resetFields?: FieldSet;
}

export interface UpdateOptions { schema?: Schema; now?: Date }

const statusSet = FieldSet.of([fieldPE('status')]);
const beforeFirstApply = 'before-first-apply';

interface Conflict { id: string; manager: Manager; path: Path }

/** NewConflictError: 409 with one FieldManagerConflict cause per field. */
export function conflictError(conflicts: Conflict[]): StatusError {
  const causes = conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${printManager(c.manager)}`, field: pathString(c.path) }));
  let message: string;
  if (conflicts.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${printManager(conflicts[0].manager)}: ${pathString(conflicts[0].path)}`;
  } else {
    const ids = [...new Set(conflicts.map((c) => c.id))].sort();
    const lines: string[] = [];
    for (const id of ids) {
      const cs = conflicts.filter((c) => c.id === id);
      lines.push(`conflicts with ${printManager(cs[0].manager)}:`);
      for (const c of cs) lines.push(`- ${pathString(c.path)}`);
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new StatusError(409, 'Conflict', message, { causes });
}

/**
 * Updater.update: other managers lose fields the change removed, and fields it added or modified.
 * Without force, touching another manager's field is a conflict.
 */
function takeOwnership(managers: Map<string, Manager>, lhs: unknown, rhs: unknown, schema: Schema, self: string, force: boolean, reset?: FieldSet, precomputed?: Comparison,
  allowedConflicts?: () => FieldSet | undefined) {
  const cmp = precomputed ?? compare(lhs, rhs, schema);
  if (reset) for (const k of ['added', 'modified', 'removed'] as const) cmp[k] = cmp[k].recursiveDifference(reset);
  const changed = cmp.modified.union(cmp.added);
  const conflicts: Conflict[] = [];
  const conflictSets = new Map<string, FieldSet>();
  for (const id of [...managers.keys()].sort()) {
    if (id === self) continue;
    const m = managers.get(id)!;
    const c = m.set.intersection(changed);
    if (c.isEmpty()) continue;
    conflictSets.set(id, c);
    for (const path of c.paths()) conflicts.push({ id, manager: m, path });
  }
  if (!force && conflicts.length) {
    let all = new FieldSet();
    for (const c of conflictSets.values()) all = all.union(c);
    const allowed = allowedConflicts?.();
    if (!allowed || !all.difference(allowed).isEmpty()) throw conflictError(conflicts);
  }
  for (const [id, m] of managers) {
    if (id === self) continue;
    const c = conflictSets.get(id);
    if (c) m.set = m.set.difference(c);
    m.set = m.set.difference(cmp.removed);
    if (m.set.isEmpty()) managers.delete(id);
  }
  return cmp;
}

function stripAll(managers: Map<string, Manager>): void {
  for (const [id, m] of managers) {
    m.set = m.set.difference(strippedFields);
    if (m.set.isEmpty()) managers.delete(id);
  }
}

function setManaged(obj: Obj, managers: Map<string, Manager>): void {
  const entries = encodeManaged(managers);
  if (!isObj(obj.metadata)) {
    if (!entries.length) return;
    obj.metadata = {};
  }
  const md = obj.metadata as Obj;
  if (entries.length) md.managedFields = entries;
  else delete md.managedFields;
}

/** Record an Update operation of `manager` going from `old` (undefined on create) to `obj`, whose metadata.managedFields it sets. */
export function trackUpdate(obj: Obj, old: Obj | undefined, manager: string, subresource: string, opts: UpdateOptions = {}): void {
  const md = isObj(obj.metadata) ? obj.metadata : undefined;
  if (md && isReset(md.managedFields)) {
    delete md.managedFields;
    return;
  }
  const given = Array.isArray(md?.managedFields) && (md!.managedFields as unknown[]).length ? md!.managedFields : undefined;
  const raw = given ?? (isObj(old?.metadata) ? old!.metadata.managedFields : undefined);
  // objects that never had managed fields are not tracked on update (skipNonAppliedManager)
  if (old !== undefined && !(Array.isArray(raw) && raw.length)) {
    if (md) delete md.managedFields;
    return;
  }
  const lhs = withoutManagedFields(old ?? {});
  const rhs = withoutManagedFields(obj);
  const cmp = compare(lhs, rhs, opts.schema);
  const took = cmp.modified.union(cmp.added).difference(strippedFields);
  if (old !== undefined && took.isEmpty() && cmp.removed.isEmpty() && md) {
    // nothing changed hands: the entries stay as they are
    md.managedFields = raw;
    return;
  }
  const managers = decodeManaged(raw) ?? new Map<string, Manager>();
  const apiVersion = typeof obj.apiVersion === 'string' ? obj.apiVersion : '';
  const self = '\u0000current-operation';
  takeOwnership(managers, lhs, rhs, opts.schema, self, true, undefined, cmp);
  if (!took.isEmpty()) {
    const m: Manager = { manager, operation: 'Update', apiVersion, subresource: subresource || undefined, set: took };
    const id = managerId(m);
    const prev = managers.get(id);
    m.set = prev ? took.union(prev.set) : took;
    m.time = opts.now ? formatTime(opts.now) : nowRFC3339();
    managers.set(id, m);
  }
  stripAll(managers);
  setManaged(obj, managers);
}

function gvkString(apiVersion: unknown, kind: unknown): string {
  const av = typeof apiVersion === 'string' ? apiVersion : '';
  const i = av.indexOf('/');
  const [group, version] = i >= 0 ? [av.slice(0, i), av.slice(i + 1)] : ['', av];
  return `${group}/${version}, Kind=${typeof kind === 'string' ? kind : ''}`;
}

/** Server-side apply of `config` (decoded apply body) onto `live`; returns the new object with managedFields. */
/**
 * The fields of the kubectl.kubernetes.io/last-applied-configuration annotation that still hold
 * the value it gave them: a server-side apply by "kubectl" may take those over from client-side
 * apply without a conflict, so that switching to --server-side works (upstream's lastAppliedManager).
 */
function lastAppliedFields(live: Obj, schema: Schema): FieldSet | undefined {
  const text = isObj(live.metadata) && isObj(live.metadata.annotations) ? live.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'] : undefined;
  if (typeof text !== 'string' || !text) return undefined;
  let last: unknown;
  try { last = JSON.parse(text); } catch { return undefined; }
  if (!isObj(last)) return undefined;
  const cmp = compare(last, live, schema);
  return toFieldSet(last, schema).difference(cmp.modified).difference(cmp.added).difference(cmp.removed);
}

export function serverSideApply(live: Obj | undefined, config: Obj, schema: Schema, opts: ApplyOptions): Obj {
  const wantVersion = opts.apiVersion ?? live?.apiVersion;
  const wantKind = opts.kind ?? live?.kind;
  if (wantVersion !== undefined && wantKind !== undefined && (config.apiVersion !== wantVersion || config.kind !== wantKind)) {
    throw badRequest(`invalid object type: ${gvkString(config.apiVersion, config.kind)}`);
  }
  if (isObj(config.metadata) && config.metadata.managedFields !== undefined && config.metadata.managedFields !== null) {
    throw badRequest('metadata.managedFields must be nil');
  }
  const liveObj = withoutManagedFields(live ?? {});
  const managers = decodeManaged(isObj(live?.metadata) ? live!.metadata.managedFields : undefined) ?? new Map<string, Manager>();
  const apiVersion = typeof config.apiVersion === 'string' ? config.apiVersion : '';
  const reset = opts.resetFields ?? (opts.subresource ? undefined : statusSet);

  // the first apply to an untracked object: what is there belongs to someone else
  if (managers.size === 0 && !opts.isCreate && live !== undefined) {
    const set = toFieldSet(liveObj, schema).difference(strippedFields);
    if (!set.isEmpty()) {
      const m: Manager = { manager: beforeFirstApply, operation: 'Update', apiVersion: typeof live.apiVersion === 'string' ? live.apiVersion : apiVersion, set };
      managers.set(managerId(m), m);
    }
  }

  const self: Manager = { manager: opts.fieldManager, operation: 'Apply', apiVersion, subresource: opts.subresource || undefined, set: new FieldSet() };
  const selfId = managerId(self);
  const last = managers.get(selfId);
  self.time = last?.time;
  let configSet = toFieldSet(config, schema);
  if (reset) configSet = configSet.recursiveDifference(reset);
  self.set = configSet;
  managers.set(selfId, self);

  let merged = merge(liveObj, config, schema) as Obj;
  // prune what this applier set last time, no longer sets, and nobody else owns
  if (last && !last.set.isEmpty()) {
    let owned = new FieldSet();
    for (const m of managers.values()) owned = owned.union(m.set);
    const toRemove = ensureNamedFieldsAreMembers(last.set, schema).difference(ensureNamedFieldsAreMembers(owned, schema));
    if (!toRemove.isEmpty()) merged = (removeItems(merged, toRemove, schema) as Obj | undefined) ?? {};
  }

  // kubectl moving an object from client-side to server-side apply (upstream's lastAppliedManager)
  const fromClientSide = opts.fieldManager === 'kubectl' ? () => lastAppliedFields(liveObj, schema) : undefined;
  takeOwnership(managers, liveObj, merged, schema, selfId, !!opts.force, reset, undefined, fromClientSide);
  stripAll(managers);
  if (!deepEqual(liveObj, merged)) self.time = opts.now ? formatTime(opts.now) : nowRFC3339();
  setManaged(merged, managers);
  return merged;
}
