// Matching rules shared by filters and scores: tolerations vs taints (upstream's
// v1helper.TolerationsTolerateTaint), node selector terms, and pod affinity terms.
import type { KObject } from '../api/types.js';
import { selectorMatches, type LabelSelector } from '../client/selector.js';

export interface Taint { key: string; value?: string; effect: string; timeAdded?: string }
export interface Toleration { key?: string; operator?: string; value?: string; effect?: string; tolerationSeconds?: number }

export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  if (!t.key && t.operator !== 'Exists') return false;   // an empty key needs Exists
  if (t.operator === 'Exists') return true;
  return (t.value ?? '') === (taint.value ?? '');
}

export const tolerated = (tols: Toleration[] | undefined, taint: Taint) => (tols ?? []).some((t) => toleratesTaint(t, taint));

export interface NodeSelectorRequirement { key: string; operator: string; values?: string[] }
export interface NodeSelectorTerm { matchExpressions?: NodeSelectorRequirement[]; matchFields?: NodeSelectorRequirement[] }

function requirementMatches(r: NodeSelectorRequirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const v = labels[r.key];
  switch (r.operator) {
    case 'In': return has && (r.values ?? []).includes(v);
    case 'NotIn': return !has || !(r.values ?? []).includes(v);
    case 'Exists': return has;
    case 'DoesNotExist': return !has;
    case 'Gt': case 'Lt': {
      if (!has || !/^-?\d+$/.test(v) || (r.values ?? []).length !== 1) return false;
      const a = Number(v); const b = Number(r.values![0]);
      return r.operator === 'Gt' ? a > b : a < b;
    }
    default: return false;
  }
}

/** one term: all its requirements (an empty term matches nothing, as upstream) */
export function termMatches(term: NodeSelectorTerm, node: KObject): boolean {
  const ex = term.matchExpressions ?? []; const fields = term.matchFields ?? [];
  if (!ex.length && !fields.length) return false;
  const labels = node.metadata.labels ?? {};
  if (!ex.every((r) => requirementMatches(r, labels))) return false;
  return fields.every((r) => r.key === 'metadata.name' && requirementMatches(r, { 'metadata.name': node.metadata.name! }));
}

/** nodeSelector and required node affinity (terms ORed) */
export function nodeMatchesPodNodeAffinity(pod: KObject, node: KObject): boolean {
  const labels = node.metadata.labels ?? {};
  for (const [k, v] of Object.entries(pod.spec?.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const req = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (req && Array.isArray(req.nodeSelectorTerms)) return req.nodeSelectorTerms.some((t: NodeSelectorTerm) => termMatches(t, node));
  return true;
}

export interface PodAffinityTerm { labelSelector?: LabelSelector; namespaces?: string[]; namespaceSelector?: LabelSelector; topologyKey: string; matchLabelKeys?: string[]; mismatchLabelKeys?: string[] }

/** whether an existing pod is selected by a term of `owner` (namespaces default to the owner's) */
export function termSelectsPod(term: PodAffinityTerm, owner: KObject, other: KObject): boolean {
  const ns = other.metadata.namespace;
  const nsList = term.namespaces ?? [];
  const nsSel = term.namespaceSelector;
  const nsAll = !!nsSel && !Object.keys(nsSel.matchLabels ?? {}).length && !(nsSel.matchExpressions ?? []).length;
  if (!nsAll && !nsList.includes(ns!) && !(nsList.length === 0 && !nsSel && ns === owner.metadata.namespace)) return false;
  let sel = term.labelSelector;
  if (!sel) return false;
  const ol = owner.metadata.labels ?? {};
  if (term.matchLabelKeys?.length || term.mismatchLabelKeys?.length) {
    sel = { ...sel, matchExpressions: [...(sel.matchExpressions ?? [])] };
    for (const k of term.matchLabelKeys ?? []) if (k in ol) sel.matchExpressions!.push({ key: k, operator: 'In', values: [ol[k]] });
    for (const k of term.mismatchLabelKeys ?? []) if (k in ol) sel.matchExpressions!.push({ key: k, operator: 'NotIn', values: [ol[k]] });
  }
  return selectorMatches(sel, other.metadata.labels);
}
