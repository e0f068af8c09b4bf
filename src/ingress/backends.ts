// Backend resolution: an Ingress backend (service name + port number or name) -> the Service port ->
// the EndpointSlice port of the same name -> ready endpoint addresses, picked round robin per request.
// Results are cached until a Service or EndpointSlice changes (invalidate()).
import type { KObject } from '../api/types.js';
import type { Lister } from '../client/index.js';
import type { Backend } from './match.js';

export interface Target {
  host: string; port: number;
  /** host:port, filled in by whoever needs it first (the fast path's connection pool) */
  key?: string;
}
export type Pick = { target: Target } | { status: 503 | 502; reason: string };

const serviceNameLabel = 'kubernetes.io/service-name';

interface Entry { targets: Target[]; reason: string; next: number }

export class Backends {
  private cache = new Map<string, Entry>();
  /** each backend's cache key (backends live as long as their route table) */
  private keys = new WeakMap<Backend, string>();

  constructor(private readonly services: Lister, private readonly slices: Lister) {}

  invalidate(): void { this.cache.clear(); }

  /** the next ready endpoint for a backend, or why there is none */
  pick(b: Backend): Pick {
    if (!b.service) return { status: 503, reason: `backend of ${b.ingress} is not a Service` };
    let k = this.keys.get(b);
    if (k === undefined) this.keys.set(b, (k = `${b.namespace}/${b.service.name}:${b.service.port.number ?? b.service.port.name ?? ''}`));
    let e = this.cache.get(k);
    if (!e) this.cache.set(k, (e = { ...this.resolve(b.namespace, b.service.name, b.service.port), next: 0 }));
    if (!e.targets.length) return { status: 503, reason: e.reason };
    const t = e.targets[e.next++ % e.targets.length];
    if (e.next >= 1e9) e.next = 0;
    return { target: t };
  }

  /** all ready targets of a Service port (for tests and diagnostics) */
  resolve(namespace: string, name: string, want: { number?: number; name?: string }): { targets: Target[]; reason: string } {
    const svc = this.services.get(namespace, name);
    if (!svc) return { targets: [], reason: `service "${namespace}/${name}" not found` };
    const ports: any[] = svc.spec?.ports ?? [];
    const sp = want.number !== undefined ? ports.find((p) => p.port === want.number) : ports.find((p) => p.name === want.name);
    if (svc.spec?.type === 'ExternalName' && svc.spec.externalName) {
      const port = want.number ?? (typeof sp?.targetPort === 'number' ? sp.targetPort : sp?.port);
      return port ? { targets: [{ host: svc.spec.externalName, port }], reason: '' } : { targets: [], reason: `service "${namespace}/${name}" has no port ${want.name}` };
    }
    if (!sp) return { targets: [], reason: `service "${namespace}/${name}" has no port ${want.number ?? want.name}` };
    const targets: Target[] = [];
    const seen = new Set<string>();
    const slices = this.slices.list(namespace, (s: KObject) => s.metadata.labels?.[serviceNameLabel] === name);
    for (const s of slices.sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''))) {
      const slicePorts: any[] = (s as any).ports ?? [];
      let p = slicePorts.find((x) => (x.name ?? '') === (sp.name ?? ''));
      if (!p && slicePorts.length === 1 && ports.length === 1) p = slicePorts[0];
      if (!p?.port) continue;
      for (const ep of (s as any).endpoints ?? []) {
        if (ep.conditions?.ready === false) continue; // unset means ready
        const addr = ep.addresses?.[0];
        if (!addr) continue;
        const id = `${addr}:${p.port}`;
        if (seen.has(id)) continue;
        seen.add(id);
        targets.push({ host: addr, port: p.port });
      }
    }
    return { targets, reason: targets.length ? '' : `no ready endpoints for service "${namespace}/${name}" port ${sp.name || sp.port}` };
  }
}
