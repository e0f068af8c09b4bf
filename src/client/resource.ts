// Resource descriptors and the REST paths built from them (same layout as upstream).

/** What the client needs to know about a resource. ResourceInfo from src/api/types.ts fits. */
export interface ResourceRef {
  group: string;      // '' for core
  version: string;
  plural: string;
  namespaced: boolean;
  kind?: string;
}

export interface PathParts { namespace?: string; name?: string; subresource?: string }

/** "/api/v1" for core, "/apis/<group>/<version>" otherwise */
export function groupVersionPath(r: { group: string; version: string }): string {
  return r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
}

/**
 * The path of a collection, an object or a subresource. A namespaced resource without a
 * namespace addresses all namespaces (list/watch only).
 */
export function resourcePath(r: ResourceRef, parts: PathParts = {}): string {
  let p = groupVersionPath(r);
  if (r.namespaced && parts.namespace) p += `/namespaces/${encodeURIComponent(parts.namespace)}`;
  p += `/${r.plural}`;
  if (parts.name !== undefined) {
    if (parts.name === '') throw new Error(`resource name may not be empty`);
    p += `/${encodeURIComponent(parts.name)}`;
    if (parts.subresource) p += `/${parts.subresource}`;
  }
  return p;
}

/** "deployments.apps", "pods" */
export function groupResource(r: ResourceRef): string {
  return r.group ? `${r.plural}.${r.group}` : r.plural;
}
