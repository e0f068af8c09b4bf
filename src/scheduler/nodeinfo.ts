// Per-node aggregated state, kept incrementally as pods come and go (upstream's framework.NodeInfo):
// requested resources, host ports in use, pods with affinity terms, pods per controller owner.
import type { KObject } from '../api/types.js';
import { addResources, parseResources, podRequests, type Resources } from './resources.js';

export interface PodEntry {
  pod: KObject;
  requests: Resources;
  nonZero: Resources;
  ports: string[];
  ownerUid?: string;
  hasAffinity: boolean;
  hasRequiredAntiAffinity: boolean;
}

/** "proto/ip/port" for each hostPort the pod asks for */
export function hostPorts(spec: any): string[] {
  const out: string[] = [];
  for (const c of [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])]) {
    for (const p of c?.ports ?? []) {
      if (!p?.hostPort) continue;
      out.push(`${p.protocol || 'TCP'}/${p.hostIP || '0.0.0.0'}/${p.hostPort}`);
    }
  }
  return out;
}

export function controllerUid(pod: KObject): string | undefined {
  return (pod.metadata.ownerReferences ?? []).find((r: any) => r.controller)?.uid;
}

export function makePodEntry(pod: KObject): PodEntry {
  const aff = pod.spec?.affinity ?? {};
  return {
    pod,
    requests: podRequests(pod.spec),
    nonZero: podRequests(pod.spec, true),
    ports: hostPorts(pod.spec),
    ownerUid: controllerUid(pod),
    hasAffinity: !!(aff.podAffinity || aff.podAntiAffinity),
    hasRequiredAntiAffinity: !!aff.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.length,
  };
}

export class NodeInfo {
  node?: KObject;
  allocatable: Resources = {};
  requested: Resources = {};
  nonZeroRequested: Resources = {};
  readonly pods = new Map<string, PodEntry>();
  /** "proto/ip/port" -> count */
  readonly usedPorts = new Map<string, number>();
  /** controller owner uid -> pods on this node */
  readonly owners = new Map<string, number>();
  podsWithAffinity = 0;
  podsWithRequiredAntiAffinity = 0;
  /** bumped on every change (lets callers cache derived values) */
  generation = 0;

  constructor(readonly name: string) {}

  setNode(node: KObject): void {
    this.node = node;
    this.allocatable = parseResources(node.status?.allocatable ?? node.status?.capacity);
    this.generation++;
  }

  addPod(key: string, e: PodEntry): void {
    if (this.pods.has(key)) this.removePod(key);
    this.pods.set(key, e);
    addResources(this.requested, e.requests);
    addResources(this.nonZeroRequested, e.nonZero);
    for (const p of e.ports) this.usedPorts.set(p, (this.usedPorts.get(p) ?? 0) + 1);
    if (e.ownerUid) this.owners.set(e.ownerUid, (this.owners.get(e.ownerUid) ?? 0) + 1);
    if (e.hasAffinity) this.podsWithAffinity++;
    if (e.hasRequiredAntiAffinity) this.podsWithRequiredAntiAffinity++;
    this.generation++;
  }

  removePod(key: string): PodEntry | undefined {
    const e = this.pods.get(key);
    if (!e) return undefined;
    this.pods.delete(key);
    addResources(this.requested, e.requests, -1);
    addResources(this.nonZeroRequested, e.nonZero, -1);
    for (const p of e.ports) {
      const n = (this.usedPorts.get(p) ?? 0) - 1;
      if (n > 0) this.usedPorts.set(p, n); else this.usedPorts.delete(p);
    }
    if (e.ownerUid) {
      const n = (this.owners.get(e.ownerUid) ?? 0) - 1;
      if (n > 0) this.owners.set(e.ownerUid, n); else this.owners.delete(e.ownerUid);
    }
    if (e.hasAffinity) this.podsWithAffinity--;
    if (e.hasRequiredAntiAffinity) this.podsWithRequiredAntiAffinity--;
    this.generation++;
    return e;
  }

  get labels(): Record<string, string> { return this.node?.metadata.labels ?? {}; }
}
