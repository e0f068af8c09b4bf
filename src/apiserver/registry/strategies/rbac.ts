// rbac.authorization.k8s.io/v1 (upstream pkg/apis/rbac/validation, rbac/v1 defaults).
import type { KObject } from '../../../api/types.js';
import { isDNS1123Subdomain, isValidPathSegmentName, nameIsPathSegment } from '../../../api/validation/index.js';
import { makeStrategy } from './base.js';
import { arr, deepEqual, each, fe, isObject, setDefault, type Errs } from './field.js';
import { validateLabelSelector } from './meta.js';

const rbacGroup = 'rbac.authorization.k8s.io';

/** upstream ValidatePolicyRule */
function validateRule(r: any, namespaced: boolean, path: string): Errs {
  const errs: Errs = [];
  if (arr(r?.verbs).length === 0) errs.push(fe.required(`${path}.verbs`, 'verbs must contain at least one value'));
  if (arr(r?.nonResourceURLs).length > 0) {
    if (namespaced) errs.push(fe.invalid(`${path}.nonResourceURLs`, r.nonResourceURLs, 'namespaced rules cannot apply to non-resource URLs'));
    if (arr(r.apiGroups).length || arr(r.resources).length || arr(r.resourceNames).length) {
      errs.push(fe.invalid(`${path}.nonResourceURLs`, r.nonResourceURLs, 'rules cannot apply to both regular resources and non-resource URLs'));
    }
    return errs;
  }
  if (arr(r?.apiGroups).length === 0) errs.push(fe.required(`${path}.apiGroups`, 'resource rules must supply at least one api group'));
  if (arr(r?.resources).length === 0) errs.push(fe.required(`${path}.resources`, 'resource rules must supply at least one resource'));
  return errs;
}

function validateRules(o: KObject, namespaced: boolean): Errs {
  const errs: Errs = [];
  arr(o.rules).forEach((r: any, i: number) => errs.push(...validateRule(r, namespaced, `rules[${i}]`)));
  return errs;
}

function defaultSubjects(o: KObject): void {
  if (isObject(o.roleRef)) setDefault(o.roleRef, 'apiGroup', rbacGroup);
  for (const s of arr(o.subjects)) {
    if (!isObject(s)) continue;
    if (s.apiGroup === undefined || s.apiGroup === '') {
      if (s.kind === 'ServiceAccount') s.apiGroup = '';
      if (s.kind === 'User' || s.kind === 'Group') s.apiGroup = rbacGroup;
    }
    if (s.apiGroup === '') delete s.apiGroup;
  }
}

function validateBinding(o: KObject, namespaced: boolean): Errs {
  const errs: Errs = [];
  const ref = o.roleRef ?? {};
  if (ref.apiGroup !== rbacGroup) errs.push(fe.notSupported('roleRef.apiGroup', ref.apiGroup ?? '', [rbacGroup]));
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (!kinds.includes(ref.kind)) errs.push(fe.notSupported('roleRef.kind', ref.kind ?? '', kinds));
  if (!ref.name) errs.push(fe.required('roleRef.name'));
  else errs.push(...each('roleRef.name', ref.name, isValidPathSegmentName(ref.name)));
  arr(o.subjects).forEach((s: any, i: number) => {
    const p = `subjects[${i}]`;
    if (!s?.name) errs.push(fe.required(`${p}.name`));
    switch (s?.kind) {
      case 'ServiceAccount':
        if (s.name) errs.push(...each(`${p}.name`, s.name, isDNS1123Subdomain(s.name)));
        if (s.apiGroup) errs.push(fe.notSupported(`${p}.apiGroup`, s.apiGroup, ['']));
        if (!namespaced && !s.namespace) errs.push(fe.required(`${p}.namespace`));
        break;
      case 'User': case 'Group':
        if (s.apiGroup !== rbacGroup) errs.push(fe.notSupported(`${p}.apiGroup`, s.apiGroup ?? '', [rbacGroup]));
        break;
      default:
        errs.push(fe.notSupported(`${p}.kind`, s?.kind ?? '', ['ServiceAccount', 'User', 'Group']));
    }
  });
  return errs;
}

function validateRoleRefUpdate(o: KObject, old: KObject): Errs {
  return deepEqual(o.roleRef, old.roleRef) ? [] : [fe.invalid('roleRef', o.roleRef ?? null, 'cannot change roleRef')];
}

export const roleStrategy = makeStrategy({ namespaced: true, nameFunc: nameIsPathSegment, validate: (o) => validateRules(o, true) });

export const clusterRoleStrategy = makeStrategy({
  namespaced: false, nameFunc: nameIsPathSegment,
  validate(o) {
    const errs = validateRules(o, false);
    if (o.aggregationRule != null) {
      const sels = arr(o.aggregationRule.clusterRoleSelectors);
      if (sels.length === 0) errs.push(fe.required('aggregationRule.clusterRoleSelectors', 'at least one clusterRoleSelector required if aggregationRule is non-nil'));
      sels.forEach((s: any, i: number) => errs.push(...validateLabelSelector(s, `aggregationRule.clusterRoleSelectors[${i}]`)));
    }
    return errs;
  },
  // as upstream, an update writes the rules it carries, even of an aggregated role: the aggregation
  // controller puts back what its selectors match (and clears what they no longer match)
});

export const roleBindingStrategy = makeStrategy({
  namespaced: true, nameFunc: nameIsPathSegment,
  defaults: defaultSubjects,
  validate: (o) => validateBinding(o, true),
  validateUpdate: validateRoleRefUpdate,
});

export const clusterRoleBindingStrategy = makeStrategy({
  namespaced: false, nameFunc: nameIsPathSegment,
  defaults: defaultSubjects,
  validate: (o) => validateBinding(o, false),
  validateUpdate: validateRoleRefUpdate,
});
