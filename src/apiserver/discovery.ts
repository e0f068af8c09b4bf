// Discovery documents: legacy (/api, /apis, /api/v1, /apis/g, /apis/g/v) and aggregated (apidiscovery.k8s.io v2/v2beta1).
import { createHash } from 'node:crypto';
import type { ResourceInfo } from '../api/types.js';
import { defaultVerbs } from '../api/types.js';
import { groupOrder } from '../api/resources.js';

interface SubInfo { kind: string; group?: string; version?: string; verbs: string[] }

function subresourceInfo(r: ResourceInfo, sub: string): SubInfo {
  switch (sub) {
    case 'status': return { kind: r.kind, verbs: ['get', 'patch', 'update'] };
    case 'scale': return { kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'] };
    case 'binding': return { kind: 'Binding', verbs: ['create'] };
    case 'eviction': return { kind: 'Eviction', group: 'policy', version: 'v1', verbs: ['create'] };
    case 'log': return { kind: 'Pod', verbs: ['get'] };
    case 'exec': return { kind: 'PodExecOptions', verbs: ['create', 'get'] };
    case 'attach': return { kind: 'PodAttachOptions', verbs: ['create', 'get'] };
    case 'portforward': return { kind: 'PodPortForwardOptions', verbs: ['create', 'get'] };
    case 'proxy': return { kind: r.kind === 'Node' ? 'NodeProxyOptions' : r.kind === 'Pod' ? 'PodProxyOptions' : 'ServiceProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'] };
    case 'finalize': return { kind: r.kind, verbs: ['update'] };
    case 'token': return { kind: 'TokenRequest', group: 'authentication.k8s.io', version: 'v1', verbs: ['create'] };
    case 'ephemeralcontainers': case 'resize': case 'approval': return { kind: r.kind, verbs: ['get', 'patch', 'update'] };
    default: return { kind: r.kind, verbs: ['get'] };
  }
}

function storageVersionHash(r: ResourceInfo): string {
  // upstream discovery.StorageVersionHash: the first 8 bytes of sha256("group/version/kind"), base64
  return createHash('sha256').update(`${r.group}/${r.version}/${r.kind}`).digest().subarray(0, 8).toString('base64');
}

export function groupVersions(resources: ResourceInfo[]): { group: string; versions: string[] }[] {
  const m = new Map<string, string[]>();
  for (const r of resources) {
    const vs = m.get(r.group) ?? [];
    if (!vs.includes(r.version)) vs.push(r.version);
    m.set(r.group, vs);
  }
  const order = (g: string) => { const i = groupOrder.indexOf(g); return i < 0 ? groupOrder.length : i; };
  return [...m.entries()].sort((a, b) => order(a[0]) - order(b[0]) || a[0].localeCompare(b[0]))
    .map(([group, versions]) => ({ group, versions: versions.sort(compareVersions) }));
}

/** upstream's version priority: GA > beta > alpha, higher numbers first */
export function compareVersions(a: string, b: string): number {
  const p = (v: string) => { const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v); if (!m) return [0, 0, 0]; return [m[2] ? (m[2] === 'beta' ? 2 : 1) : 3, Number(m[1]), Number(m[3] ?? 0)]; };
  const pa = p(a), pb = p(b);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pb[i] - pa[i];
  return a.localeCompare(b);
}

export function apiVersionsDoc(serverAddress: string): object {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function groupDoc(group: string, versions: string[]): object {
  const vs = versions.map((v) => ({ groupVersion: `${group}/${v}`, version: v }));
  return { name: group, versions: vs, preferredVersion: vs[0] };
}

export function apiGroupListDoc(resources: ResourceInfo[]): object {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groupVersions(resources).filter((g) => g.group !== '').map((g) => groupDoc(g.group, g.versions)) };
}

export function apiGroupDoc(resources: ResourceInfo[], group: string): object | undefined {
  const g = groupVersions(resources).find((x) => x.group === group);
  return g ? { kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(g.group, g.versions) } : undefined;
}

export function apiResourceListDoc(resources: ResourceInfo[], group: string, version: string): object | undefined {
  const rs = resources.filter((r) => r.group === group && r.version === version);
  if (!rs.length) return undefined;
  const out: object[] = [];
  for (const r of rs) {
    const main: Record<string, unknown> = { name: r.plural, singularName: r.singular, namespaced: r.namespaced, kind: r.kind, verbs: r.verbs ?? defaultVerbs };
    if (r.shortNames?.length) main.shortNames = r.shortNames;
    if (r.categories?.length) main.categories = r.categories;
    main.storageVersionHash = storageVersionHash(r);
    out.push(main);
    for (const sub of r.subresources ?? []) {
      const si = subresourceInfo(r, sub);
      const e: Record<string, unknown> = { name: `${r.plural}/${sub}`, singularName: '', namespaced: r.namespaced, kind: si.kind, verbs: si.verbs };
      if (si.group) { e.group = si.group; e.version = si.version; }
      out.push(e);
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources: out };
}

/** aggregated discovery: /api (core only) or /apis (all named groups) */
export function aggregatedDoc(resources: ResourceInfo[], legacy: boolean, apiVersion: string): object {
  const items = groupVersions(resources).filter((g) => (g.group === '') === legacy).map((g) => ({
    metadata: { name: g.group, creationTimestamp: null },
    versions: g.versions.map((v) => ({
      version: v,
      resources: resources.filter((r) => r.group === g.group && r.version === v).map((r) => {
        const e: Record<string, unknown> = {
          resource: r.plural,
          responseKind: { group: r.group, version: r.version, kind: r.kind },
          scope: r.namespaced ? 'Namespaced' : 'Cluster',
          singularResource: r.singular,
          verbs: r.verbs ?? defaultVerbs,
        };
        if (r.shortNames?.length) e.shortNames = r.shortNames;
        if (r.categories?.length) e.categories = r.categories;
        if (r.subresources?.length) {
          e.subresources = r.subresources.map((sub) => {
            const si = subresourceInfo(r, sub);
            return { subresource: sub, responseKind: { group: si.group ?? r.group, version: si.version ?? r.version, kind: si.kind }, verbs: si.verbs };
          });
        }
        return e;
      }),
      freshness: 'Current',
    })),
  }));
  return { kind: 'APIGroupDiscoveryList', apiVersion, metadata: {}, items };
}
