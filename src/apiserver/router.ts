// Parses /api and /apis paths into (group, version, namespace, resource, name, subresource).
export interface ParsedPath {
  kind: 'root' | 'api' | 'apis' | 'group' | 'groupVersion' | 'resource';
  group: string;
  version: string;
  /** path segments below /api/v1 or /apis/g/v */
  rest: string[];
  /** legacy /watch/ prefix */
  watchPrefix: boolean;
}

export function parseApiPath(pathname: string): ParsedPath | undefined {
  const segs = pathname.split('/').filter((s) => s !== '').map(decodeURIComponent);
  if (segs[0] === 'api') {
    if (segs.length === 1) return { kind: 'api', group: '', version: '', rest: [], watchPrefix: false };
    if (segs.length === 2) return { kind: 'groupVersion', group: '', version: segs[1], rest: [], watchPrefix: false };
    return withWatch({ kind: 'resource', group: '', version: segs[1], rest: segs.slice(2), watchPrefix: false });
  }
  if (segs[0] === 'apis') {
    if (segs.length === 1) return { kind: 'apis', group: '', version: '', rest: [], watchPrefix: false };
    if (segs.length === 2) return { kind: 'group', group: segs[1], version: '', rest: [], watchPrefix: false };
    if (segs.length === 3) return { kind: 'groupVersion', group: segs[1], version: segs[2], rest: [], watchPrefix: false };
    return withWatch({ kind: 'resource', group: segs[1], version: segs[2], rest: segs.slice(3), watchPrefix: false });
  }
  return undefined;
}

function withWatch(p: ParsedPath): ParsedPath {
  if (p.rest[0] === 'watch') return { ...p, rest: p.rest.slice(1), watchPrefix: true };
  return p;
}

export interface ResourcePath { ns?: string; plural: string; name?: string; sub?: string }

/**
 * rest: [namespaces, ns, plural, name?, sub?] or [plural, name?, sub?].
 * isNamespaced tells whether a plural is a namespaced resource in this group-version.
 */
export function parseResourcePath(rest: string[], isNamespaced: (plural: string) => boolean | undefined): ResourcePath | undefined {
  if (rest[0] === 'namespaces' && rest.length >= 3 && isNamespaced(rest[2])) {
    if (rest.length > 5) return undefined;
    return { ns: rest[1], plural: rest[2], name: rest[3], sub: rest[4] };
  }
  if (rest.length > 3) {
    // subresources with extra path segments (proxy) are not served
    return undefined;
  }
  return { plural: rest[0], name: rest[1], sub: rest[2] };
}
