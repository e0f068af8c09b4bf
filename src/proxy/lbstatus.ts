// ServiceLB (as k3s's): a LoadBalancer Service without a loadBalancerClass is published on the
// node's InternalIP, written to status.loadBalancer.ingress through the status subresource. A
// port the node already serves (the ingress's listeners, or an older LoadBalancer Service's port)
// cannot be given to a second Service: that one stays pending, as k3s's ServiceLB leaves it when
// its host port is taken, instead of taking the traffic from the first.
import type { KObject } from '../api/types.js';
import { clone, isConflict, isNotFound, resourcePath, type RestClient } from '../client/index.js';

export const servicesRef = { group: '', version: 'v1', plural: 'services', namespaced: true, kind: 'Service' };

export interface HostPort { protocol: string; port: number }

const isOurLB = (svc: KObject) => (svc as any).spec?.type === 'LoadBalancer' && !(svc as any).spec?.loadBalancerClass;
const portsOf = (svc: KObject): HostPort[] => ((svc as any).spec?.ports ?? []).map((p: any) => ({ protocol: p.protocol ?? 'TCP', port: Number(p.port) }));
const overlaps = (a: HostPort[], b: HostPort[]) => a.some((x) => b.some((y) => x.protocol === y.protocol && x.port === y.port));
const olderFirst = (a: KObject, b: KObject) => String(a.metadata.creationTimestamp ?? '').localeCompare(String(b.metadata.creationTimestamp ?? ''))
  || `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`);

/**
 * whether svc cannot have the node's address because one of its ports is taken: by `reserved` (the
 * node's own listeners) or by an older LoadBalancer Service that has its ports
 */
export function portTaken(svc: KObject, services: KObject[], reserved: HostPort[]): boolean {
  const granted: HostPort[][] = [];
  for (const s of services.filter(isOurLB).sort(olderFirst)) {
    const ports = portsOf(s);
    const free = !overlaps(ports, reserved) && !granted.some((g) => overlaps(ports, g));
    if (s.metadata.namespace === svc.metadata.namespace && s.metadata.name === svc.metadata.name) return !free;
    if (free) granted.push(ports);
  }
  return overlaps(portsOf(svc), reserved);
}

/** the ingress list the Service should have, or undefined when its status is already right */
export function wantedIngress(svc: KObject, nodeIP: string | undefined, taken = false): { ip: string }[] | undefined {
  const spec = (svc as any).spec ?? {};
  if (!nodeIP) return undefined;
  const have = ((svc as any).status?.loadBalancer?.ingress ?? []) as { ip?: string }[];
  const ours = have.some((i) => i.ip === nodeIP);
  if (spec.type !== 'LoadBalancer' || spec.loadBalancerClass || taken) {
    // not ours to balance (type changed, or its port is taken): take this node's address back out
    return ours && !spec.loadBalancerClass ? have.filter((i) => i.ip !== nodeIP) as { ip: string }[] : undefined;
  }
  if (ours) return undefined;
  return [...have.filter((i) => i.ip), { ip: nodeIP }] as { ip: string }[];
}

export async function publishIngress(client: RestClient, svc: KObject, ingress: { ip: string }[]): Promise<void> {
  const next = clone(svc) as any;
  next.status = { ...(next.status ?? {}), loadBalancer: { ...(next.status?.loadBalancer ?? {}), ingress } };
  try {
    await client.request('PUT', resourcePath(servicesRef, { namespace: svc.metadata.namespace, name: svc.metadata.name, subresource: 'status' }), next);
  } catch (e) {
    if (isNotFound(e)) return;
    if (isConflict(e)) throw new Error(`service ${svc.metadata.namespace}/${svc.metadata.name} changed; retrying`);
    throw e;
  }
}
