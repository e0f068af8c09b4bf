// Verbs on one resource: get, list, watch, create, update, patch, delete, deletecollection,
// and the status and scale subresources. All go through the generic Store.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors, StatusError, type FieldError } from '../api/status.js';
import type { KObject } from '../api/types.js';
import { formatLabelSelector } from '../api/labels.js';
import type { Store, DeleteOptions, ListResult } from './registry/store.js';
import { decodeBody, isJsonBody, readBody, sendJSON, mediaType, queryBool } from './http.js';
import { serveWatch } from './watch.js';
import { applyPatch } from './patch/index.js';
import { schemaFor } from '../api/schema.js';
import { toTable } from './table/index.js';
import { checkUnknownFields } from './fieldvalidation.js';
import { typeError } from '../api/schema/typecheck.js';
import { modelClassFor } from '../api/schema/models.js';
import { builtinResources } from '../api/resources.js';
import { apiVersionOf, defaultVerbs, type ResourceInfo } from '../api/types.js';
import { handlePodStream, streamSubresources } from './podstream.js';
import { handlePodLog, type KubeletConnection } from './podlogs.js';
import { evict } from './eviction.js';
import { nowRFC3339 } from '../util/time.js';

export interface ResourceRequest {
  verb: string;
  store: Store;
  ns?: string;
  name?: string;
  sub?: string;
  query: URLSearchParams;
  user?: { name: string; groups: string[] };
  /** how to reach kubelets (pods/log) */
  kubelet?: KubeletConnection;
  /** another resource's store (pods/eviction reads PodDisruptionBudgets) */
  find?: (group: string, plural: string) => Store | undefined;
}

type Want = 'object' | 'table' | 'partial';

function negotiate(req: IncomingMessage): Want {
  const accept = req.headers.accept ?? '';
  for (const part of accept.split(',')) {
    if (/as=Table/.test(part) && /g=meta\.k8s\.io/.test(part)) return 'table';
    if (/as=PartialObjectMetadata/.test(part)) return 'partial';
    if (/application\/json|\*\/\*|application\/yaml/.test(part)) return 'object';
  }
  return 'object';
}

function tableOptions(q: URLSearchParams): 'None' | 'Metadata' | 'Object' {
  const v = q.get('includeObject');
  return v === 'None' || v === 'Object' ? v : 'Metadata';
}

function partial(o: KObject): object {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
}

function dryRun(q: URLSearchParams): boolean {
  const vals = q.getAll('dryRun');
  for (const v of vals) if (v !== 'All') throw errors.badRequest(`Invalid dry run value: ${v}, allowed: All`);
  return vals.length > 0;
}

function fieldManager(req: IncomingMessage, q: URLSearchParams, verb: string): string {
  const fm = q.get('fieldManager');
  if (fm) {
    if (fm.length > 128) throw errors.badRequest('fieldManager: Too long: may not be longer than 128');
    return fm;
  }
  if (verb === 'apply') throw errors.badRequest('PATCH, application/apply-patch+yaml requests require fieldManager query parameter');
  const ua = String(req.headers['user-agent'] ?? 'unknown');
  return ua.split('/')[0].slice(0, 128);
}

function sendObject(req: IncomingMessage, res: ServerResponse, r: ResourceRequest, code: number, obj: KObject): void {
  const want = negotiate(req);
  if (want === 'table') {
    sendJSON(res, code, toTable(r.store.resource, [obj], { includeObject: tableOptions(r.query) }), 'application/json;as=Table;v=v1;g=meta.k8s.io');
  } else if (want === 'partial') {
    sendJSON(res, code, partial(obj), 'application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io');
  } else {
    sendJSON(res, code, obj);
  }
}

function sendList(req: IncomingMessage, res: ServerResponse, r: ResourceRequest, list: ListResult): void {
  const want = negotiate(req);
  const listMeta: Record<string, unknown> = { resourceVersion: list.resourceVersion };
  if (list.continue) listMeta.continue = list.continue;
  if (list.remainingItemCount !== undefined) listMeta.remainingItemCount = list.remainingItemCount;
  const rsc = r.store.resource;
  if (want === 'table') {
    sendJSON(res, 200, toTable(rsc, list.items, { includeObject: tableOptions(r.query), listMeta: listMeta as any }), 'application/json;as=Table;v=v1;g=meta.k8s.io');
  } else if (want === 'partial') {
    sendJSON(res, 200, { kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata: listMeta, items: list.items.map(partial) }, 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io');
  } else {
    sendJSON(res, 200, { kind: rsc.listKind ?? `${rsc.kind}List`, apiVersion: r.store.apiVersion, metadata: listMeta, items: list.items });
  }
}

/** a resourceVersion parameter as a number (upstream's storage APIObjectVersioner.ParseResourceVersion) */
function parseResourceVersion(rv: string): number {
  if (!/^\d+$/.test(rv) || !Number.isSafeInteger(Number(rv))) {
    throw errors.badRequest(`resourceVersion: Invalid value: "${rv}": strconv.ParseUint: parsing "${rv}": invalid syntax`);
  }
  return Number(rv);
}

/** upstream's ValidateListOptions (non-watch lists): 422 ListOptions.meta.k8s.io */
function validateListOptions(q: URLSearchParams): void {
  const errs: FieldError[] = [];
  const match = q.get('resourceVersionMatch');
  const rv = q.get('resourceVersion') ?? '';
  if (match) {
    if (!rv) errs.push({ type: 'FieldValueForbidden', field: 'resourceVersionMatch', detail: 'resourceVersionMatch is forbidden unless resourceVersion is provided' });
    if (q.get('continue')) errs.push({ type: 'FieldValueForbidden', field: 'resourceVersionMatch', detail: 'resourceVersionMatch is forbidden when continue is provided' });
    if (match !== 'Exact' && match !== 'NotOlderThan') errs.push({ type: 'FieldValueNotSupported', field: 'resourceVersionMatch', value: match, detail: 'supported values: "Exact", "NotOlderThan", ""' });
    if (match === 'Exact' && rv === '0') errs.push({ type: 'FieldValueForbidden', field: 'resourceVersionMatch', detail: 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"' });
  }
  if (q.has('sendInitialEvents')) errs.push({ type: 'FieldValueForbidden', field: 'sendInitialEvents', detail: 'sendInitialEvents is forbidden for list' });
  if (errs.length) throw errors.invalid('meta.k8s.io', 'ListOptions', '', errs);
}

function listOpts(q: URLSearchParams) {
  const limit = q.get('limit');
  return {
    labelSelector: q.get('labelSelector') ?? undefined,
    fieldSelector: q.get('fieldSelector') ?? undefined,
    limit: limit ? Number(limit) : undefined,
    continue: q.get('continue') ?? undefined,
    resourceVersion: q.get('resourceVersion') ?? undefined,
    resourceVersionMatch: q.get('resourceVersionMatch') ?? undefined,
  };
}

function deleteOptions(q: URLSearchParams, body: any): DeleteOptions {
  const o: DeleteOptions = {};
  const b = body && typeof body === 'object' ? body : {};
  const g = q.get('gracePeriodSeconds') ?? b.gracePeriodSeconds;
  if (g !== undefined && g !== null) o.gracePeriodSeconds = Number(g);
  const p = q.get('propagationPolicy') ?? b.propagationPolicy;
  if (p) {
    if (!['Orphan', 'Background', 'Foreground'].includes(p)) throw errors.badRequest(`DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "${p}": supported values: "Foreground", "Background", "Orphan"`);
    o.propagationPolicy = p;
  }
  const orphan = q.get('orphanDependents') ?? b.orphanDependents;
  if (!o.propagationPolicy && orphan !== undefined && orphan !== null) o.propagationPolicy = String(orphan) === 'true' ? 'Orphan' : 'Background';
  if (b.preconditions) o.preconditions = b.preconditions;
  o.dryRun = dryRun(q) || (Array.isArray(b.dryRun) && b.dryRun.includes('All'));
  return o;
}

function deletedStatus(r: ResourceRequest, obj: KObject): object {
  return {
    kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success',
    details: { name: obj.metadata.name, group: r.store.resource.group || undefined, kind: r.store.resource.plural, uid: obj.metadata.uid },
  };
}

/** a custom resource (served from a CRD): no strategic merge patch, scale paths from the CRD */
function isCustom(rsc: ResourceInfo): boolean {
  return rsc.custom !== undefined;
}

/** where a kind keeps its replicas and selector: the CRD's scale subresource paths (".spec.replicas"), or the built-ins' */
function scalePaths(rsc: ResourceInfo): { spec: string[]; status: string[]; selector?: string[] } {
  const sc = rsc.custom?.scale;
  const path = (p: string | undefined) => (p ? p.replace(/^\./, '').split('.') : undefined);
  if (!sc) return { spec: ['spec', 'replicas'], status: ['status', 'replicas'] };
  return { spec: path(sc.specReplicasPath) ?? ['spec', 'replicas'], status: path(sc.statusReplicasPath) ?? ['status', 'replicas'], selector: path(sc.labelSelectorPath) };
}

function getPath(o: unknown, p: string[]): unknown {
  let v: any = o;
  for (const k of p) v = v && typeof v === 'object' ? v[k] : undefined;
  return v;
}

function setPath(o: any, p: string[], value: unknown): void {
  for (const k of p.slice(0, -1)) o = (o[k] && typeof o[k] === 'object') ? o[k] : (o[k] = {});
  o[p[p.length - 1]] = value;
}

/** autoscaling/v1 Scale view of objects of a kind */
function scaleView(rsc: ResourceInfo): (o: KObject) => object {
  const paths = scalePaths(rsc);
  if (!isCustom(rsc)) return toScale;
  // a custom resource's selector is the string at labelSelectorPath (none without one)
  return (o) => scaleObject(o, Number(getPath(o, paths.spec) ?? 0), Number(getPath(o, paths.status) ?? 0), paths.selector ? String(getPath(o, paths.selector) ?? '') : '');
}

/** an autoscaling/v1 Scale: spec.replicas and status.selector are omitempty, status.replicas is not */
function scaleObject(o: KObject, spec: number, status: number, selector: string): object {
  return {
    kind: 'Scale', apiVersion: 'autoscaling/v1',
    metadata: { name: o.metadata.name, namespace: o.metadata.namespace, uid: o.metadata.uid, resourceVersion: o.metadata.resourceVersion, creationTimestamp: o.metadata.creationTimestamp },
    spec: spec ? { replicas: spec } : {},
    status: { replicas: status, ...(selector ? { selector } : {}) },
  };
}

/** autoscaling/v1 Scale view of a built-in object */
function toScale(o: KObject): object {
  const sel = o.spec?.selector;
  const selector = sel === undefined ? '' : (sel.matchLabels || sel.matchExpressions) ? formatLabelSelector(sel) : Object.entries(sel as Record<string, string>).map(([k, v]) => `${k}=${v}`).join(',');
  return scaleObject(o, o.spec?.replicas ?? 0, o.status?.replicas ?? 0, selector);
}

function checkKind(r: ResourceRequest, obj: any): void {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw errors.badRequest('the object provided is unrecognized (must be of type object)');
  const rsc = r.store.resource;
  if (obj.kind !== undefined && obj.kind !== rsc.kind && (obj.apiVersion === undefined || obj.apiVersion === r.store.apiVersion)) {
    // upstream decodes the body as the kind it names, then fails to convert it (transformDecodeError)
    const internal = rsc.group === '' ? 'core' : rsc.group.split('.')[0];
    throw errors.badRequest(`${obj.kind} in version "${rsc.version}" cannot be handled as a ${rsc.kind}: converting (${rsc.version}.${obj.kind}) to (${internal}.${rsc.kind}): unknown conversion`);
  }
  if (obj.apiVersion !== undefined && obj.apiVersion !== r.store.apiVersion) {
    throw errors.badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${r.store.apiVersion})`);
  }
  obj.metadata ??= {};
}

export async function handleResource(req: IncomingMessage, res: ServerResponse, r: ResourceRequest): Promise<void> {
  const { store, ns, name, sub, query: q } = r;
  const rsc = store.resource;
  const method = req.method ?? 'GET';
  // a deprecated version of a custom resource (the CRD's versions[].deprecated): every request is warned
  const dep = rsc.custom;
  if (dep?.deprecated) addWarnings(res, [dep.deprecationWarning ?? `${rsc.group}/${rsc.version} ${rsc.kind} is deprecated`]);
  if (sub && !(rsc.subresources ?? []).includes(sub)) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
  if (sub === 'scale') return handleScale(req, res, r);
  if (sub === 'binding') return handleBinding(req, res, r);
  if (sub === 'eviction' && rsc.group === '' && rsc.plural === 'pods') return handleEviction(req, res, r);
  if (sub === 'log' && rsc.group === '' && rsc.plural === 'pods') return handlePodLog(req, res, r);
  if (sub && streamSubresources.includes(sub) && rsc.group === '' && rsc.plural === 'pods') return handlePodStream(req, res, r);
  if (sub && sub !== 'status' && sub !== 'finalize' && !store.strategy.subresources?.[sub]) {
    throw new StatusError(501, 'NotImplemented', `${rsc.plural}/${sub} is not implemented yet`);
  }
  const subresource = sub ?? '';
  switch (method) {
    case 'GET': {
      const rv = q.get('resourceVersion');
      if (name) {
        if (rv && rv !== '0') await store.waitForRevision(parseResourceVersion(rv));
        return sendObject(req, res, r, 200, await store.get(ns, name));
      }
      if (queryBool(q, 'watch') || r.verb === 'watch') return serveWatch(req, res, store, ns, q, negotiate(req) === 'table'); // upstream: any value but 0/false/no (python sends True)
      validateListOptions(q);
      if (rv && rv !== '0') await store.waitForRevision(parseResourceVersion(rv));
      return sendList(req, res, r, await store.list(ns, listOpts(q)));
    }
    case 'POST': {
      if (name) throw errors.methodNotAllowed(`the server does not allow this method on the requested resource`);
      if (rsc.custom?.terminating) throw errors.methodNotAllowed('create not allowed while custom resource definition is terminating');
      const body = decodeBody(await readBody(req), req.headers['content-type']);
      checkKind(r, body);
      checkTypes(store.apiVersion, rsc.kind, body);
      const strict = checkUnknownFields(q, store.apiVersion, rsc.kind, body, true);
      const obj = await store.create(ns, body, { dryRun: dryRun(q), fieldManager: fieldManager(req, q, 'create'), owned: isJsonBody(req.headers['content-type']), user: r.user });
      if (strict.length) addWarnings(res, strict);
      return sendObject(req, res, r, 201, obj);
    }
    case 'PUT': {
      if (!name) throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
      const body = decodeBody(await readBody(req), req.headers['content-type']);
      checkKind(r, body);
      checkTypes(store.apiVersion, rsc.kind, body);
      checkUnknownFields(q, store.apiVersion, rsc.kind, body, true);
      const { obj, created } = await store.update(ns, name, body, { dryRun: dryRun(q), fieldManager: fieldManager(req, q, 'update'), subresource, allowCreate: allowCreateOnUpdate(rsc.group, rsc.plural), user: r.user });
      return sendObject(req, res, r, created ? 201 : 200, obj);
    }
    case 'PATCH': {
      if (!name) throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
      const ct = mediaType(req.headers['content-type']);
      const body = await readBody(req);
      const isApply = ct === 'application/apply-patch+yaml';
      const force = queryBool(q, 'force');
      if (!isApply && q.get('force')) throw errors.badRequest('force: Invalid value: true: may not be specified for non-apply patch');
      const manager = fieldManager(req, q, isApply ? 'apply' : 'patch');
      const schema = schemaFor(store.apiVersion, rsc.kind);
      let warnings: string[] = [];
      const { obj, created } = await store.guaranteedUpdate(ns, name, (cur) => {
        // cur is this call's own copy (guaranteedUpdate's contract): the patch may change it in place
        const base: KObject = cur ?? { apiVersion: store.apiVersion, kind: rsc.kind, metadata: { name, namespace: rsc.namespaced ? ns : undefined } };
        const curRv = cur?.metadata.resourceVersion;
        const patched = applyPatch(ct, base, body, schema, { fieldManager: manager, force, subresource, isCreate: !cur, noStrategic: isCustom(rsc), decodeConfig: (c) => decodeApplyConfig(store.apiVersion, rsc.kind, c) }) as KObject;
        checkKind(r, patched);
        checkPatchedTypes(store.apiVersion, rsc.kind, patched, ct === 'application/strategic-merge-patch+json' ? body : undefined);
        warnings = checkUnknownFields(q, store.apiVersion, rsc.kind, patched);
        if (cur && patched.metadata && patched.metadata.resourceVersion && patched.metadata.resourceVersion !== curRv) {
          throw errors.conflict(store.gr, name, 'the object has been modified; please apply your changes to the latest version and try again');
        }
        if (patched.metadata) delete patched.metadata.resourceVersion;
        return patched;
      }, { dryRun: dryRun(q), fieldManager: manager, subresource, allowCreate: isApply && !subresource, skipManagedFields: isApply, user: r.user });
      if (warnings.length) addWarnings(res, warnings);
      return sendObject(req, res, r, created ? 201 : 200, obj);
    }
    case 'DELETE': {
      const raw = await readBody(req);
      const body = raw.length ? decodeBody(raw, req.headers['content-type'] || 'application/json') : undefined;
      const opts = deleteOptions(q, body);
      if (!name) {
        if (!(rsc.verbs ?? defaultVerbs).includes('deletecollection')) throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
        await store.deleteCollection(ns, listOpts(q), opts);
        return sendJSON(res, 200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success' });
      }
      const { obj, deleted } = await store.delete(ns, name, opts);
      if (deleted && !returnsDeletedObject(rsc.group, rsc.plural)) return sendJSON(res, 200, deletedStatus(r, obj));
      return sendObject(req, res, r, 200, obj);
    }
    default:
      throw errors.methodNotAllowed(`the server does not allow this method on the requested resource`);
  }
}

/** RFC 7234 warn-code 299 with the text as a quoted-string (upstream escapes `"` and `\\`; kubectl drops a header it cannot parse) */
export function warningHeader(texts: string[]): string {
  return texts.map((t) => `299 - "${t.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(', ');
}

/** adds warnings to those the response already carries */
function addWarnings(res: ServerResponse, texts: string[]): void {
  const have = res.getHeader('Warning');
  res.setHeader('Warning', have ? `${have}, ${warningHeader(texts)}` : warningHeader(texts));
}

/** a created or replaced built-in object must decode into its Go type: 400 as upstream otherwise */
function checkTypes(apiVersion: string, kind: string, body: unknown): void {
  const cls = modelClassForApiVersion(apiVersion, kind);
  const err = cls && typeError(cls, body);
  if (err) {
    const version = apiVersion.slice(apiVersion.indexOf('/') + 1);
    throw errors.badRequest(`${kind} in version "${version}" cannot be handled as a ${kind}: ${err}`);
  }
}

/**
 * an apply configuration of a built-in kind, as upstream decodes it into its type before merging:
 * quantities in canonical form, so `cpu: 0.5` neither conflicts with nor changes a stored "500m"
 * (a type error surfaces on the merged object)
 */
function decodeApplyConfig(apiVersion: string, kind: string, config: object): void {
  const cls = modelClassForApiVersion(apiVersion, kind);
  if (cls) typeError(cls, config);
}

/**
 * a patched built-in object must decode too: upstream answers 422 on the field "patch", whose value
 * is the patched object's JSON, or for a strategic merge patch the patch as Go prints a map
 */
function checkPatchedTypes(apiVersion: string, kind: string, patched: unknown, strategicPatch?: Buffer): void {
  const cls = modelClassForApiVersion(apiVersion, kind);
  const err = cls && typeError(cls, patched);
  if (!err) return;
  let value = JSON.stringify(patched);
  if (strategicPatch) { try { value = goFormat(JSON.parse(strategicPatch.toString('utf8'))); } catch { /* the patched JSON then */ } }
  throw errors.invalid('', '', '', [{ type: 'FieldValueInvalid', field: 'patch', value, detail: err }]);
}

/** a decoded JSON value as Go's fmt %+v prints it (map[a:1 b:[x y]]) */
function goFormat(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goFormat).join(' ')}]`;
  if (typeof v === 'object') return `map[${Object.keys(v as object).sort().map((k) => `${k}:${goFormat((v as Record<string, unknown>)[k])}`).join(' ')}]`;
  return String(v);
}

const builtinClasses = new Map(builtinResources.map((b) => [`${apiVersionOf(b)}/${b.kind}`, modelClassFor(b.group, b.version, b.kind)]));

/** the client-node model of a built-in kind (custom resources have none) */
function modelClassForApiVersion(apiVersion: string, kind: string): string | undefined {
  return builtinClasses.get(`${apiVersion}/${kind}`);
}

/** upstream allows create-on-update for a few resources only */
function allowCreateOnUpdate(group: string, plural: string): boolean {
  return group === '' && ['services', 'endpoints', 'events', 'limitranges', 'nodes', 'replicationcontrollers', 'configmaps', 'secrets'].includes(plural)
    || group === 'coordination.k8s.io' || group === 'discovery.k8s.io' || group === 'rbac.authorization.k8s.io';
}

function returnsDeletedObject(group: string, plural: string): boolean {
  return group === '' && (plural === 'pods' || plural === 'namespaces' || plural === 'services' || plural === 'nodes');
}

async function handleScale(req: IncomingMessage, res: ServerResponse, r: ResourceRequest): Promise<void> {
  const { store, ns, name, query: q } = r;
  if (!name) throw errors.notFound(store.gr, '');
  const method = req.method ?? 'GET';
  const toScale = scaleView(store.resource);
  if (method === 'GET') return sendJSON(res, 200, toScale(await store.get(ns, name)));
  if (method !== 'PUT' && method !== 'PATCH') throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
  const body = await readBody(req);
  const ct = mediaType(req.headers['content-type']);
  const { obj } = await store.guaranteedUpdate(ns, name, (cur) => {
    if (!cur) return undefined;
    const scale = toScale(cur) as any;
    let next: any;
    if (method === 'PUT') {
      next = decodeBody(body, req.headers['content-type']);
      if (next?.metadata?.resourceVersion && next.metadata.resourceVersion !== cur.metadata.resourceVersion) {
        throw errors.conflict(store.gr, name, 'the object has been modified; please apply your changes to the latest version and try again');
      }
    } else {
      next = applyPatch(ct, scale, body, undefined, { fieldManager: fieldManager(req, q, 'patch'), force: queryBool(q, 'force'), subresource: 'scale', isCreate: false, noStrategic: isCustom(store.resource) });
    }
    const replicas = next?.spec?.replicas;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw errors.invalid('autoscaling', 'Scale', name, [{ type: 'FieldValueInvalid', field: 'spec.replicas', value: replicas, detail: 'must be greater than or equal to 0' }]);
    }
    setPath(cur, scalePaths(store.resource).spec, replicas);
    return cur;
  }, { dryRun: dryRun(q), fieldManager: fieldManager(req, q, 'update'), subresource: '', managedSubresource: 'scale' });
  sendJSON(res, 200, toScale(obj));
}

/** pods/eviction (what `kubectl drain` uses): a delete that PodDisruptionBudgets may refuse (eviction.ts) */
async function handleEviction(req: IncomingMessage, res: ServerResponse, r: ResourceRequest): Promise<void> {
  const { store, ns, name, query: q } = r;
  if ((req.method ?? 'GET') !== 'POST' || !name) throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
  const body = decodeBody(await readBody(req), req.headers['content-type']);
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw errors.badRequest('the object provided is unrecognized (must be of type object)');
  if (body.kind !== undefined && body.kind !== 'Eviction') throw errors.badRequest(`the object provided is unrecognized (kind ${body.kind} is not Eviction)`);
  if (body.metadata?.name && body.metadata.name !== name) throw errors.badRequest('name in URL does not match name in Eviction object');
  await evict({ pods: store, pdbs: r.find?.('policy', 'poddisruptionbudgets') }, ns!, name, deleteOptions(q, body.deleteOptions), fieldManager(req, q, 'update'));
  sendJSON(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
}

/** pods/binding: the scheduler's write. Sets spec.nodeName once, with PodScheduled=True. */
async function handleBinding(req: IncomingMessage, res: ServerResponse, r: ResourceRequest): Promise<void> {
  const { store, ns, name, query: q } = r;
  if ((req.method ?? 'GET') !== 'POST' || !name) throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
  const body = decodeBody(await readBody(req), req.headers['content-type']);
  const node = body?.target?.name;
  if (!node) throw errors.invalid('', 'Binding', name, [{ type: 'FieldValueRequired', field: 'target.name', detail: '' }]);
  if (body?.target?.kind && body.target.kind !== 'Node') throw errors.invalid('', 'Binding', name, [{ type: 'FieldValueNotSupported', field: 'target.kind', value: body.target.kind, detail: 'supported values: "Node"' }]);
  await store.guaranteedUpdate(ns, name, (cur) => {
    if (!cur) return undefined;
    if (cur.metadata.deletionTimestamp) throw errors.conflict(store.gr, name, 'pod is being deleted, cannot be assigned to a host');
    if (cur.spec?.nodeName) throw errors.conflict(store.gr, name, `pod ${name} is already assigned to node "${cur.spec.nodeName}"`);
    if (body?.metadata?.uid && body.metadata.uid !== cur.metadata.uid) throw errors.conflict(store.gr, name, `Precondition failed: UID in precondition: ${body.metadata.uid}, UID in object meta: ${cur.metadata.uid}`);
    cur.spec.nodeName = node;
    const conds = (cur.status?.conditions ?? []).filter((c: any) => c.type !== 'PodScheduled');
    conds.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: nowRFC3339() });
    cur.status = { ...(cur.status ?? {}), conditions: conds };
    return cur;
  }, { dryRun: dryRun(q), fieldManager: fieldManager(req, q, 'update'), subresource: 'binding' });
  sendJSON(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
}
