// Filter plugins, in upstream's default order. Each returns undefined when the node fits, or the
// reasons it does not (upstream's reason strings) and whether preemption could help.
import { tolerated, nodeMatchesPodNodeAffinity, type Taint } from './helpers.js';
import type { NodeInfo } from './nodeinfo.js';
import type { CycleState } from './state.js';
import { volumesFilter } from './volumes.js';

export interface FilterStatus { plugin: string; reasons: string[]; unresolvable: boolean }
export type FilterPlugin = { name: string; filter(s: CycleState, n: NodeInfo): FilterStatus | undefined };

const fail = (plugin: string, unresolvable: boolean, ...reasons: string[]): FilterStatus => ({ plugin, reasons, unresolvable });

export const reasons = {
  unschedulable: 'node(s) were unschedulable',
  nodeName: "node(s) didn't match the requested node name",
  nodeAffinity: "node(s) didn't match Pod's node affinity/selector",
  nodePorts: "node(s) didn't have free ports for the requested pod ports",
  tooManyPods: 'Too many pods',
  affinity: "node(s) didn't match pod affinity rules",
  antiAffinity: "node(s) didn't match pod anti-affinity rules",
  existingAntiAffinity: "node(s) didn't satisfy existing pods anti-affinity rules",
  spread: "node(s) didn't match pod topology spread constraints",
  spreadMissingLabel: "node(s) didn't match pod topology spread constraints (missing required label)",
  taint: (t: Taint) => `node(s) had untolerated taint {${t.key}: ${t.value ?? ''}}`,
  insufficient: (r: string) => `Insufficient ${r}`,
};

export const nodeUnschedulable: FilterPlugin = {
  name: 'NodeUnschedulable',
  filter(s, n) {
    if (!n.node!.spec?.unschedulable) return undefined;
    if (tolerated(s.tolerations, { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' })) return undefined;
    return fail(this.name, true, reasons.unschedulable);
  },
};

export const nodeName: FilterPlugin = {
  name: 'NodeName',
  filter(s, n) {
    const want = s.pod.spec?.nodeName;
    return want && want !== n.name ? fail(this.name, true, reasons.nodeName) : undefined;
  },
};

export const taintToleration: FilterPlugin = {
  name: 'TaintToleration',
  filter(s, n) {
    for (const t of (n.node!.spec?.taints ?? []) as Taint[]) {
      if (t.effect !== 'NoSchedule' && t.effect !== 'NoExecute') continue;
      if (!tolerated(s.tolerations, t)) return fail(this.name, true, reasons.taint(t));
    }
    return undefined;
  },
};

export const nodeAffinity: FilterPlugin = {
  name: 'NodeAffinity',
  filter(s, n) { return nodeMatchesPodNodeAffinity(s.pod, n.node!) ? undefined : fail(this.name, true, reasons.nodeAffinity); },
};

function portsConflict(want: string, used: Map<string, number>): boolean {
  const [proto, ip, port] = want.split('/');
  for (const u of used.keys()) {
    const [p2, ip2, port2] = u.split('/');
    if (p2 === proto && port2 === port && (ip === ip2 || ip === '0.0.0.0' || ip2 === '0.0.0.0')) return true;
  }
  return false;
}

export const nodePorts: FilterPlugin = {
  name: 'NodePorts',
  filter(s, n) {
    if (!s.ports.length || !n.usedPorts.size) return undefined;
    return s.ports.some((p) => portsConflict(p, n.usedPorts)) ? fail(this.name, false, reasons.nodePorts) : undefined;
  },
};

export const nodeResourcesFit: FilterPlugin = {
  name: 'NodeResourcesFit',
  filter(s, n) {
    const out: string[] = [];
    const allowedPods = n.allocatable.pods ?? 0;
    if (n.pods.size + 1 > allowedPods) out.push(reasons.tooManyPods);
    for (const [r, want] of Object.entries(s.requests)) {
      if (want <= 0 || r === 'pods') continue;
      const free = (n.allocatable[r] ?? 0) - (n.requested[r] ?? 0);
      if (want > free) out.push(reasons.insufficient(r));
    }
    return out.length ? fail(this.name, false, ...out) : undefined;
  },
};

export const podTopologySpread: FilterPlugin = {
  name: 'PodTopologySpread',
  filter(s, n) {
    if (!s.hardSpread.length) return undefined;
    const labels = n.labels;
    for (const c of s.hardSpread) if (!(c.topologyKey in labels)) return fail(this.name, true, reasons.spreadMissingLabel);
    for (const c of s.hardSpread) {
      const skew = (c.counts.get(labels[c.topologyKey]) ?? 0) + c.selfMatch - c.min;
      if (skew > c.maxSkew) return fail(this.name, false, reasons.spread);
    }
    return undefined;
  },
};

export const interPodAffinity: FilterPlugin = {
  name: 'InterPodAffinity',
  filter(s, n) {
    const labels = n.labels;
    if (s.affinity.length) {
      const ok = s.affinity.every((tc) => { const v = labels[tc.term.topologyKey]; return v !== undefined && (tc.counts.get(v) ?? 0) > 0; });
      const selfOk = s.affinitySelfOk && s.affinity.every((tc) => tc.term.topologyKey in labels);
      if (!ok && !selfOk) return fail(this.name, true, reasons.affinity);
    }
    for (const tc of s.antiAffinity) {
      const v = labels[tc.term.topologyKey];
      if (v !== undefined && (tc.counts.get(v) ?? 0) > 0) return fail(this.name, false, reasons.antiAffinity);
    }
    for (const [key, values] of s.existingAnti) {
      const v = labels[key];
      if (v !== undefined && values.has(v)) return fail(this.name, false, reasons.existingAntiAffinity);
    }
    return undefined;
  },
};

export const volumeBinding: FilterPlugin = {
  name: 'VolumeBinding',
  filter(s, n) {
    const why = s.volumes && volumesFilter(s.pod, n, s.volumes);
    return why ? fail(this.name, true, why) : undefined;
  },
};

/** upstream's default filter order */
export const defaultFilters: FilterPlugin[] = [
  nodeUnschedulable, nodeName, taintToleration, nodeAffinity, nodePorts, nodeResourcesFit, volumeBinding, podTopologySpread, interPodAffinity,
];

export function runFilters(s: CycleState, n: NodeInfo, plugins = defaultFilters): FilterStatus | undefined {
  for (const p of plugins) {
    const st = p.filter(s, n);
    if (st) return st;
  }
  return undefined;
}
