// ClusterRole aggregation (upstream pkg/controller/clusterroleaggregation), shared by the API
// server's bootstrap policy tests and the clusterrole-aggregation controller.
import { fromLabelSelector, matches, type LabelSelectorObject } from './labels.js';
import type { KObject } from './types.js';

function arr(v: unknown): string[] {
  return Array.isArray(v) ? (v as unknown[]).filter((x): x is string => typeof x === 'string') : [];
}

const rulesOfRole = (role: KObject): any[] => (Array.isArray(role.rules) ? role.rules : []);

/** metav1.LabelSelectorAsSelector + Matches; undefined when the selector is invalid */
function selectorMatcher(sel: LabelSelectorObject | null | undefined): ((labels: Record<string, string>) => boolean) | undefined {
  if (sel == null) return () => false; // a nil selector selects nothing
  for (const e of Array.isArray(sel.matchExpressions) ? sel.matchExpressions : []) {
    const n = arr(e.values).length;
    if ((e.operator === 'In' || e.operator === 'NotIn') ? n === 0 : (e.operator === 'Exists' || e.operator === 'DoesNotExist') ? n !== 0 : true) return undefined;
  }
  const s = fromLabelSelector(sel);
  return (labels) => matches(s, labels);
}

const RULE_FIELDS = ['verbs', 'apiGroups', 'resources', 'resourceNames', 'nonResourceURLs'] as const;

/** equality.Semantic.DeepEqual on PolicyRules (a missing list equals an empty one) */
function sameRule(a: any, b: any): boolean {
  for (const f of RULE_FIELDS) {
    const x = arr(a?.[f]);
    const y = arr(b?.[f]);
    if (x.length !== y.length || x.some((v, i) => v !== y[i])) return false;
  }
  return true;
}

function cloneRule(rule: any): any {
  return JSON.parse(JSON.stringify(rule));
}

/**
 * upstream's aggregation: the rules of a ClusterRole with an aggregationRule = the union
 * (deduplicated, in a stable order) of the rules of the ClusterRoles its clusterRoleSelectors
 * match (excluding itself). For each selector in turn, the matching roles are taken in name order
 * and each of their stored rules is appended unless an equal rule is already there. A role without
 * an aggregationRule keeps its own rules; an invalid selector leaves the role's rules as they are
 * (the controller would fail the sync).
 */
export function aggregatedRules(role: KObject, all: KObject[]): any[] {
  const own = rulesOfRole(role).map(cloneRule);
  const agg = role.aggregationRule;
  if (!agg || typeof agg !== 'object') return own;
  const selectors: LabelSelectorObject[] = Array.isArray(agg.clusterRoleSelectors) ? agg.clusterRoleSelectors : [];
  const out: any[] = [];
  const self = role.metadata?.name;
  for (const sel of selectors) {
    const matches = selectorMatcher(sel);
    if (!matches) return own;
    const selected = all
      .filter((r) => matches(r.metadata?.labels ?? {}))
      .sort((x, y) => { const a = x.metadata?.name ?? '', b = y.metadata?.name ?? ''; return a < b ? -1 : a > b ? 1 : 0; });
    for (const r of selected) {
      if (r.metadata?.name === self) continue;
      for (const rule of rulesOfRole(r)) if (!out.some((x) => sameRule(x, rule))) out.push(cloneRule(rule));
    }
  }
  return out;
}
