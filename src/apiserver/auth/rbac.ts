// RBAC authorization as pure functions over the four RBAC object kinds, following upstream
// Kubernetes (plugin/pkg/auth/authorizer/rbac, pkg/registry/rbac/validation/rule.go,
// pkg/apis/rbac/v1/evaluation_helpers.go, the clusterrole-aggregation controller, and the
// apiserver's forbidden message).
//
//   authorize(attrs, objects)  -> { allowed, reason }
//     ClusterRoleBindings are consulted first (in the order given), then, when the request has a
//     namespace, the RoleBindings of that namespace. A binding applies when one of its subjects
//     matches the user:
//       User            -> user.name === subject.name
//       Group           -> user.groups includes subject.name
//       ServiceAccount  -> user.name === "system:serviceaccount:<ns>:<name>", where <ns> is the
//                          subject's namespace, or for a RoleBinding the binding's namespace when
//                          the subject has none (a ClusterRoleBinding SA subject without namespace
//                          matches nobody)
//     The binding's roleRef is resolved to rules: kind ClusterRole -> the ClusterRole's stored
//     rules; kind Role -> the Role of that name in the binding's namespace (so never for a
//     ClusterRoleBinding). An unresolvable roleRef contributes no rules and an error.
//     The first rule that allows the request wins; the reason then names the binding, the role
//     and the subject that matched ("RBAC: allowed by ClusterRoleBinding "x" of ClusterRole "y"
//     to Group "z""). Denied: reason "" unless roleRefs failed to resolve, then
//     "RBAC: <the resolution errors>" (as upstream).
//     Nothing is special-cased: system:masters is allowed through the bootstrap binding
//     cluster-admin; a ClusterRole with an aggregationRule is evaluated by its stored rules (keep
//     them current with aggregatedRules, as upstream's aggregation controller does).
//
//   rulesFor(user, namespace, objects) -> the rules SelfSubjectRulesReview reports.
//   forbiddenMessage(attrs)            -> upstream's 403 message text.
//   aggregatedRules(role, allRoles)    -> the rules the aggregation controller would write.
import type { KObject } from '../../api/types.js';
import type { UserInfo } from './authn.js';

export interface Attributes {
  user: UserInfo; verb: string; resourceRequest: boolean;
  apiGroup?: string; resource?: string; subresource?: string; namespace?: string; name?: string;
  /** non-resource requests: the URL path */
  path?: string;
}

export interface RbacObjects { clusterRoles: KObject[]; roles: KObject[]; clusterRoleBindings: KObject[]; roleBindings: KObject[] }

export interface Decision { allowed: boolean; reason: string }

export interface ResourceRuleInfo { verbs: string[]; apiGroups?: string[]; resources?: string[]; resourceNames?: string[] }
export interface NonResourceRuleInfo { verbs: string[]; nonResourceURLs?: string[] }

/** rbac.authorization.k8s.io/v1 PolicyRule */
interface PolicyRule {
  verbs?: string[]; apiGroups?: string[]; resources?: string[]; resourceNames?: string[]; nonResourceURLs?: string[];
}

interface Subject { kind?: string; apiGroup?: string; name?: string; namespace?: string }

const RBAC_GROUP = 'rbac.authorization.k8s.io';

// ---- rule matching (evaluation_helpers.go, rbac.go RuleAllows) -------------------------------

function arr(v: unknown): string[] {
  return Array.isArray(v) ? (v as unknown[]).filter((x): x is string => typeof x === 'string') : [];
}

function verbMatches(rule: PolicyRule, verb: string): boolean {
  return arr(rule.verbs).some((v) => v === '*' || v === verb);
}

function apiGroupMatches(rule: PolicyRule, group: string): boolean {
  return arr(rule.apiGroups).some((g) => g === '*' || g === group);
}

function resourceMatches(rule: PolicyRule, combined: string, subresource: string): boolean {
  for (const r of arr(rule.resources)) {
    if (r === '*' || r === combined) return true;
    // "*/<subresource>" matches that subresource of any resource
    if (subresource && r.length === subresource.length + 2 && r.startsWith('*/') && r.endsWith(subresource)) return true;
  }
  return false;
}

function resourceNameMatches(rule: PolicyRule, name: string): boolean {
  const names = arr(rule.resourceNames);
  if (names.length === 0) return true;
  return names.some((n) => n === name);
}

function nonResourceURLMatches(rule: PolicyRule, path: string): boolean {
  for (const u of arr(rule.nonResourceURLs)) {
    if (u === '*' || u === path) return true;
    if (u.endsWith('*') && path.startsWith(u.replace(/\*+$/, ''))) return true;
  }
  return false;
}

/** whether one PolicyRule allows the request (upstream RuleAllows) */
export function ruleAllows(a: Attributes, rule: PolicyRule): boolean {
  if (a.resourceRequest) {
    const sub = a.subresource ?? '';
    const combined = sub ? `${a.resource ?? ''}/${sub}` : (a.resource ?? '');
    return verbMatches(rule, a.verb) &&
      apiGroupMatches(rule, a.apiGroup ?? '') &&
      resourceMatches(rule, combined, sub) &&
      resourceNameMatches(rule, a.name ?? '');
  }
  return verbMatches(rule, a.verb) && nonResourceURLMatches(rule, a.path ?? '');
}

// ---- rule resolution (pkg/registry/rbac/validation/rule.go) ----------------------------------

function subjectsOf(binding: KObject): Subject[] {
  return Array.isArray(binding.subjects) ? binding.subjects as Subject[] : [];
}

function appliesToUser(user: UserInfo, s: Subject, namespace: string): boolean {
  switch (s.kind) {
    case 'User':
      return user.name === s.name;
    case 'Group':
      return (user.groups ?? []).includes(s.name ?? '');
    case 'ServiceAccount': {
      const ns = s.namespace ? s.namespace : namespace;
      if (!ns) return false;
      return user.name === `system:serviceaccount:${ns}:${s.name ?? ''}`;
    }
    default:
      return false;
  }
}

/** the index of the first subject of the binding that applies to the user, or -1 */
function appliesTo(user: UserInfo, subjects: Subject[], namespace: string): number {
  return subjects.findIndex((s) => appliesToUser(user, s, namespace));
}

class ResolutionError extends Error {}

function rulesOfRole(role: KObject): PolicyRule[] {
  return Array.isArray(role.rules) ? role.rules as PolicyRule[] : [];
}

/** upstream GetRoleReferenceRules: throws a ResolutionError with upstream's message when the ref does not resolve */
function roleReferenceRules(roleRef: any, bindingNamespace: string, p: RbacObjects): PolicyRule[] {
  const kind = roleRef?.kind ?? '';
  const name = roleRef?.name ?? '';
  if (kind === 'Role') {
    const role = bindingNamespace
      ? p.roles.find((r) => r.metadata?.namespace === bindingNamespace && r.metadata?.name === name)
      : undefined;
    if (!role) throw new ResolutionError(`role.${RBAC_GROUP} ${goQuote(name)} not found`);
    return rulesOfRole(role);
  }
  if (kind === 'ClusterRole') {
    const role = p.clusterRoles.find((r) => r.metadata?.name === name);
    if (!role) throw new ResolutionError(`clusterrole.${RBAC_GROUP} ${goQuote(name)} not found`);
    return rulesOfRole(role);
  }
  throw new ResolutionError(`unsupported role reference kind: ${goQuote(kind)}`);
}

function describeSubject(s: Subject, bindingNamespace: string): string {
  if (s.kind === 'ServiceAccount') {
    const ns = s.namespace ? s.namespace : bindingNamespace;
    return `${s.kind} ${goQuote(`${s.name ?? ''}/${ns}`)}`;
  }
  return `${s.kind ?? ''} ${goQuote(s.name ?? '')}`;
}

function describeBinding(binding: KObject, subject: Subject, namespaced: boolean): string {
  const ref = binding.roleRef ?? {};
  const ns = namespaced ? (binding.metadata?.namespace ?? '') : '';
  const name = namespaced ? `${binding.metadata?.name ?? ''}/${ns}` : (binding.metadata?.name ?? '');
  return `${namespaced ? 'RoleBinding' : 'ClusterRoleBinding'} ${goQuote(name)} of ${ref.kind ?? ''} ${goQuote(ref.name ?? '')} to ${describeSubject(subject, ns)}`;
}

type Visitor = (source: (() => string) | undefined, rule: PolicyRule | undefined, err: Error | undefined) => boolean;

/** upstream VisitRulesFor: every rule that applies to the user in the namespace; stops when visit returns false */
function visitRulesFor(user: UserInfo, namespace: string, p: RbacObjects, visit: Visitor): void {
  for (const crb of p.clusterRoleBindings) {
    const subjects = subjectsOf(crb);
    const i = appliesTo(user, subjects, '');
    if (i < 0) continue;
    let rules: PolicyRule[];
    try {
      rules = roleReferenceRules(crb.roleRef, '', p);
    } catch (e) {
      if (!visit(undefined, undefined, e as Error)) return;
      continue;
    }
    const source = () => describeBinding(crb, subjects[i]!, false);
    for (const rule of rules) if (!visit(source, rule, undefined)) return;
  }
  if (!namespace) return;
  for (const rb of p.roleBindings) {
    if ((rb.metadata?.namespace ?? '') !== namespace) continue;
    const subjects = subjectsOf(rb);
    const i = appliesTo(user, subjects, namespace);
    if (i < 0) continue;
    let rules: PolicyRule[];
    try {
      rules = roleReferenceRules(rb.roleRef, namespace, p);
    } catch (e) {
      if (!visit(undefined, undefined, e as Error)) return;
      continue;
    }
    const source = () => describeBinding(rb, subjects[i]!, true);
    for (const rule of rules) if (!visit(source, rule, undefined)) return;
  }
}

/** utilerrors.NewAggregate(errs).Error(): one message as is, several deduplicated in [a, b] */
function aggregateMessage(errs: Error[]): string {
  if (errs.length === 1) return errs[0]!.message;
  const seen: string[] = [];
  for (const e of errs) if (!seen.includes(e.message)) seen.push(e.message);
  return seen.length === 1 ? seen[0]! : `[${seen.join(', ')}]`;
}

export function authorize(a: Attributes, p: RbacObjects): Decision {
  let reason = '';
  let allowed = false;
  const errors: Error[] = [];
  visitRulesFor(a.user, a.namespace ?? '', p, (source, rule, err) => {
    if (rule && source && ruleAllows(a, rule)) {
      allowed = true;
      reason = `RBAC: allowed by ${source()}`;
      return false;
    }
    if (err) errors.push(err);
    return true;
  });
  if (allowed) return { allowed: true, reason };
  return { allowed: false, reason: errors.length ? `RBAC: ${aggregateMessage(errors)}` : '' };
}

/** what SelfSubjectRulesReview returns for the user in a namespace */
export function rulesFor(user: UserInfo, namespace: string, p: RbacObjects): { resourceRules: ResourceRuleInfo[]; nonResourceRules: NonResourceRuleInfo[]; evaluationError?: string } {
  const resourceRules: ResourceRuleInfo[] = [];
  const nonResourceRules: NonResourceRuleInfo[] = [];
  const errors: Error[] = [];
  visitRulesFor(user, namespace, p, (_source, rule, err) => {
    if (err) errors.push(err);
    if (!rule) return true;
    const verbs = arr(rule.verbs);
    const resources = arr(rule.resources);
    const urls = arr(rule.nonResourceURLs);
    if (resources.length > 0) {
      const r: ResourceRuleInfo = { verbs: [...verbs] };
      const groups = arr(rule.apiGroups);
      const names = arr(rule.resourceNames);
      if (groups.length) r.apiGroups = [...groups];
      r.resources = [...resources];
      if (names.length) r.resourceNames = [...names];
      resourceRules.push(r);
    }
    if (urls.length > 0) nonResourceRules.push({ verbs: [...verbs], nonResourceURLs: [...urls] });
    return true;
  });
  // as upstream's SelfSubjectRulesReview: the rules found, and why some could not be (a binding to a missing role)
  return { resourceRules, nonResourceRules, ...(errors.length ? { evaluationError: aggregateMessage(errors) } : {}) };
}

// ---- forbidden message (apiserver responsewriters/errors.go) --------------------------------

/** Go's %q (strconv.Quote) for a string */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    switch (ch) {
      case '"': out += '\\"'; continue;
      case '\\': out += '\\\\'; continue;
      case '\x07': out += '\\a'; continue;
      case '\b': out += '\\b'; continue;
      case '\f': out += '\\f'; continue;
      case '\n': out += '\\n'; continue;
      case '\r': out += '\\r'; continue;
      case '\t': out += '\\t'; continue;
      case '\v': out += '\\v'; continue;
    }
    if (c < 0x20 || c === 0x7f) { out += '\\x' + c.toString(16).padStart(2, '0'); continue; }
    if (c < 0x7f || /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(ch)) { out += ch; continue; }
    if (c >= 0xd800 && c <= 0xdfff) { out += '\\ufffd'; continue; } // lone surrogate: invalid UTF-8 in Go
    out += c > 0xffff ? '\\U' + c.toString(16).padStart(8, '0') : '\\u' + c.toString(16).padStart(4, '0');
  }
  return out + '"';
}

/** upstream forbiddenMessage: User "x" cannot list resource "pods" in API group "" in the namespace "default" / at the cluster scope / cannot get path "/foo" */
export function forbiddenMessage(a: Attributes): string {
  const username = a.user?.name ?? '';
  if (!a.resourceRequest) return `User ${goQuote(username)} cannot ${a.verb} path ${goQuote(a.path ?? '')}`;
  let resource = a.resource ?? '';
  if (a.subresource) resource = `${resource}/${a.subresource}`;
  if (a.namespace) {
    return `User ${goQuote(username)} cannot ${a.verb} resource ${goQuote(resource)} in API group ${goQuote(a.apiGroup ?? '')} in the namespace ${goQuote(a.namespace)}`;
  }
  return `User ${goQuote(username)} cannot ${a.verb} resource ${goQuote(resource)} in API group ${goQuote(a.apiGroup ?? '')} at the cluster scope`;
}

// ---- escalation (pkg/registry/rbac/validation: Covers, ConfirmNoEscalation) ---------------------

function resourceCovers(owner: string[], target: string): boolean {
  if (owner.includes(target)) return true;
  const i = target.indexOf('/');
  return i >= 0 && owner.includes(`*${target.slice(i)}`);
}

function nonResourceURLCovers(owner: string[], url: string): boolean {
  return owner.some((u) => u === '*' || u === url || (u.endsWith('*') && url.startsWith(u.slice(0, -1))));
}

/** upstream ruleCovers, for a sub-rule of one verb and at most one group, resource, name or URL */
function ruleCovers(owner: PolicyRule, sub: PolicyRule): boolean {
  const ov = arr(owner.verbs); const og = arr(owner.apiGroups); const or = arr(owner.resources); const on = arr(owner.resourceNames);
  const verbs = ov.includes('*') || arr(sub.verbs).every((v) => ov.includes(v));
  const groups = og.includes('*') || arr(sub.apiGroups).every((g) => og.includes(g));
  const resources = or.includes('*') || arr(sub.resources).every((r) => resourceCovers(or, r));
  const urls = arr(sub.nonResourceURLs).every((u) => nonResourceURLCovers(arr(owner.nonResourceURLs), u));
  const names = arr(sub.resourceNames).length === 0 ? on.length === 0 : on.length === 0 || arr(sub.resourceNames).every((n) => on.includes(n));
  return verbs && groups && resources && urls && names;
}

/** the parts of `wanted` no rule of `owned` covers (upstream Covers, broken into single-verb sub-rules) */
export function uncoveredRules(owned: PolicyRule[], wanted: PolicyRule[]): PolicyRule[] {
  const missing: PolicyRule[] = [];
  for (const rule of wanted) {
    const subs: PolicyRule[] = [];
    for (const verb of arr(rule.verbs)) {
      for (const apiGroup of arr(rule.apiGroups)) {
        for (const resource of arr(rule.resources)) {
          const names = arr(rule.resourceNames);
          for (const name of names.length ? names : [undefined]) {
            subs.push({ verbs: [verb], apiGroups: [apiGroup], resources: [resource], ...(name !== undefined ? { resourceNames: [name] } : {}) });
          }
        }
      }
      for (const url of arr(rule.nonResourceURLs)) subs.push({ verbs: [verb], nonResourceURLs: [url] });
    }
    for (const sub of subs) if (!owned.some((o) => ruleCovers(o, sub))) missing.push(sub);
  }
  return missing;
}

/**
 * upstream's CompactRules: rules for one API group and one resource (and at most one name) that
 * differ only in their verbs become one rule with all those verbs, in order
 */
export function compactRules(rules: PolicyRule[]): PolicyRule[] {
  const out: PolicyRule[] = [];
  const simple = new Map<string, PolicyRule>();
  for (const r of rules) {
    const names = arr(r.resourceNames);
    const isSimple = names.length <= 1 && !arr(r.nonResourceURLs).length && arr(r.apiGroups).length === 1 && arr(r.resources).length === 1;
    if (!isSimple) { out.push(r); continue; }
    const key = JSON.stringify([r.apiGroups![0], r.resources![0], names[0] ?? null]);
    const seen = simple.get(key);
    if (seen) seen.verbs = [...arr(seen.verbs), ...arr(r.verbs)];
    else simple.set(key, { ...r, verbs: [...arr(r.verbs)] });
  }
  return [...out, ...simple.values()];
}

/** upstream CompactString of one rule: {APIGroups:[""], Resources:["secrets"], Verbs:["get"]} */
export function compactRule(r: PolicyRule): string {
  const parts: string[] = [];
  for (const [label, v] of [['APIGroups', r.apiGroups], ['Resources', r.resources], ['ResourceNames', r.resourceNames], ['NonResourceURLs', r.nonResourceURLs], ['Verbs', r.verbs]] as const) {
    if (arr(v).length) parts.push(`${label}:[${arr(v).map(goQuote).join(' ')}]`);
  }
  return `{${parts.join(', ')}}`;
}

// aggregation lives with the API types: the clusterrole-aggregation controller uses it too
export { aggregatedRules } from '../../api/rbac.js';
