// What cluster DNS reads: Services and EndpointSlices from informer caches, with two indexes rebuilt
// lazily after a change (EndpointSlices by Service, reverse-lookup names by IP).
import type { KObject } from '../api/types.js';
import { canonicalIP, dashedIP } from './names.js';

/** the part of a Lister the view uses */
export interface ObjectSource { get(namespace: string, name: string): KObject | undefined; list(namespace?: string): KObject[] }

export interface Endpoint { ip: string; hostname?: string; ready: boolean }
export interface EndpointPort { name: string; port: number; protocol: string }

export const serviceNameLabel = 'kubernetes.io/service-name';

export function isHeadless(svc: KObject): boolean {
  return svc.spec?.clusterIP === 'None';
}

/** the endpoint's DNS label: its hostname, else its IP with dashes (CoreDNS) */
export function endpointLabel(ep: Endpoint): string {
  return (ep.hostname ?? dashedIP(ep.ip)).toLowerCase();
}

export class ClusterView {
  private dirty = true;
  private slicesBySvc = new Map<string, KObject[]>();
  private ptrs = new Map<string, string[]>();
  /** SOA serial: seconds of the last change */
  serial = Math.floor(Date.now() / 1000);

  constructor(private readonly services: ObjectSource, private readonly slices: ObjectSource, private readonly zone = 'cluster.local') {}

  /** call on every Service or EndpointSlice change */
  invalidate(): void {
    this.dirty = true;
    this.serial = Math.max(this.serial, Math.floor(Date.now() / 1000));
  }

  service(namespace: string, name: string): KObject | undefined {
    return this.services.get(namespace, name);
  }

  /** a namespace "exists" for DNS when it holds a Service */
  hasServices(namespace: string): boolean {
    return this.services.list(namespace).length > 0;
  }

  slicesFor(svc: KObject): KObject[] {
    this.rebuild();
    return this.slicesBySvc.get(`${svc.metadata.namespace}/${svc.metadata.name}`) ?? [];
  }

  /** the endpoints DNS publishes: ready ones (all with publishNotReadyAddresses), one per IP */
  endpoints(svc: KObject): Endpoint[] {
    const all = !!svc.spec?.publishNotReadyAddresses;
    const seen = new Set<string>();
    const out: Endpoint[] = [];
    for (const s of this.slicesFor(svc)) {
      for (const e of s.endpoints ?? []) {
        const ready = e.conditions?.ready !== false;
        if (!ready && !all) continue;
        for (const ip of e.addresses ?? []) {
          const key = `${canonicalIP(ip)}|${e.hostname ?? ''}`;
          if (seen.has(key)) continue;
          seen.add(key);
          out.push({ ip, hostname: e.hostname || undefined, ready });
        }
      }
    }
    return out;
  }

  /** named ports of the Service's EndpointSlices (the real target ports), one per name+protocol */
  endpointPorts(svc: KObject): EndpointPort[] {
    const seen = new Map<string, EndpointPort>();
    for (const s of this.slicesFor(svc)) {
      for (const p of s.ports ?? []) {
        if (p.port == null) continue;
        const port = { name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP' };
        const k = `${port.name}/${port.protocol}`;
        if (!seen.has(k)) seen.set(k, port);
      }
    }
    return [...seen.values()];
  }

  /** names for a reverse lookup: Services by ClusterIP, endpoints of Services by address */
  ptr(ip: string): string[] {
    this.rebuild();
    return this.ptrs.get(canonicalIP(ip)) ?? [];
  }

  private rebuild(): void {
    if (!this.dirty) return;
    this.dirty = false;
    const bySvc = new Map<string, KObject[]>();
    for (const s of this.slices.list()) {
      if (s.addressType === 'FQDN') continue;
      const svc = s.metadata.labels?.[serviceNameLabel];
      if (!svc) continue;
      const k = `${s.metadata.namespace}/${svc}`;
      const list = bySvc.get(k);
      if (list) list.push(s); else bySvc.set(k, [s]);
    }
    this.slicesBySvc = bySvc;
    const ptrs = new Map<string, string[]>();
    const add = (ip: string, name: string) => {
      const k = canonicalIP(ip);
      const list = ptrs.get(k);
      if (!list) ptrs.set(k, [name]); else if (!list.includes(name)) list.push(name);
    };
    // a ClusterIP names its Service; an address that is no ClusterIP names the endpoints of every
    // Service it backs (CoreDNS serviceRecordForIP): those with a hostname if any, else all by dashed IP
    const named = new Map<string, string[]>(), dashed = new Map<string, string[]>();
    for (const svc of this.services.list()) {
      if (svc.spec?.type === 'ExternalName') continue;
      const base = `${svc.metadata.name}.${svc.metadata.namespace}.svc.${this.zone}`;
      if (!isHeadless(svc)) {
        const ips: string[] = svc.spec?.clusterIPs ?? (svc.spec?.clusterIP ? [svc.spec.clusterIP] : []);
        for (const ip of ips) if (ip && ip !== 'None') add(ip, base);
      }
      for (const ep of this.endpoints(svc)) {
        const into = ep.hostname ? named : dashed;
        const k = canonicalIP(ep.ip);
        into.set(k, [...(into.get(k) ?? []), `${endpointLabel(ep)}.${base}`]);
      }
    }
    for (const ip of new Set([...named.keys(), ...dashed.keys()])) {
      if (!ptrs.has(ip)) ptrs.set(ip, [...new Set(named.get(ip) ?? dashed.get(ip))]); // a ClusterIP answers first
    }
    this.ptrs = ptrs;
  }
}
