// What a request asks to do, for authorization (upstream's RequestInfoFactory): a resource request
// (/api/v1/..., /apis/GROUP/VERSION/...) names its verb, API group, resource, subresource,
// namespace and name; anything else is a non-resource request for a path.
import { parseFieldSelector } from '../../api/labels.js';
import { parseApiPath } from '../router.js';

/** the request's authorization attributes, without the user */
export interface RequestInfo {
  resourceRequest: boolean;
  verb: string;
  path: string;
  apiGroup?: string; apiVersion?: string; resource?: string; subresource?: string; namespace?: string; name?: string;
}

/** subresources of a namespace (/namespaces/NAME/status): the namespace is the object, not a scope */
const namespaceSubresources = new Set(['status', 'finalize']);

export function requestInfo(method: string, path: string, query: URLSearchParams): RequestInfo {
  const m = method.toUpperCase();
  const nonResource: RequestInfo = { resourceRequest: false, verb: m.toLowerCase(), path };
  // discovery paths (/api, /apis/GROUP, /apis/GROUP/VERSION) are non-resource requests too
  const parsed = parseApiPath(path);
  if (parsed?.kind !== 'resource' || !parsed.rest.length) return nonResource;
  const { group: apiGroup, version: apiVersion, watchPrefix: watchPath } = parsed;
  let parts = parsed.rest;
  let namespace: string | undefined;
  if (parts[0] === 'namespaces' && parts.length > 1) {
    namespace = parts[1];
    if (parts.length > 2 && !namespaceSubresources.has(parts[2])) parts = parts.slice(2);
  }
  const [resource, name, subresource] = parts;
  let verb: string;
  switch (m) {
    case 'POST': verb = 'create'; break;
    case 'PUT': verb = 'update'; break;
    case 'PATCH': verb = 'patch'; break;
    case 'DELETE': verb = name ? 'delete' : 'deletecollection'; break;
    case 'GET': case 'HEAD': {
      const watch = watchPath || /^(1|true)$/i.test(query.get('watch') ?? '');
      verb = watch ? 'watch' : name ? 'get' : 'list';
      break;
    }
    default: verb = m.toLowerCase();
  }
  const info: RequestInfo = { resourceRequest: true, verb, path, apiGroup, apiVersion, resource };
  if (namespace !== undefined) info.namespace = namespace;
  if (name !== undefined) info.name = name;
  else if (verb === 'list' || verb === 'watch') {
    // a list or watch of one object by `fieldSelector=metadata.name=X` is a request for X, so Roles
    // limited to resourceNames allow it (kubectl get -w NAME, kubectl wait), as upstream
    const one = selectedName(query.get('fieldSelector'));
    if (one !== undefined) info.name = one;
  }
  if (subresource !== undefined) info.subresource = subresource;
  return info;
}

/** the name a field selector requires (metadata.name=X or ==X), if it is a valid path segment */
function selectedName(selector: string | null): string | undefined {
  let reqs;
  try { reqs = parseFieldSelector(selector ?? undefined); } catch { return undefined; }
  const r = reqs.find((q) => q.field === 'metadata.name' && q.op === '=');
  if (!r || r.value === '' || r.value === '.' || r.value === '..' || /[/%]/.test(r.value)) return undefined;
  return r.value;
}
