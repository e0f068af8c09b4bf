// Per-pod scheduling state computed once before the filters run (upstream's PreFilter results):
// the pod's requests and ports, and the cluster-wide topology counts the affinity and
// topology-spread plugins compare each node against.
import type { KObject } from '../api/types.js';
import { selectorMatches, type LabelSelector } from '../client/selector.js';
import type { SchedulerCache } from './cache.js';
import { nodeMatchesPodNodeAffinity, termSelectsPod, tolerated, type PodAffinityTerm, type Taint, type Toleration } from './helpers.js';
import { hostPorts, type NodeInfo } from './nodeinfo.js';
import { podRequests, type Resources } from './resources.js';
import type { VolumeListers } from './volumes.js';

export interface TermCounts { term: PodAffinityTerm; counts: Map<string, number> }

export interface SpreadConstraint {
  maxSkew: number; topologyKey: string; selector: LabelSelector; selfMatch: number; minDomains: number;
  /** topology value -> matching pods (only domains of eligible nodes) */
  counts: Map<string, number>;
  /** lowest count over domains (0 when fewer than minDomains domains) */
  min: number;
}

export interface CycleState {
  pod: KObject;
  /** every node with a Node object (for cluster-wide counts) */
  allNodes: NodeInfo[];
  requests: Resources;
  nonZero: Resources;
  ports: string[];
  tolerations: Toleration[];
  affinity: TermCounts[];
  /** no existing pod matched any required affinity term, and the pod matches its own terms */
  affinitySelfOk: boolean;
  antiAffinity: TermCounts[];
  /** topologyKey -> values where an existing pod's required anti-affinity rejects this pod */
  existingAnti: Map<string, Set<string>>;
  hardSpread: SpreadConstraint[];
  /** claims, volumes and classes, for the volume plugins (none: they pass) */
  volumes?: VolumeListers;
}

const live = (p: KObject) => !p.metadata.deletionTimestamp;

function count(m: Map<string, number>, k: string, by = 1): void { m.set(k, (m.get(k) ?? 0) + by); }

/** spread selector with matchLabelKeys folded in */
export function spreadSelector(c: any, pod: KObject): LabelSelector {
  const sel: LabelSelector = { ...(c.labelSelector ?? {}), matchExpressions: [...(c.labelSelector?.matchExpressions ?? [])] };
  const labels = pod.metadata.labels ?? {};
  for (const k of c.matchLabelKeys ?? []) if (k in labels) sel.matchExpressions!.push({ key: k, operator: 'In', values: [labels[k]] });
  return sel;
}

/** nodes whose pods count toward spread domains (nodeAffinityPolicy Honor, nodeTaintsPolicy Ignore by default) */
export function spreadEligible(c: any, pod: KObject, n: NodeInfo, keys: string[]): boolean {
  const labels = n.labels;
  if (!keys.every((k) => k in labels)) return false;
  if ((c.nodeAffinityPolicy ?? 'Honor') === 'Honor' && !nodeMatchesPodNodeAffinity(pod, n.node!)) return false;
  if (c.nodeTaintsPolicy === 'Honor') {
    for (const t of (n.node!.spec?.taints ?? []) as Taint[]) {
      if ((t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !tolerated(pod.spec?.tolerations, t)) return false;
    }
  }
  return true;
}

export function spreadCounts(constraints: any[], pod: KObject, nodes: NodeInfo[]): SpreadConstraint[] {
  const keys = constraints.map((c) => c.topologyKey);
  return constraints.map((c) => {
    const selector = spreadSelector(c, pod);
    const counts = new Map<string, number>();
    for (const n of nodes) {
      if (!spreadEligible(c, pod, n, keys)) continue;
      const v = n.labels[c.topologyKey];
      let k = 0;
      for (const e of n.pods.values()) {
        if (e.pod.metadata.namespace === pod.metadata.namespace && live(e.pod) && selectorMatches(selector, e.pod.metadata.labels)) k++;
      }
      count(counts, v, k);
    }
    const minDomains = c.minDomains ?? 1;
    let min = counts.size ? Math.min(...counts.values()) : 0;
    if (counts.size < minDomains) min = 0;
    return {
      maxSkew: c.maxSkew ?? 1, topologyKey: c.topologyKey, selector, minDomains, counts, min,
      selfMatch: selectorMatches(selector, pod.metadata.labels) ? 1 : 0,
    };
  });
}

function termCounts(terms: PodAffinityTerm[], pod: KObject, nodes: NodeInfo[]): TermCounts[] {
  const out = terms.map((term) => ({ term, counts: new Map<string, number>() }));
  if (!out.length) return out;
  for (const n of nodes) {
    for (const e of n.pods.values()) {
      if (!live(e.pod)) continue;
      for (const tc of out) {
        const v = n.labels[tc.term.topologyKey];
        if (v !== undefined && termSelectsPod(tc.term, pod, e.pod)) count(tc.counts, v);
      }
    }
  }
  return out;
}

export function buildState(pod: KObject, cache: SchedulerCache): CycleState {
  const nodes = cache.nodeList();
  const aff = pod.spec?.affinity ?? {};
  const reqAff: PodAffinityTerm[] = aff.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
  const reqAnti: PodAffinityTerm[] = aff.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
  const affinity = termCounts(reqAff, pod, nodes);
  const affinitySelfOk = affinity.every((tc) => tc.counts.size === 0) && reqAff.every((t) => termSelectsPod(t, pod, pod));
  const existingAnti = new Map<string, Set<string>>();
  for (const n of nodes) {
    if (!n.podsWithRequiredAntiAffinity) continue;
    for (const e of n.pods.values()) {
      if (!e.hasRequiredAntiAffinity || !live(e.pod)) continue;
      for (const t of e.pod.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution as PodAffinityTerm[]) {
        const v = n.labels[t.topologyKey];
        if (v === undefined || !termSelectsPod(t, e.pod, pod)) continue;
        let s = existingAnti.get(t.topologyKey);
        if (!s) existingAnti.set(t.topologyKey, (s = new Set()));
        s.add(v);
      }
    }
  }
  const hard = (pod.spec?.topologySpreadConstraints ?? []).filter((c: any) => c.whenUnsatisfiable !== 'ScheduleAnyway');
  return {
    pod, allNodes: nodes,
    requests: podRequests(pod.spec),
    nonZero: podRequests(pod.spec, true),
    ports: hostPorts(pod.spec),
    tolerations: pod.spec?.tolerations ?? [],
    affinity, affinitySelfOk,
    antiAffinity: termCounts(reqAnti, pod, nodes),
    existingAnti,
    hardSpread: hard.length ? spreadCounts(hard, pod, nodes) : [],
  };
}
