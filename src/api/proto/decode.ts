// Decodes Kubernetes protobuf request bodies (application/vnd.kubernetes.protobuf)
// into the JSON-shaped objects upstream's JSON encoding would produce.
//
// Envelope: the 4 bytes "k8s\0", then runtime.Unknown {typeMeta{apiVersion=1, kind=2}=1,
// raw=2, contentEncoding=3, contentType=4}; raw is the object's own message.
import { errors } from '../status.js';
import { protoMessages } from './schema.js';
import {
  WireReader, WIRE_FIXED32, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT,
  asDouble, asFloat, asInt64, asSint32, asSint64, asUint64,
} from './wire.js';

export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);
const MAX_DEPTH = 100;

const META = 'k8s.io.apimachinery.pkg.apis.meta.v1.';
const TIME = META + 'Time';
const MICROTIME = META + 'MicroTime';
const FIELDSV1 = META + 'FieldsV1';
const QUANTITY = 'k8s.io.apimachinery.pkg.api.resource.Quantity';
const INTORSTRING = 'k8s.io.apimachinery.pkg.util.intstr.IntOrString';
const RAWEXTENSION = 'k8s.io.apimachinery.pkg.runtime.RawExtension';

/** API group -> proto package segment (k8s.io.api.<segment>.<version>) */
const groupPackages: Record<string, string> = {
  '': 'core', apps: 'apps', batch: 'batch', autoscaling: 'autoscaling', policy: 'policy',
  'networking.k8s.io': 'networking', 'discovery.k8s.io': 'discovery', 'coordination.k8s.io': 'coordination',
  'events.k8s.io': 'events', 'rbac.authorization.k8s.io': 'rbac', 'storage.k8s.io': 'storage',
  'scheduling.k8s.io': 'scheduling', 'authentication.k8s.io': 'authentication',
  'authorization.k8s.io': 'authorization', 'certificates.k8s.io': 'certificates', 'apiregistration.k8s.io': 'apiregistration',
};
/** meta/v1 kinds registered in every group version (e.g. typed-client DeleteOptions bodies) */
const metaKinds = new Set(['DeleteOptions', 'Status']);
/** messages that wrap a Go slice type (type ExtraValue []string): JSON is the bare array */
const sliceWrappers = new Set([
  'k8s.io.api.authentication.v1.ExtraValue', 'k8s.io.api.authorization.v1.ExtraValue', 'k8s.io.api.certificates.v1.ExtraValue',
]);

/** True for application/vnd.kubernetes.protobuf (parameters ignored). */
export function isProtobuf(contentType: string | undefined): boolean {
  if (!contentType) return false;
  return contentType.split(';')[0].trim().toLowerCase() === PROTOBUF_MEDIA_TYPE;
}

/** The proto message full name for (apiVersion, kind), or undefined. */
export function messageFor(apiVersion: string, kind: string): string | undefined {
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  const pkg = groupPackages[group];
  if (pkg !== undefined) {
    const name = `k8s.io.api.${pkg}.${version}.${kind}`;
    if (Object.hasOwn(protoMessages, name)) return name;
  }
  if ((pkg !== undefined || group === 'meta.k8s.io') && version === 'v1' && metaKinds.has(kind)) return META + kind;
  return undefined;
}

export interface DecodedObject {
  apiVersion: string;
  kind: string;
  /** the object as upstream's JSON would show it, apiVersion and kind included */
  object: Record<string, unknown>;
}

/**
 * Decodes a whole protobuf request body. Throws a 400 BadRequest StatusError for a
 * body without the k8s magic, an unknown (apiVersion, kind), or malformed bytes.
 */
export function decodeK8sProtobuf(body: Buffer): DecodedObject {
  return decodeEnvelope(body, 0);
}

function decodeEnvelope(body: Buffer, depth: number): DecodedObject {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) {
    throw errors.badRequest('provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]');
  }
  let env: Envelope;
  try {
    env = readEnvelope(new WireReader(body, 4));
  } catch (e) {
    throw badBody(e);
  }
  const { apiVersion, kind } = env;
  if (env.contentEncoding) throw errors.badRequest(`unsupported protobuf content encoding "${env.contentEncoding}"`);
  if (env.contentType && env.contentType !== PROTOBUF_MEDIA_TYPE) {
    throw errors.badRequest(`unsupported protobuf payload content type "${env.contentType}"`);
  }
  if (!kind) throw errors.badRequest("Object 'Kind' is missing in protobuf body");
  const msg = messageFor(apiVersion, kind);
  if (!msg) throw errors.badRequest(`no kind "${kind}" is registered for version "${apiVersion}"`);
  let obj: Record<string, unknown>;
  try {
    obj = decodeMessage(new WireReader(env.raw), msg, depth);
  } catch (e) {
    throw badBody(e);
  }
  return { apiVersion, kind, object: { apiVersion, kind, ...obj } };
}

interface Envelope { apiVersion: string; kind: string; raw: Buffer; contentEncoding: string; contentType: string }

/** runtime.Unknown {typeMeta{apiVersion=1, kind=2}=1, raw=2, contentEncoding=3, contentType=4} */
function readEnvelope(r: WireReader): Envelope {
  const env: Envelope = { apiVersion: '', kind: '', raw: Buffer.alloc(0), contentEncoding: '', contentType: '' };
  while (!r.done()) {
    const no = r.tag();
    const wt = r.wireType;
    if (wt !== WIRE_LEN || no > 4) { r.skip(wt, no); continue; }
    if (no === 1) {
      const end = r.lenEnd();
      const tm = new WireReader(r.buf, r.pos, end);
      while (!tm.done()) {
        const tno = tm.tag();
        const twt = tm.wireType;
        if (twt === WIRE_LEN && tno === 1) env.apiVersion = tm.string();
        else if (twt === WIRE_LEN && tno === 2) env.kind = tm.string();
        else tm.skip(twt, tno);
      }
      r.pos = end;
    } else if (no === 2) env.raw = r.bytes();
    else if (no === 3) env.contentEncoding = r.string();
    else env.contentType = r.string();
  }
  return env;
}

/** The bytes of field 1 of a message (FieldsV1.Raw, RawExtension.raw), or undefined. */
function rawField(r: WireReader): Buffer | undefined {
  let raw: Buffer | undefined;
  while (!r.done()) {
    const no = r.tag();
    const wt = r.wireType;
    if (no === 1 && wt === WIRE_LEN) raw = r.bytes();
    else r.skip(wt, no);
  }
  return raw;
}

function badBody(e: unknown): Error {
  if ((e as { name?: string })?.name === 'StatusError') return e as Error;
  return errors.badRequest(`unable to decode protobuf body: ${(e as Error)?.message ?? String(e)}`);
}

// ---- schema, compiled lazily per message ----

type Scalar = 'string' | 'bytes' | 'bool' | 'int32' | 'int64' | 'uint32' | 'uint64' | 'sint32' | 'sint64'
  | 'fixed32' | 'fixed64' | 'sfixed32' | 'sfixed64' | 'double' | 'float';

interface FieldInfo {
  name: string;
  /** scalar type, or undefined for a message */
  scalar?: Scalar;
  message?: string;
  repeated: boolean;
  nullable: boolean;
  /** Go embedded struct (json:",inline"): its fields go into the parent object */
  inline?: boolean;
  map?: { key: FieldInfo; value: FieldInfo };
}

const SCALARS = new Set<string>(['string', 'bytes', 'bool', 'int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64', 'fixed32', 'fixed64', 'sfixed32', 'sfixed64', 'double', 'float']);
const compiled = new Map<string, Map<number, FieldInfo>>();

function typeInfo(name: string, type: string, repeated: boolean, nullable: boolean): FieldInfo {
  return SCALARS.has(type)
    ? { name, scalar: type as Scalar, repeated, nullable }
    : { name, message: type, repeated, nullable };
}

function schemaOf(msg: string): Map<number, FieldInfo> {
  let m = compiled.get(msg);
  if (m) return m;
  const rows = protoMessages[msg];
  if (!rows) throw new Error(`no schema for message ${msg}`);
  m = new Map();
  for (const [no, name, type] of rows) {
    if (type.startsWith('inline:')) {
      m.set(no, { ...typeInfo(name, type.slice(7).replace(/\?$/, ''), false, false), inline: true });
      continue;
    }
    const mm = /^map<(\w+),(.+)>$/.exec(type);
    if (mm) {
      m.set(no, { name, repeated: false, nullable: false, map: { key: typeInfo('key', mm[1], false, true), value: typeInfo('value', mm[2], false, true) } });
    } else if (type.endsWith('[]')) {
      m.set(no, typeInfo(name, type.slice(0, -2), true, true));
    } else if (type.endsWith('?')) {
      m.set(no, typeInfo(name, type.slice(0, -1), false, true));
    } else {
      m.set(no, typeInfo(name, type, false, false));
    }
  }
  compiled.set(msg, m);
  return m;
}

// ---- decoding ----

/** Decodes r (from r.pos to r.end) as msg into a plain object (not special-cased). */
function decodeMessage(r: WireReader, msg: string, depth: number, into?: Record<string, unknown>): Record<string, unknown> {
  if (depth > MAX_DEPTH) throw new Error('proto: message nested too deeply');
  const schema = schemaOf(msg);
  const out: Record<string, unknown> = into ?? {};
  while (!r.done()) {
    const no = r.tag();
    const wt = r.wireType;
    const f = schema.get(no);
    if (!f) { r.skip(wt, no); continue; }
    if (f.map) {
      if (wt !== WIRE_LEN) throw wrongWireType(msg, f);
      const end = r.lenEnd();
      const sub = new WireReader(r.buf, r.pos, end);
      let key: unknown;
      let value: unknown;
      while (!sub.done()) {
        const eno = sub.tag();
        const ewt = sub.wireType;
        if (eno === 1) key = readValue(sub, ewt, f.map.key, msg, depth);
        else if (eno === 2) value = readValue(sub, ewt, f.map.value, msg, depth);
        else sub.skip(ewt, eno);
      }
      r.pos = end;
      const obj = (out[f.name] ??= {}) as Record<string, unknown>;
      obj[String(key ?? zeroOf(f.map.key))] = value ?? zeroOf(f.map.value);
      continue;
    }
    if (f.repeated) {
      const list = (out[f.name] ??= []) as unknown[];
      if (wt === WIRE_LEN && f.scalar && f.scalar !== 'string' && f.scalar !== 'bytes') {
        // packed repeated scalars
        const end = r.lenEnd();
        const sub = new WireReader(r.buf, r.pos, end);
        const ewt = f.scalar === 'double' || f.scalar === 'fixed64' || f.scalar === 'sfixed64' ? WIRE_FIXED64
          : f.scalar === 'float' || f.scalar === 'fixed32' || f.scalar === 'sfixed32' ? WIRE_FIXED32 : WIRE_VARINT;
        while (!sub.done()) list.push(readValue(sub, ewt, f, msg, depth));
        r.pos = end;
      } else {
        const v = readValue(r, wt, f, msg, depth);
        list.push(v === undefined ? null : v);
      }
      continue;
    }
    if (f.inline) {
      if (wt !== WIRE_LEN) throw wrongWireType(msg, f);
      const end = r.lenEnd();
      decodeMessage(new WireReader(r.buf, r.pos, end), f.message!, depth + 1, out);
      r.pos = end;
      continue;
    }
    if (f.message && !SPECIAL.has(f.message) && wt === WIRE_LEN) {
      // a repeated occurrence of a singular message merges into the earlier one
      const prev = out[f.name];
      const end = r.lenEnd();
      const sub = new WireReader(r.buf, r.pos, end);
      out[f.name] = decodeMessage(sub, f.message, depth + 1,
        prev && typeof prev === 'object' && !Array.isArray(prev) ? prev as Record<string, unknown> : undefined);
      r.pos = end;
      continue;
    }
    const v = readValue(r, wt, f, msg, depth);
    if (v !== undefined && (f.nullable || !isZero(v, f))) out[f.name] = v;
    else if (out[f.name] !== undefined) delete out[f.name]; // a later zero occurrence wins (rare; delete is slow)
  }
  return out;
}

function wrongWireType(msg: string, f: FieldInfo): Error {
  return new Error(`proto: wrong wireType for field ${msg.slice(msg.lastIndexOf('.') + 1)}.${f.name}`);
}

function isZero(v: unknown, f: FieldInfo): boolean {
  if (f.message) return false; // value structs show as {} in JSON too (Time returns undefined when zero)
  return v === '' || v === 0 || v === false;
}

function zeroOf(f: FieldInfo): unknown {
  switch (f.scalar) {
    case undefined: return f.message === QUANTITY ? '0' : f.message === INTORSTRING ? 0 : {};
    case 'string': case 'bytes': return '';
    case 'bool': return false;
    default: return 0;
  }
}

/** Reads one value of field f (wire type wt). undefined means "no value" (zero Time, empty raw). */
function readValue(r: WireReader, wt: number, f: FieldInfo, msg: string, depth: number): unknown {
  const s = f.scalar;
  if (s === undefined) {
    if (wt !== WIRE_LEN) throw wrongWireType(msg, f);
    const end = r.lenEnd();
    const sub = new WireReader(r.buf, r.pos, end);
    r.pos = end;
    return decodeNested(sub, f.message!, depth + 1);
  }
  switch (s) {
    case 'string':
      if (wt !== WIRE_LEN) throw wrongWireType(msg, f);
      return r.string();
    case 'bytes':
      if (wt !== WIRE_LEN) throw wrongWireType(msg, f);
      return r.bytes().toString('base64');
    case 'double': case 'fixed64': case 'sfixed64':
      if (wt !== WIRE_FIXED64) throw wrongWireType(msg, f);
      r.fixed64();
      return s === 'double' ? asDouble(r.lo, r.hi) : s === 'fixed64' ? asUint64(r.lo, r.hi) : asInt64(r.lo, r.hi);
    case 'float': case 'fixed32': case 'sfixed32': {
      if (wt !== WIRE_FIXED32) throw wrongWireType(msg, f);
      const v = r.fixed32();
      return s === 'float' ? asFloat(v) : s === 'fixed32' ? v : v | 0;
    }
    default:
      if (wt !== WIRE_VARINT) throw wrongWireType(msg, f);
      r.varint();
      switch (s) {
        case 'bool': return (r.lo | r.hi) !== 0;
        case 'int32': return r.lo | 0;
        case 'uint32': return r.lo;
        case 'int64': return asInt64(r.lo, r.hi);
        case 'uint64': return asUint64(r.lo, r.hi);
        case 'sint32': return asSint32(r.lo);
        case 'sint64': return asSint64(r.lo, r.hi);
      }
  }
  throw new Error(`proto: unsupported type ${s}`);
}

const SPECIAL = new Set([TIME, MICROTIME, FIELDSV1, QUANTITY, INTORSTRING, RAWEXTENSION, ...sliceWrappers]);

/** A nested message, with the types whose JSON form differs from their proto form. */
function decodeNested(r: WireReader, msg: string, depth: number): unknown {
  if (!SPECIAL.has(msg)) return decodeMessage(r, msg, depth);
  if (sliceWrappers.has(msg)) return (decodeMessage(r, msg, depth).items as unknown[] | undefined) ?? [];
  if (msg === FIELDSV1) {
    const raw = rawField(r);
    return raw === undefined ? undefined : parseRawJSON(raw, 'FieldsV1');
  }
  if (msg === RAWEXTENSION) {
    const raw = rawField(r);
    return raw === undefined ? undefined : decodeRaw(raw, depth);
  }
  const empty = r.done();
  const m = decodeMessage(r, msg, depth);
  switch (msg) {
    case TIME: // metav1.Time: empty message = zero time (JSON null); JSON keeps whole seconds
      return empty ? undefined : formatTime(Number(m.seconds ?? 0), -1);
    case MICROTIME:
      return empty ? undefined : formatTime(Number(m.seconds ?? 0), Number(m.nanos ?? 0));
    case QUANTITY:
      return (m.string as string | undefined) || '0';
    default: // INTORSTRING
      return Number(m.type ?? 0) === 1 ? (m.strVal as string | undefined) ?? '' : Number(m.intVal ?? 0);
  }
}

/** RawExtension.raw holds JSON, or (rarely) a nested k8s protobuf object. */
function decodeRaw(raw: Buffer, depth: number): unknown {
  if (raw.length === 0) return undefined;
  if (raw.length >= 4 && raw.subarray(0, 4).equals(MAGIC)) return decodeEnvelope(raw, depth + 1).object;
  return parseRawJSON(raw, 'RawExtension');
}

function parseRawJSON(raw: Buffer, what: string): unknown {
  const text = raw.toString('utf8');
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${what} is not valid JSON: ${(e as Error).message}`);
  }
}

/** RFC 3339 in UTC: whole seconds for Time (nanos < 0), 6 fractional digits for MicroTime. */
function formatTime(seconds: number, nanos: number): string {
  const d = new Date(seconds * 1000);
  if (!Number.isFinite(d.getTime()) || d.getUTCFullYear() < 0 || d.getUTCFullYear() > 9999) {
    throw new Error(`proto: timestamp out of range: ${seconds}`);
  }
  const base = d.toISOString().slice(0, 19);
  if (nanos < 0) return base + 'Z';
  const micros = Math.floor(Math.min(Math.max(nanos, 0), 999_999_999) / 1000);
  return `${base}.${String(micros).padStart(6, '0')}Z`;
}
