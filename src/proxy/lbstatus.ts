// ServiceLB (as k3s's): a LoadBalancer Service without a loadBalancerClass is published on the
// node's InternalIP, written to status.loadBalancer.ingress through the status subresource.
import type { KObject } from '../api/types.js';
import { clone, isConflict, isNotFound, resourcePath, type RestClient } from '../client/index.js';

export const servicesRef = { group: '', version: 'v1', plural: 'services', namespaced: true, kind: 'Service' };

/** the ingress list the Service should have, or undefined when its status is already right */
export function wantedIngress(svc: KObject, nodeIP: string | undefined): { ip: string }[] | undefined {
  const spec = (svc as any).spec ?? {};
  if (!nodeIP) return undefined;
  const have = ((svc as any).status?.loadBalancer?.ingress ?? []) as { ip?: string }[];
  const ours = have.some((i) => i.ip === nodeIP);
  if (spec.type !== 'LoadBalancer' || spec.loadBalancerClass) {
    // no longer ours to balance (type changed): take this node's address back out
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
