// OpenAPI v3 `paths` of one resource: list/create/deletecollection on the collection, get/replace/patch/delete on the
// item, status and scale subresources. Each operation carries x-kubernetes-action and x-kubernetes-group-version-kind;
// PATCH carries the fieldValidation query parameter (kubectl --validate=strict looks for it).
import type { ResourceInfo } from '../../api/types.js';
import { ref, type Schema } from './components.js';

export interface ResourceDefs {
  kind: string;
  list: string;
}

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

function q(name: string, description: string, type = 'string', extra: Schema = {}): Schema {
  return { name, in: 'query', description, schema: { type, uniqueItems: true, ...extra } };
}

const P = {
  pretty: q('pretty', "If 'true', then the output is pretty printed. Defaults to 'false' unless the user-agent indicates a browser or command-line HTTP tool (curl and wget)."),
  dryRun: q('dryRun', 'When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun directive will result in an error response and no further processing of the request. Valid values are: - All: all dry run stages will be processed'),
  fieldManager: q('fieldManager', 'fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint.'),
  fieldValidation: q('fieldValidation', 'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: This will ignore any unknown fields that are silently dropped from the object, and will ignore all but the last duplicate field that the decoder encounters. This is the default behavior prior to v1.23. - Warn: This will send a warning via the standard warning response header for each unknown field that is dropped from the object, and for each duplicate field that is encountered. The request will still succeed if there are no other errors, and will only persist the last of any duplicate fields. This is the default in v1.23+ - Strict: This will fail the request with a BadRequest error if any unknown fields would be dropped from the object, or if any duplicate fields are present. The error returned from the server will contain all unknown and duplicate fields encountered.'),
  force: q('force', 'Force is going to "force" Apply requests. It means user will re-acquire conflicting fields owned by other people. Force flag must be unset for non-apply patch requests.', 'boolean'),
  gracePeriodSeconds: q('gracePeriodSeconds', 'The duration in seconds before the object should be deleted. Value must be non-negative integer. The value zero indicates delete immediately. If this value is nil, the default grace period for the specified type will be used. Defaults to a per object value if not specified. zero means delete immediately.', 'integer'),
  propagationPolicy: q('propagationPolicy', "Whether and how garbage collection will be performed. Either this field or OrphanDependents may be set, but not both. The default policy is decided by the existing finalizer set in the metadata.finalizers and the resource-specific default policy. Acceptable values are: 'Orphan' - orphan the dependents; 'Background' - allow the garbage collector to delete the dependents in the background; 'Foreground' - a cascading policy that deletes all dependents in the foreground."),
  labelSelector: q('labelSelector', 'A selector to restrict the list of returned objects by their labels. Defaults to everything.'),
  fieldSelector: q('fieldSelector', 'A selector to restrict the list of returned objects by their fields. Defaults to everything.'),
  limit: q('limit', 'limit is a maximum number of responses to return for a list call.', 'integer'),
  continue: q('continue', 'The continue option should be set when retrieving more results from the server.'),
  resourceVersion: q('resourceVersion', 'resourceVersion sets a constraint on what resource versions a request may be served from. Defaults to unset'),
  resourceVersionMatch: q('resourceVersionMatch', 'resourceVersionMatch determines how resourceVersion is applied to list calls. Defaults to unset'),
  timeoutSeconds: q('timeoutSeconds', 'Timeout for the list/watch call. This limits the duration of the call, regardless of any activity or inactivity.', 'integer'),
  watch: q('watch', 'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications. Specify resourceVersion.', 'boolean'),
  allowWatchBookmarks: q('allowWatchBookmarks', 'allowWatchBookmarks requests watch events with type "BOOKMARK".', 'boolean'),
  sendInitialEvents: q('sendInitialEvents', '`sendInitialEvents=true` may be set together with `watch=true`.', 'boolean'),
};
const listParams = [P.allowWatchBookmarks, P.continue, P.fieldSelector, P.labelSelector, P.limit, P.resourceVersion, P.resourceVersionMatch, P.sendInitialEvents, P.timeoutSeconds, P.watch];

function pathParam(name: string, description: string): Schema {
  return { name, in: 'path', description, required: true, schema: { type: 'string', uniqueItems: true } };
}
const namespaceParam = pathParam('namespace', 'object name and auth scope, such as for teams and projects');

const MEDIA = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];
function ok(schemaName: string, code = '200', watch = false): Schema {
  const content: Schema = {};
  for (const m of MEDIA) content[m] = { schema: ref(schemaName) };
  if (watch) for (const m of ['application/json;stream=watch', 'application/vnd.kubernetes.protobuf;stream=watch']) content[m] = { schema: ref(schemaName) };
  return { [code]: { description: code === '201' ? 'Created' : code === '202' ? 'Accepted' : 'OK', content } };
}
const unauthorized = { '401': { description: 'Unauthorized' } };

function body(schemaName: string): Schema {
  return { content: { '*/*': { schema: ref(schemaName) } }, required: true };
}
/** the patch types a PATCH takes: custom resources have no strategic merge patch (kubectl apply then sends a merge patch) */
function patchBody(custom: boolean): Schema {
  const content: Schema = {};
  const types = ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json', ...(custom ? [] : ['application/strategic-merge-patch+json'])];
  for (const m of types) content[m] = { schema: ref(`${META}.Patch`) };
  return { content, required: true };
}

function pascalGroup(group: string): string {
  if (group === '') return 'Core';
  return group.replace(/\.k8s\.io$/, '').split('.').map((s) => s.charAt(0).toUpperCase() + s.slice(1)).join('');
}
export function tagOf(group: string, version: string): string {
  const p = pascalGroup(group);
  return `${p.charAt(0).toLowerCase()}${p.slice(1)}_${version}`;
}

/** Adds the paths of one resource to `paths`. */
export function addResourcePaths(paths: Record<string, Schema>, r: ResourceInfo, defs: ResourceDefs, scaleDef?: string, custom = false): void {
  const base = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  const gvk = { group: r.group, version: r.version, kind: r.kind };
  const id = `${pascalGroup(r.group)}${r.version.charAt(0).toUpperCase()}${r.version.slice(1)}`;
  const ns = r.namespaced ? 'Namespaced' : '';
  const tags = [tagOf(r.group, r.version)];
  const verbs = new Set(r.verbs ?? ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']);
  const op = (opId: string, action: string, extra: Schema, k = gvk): Schema => ({
    tags, description: extra.description, operationId: opId, ...extra, 'x-kubernetes-action': action, 'x-kubernetes-group-version-kind': k,
  });
  const collection = r.namespaced ? `${base}/namespaces/{namespace}/${r.plural}` : `${base}/${r.plural}`;
  const colItem: Schema = { parameters: r.namespaced ? [namespaceParam, P.pretty] : [P.pretty] };
  if (verbs.has('list')) colItem.get = op(`list${id}${ns}${r.kind}`, 'list', { description: `list or watch objects of kind ${r.kind}`, parameters: listParams, responses: { ...ok(defs.list, '200', true), ...unauthorized } });
  if (verbs.has('create')) colItem.post = op(`create${id}${ns}${r.kind}`, 'post', { description: `create ${article(r.kind)}`, parameters: [P.dryRun, P.fieldManager, P.fieldValidation], requestBody: body(defs.kind), responses: { ...ok(defs.kind), ...ok(defs.kind, '201'), ...ok(defs.kind, '202'), ...unauthorized } });
  if (verbs.has('deletecollection')) colItem.delete = op(`delete${id}Collection${ns}${r.kind}`, 'deletecollection', { description: `delete collection of ${r.kind}`, parameters: [P.continue, P.dryRun, P.fieldSelector, P.gracePeriodSeconds, P.labelSelector, P.limit, P.propagationPolicy, P.resourceVersion, P.resourceVersionMatch, P.timeoutSeconds], requestBody: { content: { '*/*': { schema: ref(`${META}.DeleteOptions`) } } }, responses: { ...ok(`${META}.Status`), ...unauthorized } });
  paths[collection] = colItem;

  if (r.namespaced && verbs.has('list')) {
    paths[`${base}/${r.plural}`] = {
      parameters: [...listParams, P.pretty],
      get: op(`list${id}${r.kind}ForAllNamespaces`, 'list', { description: `list or watch objects of kind ${r.kind}`, responses: { ...ok(defs.list, '200', true), ...unauthorized } }),
    };
  }

  const item = `${collection}/{name}`;
  const itemParams = [pathParam('name', `name of the ${r.kind}`), ...(r.namespaced ? [namespaceParam] : []), P.pretty];
  const itemOps: Schema = { parameters: itemParams };
  if (verbs.has('get')) itemOps.get = op(`read${id}${ns}${r.kind}`, 'get', { description: `read the specified ${r.kind}`, responses: { ...ok(defs.kind), ...unauthorized } });
  if (verbs.has('update')) itemOps.put = op(`replace${id}${ns}${r.kind}`, 'put', { description: `replace the specified ${r.kind}`, parameters: [P.dryRun, P.fieldManager, P.fieldValidation], requestBody: body(defs.kind), responses: { ...ok(defs.kind), ...ok(defs.kind, '201'), ...unauthorized } });
  if (verbs.has('patch')) itemOps.patch = op(`patch${id}${ns}${r.kind}`, 'patch', { description: `partially update the specified ${r.kind}`, parameters: [P.dryRun, P.fieldManager, P.fieldValidation, P.force], requestBody: patchBody(custom), responses: { ...ok(defs.kind), ...ok(defs.kind, '201'), ...unauthorized } });
  if (verbs.has('delete')) itemOps.delete = op(`delete${id}${ns}${r.kind}`, 'delete', { description: `delete ${article(r.kind)}`, parameters: [P.dryRun, P.gracePeriodSeconds, P.propagationPolicy], requestBody: { content: { '*/*': { schema: ref(`${META}.DeleteOptions`) } } }, responses: { ...ok(defs.kind), ...ok(defs.kind, '202'), ...unauthorized } });
  paths[item] = itemOps;

  for (const sub of r.subresources ?? []) {
    const target = sub === 'status' ? defs.kind : sub === 'scale' && scaleDef ? scaleDef : undefined;
    if (!target) continue;
    const k = sub === 'scale' ? { group: 'autoscaling', version: 'v1', kind: 'Scale' } : gvk;
    const S = sub.charAt(0).toUpperCase() + sub.slice(1);
    const what = `${sub} of the specified ${r.kind}`;
    paths[`${item}/${sub}`] = {
      parameters: [pathParam('name', `name of the ${sub === 'scale' ? 'Scale' : r.kind}`), ...(r.namespaced ? [namespaceParam] : []), P.pretty],
      get: op(`read${id}${ns}${r.kind}${S}`, 'get', { description: `read ${what}`, responses: { ...ok(target), ...unauthorized } }, k),
      put: op(`replace${id}${ns}${r.kind}${S}`, 'put', { description: `replace ${what}`, parameters: [P.dryRun, P.fieldManager, P.fieldValidation], requestBody: body(target), responses: { ...ok(target), ...ok(target, '201'), ...unauthorized } }, k),
      patch: op(`patch${id}${ns}${r.kind}${S}`, 'patch', { description: `partially update ${what}`, parameters: [P.dryRun, P.fieldManager, P.fieldValidation, P.force], requestBody: patchBody(custom), responses: { ...ok(target), ...ok(target, '201'), ...unauthorized } }, k),
    };
  }
}

function article(kind: string): string {
  return `${/^[AEIOU]/.test(kind) ? 'an' : 'a'} ${kind}`;
}

/** GET on the group-version root: the APIResourceList. */
export function rootPath(group: string, version: string): [string, Schema] {
  const base = group ? `/apis/${group}/${version}` : `/api/${version}`;
  const id = `${pascalGroup(group)}${version.charAt(0).toUpperCase()}${version.slice(1)}`;
  return [`${base}/`, { get: { tags: [tagOf(group, version)], description: 'get available resources', operationId: `get${id}APIResources`, responses: { ...okPlain(`${META}.APIResourceList`), ...unauthorized } } }];
}
function okPlain(name: string): Schema {
  return ok(name);
}
