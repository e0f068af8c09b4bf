// Score plugins with upstream's default weights. Each maps the feasible nodes to 0..100
// (after its normalisation step); the scheduler sums weight × score.
import { selectorMatches } from '../client/selector.js';
import { termMatches, termSelectsPod, tolerated, type PodAffinityTerm, type Taint } from './helpers.js';
import type { NodeInfo } from './nodeinfo.js';
import { spreadEligible, spreadSelector, type CycleState } from './state.js';

export interface ScorePlugin { name: string; weight: number; score(s: CycleState, nodes: NodeInfo[]): number[] }

const maxScore = 100;

/** scales raw scores so the highest is 100 (upstream's DefaultNormalizeScore), optionally reversed */
export function normalize(raw: number[], reverse = false): number[] {
  const max = Math.max(0, ...raw);
  if (max === 0) return raw.map(() => (reverse ? maxScore : 0));
  return raw.map((r) => { const v = Math.floor((r * maxScore) / max); return reverse ? maxScore - v : v; });
}

function fraction(req: number, alloc: number): number { return alloc ? Math.min(1, req / alloc) : 1; }

export const leastAllocated: ScorePlugin = {
  name: 'NodeResourcesFit', weight: 1,
  score(s, nodes) {
    return nodes.map((n) => {
      let total = 0;
      for (const r of ['cpu', 'memory']) {
        const alloc = n.allocatable[r] ?? 0;
        const req = (n.nonZeroRequested[r] ?? 0) + (s.nonZero[r] ?? 0);
        total += alloc === 0 || req > alloc ? 0 : Math.floor(((alloc - req) * maxScore) / alloc);
      }
      return Math.floor(total / 2);
    });
  },
};

export const balancedAllocation: ScorePlugin = {
  name: 'NodeResourcesBalancedAllocation', weight: 1,
  score(s, nodes) {
    return nodes.map((n) => {
      const c = fraction((n.requested.cpu ?? 0) + (s.requests.cpu ?? 0), n.allocatable.cpu ?? 0);
      const m = fraction((n.requested.memory ?? 0) + (s.requests.memory ?? 0), n.allocatable.memory ?? 0);
      return Math.floor((1 - Math.abs(c - m) / 2) * maxScore);
    });
  },
};

export const taintTolerationScore: ScorePlugin = {
  name: 'TaintToleration', weight: 3,
  score(s, nodes) {
    const tols = s.tolerations.filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
    const raw = nodes.map((n) => ((n.node!.spec?.taints ?? []) as Taint[]).filter((t) => t.effect === 'PreferNoSchedule' && !tolerated(tols, t)).length);
    return normalize(raw, true);
  },
};

export const nodeAffinityScore: ScorePlugin = {
  name: 'NodeAffinity', weight: 2,
  score(s, nodes) {
    const pref: any[] = s.pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
    if (!pref.length) return nodes.map(() => 0);
    return normalize(nodes.map((n) => pref.reduce((sum, p) => sum + (p.weight && termMatches(p.preference ?? {}, n.node!) ? p.weight : 0), 0)));
  },
};

/** preferred inter-pod (anti-)affinity of the pod, and of existing pods toward it; min-max normalised */
export const interPodAffinityScore: ScorePlugin = {
  name: 'InterPodAffinity', weight: 2,
  score(s, nodes) {
    const pod = s.pod;
    const aff = pod.spec?.affinity ?? {};
    const terms: { t: PodAffinityTerm; w: number }[] = [
      ...(aff.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((p: any) => ({ t: p.podAffinityTerm, w: p.weight })),
      ...(aff.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((p: any) => ({ t: p.podAffinityTerm, w: -p.weight })),
    ];
    const all = nodesOf(s);
    const anyExisting = all.some((n) => n.podsWithAffinity > 0);
    if (!terms.length && !anyExisting) return nodes.map(() => 0);
    const topo = new Map<string, number>();   // "key\0value" -> score
    const add = (key: string, v: string | undefined, w: number) => { if (v !== undefined) topo.set(`${key}\0${v}`, (topo.get(`${key}\0${v}`) ?? 0) + w); };
    for (const n of all) {
      if (!terms.length && !n.podsWithAffinity) continue;
      for (const e of n.pods.values()) {
        for (const { t, w } of terms) if (termSelectsPod(t, pod, e.pod)) add(t.topologyKey, n.labels[t.topologyKey], w);
        if (!e.hasAffinity) continue;
        const ea = e.pod.spec.affinity;
        for (const p of ea.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) if (termSelectsPod(p.podAffinityTerm, e.pod, pod)) add(p.podAffinityTerm.topologyKey, n.labels[p.podAffinityTerm.topologyKey], p.weight);
        for (const p of ea.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) if (termSelectsPod(p.podAffinityTerm, e.pod, pod)) add(p.podAffinityTerm.topologyKey, n.labels[p.podAffinityTerm.topologyKey], -p.weight);
        for (const t of ea.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) if (termSelectsPod(t, e.pod, pod)) add(t.topologyKey, n.labels[t.topologyKey], 1);
      }
    }
    const raw = nodes.map((n) => { let sum = 0; for (const [k, v] of Object.entries(n.labels)) sum += topo.get(`${k}\0${v}`) ?? 0; return sum; });
    const min = Math.min(...raw); const max = Math.max(...raw);
    return raw.map((r) => (max === min ? 0 : Math.floor(((r - min) * maxScore) / (max - min))));
  },
};

const nodesOf = (s: CycleState) => s.allNodes;

/**
 * Soft topology spread: the pod's ScheduleAnyway constraints, or, for pods of a controller with
 * no constraints, upstream's system defaults (hostname maxSkew 3, zone maxSkew 5) over pods of
 * the same controller. Fewer matching pods in the node's domain scores higher.
 */
export const podTopologySpreadScore: ScorePlugin = {
  name: 'PodTopologySpread', weight: 2,
  score(s, nodes) {
    const pod = s.pod;
    const explicit: any[] = pod.spec?.topologySpreadConstraints ?? [];
    const soft = explicit.filter((c) => c.whenUnsatisfiable === 'ScheduleAnyway');
    let raw: number[];
    if (!explicit.length) {
      const owner = (pod.metadata.ownerReferences ?? []).find((r: any) => r.controller);
      if (!owner) return nodes.map(() => 0);
      const zoneKey = 'topology.kubernetes.io/zone';
      const zones = new Map<string, number>();
      for (const n of nodes) { const z = n.labels[zoneKey]; if (z !== undefined) zones.set(z, (zones.get(z) ?? 0) + (n.owners.get(owner.uid) ?? 0)); }
      raw = nodes.map((n) => {
        let r = (n.owners.get(owner.uid) ?? 0) * Math.log(nodes.length + 2) + 2;
        const z = n.labels[zoneKey];
        if (z !== undefined) r += zones.get(z)! * Math.log(zones.size + 2) + 4;
        return r;
      });
    } else if (soft.length) {
      const all = nodesOf(s);
      const keys = soft.map((c) => c.topologyKey);
      const per = soft.map((c) => {
        const sel = spreadSelector(c, pod);
        const counts = new Map<string, number>();
        for (const n of all) {
          if (!spreadEligible(c, pod, n, keys)) continue;
          let k = 0;
          for (const e of n.pods.values()) if (e.pod.metadata.namespace === pod.metadata.namespace && !e.pod.metadata.deletionTimestamp && selectorMatches(sel, e.pod.metadata.labels)) k++;
          counts.set(n.labels[c.topologyKey], (counts.get(n.labels[c.topologyKey]) ?? 0) + k);
        }
        return { c, counts, w: Math.log(counts.size + 2) };
      });
      raw = nodes.map((n) => per.reduce((sum, { c, counts, w }) => sum + (n.labels[c.topologyKey] === undefined ? 0 : (counts.get(n.labels[c.topologyKey]) ?? 0) * w + (c.maxSkew ?? 1) - 1), 0));
    } else return nodes.map(() => 0);
    const max = Math.max(...raw); const min = Math.min(...raw);
    return raw.map((r) => (max === 0 ? maxScore : Math.floor((maxScore * (max + min - r)) / max)));
  },
};

function normalImage(name: string): string {
  let n = name.replace(/^docker\.io\/(library\/)?/, '');
  if (!/[:@]/.test(n.split('/').pop()!)) n += ':latest';
  return n;
}

/** images already on the node (status.images), weighted by size, as upstream (23MB..1000MB) */
export const imageLocality: ScorePlugin = {
  name: 'ImageLocality', weight: 1,
  score(s, nodes) {
    const want = new Set<string>((s.pod.spec?.containers ?? []).map((c: any) => normalImage(String(c.image ?? ''))));
    const min = 23 * 1024 * 1024; const max = 1000 * 1024 * 1024 * want.size;
    return nodes.map((n) => {
      const imgs: any[] = n.node!.status?.images ?? [];
      if (!imgs.length) return 0;
      let sum = 0;
      for (const img of imgs) if ((img.names ?? []).some((x: string) => want.has(normalImage(x)))) sum += img.sizeBytes ?? 0;
      const clamped = Math.min(Math.max(sum, min), max);
      return Math.floor((maxScore * (clamped - min)) / (max - min));
    });
  },
};

export const defaultScores: ScorePlugin[] = [
  taintTolerationScore, nodeAffinityScore, podTopologySpreadScore, interPodAffinityScore, leastAllocated, balancedAllocation, imageLocality,
];

/** weighted totals per node */
export function scoreNodes(s: CycleState, nodes: NodeInfo[], plugins = defaultScores): number[] {
  const total = nodes.map(() => 0);
  for (const p of plugins) {
    const sc = p.score(s, nodes);
    for (let i = 0; i < nodes.length; i++) total[i] += p.weight * sc[i];
  }
  return total;
}
