// Service clusterIP and nodePort allocation (service CIDR 10.43.0.0/16, node ports 30000-32767).
import { errors, type FieldError } from '../api/status.js';
import type { KObject } from '../api/types.js';
import type { Store } from './registry/store.js';

export interface AllocatorOptions { serviceCidr: string; nodePortRange: [number, number] }

function ipToInt(ip: string): number { return ip.split('.').reduce((a, p) => a * 256 + Number(p), 0); }
function intToIp(n: number): string { return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.'); }

export function parseCidr(cidr: string): { base: number; size: number } {
  const [ip, bits] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  return { base: Math.floor(ipToInt(ip) / size) * size, size };
}

/** the n-th address of a CIDR (1 = the kubernetes Service, 10 = cluster DNS) */
export function nthAddress(cidr: string, n: number): string {
  return intToIp(parseCidr(cidr).base + n);
}

export class ServiceAllocator {
  private chain: Promise<unknown> = Promise.resolve();
  constructor(private readonly services: () => Store, private readonly opts: AllocatorOptions) {}

  /** allocations run one at a time so two creates never get the same address */
  allocate(obj: KObject, old?: KObject): Promise<void> {
    const run = this.chain.then(() => this.doAllocate(obj, old));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async doAllocate(svc: KObject, old?: KObject): Promise<void> {
    const spec = svc.spec ?? (svc.spec = {});
    const type = spec.type ?? 'ClusterIP';
    const { items } = await this.services().list(undefined);
    const others = items.filter((s) => !(s.metadata.namespace === svc.metadata.namespace && s.metadata.name === svc.metadata.name));
    const usedIPs = new Set(others.flatMap((s) => s.spec?.clusterIPs ?? (s.spec?.clusterIP ? [s.spec.clusterIP] : [])));
    const usedPorts = new Set(others.flatMap((s) => [...(s.spec?.ports ?? []).map((p: any) => p.nodePort), s.spec?.healthCheckNodePort].filter(Boolean)));
    const name = svc.metadata.name ?? '';
    const invalid = (errs: FieldError[]) => errors.invalid('', 'Service', name, errs);
    if (type === 'ExternalName') {
      delete spec.clusterIP; delete spec.clusterIPs;
    } else if (old?.spec?.clusterIP && (old.spec.type ?? 'ClusterIP') !== 'ExternalName') {
      // kept as is (immutability is the strategy's job)
    } else if (spec.clusterIP === 'None') {
      spec.clusterIPs = ['None'];
    } else if (spec.clusterIP) {
      const { base, size } = parseCidr(this.opts.serviceCidr);
      const n = ipToInt(spec.clusterIP);
      if (!(n > base && n < base + size - 1)) {
        throw invalid([{ type: 'FieldValueInvalid', field: 'spec.clusterIPs', value: [spec.clusterIP], detail: `failed to allocate IP ${spec.clusterIP}: the provided IP (${spec.clusterIP}) is not in the valid range. The range of valid IPs is ${this.opts.serviceCidr}` }]);
      }
      if (usedIPs.has(spec.clusterIP)) {
        throw invalid([{ type: 'FieldValueInvalid', field: 'spec.clusterIPs', value: [spec.clusterIP], detail: `failed to allocate IP ${spec.clusterIP}: provided IP is already allocated` }]);
      }
      spec.clusterIPs = [spec.clusterIP];
    } else {
      const { base, size } = parseCidr(this.opts.serviceCidr);
      // upstream reserves the lower part of the range for static allocation; start dynamic ones above it
      const reserved = Math.min(Math.max(16, Math.floor(size / 16)), 256);
      let ip: string | undefined;
      for (let i = 0; i < size - 2 && !ip; i++) {
        const n = base + reserved + ((Math.floor(Math.random() * (size - reserved - 2)) + i) % (size - reserved - 2)) + 1;
        const cand = intToIp(n);
        if (!usedIPs.has(cand)) ip = cand;
      }
      if (!ip) throw errors.internal('failed to allocate a serviceIP: range is full');
      spec.clusterIP = ip;
      spec.clusterIPs = [ip];
    }
    if (type === 'NodePort' || type === 'LoadBalancer') {
      const [lo, hi] = this.opts.nodePortRange;
      const mine = new Set<number>();
      for (const p of spec.ports ?? []) {
        if (p.nodePort) {
          const oldPort = old?.spec?.ports?.find((q: any) => q.nodePort === p.nodePort);
          if (!oldPort && (usedPorts.has(p.nodePort) || mine.has(p.nodePort))) {
            throw invalid([{ type: 'FieldValueInvalid', field: `spec.ports[${spec.ports.indexOf(p)}].nodePort`, value: p.nodePort, detail: 'provided port is already allocated' }]);
          }
          if (p.nodePort < lo || p.nodePort > hi) {
            throw invalid([{ type: 'FieldValueInvalid', field: `spec.ports[${spec.ports.indexOf(p)}].nodePort`, value: p.nodePort, detail: `provided port is not in the valid range. The range of valid ports is ${lo}-${hi}` }]);
          }
          mine.add(p.nodePort);
          continue;
        }
        const prev = old?.spec?.ports?.find((q: any) => q.port === p.port && (q.protocol ?? 'TCP') === (p.protocol ?? 'TCP') && q.nodePort);
        if (prev) { p.nodePort = prev.nodePort; mine.add(p.nodePort); continue; }
        // a LoadBalancer may do without node ports (allocateLoadBalancerNodePorts: false)
        if (type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts === false) continue;
        p.nodePort = this.freePort(usedPorts, mine);
      }
    } else {
      for (const p of spec.ports ?? []) delete p.nodePort;
    }
    // kube-proxy answers health checks for externalTrafficPolicy: Local load balancers on this port
    if (type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local') {
      const hc = spec.healthCheckNodePort;
      if (hc && hc !== old?.spec?.healthCheckNodePort) {
        const [lo, hi] = this.opts.nodePortRange;
        const field = 'spec.healthCheckNodePort';
        if (usedPorts.has(hc) || (spec.ports ?? []).some((p: any) => p.nodePort === hc)) throw invalid([{ type: 'FieldValueInvalid', field, value: hc, detail: 'provided port is already allocated' }]);
        if (hc < lo || hc > hi) throw invalid([{ type: 'FieldValueInvalid', field, value: hc, detail: `provided port is not in the valid range. The range of valid ports is ${lo}-${hi}` }]);
      } else if (!hc) {
        spec.healthCheckNodePort = this.freePort(usedPorts, new Set((spec.ports ?? []).map((p: any) => p.nodePort).filter(Boolean)));
      }
    } else {
      delete spec.healthCheckNodePort;
    }
  }

  private freePort(used: Set<number>, mine: Set<number>): number | undefined {
    const [lo, hi] = this.opts.nodePortRange;
    for (let i = 0; i <= hi - lo; i++) {
      const cand = lo + ((Math.floor(Math.random() * (hi - lo + 1)) + i) % (hi - lo + 1));
      if (!used.has(cand) && !mine.has(cand)) { mine.add(cand); return cand; }
    }
    return undefined;
  }
}
