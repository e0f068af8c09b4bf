#!/usr/bin/env node
// Generates src/api/proto/schema.ts: the protobuf field table for the built-in kinds.
//
// Source of facts: upstream's generated.proto files (k8s.io/api/<group>/<version>,
// k8s.io/apimachinery meta/v1, api/resource, util/intstr, runtime) as compiled into a
// kubectl binary: gogo-protobuf registers each file's FileDescriptorProto (gzipped)
// in the Go binary, so kubectl 1.33 carries the exact v0.33 schema, including the
// gogoproto `nullable` option that tells pointer fields from value fields.
//
// usage: node scripts/gen-proto-table.mjs [path/to/kubectl-1.33] > src/api/proto/schema.ts
import { readFileSync, realpathSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { inflateRawSync } from 'node:zlib';

const here = dirname(new URL(import.meta.url).pathname);
const kubectl = process.argv[2] ?? join(dirname(realpathSync(execSync('which kubectl').toString().trim())), 'kubectl.1.33');

// ---- minimal protobuf wire reader (descriptor parsing only) ----
function* fields(buf) {
  let p = 0;
  const varint = () => {
    let v = 0, s = 0, b;
    do { b = buf[p++]; v += (b & 0x7f) * 2 ** s; s += 7; } while (b & 0x80);
    return v;
  };
  while (p < buf.length) {
    const tag = varint();
    const no = Math.floor(tag / 8), wt = tag & 7;
    if (wt === 0) yield [no, varint()];
    else if (wt === 2) { const n = varint(); yield [no, buf.subarray(p, p + n)]; p += n; }
    else if (wt === 1) p += 8;
    else if (wt === 5) p += 4;
    else throw new Error(`wire type ${wt}`);
  }
}
const str = (b) => Buffer.from(b).toString('utf8');

const TYPES = { 1: 'double', 2: 'float', 3: 'int64', 4: 'uint64', 5: 'int32', 6: 'fixed64', 7: 'fixed32', 8: 'bool', 9: 'string', 12: 'bytes', 13: 'uint32', 15: 'sfixed32', 16: 'sfixed64', 17: 'sint32', 18: 'sint64' };

function parseField(b) {
  const f = { nullable: true };
  for (const [no, v] of fields(b)) {
    if (no === 1) f.name = str(v);
    else if (no === 3) f.number = v;
    else if (no === 4) f.label = v;
    else if (no === 5) f.type = v;
    else if (no === 6) f.typeName = str(v).replace(/^\./, '');
    else if (no === 10) f.jsonName = str(v);
    else if (no === 8) {
      for (const [ono, ov] of fields(v)) {
        if (ono === 65001) f.nullable = ov !== 0;
        else if (ono === 65004) f.customName = str(ov);
      }
    }
  }
  return f;
}

function parseMessage(b, prefix, out) {
  const m = { fields: [], mapEntry: false };
  const nested = [];
  for (const [no, v] of fields(b)) {
    if (no === 1) m.name = prefix + '.' + str(v);
    else if (no === 2) m.fields.push(parseField(v));
    else if (no === 3) nested.push(v);
    else if (no === 7) for (const [ono, ov] of fields(v)) if (ono === 7) m.mapEntry = ov !== 0;
  }
  out.set(m.name, m);
  for (const n of nested) parseMessage(n, m.name, out);
}

// ---- extract every registered generated.proto descriptor from the binary ----
const bin = readFileSync(kubectl);
const messages = new Map();
const files = [];
const magic = Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0]);
for (let i = bin.indexOf(magic); i >= 0; i = bin.indexOf(magic, i + 1)) {
  let fd;
  // one gzip member: 10-byte header, then raw deflate (stops at its own end)
  try { fd = inflateRawSync(bin.subarray(i + 10, i + 4_000_000), { finishFlush: 2 }); } catch { continue; }
  let head;
  try { head = fields(fd).next().value; } catch { continue; }
  if (!head || head[0] !== 1 || !str(head[1]).endsWith('generated.proto') || !str(head[1]).startsWith('k8s.io/')) continue;
  let pkg = '';
  const msgs = [];
  for (const [no, v] of fields(fd)) {
    if (no === 1) files.push(str(v));
    else if (no === 2) pkg = str(v);
    else if (no === 4) msgs.push(v);
  }
  for (const m of msgs) parseMessage(m, pkg, messages);
}
if (!messages.size) throw new Error(`no generated.proto descriptors found in ${kubectl}`);

// ---- roots: the built-in kinds of src/api/resources.ts, plus request bodies kubectl sends ----
const pkgOf = (group, version) => {
  const g = group === '' ? 'core' : group.split('.')[0];
  return `k8s.io.api.${g}.${version}`;
};
const roots = new Set();
const resourcesTs = readFileSync(join(here, '../src/api/resources.ts'), 'utf8');
for (const m of resourcesTs.matchAll(/r\('([^']*)', '([^']*)', '([^']*)'/g)) {
  if (m[1] === 'apiextensions.k8s.io') continue; // CRDs are served as JSON only upstream
  roots.add(`${pkgOf(m[1], m[2])}.${m[3]}`);
}
const meta = 'k8s.io.apimachinery.pkg.apis.meta.v1';
for (const n of ['ObjectMeta', 'ListMeta', 'OwnerReference', 'ManagedFieldsEntry', 'FieldsV1', 'Time', 'MicroTime', 'LabelSelector', 'DeleteOptions', 'Preconditions', 'Status']) roots.add(`${meta}.${n}`);
for (const n of [
  'k8s.io.apimachinery.pkg.api.resource.Quantity', 'k8s.io.apimachinery.pkg.util.intstr.IntOrString',
  'k8s.io.apimachinery.pkg.runtime.RawExtension', 'k8s.io.apimachinery.pkg.runtime.Unknown',
  'k8s.io.api.autoscaling.v1.Scale', 'k8s.io.api.policy.v1.Eviction', 'k8s.io.api.core.v1.Binding',
  // other bodies kubectl sends through typed clients (create token/pdb/priorityclass, autoscale, auth can-i/whoami, certificate approve)
  'k8s.io.api.authentication.v1.TokenRequest', 'k8s.io.api.authentication.v1.TokenReview', 'k8s.io.api.authentication.v1.SelfSubjectReview',
  'k8s.io.api.authorization.v1.SelfSubjectAccessReview', 'k8s.io.api.authorization.v1.LocalSubjectAccessReview',
  'k8s.io.api.authorization.v1.SubjectAccessReview', 'k8s.io.api.authorization.v1.SelfSubjectRulesReview',
  'k8s.io.api.autoscaling.v1.HorizontalPodAutoscaler', 'k8s.io.api.autoscaling.v2.HorizontalPodAutoscaler',
  'k8s.io.api.policy.v1.PodDisruptionBudget', 'k8s.io.api.scheduling.v1.PriorityClass',
  'k8s.io.api.certificates.v1.CertificateSigningRequest',
]) roots.add(n);

// Go embedded structs with json:",inline" put their fields in the parent's JSON object.
// The descriptor shows an embedded field as one whose Go name (gogoproto.customname)
// equals its type's name; whether its JSON is inlined is taken from the OpenAPI models of
// @kubernetes/client-node: inlined when the parent's model has no property of that name.
const k8s = await import('@kubernetes/client-node');
const SPECIAL_EMBEDS = new Set(['k8s.io.apimachinery.pkg.runtime.Unknown']);
function isInline(parent, f) {
  if (f.type !== 11 || f.label === 3 || f.customName !== f.typeName.split('.').pop() || SPECIAL_EMBEDS.has(parent)) return false;
  if (f.name === 'metadata') return false; // ObjectMeta `json:"metadata"`
  const model = modelOf(parent);
  if (!model?.getAttributeTypeMap) throw new Error(`no @kubernetes/client-node model for ${parent}`);
  const inline = !model.getAttributeTypeMap().some((a) => a.baseName === f.name);
  if (inline) inlinedInto.set(f.typeName, parent);
  return inline;
}
const inlinedInto = new Map();
function modelOf(msg) {
  const parts = msg.split('.');
  const v = parts.at(-2).replace(/^v/, 'V');
  const g = parts.at(-3).replace(/^./, (c) => c.toUpperCase());
  return k8s[v + parts.at(-1)] ?? k8s[g + v + parts.at(-1)] ?? (inlinedInto.has(msg) ? modelOf(inlinedInto.get(msg)) : undefined);
}

const typeOf = (f) => {
  if (f.type === 11 || f.type === 14) return f.typeName;
  const t = TYPES[f.type];
  if (!t) throw new Error(`unsupported type ${f.type} in field ${f.name}`);
  return t;
};
const reach = new Map();
const visit = (name) => {
  if (reach.has(name)) return;
  const m = messages.get(name);
  if (!m) throw new Error(`message ${name} not found`);
  reach.set(name, null);
  const rows = [];
  for (const f of m.fields.sort((a, b) => a.number - b.number)) {
    const json = f.jsonName ?? f.name;
    if (json !== f.name) throw new Error(`${name}.${f.name}: json name ${json} differs`);
    let t;
    const entry = f.type === 11 ? messages.get(f.typeName) : undefined;
    if (entry?.mapEntry) {
      const [k, v] = entry.fields.sort((a, b) => a.number - b.number);
      if (k.number !== 1 || v.number !== 2) throw new Error(`odd map entry ${f.typeName}`);
      if (v.type === 11) visit(v.typeName);
      t = `map<${typeOf(k)},${typeOf(v)}>`;
    } else {
      const inline = isInline(name, f);
      if (f.type === 11) visit(f.typeName);
      t = (inline ? 'inline:' : '') + typeOf(f) + (f.label === 3 ? '[]' : f.nullable ? '?' : '');
    }
    rows.push([f.number, f.name, t]);
  }
  reach.set(name, rows);
};
for (const r of [...roots].sort()) visit(r);

// Cross-check against the OpenAPI models: every (non-inline) proto field name must be a
// JSON property. A few proto names differ from the Go JSON tag only in case (uID -> uid,
// aPIGroup -> apiGroup); those rows take the JSON name. Types with a custom JSON form
// (Time, Quantity, ...) have no model of their own.
const CUSTOM_JSON = /\.(Time|MicroTime|FieldsV1|Quantity|IntOrString|RawExtension|Unknown|TypeMeta|ExtraValue)$/;
for (const [name, rows] of reach) {
  if (CUSTOM_JSON.test(name)) continue;
  const model = modelOf(name);
  if (!model) throw new Error(`no OpenAPI model to check ${name}`);
  const props = model.getAttributeTypeMap().map((a) => a.baseName);
  for (const row of rows) {
    if (row[2].startsWith('inline:') || props.includes(row[1])) continue;
    const alt = props.find((p) => p.toLowerCase() === row[1].toLowerCase());
    if (!alt) throw new Error(`${name} field ${row[0]} "${row[1]}" is not a JSON property`);
    process.stderr.write(`${name} field ${row[0]}: proto name ${row[1]}, JSON name ${alt}\n`);
    row[1] = alt;
  }
}

const srcFiles = [...new Set([...reach.keys()].map((n) => n.replace(/\.[^.]+$/, '')))].sort();
let out = `// GENERATED by scripts/gen-proto-table.mjs from upstream's generated.proto descriptors
// (k8s.io/api and k8s.io/apimachinery as vendored in kubectl ${kubectl.match(/1\.\d+/)?.[0] ?? ''}). Do not edit.
// Field names are the JSON names (checked against @kubernetes/client-node's OpenAPI models).
//
// message full name -> fields [number, jsonName, type]; type is a scalar (string, int32,
// int64, bool, bytes, double, ...) or a message full name, with a suffix:
//   'T'  value (non-pointer) field: gogo always writes it, zero means unset
//   'T?' pointer field: written only when set, so a zero value is meaningful
//   'T[]' repeated field; 'map<K,V>' map field (entry key = 1, value = 2)
//   'inline:T' Go embedded struct (json:",inline"): its fields appear in the parent object
// packages: ${srcFiles.join(', ')}
export type FieldRow = readonly [number: number, name: string, type: string];

export const protoMessages: Readonly<Record<string, readonly FieldRow[]>> = {
`;
for (const name of [...reach.keys()].sort()) {
  out += `  '${name}': [${reach.get(name).map(([n, j, t]) => `[${n}, '${j}', '${t}']`).join(', ')}],\n`;
}
out += '};\n';
process.stdout.write(out);
process.stderr.write(`${reach.size} messages from ${files.length} files\n`);
