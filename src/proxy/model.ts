// Services + EndpointSlices -> the per-port view the ruleset is built from (pure, IPv4 only).
import type { KObject } from '../api/types.js';

export const serviceNameLabel = 'kubernetes.io/service-name';

export type L4 = 'tcp' | 'udp' | 'sctp';
export interface Endpoint { ip: string; port: number; /** on this node (externalTrafficPolicy Local) */ local?: boolean }

/** one port of one Service, as kube-proxy's ServicePortName plus what its rules need */
export interface ServicePortInfo {
  /** "ns/name/tcp/portname" (upstream's chain-name suffix) */
  key: string;
  /** "ns/name" */
  service: string;
  protocol: L4;
  clusterIP: string;
  port: number;
  nodePort?: number;
  /** LoadBalancer ingress IPs and externalIPs: reached through the external chain */
  externalIPs: string[];
  /** the LoadBalancer ingress IPs among them */
  loadBalancerIPs: string[];
  /** externalTrafficPolicy Local: external traffic keeps its source and goes to this node's endpoints only */
  externalLocal: boolean;
  /** sessionAffinity ClientIP timeout in seconds */
  affinityTimeout?: number;
  /** ready, not terminating, deduplicated, sorted */
  endpoints: Endpoint[];
}

const ipv4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
export const isIPv4 = (s: unknown): s is string => typeof s === 'string' && ipv4.test(s) && s.split('.').every((o) => Number(o) <= 255);

/** whether the proxy programs this Service at all (headless and ExternalName get no rules) */
export function proxied(svc: KObject): boolean {
  const spec = (svc as any).spec ?? {};
  if (spec.type === 'ExternalName') return false;
  return isIPv4(spec.clusterIP);
}

/**
 * The ports of a Service with their ready endpoints from its EndpointSlices. lbIPs are the
 * LoadBalancer addresses this node serves (from status.loadBalancer.ingress).
 */
export function servicePorts(svc: KObject, slices: KObject[], nodeName?: string): ServicePortInfo[] {
  if (!proxied(svc)) return [];
  const spec = (svc as any).spec;
  const ns = svc.metadata.namespace ?? 'default';
  const service = `${ns}/${svc.metadata.name}`;
  const lb = spec.type === 'LoadBalancer'
    ? ((svc as any).status?.loadBalancer?.ingress ?? []).map((i: any) => i?.ip).filter(isIPv4) as string[] : [];
  const ext = [...new Set([...lb, ...((spec.externalIPs ?? []) as unknown[]).filter(isIPv4)])];
  const affinity = spec.sessionAffinity === 'ClientIP' ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10800) : undefined;
  const out: ServicePortInfo[] = [];
  for (const p of (spec.ports ?? []) as any[]) {
    const protocol = String(p.protocol ?? 'TCP').toLowerCase() as L4;
    if (!['tcp', 'udp', 'sctp'].includes(protocol) || !p.port) continue;
    const name = p.name ?? '';
    const eps = new Map<string, Endpoint>();
    for (const s of slices) {
      if ((s as any).addressType && (s as any).addressType !== 'IPv4') continue;
      const ep = ((s as any).ports ?? []).find((x: any) => (x.name ?? '') === name && String(x.protocol ?? 'TCP').toLowerCase() === protocol);
      if (!ep?.port) continue;
      for (const e of ((s as any).endpoints ?? []) as any[]) {
        // ready defaults to true when unset (upstream: nil means unknown, treated as ready)
        if (e.conditions?.ready === false || e.conditions?.terminating === true) continue;
        const ip = e.addresses?.[0];
        if (isIPv4(ip)) eps.set(`${ip}:${ep.port}`, { ip, port: ep.port, ...(nodeName && e.nodeName === nodeName ? { local: true } : {}) });
      }
    }
    out.push({
      key: `${service}/${protocol}/${name}`, service, protocol, clusterIP: spec.clusterIP, port: p.port,
      nodePort: (spec.type === 'NodePort' || spec.type === 'LoadBalancer') && p.nodePort ? p.nodePort : undefined,
      externalIPs: ext, loadBalancerIPs: lb, affinityTimeout: affinity,
      externalLocal: spec.externalTrafficPolicy === 'Local' && (ext.length > 0 || !!p.nodePort),
      endpoints: [...eps.values()].sort((a, b) => ipNum(a.ip) - ipNum(b.ip) || a.port - b.port),
    });
  }
  return out;
}

export function ipNum(ip: string): number { return ip.split('.').reduce((n, o) => n * 256 + Number(o), 0); }
