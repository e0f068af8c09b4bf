// RFC 6902 JSON patch with the semantics and messages of gopkg.in/evanphx/json-patch.v4, which the apiserver uses:
// decoding failures are 400, failing operations are 422 ("the server rejected our request ...").
import jsonpatch from 'fast-json-patch';
import { StatusError } from '../../api/status.js';
import { badRequest, parseJSON, unprocessable } from './errors.js';
import { clone, deepEqual, isObj } from './schema-util.js';

const { applyOperation, escapePathComponent } = jsonpatch;

export const maxJSONPatchOperations = 10000;

type Op = Record<string, unknown> | null;
type Container = Record<string, unknown> | unknown[];
class OpError extends Error {}

function goType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'object';
  return typeof v === 'boolean' ? 'bool' : typeof v;
}

/** Decode a JSON patch document (jsonpatch.DecodePatch); failures are 400 BadRequest. */
export function decodeJSONPatch(body: string): Op[] {
  const ops = parseJSON(body);
  if (ops === null) return [];
  if (!Array.isArray(ops)) throw badRequest(`json: cannot unmarshal ${goType(ops)} into Go value of type jsonpatch.Patch`);
  for (const op of ops) {
    if (op !== null && !isObj(op)) throw badRequest(`json: cannot unmarshal ${goType(op)} into Go value of type jsonpatch.Operation`);
  }
  if (ops.length > maxJSONPatchOperations) {
    throw new StatusError(413, 'RequestEntityTooLarge', `Request entity too large: The allowed maximum operations in a JSON patch is ${maxJSONPatchOperations}, got ${ops.length}`);
  }
  return ops as Op[];
}

/** Apply a JSON patch (body text) to a document; returns a new document. */
export function jsonPatch(doc: unknown, body: string): unknown {
  return applyJSONPatchOps(doc, decodeJSONPatch(body));
}

export function applyJSONPatchOps(doc: unknown, ops: Op[]): unknown {
  let out = clone(doc);
  for (const op of ops) {
    try {
      out = applyOne(out, op ?? {});
    } catch (e) {
      if (e instanceof OpError) throw unprocessable(e.message);
      throw unprocessable(e instanceof Error ? e.message : String(e));
    }
  }
  return out;
}

const decodeKey = (k: string) => k.replace(/~1/g, '/').replace(/~0/g, '~');

/** strconv.Atoi */
function atoi(key: string): number {
  if (!/^[+-]?\d+$/.test(key)) throw new OpError(`strconv.Atoi: parsing ${JSON.stringify(key)}: invalid syntax`);
  return Number(key);
}

interface Found { con: Container; key: string; pointer: string[] }

/** findObject: walk to the parent container of path; undefined when the path does not resolve. */
function findObject(doc: unknown, path: string): Found | undefined {
  const split = path.split('/');
  if (split.length < 2) return undefined;
  const parts = split.slice(1, -1).map(decodeKey);
  let cur: unknown = doc;
  const pointer: string[] = [];
  for (const part of parts) {
    if (Array.isArray(cur)) {
      let idx: number;
      try { idx = atoi(part); } catch { return undefined; }
      if (idx < 0) idx += cur.length;
      if (idx < 0 || idx >= cur.length) return undefined;
      cur = cur[idx];
      pointer.push(String(idx));
    } else if (isObj(cur)) {
      if (!Object.prototype.hasOwnProperty.call(cur, part)) return undefined;
      cur = cur[part];
      pointer.push(part);
    } else return undefined;
    if (!Array.isArray(cur) && !isObj(cur)) return undefined;
  }
  return { con: cur as Container, key: decodeKey(split[split.length - 1]), pointer };
}

const ptr = (parts: string[]) => '/' + parts.map(escapePathComponent).join('/');
const invalidIndex = (i: number) => new OpError(`Unable to access invalid index: ${i}: invalid index referenced`);

function getIn(f: Found): unknown {
  if (Array.isArray(f.con)) {
    let idx = atoi(f.key);
    if (idx < 0) { if (idx < -f.con.length) throw invalidIndex(idx); idx += f.con.length; }
    if (idx >= f.con.length) throw invalidIndex(idx);
    return f.con[idx];
  }
  return Object.prototype.hasOwnProperty.call(f.con, f.key) ? f.con[f.key] : undefined;
}

/** The pointer to use with fast-json-patch for an add at f (negative indices resolved). */
function addPointer(f: Found): string {
  if (!Array.isArray(f.con) || f.key === '-') return ptr([...f.pointer, f.key]);
  let idx: number;
  try { idx = atoi(f.key); } catch (e) { throw new OpError(`value was not a proper array index: '${f.key}': ${(e as Error).message}`); }
  const size = f.con.length + 1;
  if (idx >= size) throw invalidIndex(idx);
  if (idx < 0) { if (idx < -size) throw invalidIndex(idx); idx += size; }
  return ptr([...f.pointer, String(idx)]);
}

function removeAt(doc: unknown, f: Found): void {
  if (Array.isArray(f.con)) {
    let idx = atoi(f.key);
    if (idx >= f.con.length) throw invalidIndex(idx);
    if (idx < 0) { if (idx < -f.con.length) throw invalidIndex(idx); idx += f.con.length; }
    applyOperation(doc, { op: 'remove', path: ptr([...f.pointer, String(idx)]) }, false, true);
    return;
  }
  if (!Object.prototype.hasOwnProperty.call(f.con, f.key)) throw new OpError(`Unable to remove nonexistent key: ${f.key}: missing value`);
  applyOperation(doc, { op: 'remove', path: ptr([...f.pointer, f.key]) }, false, true);
}

function wrap(prefix: string, fn: () => void): void {
  try { fn(); } catch (e) { throw new OpError(`${prefix}: ${(e as Error).message}`); }
}

function str(op: Record<string, unknown>, k: string): string | undefined {
  return typeof op[k] === 'string' ? (op[k] as string) : undefined;
}

function applyOne(doc: unknown, op: Record<string, unknown>): unknown {
  const kind = typeof op.op === 'string' ? op.op : 'unknown';
  const path = str(op, 'path');
  const value = op.value === undefined ? null : op.value;
  const missingPath = `operation missing path field: missing value`;
  switch (kind) {
    case 'add': {
      if (path === undefined) throw new OpError('add operation failed to decode path: missing value');
      const f = findObject(doc, path);
      if (!f) throw new OpError(`add operation does not apply: doc is missing path: "${path}": missing value`);
      wrap(`error in add for path: '${path}'`, () => { applyOperation(doc, { op: 'add', path: addPointer(f), value: clone(value) }, false, true); });
      return doc;
    }
    case 'remove': {
      if (path === undefined) throw new OpError('remove operation failed to decode path: missing value');
      const f = findObject(doc, path);
      if (!f) throw new OpError(`remove operation does not apply: doc is missing path: "${path}": missing value`);
      wrap(`error in remove for path: '${path}'`, () => removeAt(doc, f));
      return doc;
    }
    case 'replace': {
      if (path === undefined) throw new OpError(`replace operation failed to decode path: ${missingPath}`);
      if (path === '') return Array.isArray(value) || isObj(value) ? clone(value) : doc;
      const f = findObject(doc, path);
      if (!f) throw new OpError(`replace operation does not apply: doc is missing path: ${path}: missing value`);
      let p: string;
      if (Array.isArray(f.con)) {
        let idx: number;
        try { idx = atoi(f.key); if (idx < 0) idx += f.con.length; if (idx < 0 || idx >= f.con.length) throw invalidIndex(idx); } catch {
          throw new OpError(`replace operation does not apply: doc is missing key: ${path}: missing value`);
        }
        p = ptr([...f.pointer, String(idx)]);
      } else p = ptr([...f.pointer, f.key]);
      // evanphx v4 replaces a missing object key as if it were an add.
      applyOperation(doc, { op: Array.isArray(f.con) ? 'replace' : 'add', path: p, value: clone(value) }, false, true);
      return doc;
    }
    case 'move': {
      const from = str(op, 'from');
      if (from === undefined) throw new OpError('move operation failed to decode from: operation, missing from field: missing value');
      const f = findObject(doc, from);
      if (!f) throw new OpError(`move operation does not apply: doc is missing from path: ${from}: missing value`);
      let val: unknown;
      wrap(`error in move for path: '${f.key}'`, () => { val = getIn(f); removeAt(doc, f); });
      if (path === undefined) throw new OpError(`move operation failed to decode path: ${missingPath}`);
      const t = findObject(doc, path);
      if (!t) throw new OpError(`move operation does not apply: doc is missing destination path: ${path}: missing value`);
      wrap(`error in move for path: '${path}'`, () => { applyOperation(doc, { op: 'add', path: addPointer(t), value: val === undefined ? null : val }, false, true); });
      return doc;
    }
    case 'copy': {
      const from = str(op, 'from');
      if (from === undefined) throw new OpError('copy operation failed to decode from: operation, missing from field: missing value');
      const f = findObject(doc, from);
      if (!f) throw new OpError(`copy operation does not apply: doc is missing from path: ${from}: missing value`);
      let val: unknown;
      wrap(`error in copy for from: '${from}'`, () => { val = getIn(f); });
      if (path === undefined) throw new OpError('copy operation failed to decode path: missing value');
      const t = findObject(doc, path);
      if (!t) throw new OpError(`copy operation does not apply: doc is missing destination path: ${path}: missing value`);
      wrap('error while adding value during copy', () => { applyOperation(doc, { op: 'add', path: addPointer(t), value: val === undefined ? null : clone(val) }, false, true); });
      return doc;
    }
    case 'test': {
      if (path === undefined) throw new OpError(`test operation failed to decode path: ${missingPath}`);
      const failed = new OpError(`testing value ${path} failed: test failed`);
      if (path === '') { if (deepEqual(doc, op.value)) return doc; throw failed; }
      const f = findObject(doc, path);
      if (!f) throw new OpError(`test operation does not apply: is missing path: ${path}: missing value`);
      let val: unknown;
      wrap(`error in test for path: '${path}'`, () => { val = getIn(f); });
      if (val === undefined || val === null) {
        if (op.value === null) return doc;
        throw failed;
      }
      if (!deepEqual(val, op.value)) throw failed;
      return doc;
    }
    default:
      throw new OpError(`Unexpected kind: ${kind}`);
  }
}
