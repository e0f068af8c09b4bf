// The OpenAPI v3 documents served at /openapi/v3 (the index) and /openapi/v3/<api/v1 | apis/G/V> (one per
// group-version). Built lazily on first request and memoized per group-version; the hash in the index changes
// whenever the inputs (served resources, registered custom resource schemas) change.
import { createHash } from 'node:crypto';
import type { ResourceInfo } from '../../api/types.js';
import { builtinResources, groupOrder } from '../../api/resources.js';
import { modelClassFor } from '../../api/schema/models.js';
import { registerSchema, schemaFromOpenAPIV3, unregisterSchema } from '../../api/schema.js';
import { SchemaBuilder, folderOfGroup, ref, refs, type Schema, type Schemas } from './components.js';
import { addResourcePaths, rootPath } from './paths.js';

/** bump when the document layout changes, so clients drop cached docs */
const LAYOUT = '1';

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

interface Built {
  sig: string;
  hash: string;
  doc?: Schema;
  json?: string;
}
const cache = new Map<string, Built>();
/** custom resource schemas by `group/version/kind` */
const customSchemas = new Map<string, Schema>();

function gvPathOf(r: { group: string; version: string }): string {
  return r.group ? `apis/${r.group}/${r.version}` : `api/${r.version}`;
}

function groupRank(g: string): number {
  const i = groupOrder.indexOf(g);
  return i < 0 ? groupOrder.length : i;
}

function resourcesOf(gvPath: string, resources: ResourceInfo[]): ResourceInfo[] {
  return resources.filter((r) => gvPathOf(r) === gvPath);
}

function entry(gvPath: string, resources: ResourceInfo[]): Built | undefined {
  const rs = resourcesOf(gvPath, resources);
  if (!rs.length) return undefined;
  const custom = rs.map((r) => customSchemas.get(`${r.group}/${r.version}/${r.kind}`) ?? null);
  const sig = JSON.stringify([LAYOUT, rs, custom]);
  const hit = cache.get(gvPath);
  if (hit && hit.sig === sig) return hit;
  const built: Built = { sig, hash: createHash('sha512').update(sig).digest('hex').toUpperCase() };
  cache.set(gvPath, built);
  return built;
}

/** The /openapi/v3 index: every served group-version with its document URL and hash. */
export function openapiV3Index(resources: ResourceInfo[] = builtinResources): { paths: Record<string, { serverRelativeURL: string }> } {
  const gvs = [...new Set(resources.map(gvPathOf))];
  const first = new Map<string, ResourceInfo>();
  for (const r of resources) if (!first.has(gvPathOf(r))) first.set(gvPathOf(r), r);
  gvs.sort((a, b) => groupRank(first.get(a)!.group) - groupRank(first.get(b)!.group) || a.localeCompare(b));
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const gv of gvs) paths[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=${entry(gv, resources)!.hash}` };
  return { paths };
}

/** The hash of one group-version document (as in the index), or undefined if the group-version is not served. */
export function openapiV3Hash(gvPath: string, resources: ResourceInfo[] = builtinResources): string | undefined {
  return entry(trim(gvPath), resources)?.hash;
}

/** The OpenAPI v3 document of one group-version ('api/v1', 'apis/apps/v1'), or undefined if not served. */
export function openapiV3Doc(gvPath: string, resources: ResourceInfo[] = builtinResources): object | undefined {
  const e = entry(trim(gvPath), resources);
  if (!e) return undefined;
  e.doc ??= build(trim(gvPath), resourcesOf(trim(gvPath), resources));
  return e.doc;
}

/** The same document serialized (memoized). */
export function openapiV3DocJSON(gvPath: string, resources: ResourceInfo[] = builtinResources): string | undefined {
  const e = entry(trim(gvPath), resources);
  if (!e) return undefined;
  e.json ??= JSON.stringify(openapiV3Doc(gvPath, resources));
  return e.json;
}

function trim(p: string): string {
  return p.replace(/^\/+|\/+$/g, '').replace(/\?.*$/, '');
}

/**
 * Registers a custom resource's openAPIV3Schema for its group-version document, and its field schema for the patch
 * engine (api/schema.ts). The resource itself must also be in the `resources` passed to the functions above.
 */
export function registerCustomResourceDoc(r: { group: string; version: string; kind: string }, openAPIV3Schema: Schema | undefined): void {
  customSchemas.set(`${r.group}/${r.version}/${r.kind}`, openAPIV3Schema ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
  registerSchema(`${r.group}/${r.version}`, r.kind, schemaFromOpenAPIV3(openAPIV3Schema));
}

export function removeCustomResourceDoc(r: { group: string; version: string; kind: string }): void {
  customSchemas.delete(`${r.group}/${r.version}/${r.kind}`);
  unregisterSchema(`${r.group}/${r.version}`, r.kind);
}

/** upstream's name of a custom resource definition: the reversed group, version, kind (com.example.stable.v1.CronTab) */
function customDefName(group: string, version: string, kind: string): string {
  return [...group.split('.').reverse(), version, kind].join('.');
}

function build(gvPath: string, rs: ResourceInfo[]): Schema {
  const { group, version } = rs[0];
  const schemas: Schemas = {};
  const b = new SchemaBuilder(schemas, folderOfGroup(group));
  const paths: Record<string, Schema> = {};
  const [rootP, rootItem] = rootPath(group, version);
  paths[rootP] = rootItem;
  b.addClass('V1APIResourceList');
  b.addClass('V1Status', { 'x-kubernetes-group-version-kind': [{ group: '', kind: 'Status', version: 'v1' }] });
  b.addClass('V1DeleteOptions', { 'x-kubernetes-group-version-kind': [{ group, kind: 'DeleteOptions', version }] });
  schemas[`${META}.Patch`] = { description: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.', type: 'object' };
  schemas[`${META}.WatchEvent`] = {
    description: 'Event represents a single event to a watched resource.', type: 'object', required: ['type', 'object'],
    properties: {
      object: { allOf: [ref(refs.rawExtension)], description: 'Object is:\n * If Type is Added or Modified: the new state of the object.\n * If Type is Deleted: the state of the object immediately before deletion.\n * If Type is Error: *Status is recommended; other types may make sense\n   depending on context.' },
      type: { default: '', type: 'string' },
    },
    'x-kubernetes-group-version-kind': [{ group, kind: 'WatchEvent', version }],
  };
  b.typeSchema('any', '', 'RawExtension', false);
  let scaleDef: string | undefined;
  if (rs.some((r) => r.subresources?.includes('scale'))) {
    scaleDef = new SchemaBuilder(schemas, 'autoscaling').addClass('V1Scale', { 'x-kubernetes-group-version-kind': [{ group: 'autoscaling', kind: 'Scale', version: 'v1' }] });
  }
  for (const r of rs) {
    const gvk = (kind: string) => ({ 'x-kubernetes-group-version-kind': [{ group, kind, version }] });
    const listKind = r.listKind ?? `${r.kind}List`;
    const custom = customSchemas.get(`${group}/${version}/${r.kind}`);
    const cls = custom ? undefined : modelClassFor(group, version, r.kind);
    let defs: { kind: string; list: string };
    if (cls) {
      const kind = b.addClass(cls, gvk(r.kind));
      const listCls = modelClassFor(group, version, listKind);
      const list = listCls ? b.addClass(listCls, gvk(listKind)) : genericList(schemas, kind, group, version, listKind, r.plural);
      defs = { kind, list };
    } else {
      const kind = customDefName(group, version, r.kind);
      schemas[kind] = customKindSchema(custom ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, group, version, r.kind);
      b.addClass('V1ObjectMeta');
      b.addClass('V1ListMeta');
      defs = { kind, list: genericList(schemas, kind, group, version, listKind, r.plural) };
    }
    addResourcePaths(paths, r, defs, scaleDef, !cls);
  }
  const sorted: Schemas = {};
  for (const k of Object.keys(schemas).sort()) sorted[k] = schemas[k];
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.0' },
    paths,
    components: { schemas: sorted, securitySchemes: { BearerToken: { type: 'apiKey', description: 'Bearer Token authentication', name: 'authorization', in: 'header' } } },
    security: [{ BearerToken: [] }],
  };
}

const apiVersionDesc = 'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources';
const kindDesc = 'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds';

/** a list kind client-node has no model of (custom resources): items described as upstream's apiextensions does */
function genericList(schemas: Schemas, itemDef: string, group: string, version: string, listKind: string, plural: string): string {
  const name = `${itemDef}List`;
  const kind = itemDef.split('.').pop() ?? itemDef;
  schemas[name] = {
    description: `${listKind} is a list of ${kind}`,
    type: 'object',
    required: ['items'],
    properties: {
      apiVersion: { description: apiVersionDesc, type: 'string' },
      items: { description: `List of ${plural}. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md`, type: 'array', items: ref(itemDef) },
      kind: { description: kindDesc, type: 'string' },
      metadata: { allOf: [ref(`${META}.ListMeta`)], default: {}, description: 'Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata' },
    },
    'x-kubernetes-group-version-kind': [{ group, kind: listKind, version }],
  };
  return name;
}

function customKindSchema(s: Schema, group: string, version: string, kind: string): Schema {
  const props = { ...((s.properties as Schemas | undefined) ?? {}) };
  props.apiVersion = { description: apiVersionDesc, type: 'string' };
  props.kind = { description: kindDesc, type: 'string' };
  props.metadata = { allOf: [ref(refs.objectMeta)], description: "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata" };
  const out: Schema = { ...s, type: 'object', properties: props, 'x-kubernetes-group-version-kind': [{ group, kind, version }] };
  return out;
}
