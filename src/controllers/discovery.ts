// Server discovery for controllers: every served resource (preferred version per group first),
// from aggregated discovery (/api, /apis as APIGroupDiscoveryList) with a fallback to the legacy
// documents (/api/v1, /apis, /apis/g/v). Also a small RESTMapper: (group, kind) -> resource.
import type { ResourceRef, RestClient } from '../client/index.js';

export interface APIResource extends ResourceRef { kind: string; verbs: string[] }

export interface DiscoveryResult {
  /** main resources (no subresources), each (group, plural) once, from the group's most preferred version serving it */
  resources: APIResource[];
  /** groupVersion -> error message, for groups whose discovery failed */
  failed: Map<string, string>;
}

export interface Discovery { discover(signal?: AbortSignal): Promise<DiscoveryResult> }

const aggregatedAccept = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

export class DiscoveryError extends Error {
  constructor(readonly failed: Map<string, string>) {
    super(`unable to retrieve the complete list of server APIs: ${[...failed].map(([gv, e]) => `${gv}: ${e}`).join(', ')}`);
  }
}

/** Discovery against a server, cached for cacheMs (default 1 s) so a burst of syncs shares one round trip. */
export class ServerDiscovery implements Discovery {
  private cached?: { at: number; result: Promise<DiscoveryResult> };
  constructor(private readonly client: RestClient, private readonly cacheMs = 1000) {}

  invalidate(): void { this.cached = undefined; }

  discover(signal?: AbortSignal): Promise<DiscoveryResult> {
    if (this.cached && Date.now() - this.cached.at < this.cacheMs) return this.cached.result;
    const result = this.fetch(signal);
    this.cached = { at: Date.now(), result };
    result.catch(() => { if (this.cached?.result === result) this.cached = undefined; });
    return result;
  }

  private async fetch(signal?: AbortSignal): Promise<DiscoveryResult> {
    try {
      const [core, groups] = await Promise.all(['/api', '/apis'].map((p) => this.client.request('GET', p, undefined, { accept: aggregatedAccept, signal })));
      if (core?.kind === 'APIGroupDiscoveryList' && groups?.kind === 'APIGroupDiscoveryList') {
        return { resources: dedupe([...fromAggregated(core), ...fromAggregated(groups)]), failed: new Map() };
      }
    } catch (e) {
      if (signal?.aborted) throw e;
      // fall through to legacy discovery
    }
    return this.legacy(signal);
  }

  private async legacy(signal?: AbortSignal): Promise<DiscoveryResult> {
    const failed = new Map<string, string>();
    const gvs: { group: string; version: string }[] = [];
    const core = await this.client.request('GET', '/api', undefined, { signal });
    for (const v of core?.versions ?? []) gvs.push({ group: '', version: v });
    const groups = await this.client.request('GET', '/apis', undefined, { signal });
    for (const g of groups?.groups ?? []) {
      // preferred version first
      const vs: string[] = (g.versions ?? []).map((x: { version: string }) => x.version);
      const pref = g.preferredVersion?.version;
      if (pref) { vs.splice(vs.indexOf(pref), 1); vs.unshift(pref); }
      for (const v of vs) gvs.push({ group: g.name, version: v });
    }
    const lists = await Promise.all(gvs.map(async (gv) => {
      const path = gv.group ? `/apis/${gv.group}/${gv.version}` : `/api/${gv.version}`;
      try {
        const doc = await this.client.request('GET', path, undefined, { signal });
        return (doc?.resources ?? []).filter((r: any) => !String(r.name).includes('/')).map((r: any): APIResource => ({
          group: gv.group, version: gv.version, plural: r.name, namespaced: !!r.namespaced, kind: r.kind, verbs: r.verbs ?? [],
        }));
      } catch (e) {
        failed.set(gv.group ? `${gv.group}/${gv.version}` : gv.version, e instanceof Error ? e.message : String(e));
        return [];
      }
    }));
    return { resources: dedupe(lists.flat()), failed };
  }
}

function fromAggregated(doc: any): APIResource[] {
  const out: APIResource[] = [];
  for (const g of doc.items ?? []) {
    const group = g.metadata?.name ?? '';
    for (const v of g.versions ?? []) {
      for (const r of v.resources ?? []) {
        out.push({ group, version: v.version, plural: r.resource, namespaced: r.scope === 'Namespaced', kind: r.responseKind?.kind ?? '', verbs: r.verbs ?? [] });
      }
    }
  }
  return out;
}

/** keeps the first (most preferred) version of each group/plural */
function dedupe(rs: APIResource[]): APIResource[] {
  const seen = new Set<string>();
  return rs.filter((r) => { const k = `${r.group}/${r.plural}`; if (seen.has(k)) return false; seen.add(k); return true; });
}

export const hasVerbs = (r: APIResource, ...verbs: string[]) => verbs.every((v) => r.verbs.includes(v));

/** "apps/v1" -> "apps", "v1" -> "" */
export function groupOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

/** The resource serving (group, kind); the preferred version wins. */
export class RestMapper {
  private byKind = new Map<string, APIResource>();
  constructor(resources: APIResource[] = []) { this.reset(resources); }

  reset(resources: APIResource[]): void {
    const m = new Map<string, APIResource>();
    for (const r of resources) { const k = `${r.group}|${r.kind}`; if (!m.has(k)) m.set(k, r); }
    this.byKind = m;
  }

  forKind(apiVersion: string, kind: string): APIResource | undefined {
    return this.byKind.get(`${groupOf(apiVersion)}|${kind}`);
  }
}

/** A fixed discovery result (tests, or callers that know their resources). */
export class StaticDiscovery implements Discovery {
  constructor(public resources: APIResource[], public failed = new Map<string, string>()) {}
  async discover(): Promise<DiscoveryResult> { return { resources: [...this.resources], failed: new Map(this.failed) }; }
}
