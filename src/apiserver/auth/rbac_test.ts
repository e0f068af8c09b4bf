import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../api/types.js';
import type { UserInfo } from './authn.js';
import { authorize, rulesFor, forbiddenMessage, aggregatedRules, type Attributes, type RbacObjects } from './rbac.js';
import { bootstrapClusterRoles, bootstrapClusterRoleBindings } from './bootstrappolicy.js';

const G = 'rbac.authorization.k8s.io';
const V = `${G}/v1`;

function cr(name: string, rules: any[], labels?: Record<string, string>): KObject {
  return { apiVersion: V, kind: 'ClusterRole', metadata: { name, labels }, rules };
}
function role(ns: string, name: string, rules: any[]): KObject {
  return { apiVersion: V, kind: 'Role', metadata: { name, namespace: ns }, rules };
}
function crb(name: string, roleName: string, subjects: any[]): KObject {
  return { apiVersion: V, kind: 'ClusterRoleBinding', metadata: { name }, roleRef: { apiGroup: G, kind: 'ClusterRole', name: roleName }, subjects };
}
function rb(ns: string, name: string, kind: 'Role' | 'ClusterRole', roleName: string, subjects: any[]): KObject {
  return { apiVersion: V, kind: 'RoleBinding', metadata: { name, namespace: ns }, roleRef: { apiGroup: G, kind, name: roleName }, subjects };
}
const user = (name: string, ...groups: string[]): UserInfo => ({ name, groups });
const sa = (ns: string, name: string): UserInfo => ({ name: `system:serviceaccount:${ns}:${name}`, groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'] });

function res(u: UserInfo, verb: string, resource: string, extra: Partial<Attributes> = {}): Attributes {
  return { user: u, verb, resourceRequest: true, apiGroup: '', resource, ...extra };
}
function path(u: UserInfo, verb: string, p: string): Attributes {
  return { user: u, verb, resourceRequest: false, path: p };
}
function objs(o: Partial<RbacObjects>): RbacObjects {
  return { clusterRoles: [], roles: [], clusterRoleBindings: [], roleBindings: [], ...o };
}
function bootstrap(extra: Partial<RbacObjects> = {}): RbacObjects {
  return {
    clusterRoles: [...bootstrapClusterRoles(), ...(extra.clusterRoles ?? [])],
    clusterRoleBindings: [...bootstrapClusterRoleBindings(), ...(extra.clusterRoleBindings ?? [])],
    roles: extra.roles ?? [], roleBindings: extra.roleBindings ?? [],
  };
}
const allowed = (a: Attributes, p: RbacObjects) => authorize(a, p).allowed;

const podReader = cr('pod-reader', [{ verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['pods'] }]);

test('subjects: User, Group, ServiceAccount (with and without namespace)', () => {
  const p = objs({
    clusterRoles: [podReader],
    clusterRoleBindings: [
      crb('by-user', 'pod-reader', [{ kind: 'User', apiGroup: G, name: 'alice' }]),
      crb('by-group', 'pod-reader', [{ kind: 'Group', apiGroup: G, name: 'readers' }]),
      crb('by-sa', 'pod-reader', [{ kind: 'ServiceAccount', name: 'bot', namespace: 'ci' }]),
      crb('sa-no-ns', 'pod-reader', [{ kind: 'ServiceAccount', name: 'ghost' }]),
    ],
    roleBindings: [rb('team', 'local-sa', 'ClusterRole', 'pod-reader', [{ kind: 'ServiceAccount', name: 'runner' }])],
  });
  assert.deepEqual(authorize(res(user('alice'), 'list', 'pods'), p),
    { allowed: true, reason: 'RBAC: allowed by ClusterRoleBinding "by-user" of ClusterRole "pod-reader" to User "alice"' });
  assert.deepEqual(authorize(res(user('bob', 'readers'), 'get', 'pods', { namespace: 'x', name: 'p' }), p),
    { allowed: true, reason: 'RBAC: allowed by ClusterRoleBinding "by-group" of ClusterRole "pod-reader" to Group "readers"' });
  assert.deepEqual(authorize(res(sa('ci', 'bot'), 'watch', 'pods'), p),
    { allowed: true, reason: 'RBAC: allowed by ClusterRoleBinding "by-sa" of ClusterRole "pod-reader" to ServiceAccount "bot/ci"' });
  assert.equal(allowed(res(sa('other', 'bot'), 'list', 'pods'), p), false);
  assert.equal(allowed(res(user('bob'), 'list', 'pods'), p), false, 'no group');
  assert.equal(allowed(res(user('readers'), 'list', 'pods'), p), false, 'a user named like a group is not the group');
  // a ClusterRoleBinding's ServiceAccount subject without namespace matches nobody
  assert.equal(allowed(res({ name: 'system:serviceaccount::ghost', groups: [] }, 'list', 'pods'), p), false);
  // a RoleBinding's ServiceAccount subject without namespace means the binding's namespace
  assert.deepEqual(authorize(res(sa('team', 'runner'), 'list', 'pods', { namespace: 'team' }), p),
    { allowed: true, reason: 'RBAC: allowed by RoleBinding "local-sa/team" of ClusterRole "pod-reader" to ServiceAccount "runner/team"' });
  assert.equal(allowed(res(sa('other', 'runner'), 'list', 'pods', { namespace: 'team' }), p), false);
  // unknown subject kinds never match
  const q = objs({ clusterRoles: [podReader], clusterRoleBindings: [crb('odd', 'pod-reader', [{ kind: 'Robot', name: 'alice' }])] });
  assert.equal(allowed(res(user('alice'), 'list', 'pods'), q), false);
  // the first matching subject is the one named in the reason
  const r = objs({ clusterRoles: [podReader], clusterRoleBindings: [crb('two', 'pod-reader', [{ kind: 'Group', apiGroup: G, name: 'g1' }, { kind: 'User', apiGroup: G, name: 'carol' }])] });
  assert.equal(authorize(res(user('carol', 'g1'), 'list', 'pods'), r).reason, 'RBAC: allowed by ClusterRoleBinding "two" of ClusterRole "pod-reader" to Group "g1"');
});

test('RoleBindings: Role vs ClusterRole, namespace scoping', () => {
  const p = objs({
    clusterRoles: [podReader],
    roles: [
      role('dev', 'cm-editor', [{ verbs: ['*'], apiGroups: [''], resources: ['configmaps'] }]),
      role('prod', 'cm-editor', [{ verbs: ['get'], apiGroups: [''], resources: ['configmaps'] }]),
    ],
    roleBindings: [
      rb('dev', 'edit-cm', 'Role', 'cm-editor', [{ kind: 'User', apiGroup: G, name: 'dana' }]),
      rb('dev', 'read-pods', 'ClusterRole', 'pod-reader', [{ kind: 'User', apiGroup: G, name: 'dana' }]),
      rb('qa', 'missing-role', 'Role', 'nope', [{ kind: 'User', apiGroup: G, name: 'dana' }]),
    ],
  });
  const dana = user('dana');
  assert.deepEqual(authorize(res(dana, 'delete', 'configmaps', { namespace: 'dev', name: 'c' }), p),
    { allowed: true, reason: 'RBAC: allowed by RoleBinding "edit-cm/dev" of Role "cm-editor" to User "dana"' });
  assert.equal(authorize(res(dana, 'list', 'pods', { namespace: 'dev' }), p).reason,
    'RBAC: allowed by RoleBinding "read-pods/dev" of ClusterRole "pod-reader" to User "dana"');
  // a ClusterRole bound by a RoleBinding grants only in that namespace
  assert.equal(allowed(res(dana, 'list', 'pods', { namespace: 'prod' }), p), false);
  assert.equal(allowed(res(dana, 'list', 'pods'), p), false, 'not at the cluster scope');
  // the Role is looked up in the binding's namespace (prod's cm-editor is not bound in dev)
  assert.equal(allowed(res(dana, 'get', 'configmaps', { namespace: 'prod' }), p), false);
  // a missing role: denied, and the reason carries the resolution error as upstream's does
  assert.deepEqual(authorize(res(dana, 'get', 'configmaps', { namespace: 'qa' }), p),
    { allowed: false, reason: 'RBAC: role.rbac.authorization.k8s.io "nope" not found' });
  // plain denial: empty reason
  assert.deepEqual(authorize(res(dana, 'get', 'secrets', { namespace: 'dev' }), p), { allowed: false, reason: '' });
  // a ClusterRoleBinding cannot reference a Role; missing ClusterRoles; several errors aggregate
  const q = objs({
    roles: [role('dev', 'cm-editor', [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }])],
    clusterRoleBindings: [
      { ...crb('to-role', 'cm-editor', [{ kind: 'User', name: 'eve' }]), roleRef: { apiGroup: G, kind: 'Role', name: 'cm-editor' } },
      crb('to-missing', 'gone', [{ kind: 'User', name: 'eve' }]),
    ],
  });
  assert.deepEqual(authorize(res(user('eve'), 'get', 'configmaps', { namespace: 'dev' }), q),
    { allowed: false, reason: 'RBAC: [role.rbac.authorization.k8s.io "cm-editor" not found, clusterrole.rbac.authorization.k8s.io "gone" not found]' });
});

test('rule matching: "*" verbs, groups, resources; subresources; resourceNames', () => {
  const p = objs({
    clusterRoles: [
      cr('star', [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }]),
      cr('apps-any', [{ verbs: ['get'], apiGroups: ['apps'], resources: ['*'] }]),
      cr('logs', [{ verbs: ['get'], apiGroups: [''], resources: ['pods/log'] }]),
      cr('scaler', [{ verbs: ['get', 'update'], apiGroups: ['apps', 'extensions'], resources: ['*/scale'] }]),
      cr('named', [{ verbs: ['get', 'update'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['allowed-cm'] }]),
    ],
    clusterRoleBindings: [
      crb('star', 'star', [{ kind: 'User', name: 'root' }]),
      crb('apps-any', 'apps-any', [{ kind: 'User', name: 'a' }]),
      crb('logs', 'logs', [{ kind: 'User', name: 'l' }]),
      crb('scaler', 'scaler', [{ kind: 'User', name: 's' }]),
      crb('named', 'named', [{ kind: 'User', name: 'n' }]),
    ],
  });
  assert.equal(allowed(res(user('root'), 'escalate', 'clusterroles', { apiGroup: G }), p), true);
  assert.equal(allowed(res(user('root'), 'get', 'pods', { subresource: 'exec' }), p), true, '"*" covers subresources');
  assert.equal(allowed(path(user('root'), 'get', '/healthz'), p), false, 'resource rules never allow paths');

  assert.equal(allowed(res(user('a'), 'get', 'deployments', { apiGroup: 'apps', namespace: 'x', name: 'd' }), p), true);
  assert.equal(allowed(res(user('a'), 'get', 'deployments', { apiGroup: 'apps', subresource: 'status' }), p), true);
  assert.equal(allowed(res(user('a'), 'list', 'deployments', { apiGroup: 'apps' }), p), false);
  assert.equal(allowed(res(user('a'), 'get', 'pods'), p), false, 'other group');

  assert.equal(allowed(res(user('l'), 'get', 'pods', { subresource: 'log', namespace: 'x', name: 'p' }), p), true);
  assert.equal(allowed(res(user('l'), 'get', 'pods', { namespace: 'x', name: 'p' }), p), false, 'pods/log does not grant pods');
  assert.equal(allowed(res(user('l'), 'get', 'pods', { subresource: 'exec' }), p), false);

  assert.equal(allowed(res(user('s'), 'update', 'deployments', { apiGroup: 'apps', subresource: 'scale', namespace: 'x', name: 'd' }), p), true);
  assert.equal(allowed(res(user('s'), 'get', 'replicasets', { apiGroup: 'extensions', subresource: 'scale' }), p), true);
  assert.equal(allowed(res(user('s'), 'get', 'deployments', { apiGroup: 'apps' }), p), false, '*/scale does not grant the resource');
  assert.equal(allowed(res(user('s'), 'get', 'deployments', { apiGroup: 'apps', subresource: 'status' }), p), false);
  assert.equal(allowed(res(user('s'), 'get', 'deployments', { apiGroup: 'apps', subresource: 'xscale' }), p), false);

  assert.equal(allowed(res(user('n'), 'get', 'configmaps', { namespace: 'x', name: 'allowed-cm' }), p), true);
  assert.equal(allowed(res(user('n'), 'get', 'configmaps', { namespace: 'x', name: 'other' }), p), false);
  assert.equal(allowed(res(user('n'), 'get', 'configmaps', { namespace: 'x' }), p), false, 'no name never matches resourceNames');
});

test('non-resource URLs: exact, prefix with trailing "*", "*"', () => {
  const p = objs({
    clusterRoles: [
      cr('urls', [{ verbs: ['get'], nonResourceURLs: ['/healthz', '/logs/*', '/metrics*'] }]),
      cr('all-urls', [{ verbs: ['get', 'post'], nonResourceURLs: ['*'] }]),
    ],
    clusterRoleBindings: [
      crb('urls', 'urls', [{ kind: 'Group', name: 'ops' }]),
      crb('all-urls', 'all-urls', [{ kind: 'User', name: 'root' }]),
    ],
  });
  const ops = user('o', 'ops');
  assert.equal(allowed(path(ops, 'get', '/healthz'), p), true);
  assert.equal(allowed(path(ops, 'get', '/healthz/etcd'), p), false, 'exact only without "*"');
  assert.equal(allowed(path(ops, 'get', '/logs/'), p), true);
  assert.equal(allowed(path(ops, 'get', '/logs/kube.log'), p), true);
  assert.equal(allowed(path(ops, 'get', '/logs'), p), false);
  assert.equal(allowed(path(ops, 'get', '/metrics'), p), true);
  assert.equal(allowed(path(ops, 'get', '/metrics/slis'), p), true);
  assert.equal(allowed(path(ops, 'post', '/healthz'), p), false, 'verb must match');
  assert.equal(allowed(res(ops, 'get', 'healthz'), p), false, 'URL rules never allow resources');
  assert.equal(allowed(path(user('root'), 'post', '/anything/at/all'), p), true);
  assert.equal(authorize(path(ops, 'get', '/healthz'), p).reason, 'RBAC: allowed by ClusterRoleBinding "urls" of ClusterRole "urls" to Group "ops"');
});

test('bootstrap policy: shape and metadata', () => {
  const roles = bootstrapClusterRoles();
  const bindings = bootstrapClusterRoleBindings();
  const byName = new Map(roles.map((r) => [r.metadata.name!, r]));
  for (const name of ['cluster-admin', 'admin', 'edit', 'view', 'system:aggregate-to-admin', 'system:aggregate-to-edit', 'system:aggregate-to-view',
    'system:basic-user', 'system:discovery', 'system:public-info-viewer', 'system:monitoring', 'system:service-account-issuer-discovery']) {
    assert.ok(byName.has(name), name);
  }
  assert.equal(new Set(roles.map((r) => r.metadata.name)).size, roles.length, 'unique names');
  for (const o of [...roles, ...bindings]) {
    assert.equal(o.apiVersion, 'rbac.authorization.k8s.io/v1');
    assert.equal(o.metadata.labels?.['kubernetes.io/bootstrapping'], 'rbac-defaults');
    assert.equal(o.metadata.annotations?.['rbac.authorization.kubernetes.io/autoupdate'], 'true');
  }
  for (const name of ['system:node', 'system:kube-scheduler', 'system:kube-controller-manager', 'system:node-proxier']) assert.ok(!byName.has(name), name);
  assert.deepEqual(byName.get('edit')!.metadata.labels, { 'kubernetes.io/bootstrapping': 'rbac-defaults', 'rbac.authorization.k8s.io/aggregate-to-admin': 'true' });
  assert.deepEqual(byName.get('view')!.metadata.labels, { 'kubernetes.io/bootstrapping': 'rbac-defaults', 'rbac.authorization.k8s.io/aggregate-to-edit': 'true' });
  assert.deepEqual(byName.get('admin')!.aggregationRule, { clusterRoleSelectors: [{ matchLabels: { 'rbac.authorization.k8s.io/aggregate-to-admin': 'true' } }] });
  assert.deepEqual(byName.get('cluster-admin')!.rules, [
    { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
    { verbs: ['*'], nonResourceURLs: ['*'] },
  ]);
  // the pre-filled aggregated rules are what aggregatedRules computes from the bootstrap roles
  for (const name of ['view', 'edit', 'admin']) {
    assert.deepEqual(aggregatedRules(byName.get(name)!, roles), byName.get(name)!.rules, name);
  }
  const subjects = Object.fromEntries(bindings.map((b) => [b.metadata.name, b.subjects.map((s: any) => `${s.kind}:${s.name}`)]));
  assert.deepEqual(subjects, {
    'cluster-admin': ['Group:system:masters'],
    'system:monitoring': ['Group:system:monitoring'],
    'system:discovery': ['Group:system:authenticated'],
    'system:basic-user': ['Group:system:authenticated'],
    'system:public-info-viewer': ['Group:system:authenticated', 'Group:system:unauthenticated'],
    'system:service-account-issuer-discovery': ['Group:system:serviceaccounts'],
  });
  for (const b of bindings) assert.deepEqual(b.roleRef, { apiGroup: G, kind: 'ClusterRole', name: b.metadata.name });
  // fresh copies every call
  roles[0]!.rules.push({ verbs: ['x'] });
  assert.equal(bootstrapClusterRoles()[0]!.rules.length, 2);
});

test('bootstrap policy: authenticated, anonymous, monitoring', () => {
  const p = bootstrap();
  const u = user('someone', 'system:authenticated');
  for (const pth of ['/api', '/api/v1', '/apis', '/apis/apps/v1', '/version', '/version/', '/healthz', '/livez', '/readyz', '/openapi/v2', '/openapi/v3/apis/apps/v1']) {
    assert.equal(allowed(path(u, 'get', pth), p), true, pth);
  }
  assert.equal(authorize(path(u, 'get', '/api'), p).reason, 'RBAC: allowed by ClusterRoleBinding "system:discovery" of ClusterRole "system:discovery" to Group "system:authenticated"');
  assert.equal(allowed(path(u, 'get', '/metrics'), p), false);
  assert.equal(allowed(path(u, 'get', '/healthz/etcd'), p), false);
  assert.equal(allowed(path(u, 'post', '/api'), p), false);
  assert.equal(allowed(res(u, 'list', 'pods', { namespace: 'default' }), p), false);
  assert.equal(allowed(res(u, 'list', 'namespaces'), p), false);
  assert.equal(allowed(res(u, 'create', 'selfsubjectaccessreviews', { apiGroup: 'authorization.k8s.io' }), p), true);
  assert.equal(allowed(res(u, 'create', 'selfsubjectrulesreviews', { apiGroup: 'authorization.k8s.io' }), p), true);
  assert.equal(allowed(res(u, 'create', 'selfsubjectreviews', { apiGroup: 'authentication.k8s.io' }), p), true);
  assert.equal(allowed(res(u, 'create', 'subjectaccessreviews', { apiGroup: 'authorization.k8s.io' }), p), false);

  const anon = user('system:anonymous', 'system:unauthenticated');
  assert.equal(allowed(path(anon, 'get', '/version'), p), true);
  assert.equal(allowed(path(anon, 'get', '/healthz'), p), true);
  assert.equal(authorize(path(anon, 'get', '/livez'), p).reason, 'RBAC: allowed by ClusterRoleBinding "system:public-info-viewer" of ClusterRole "system:public-info-viewer" to Group "system:unauthenticated"');
  assert.equal(allowed(path(anon, 'get', '/api'), p), false);
  assert.equal(allowed(res(anon, 'create', 'selfsubjectaccessreviews', { apiGroup: 'authorization.k8s.io' }), p), false);

  const mon = user('prom', 'system:monitoring', 'system:authenticated');
  assert.equal(allowed(path(mon, 'get', '/metrics'), p), true);
  assert.equal(allowed(path(mon, 'get', '/metrics/slis'), p), true);
  assert.equal(allowed(path(mon, 'get', '/readyz/etcd'), p), true);

  const bot = sa('default', 'bot');
  assert.equal(allowed(path(bot, 'get', '/.well-known/openid-configuration'), p), true);
  assert.equal(allowed(path(bot, 'get', '/openid/v1/jwks'), p), true);
  assert.equal(allowed(path(u, 'get', '/openid/v1/jwks'), p), false);
});

test('bootstrap policy: view, edit, admin through RoleBindings; cluster-admin for system:masters', () => {
  const p = bootstrap({
    roleBindings: [
      rb('team-a', 'viewer', 'ClusterRole', 'view', [{ kind: 'ServiceAccount', name: 'reader', namespace: 'tools' }]),
      rb('team-a', 'editor', 'ClusterRole', 'edit', [{ kind: 'User', apiGroup: G, name: 'ed' }]),
      rb('team-a', 'admin', 'ClusterRole', 'admin', [{ kind: 'User', apiGroup: G, name: 'ad' }]),
    ],
  });
  const reader = sa('tools', 'reader');
  assert.deepEqual(authorize(res(reader, 'list', 'pods', { namespace: 'team-a' }), p),
    { allowed: true, reason: 'RBAC: allowed by RoleBinding "viewer/team-a" of ClusterRole "view" to ServiceAccount "reader/tools"' });
  assert.equal(allowed(res(reader, 'get', 'pods', { subresource: 'log', namespace: 'team-a', name: 'p' }), p), true);
  assert.equal(allowed(res(reader, 'list', 'deployments', { apiGroup: 'apps', namespace: 'team-a' }), p), true);
  assert.equal(allowed(res(reader, 'list', 'endpointslices', { apiGroup: 'discovery.k8s.io', namespace: 'team-a' }), p), true);
  assert.equal(allowed(res(reader, 'list', 'pods', { namespace: 'team-b' }), p), false);
  assert.equal(allowed(res(reader, 'get', 'secrets', { namespace: 'team-a', name: 's' }), p), false);
  assert.equal(allowed(res(reader, 'create', 'pods', { namespace: 'team-a' }), p), false);
  assert.equal(allowed(res(reader, 'get', 'pods', { subresource: 'exec', namespace: 'team-a', name: 'p' }), p), false);

  const ed = user('ed', 'system:authenticated');
  assert.equal(allowed(res(ed, 'create', 'deployments', { apiGroup: 'apps', namespace: 'team-a' }), p), true);
  assert.equal(allowed(res(ed, 'list', 'deployments', { apiGroup: 'apps', namespace: 'team-a' }), p), true, 'view rules aggregated into edit');
  assert.equal(allowed(res(ed, 'create', 'pods', { subresource: 'exec', namespace: 'team-a', name: 'p' }), p), true);
  assert.equal(allowed(res(ed, 'get', 'pods', { subresource: 'exec', namespace: 'team-a', name: 'p' }), p), true);
  assert.equal(allowed(res(ed, 'get', 'secrets', { namespace: 'team-a', name: 's' }), p), true);
  assert.equal(allowed(res(ed, 'create', 'serviceaccounts', { subresource: 'token', namespace: 'team-a', name: 'x' }), p), true);
  assert.equal(allowed(res(ed, 'update', 'leases', { apiGroup: 'coordination.k8s.io', namespace: 'team-a', name: 'l' }), p), true);
  assert.equal(allowed(res(ed, 'create', 'endpoints', { namespace: 'team-a' }), p), false, 'endpoints writes are not in edit');
  assert.equal(allowed(res(ed, 'create', 'roles', { apiGroup: G, namespace: 'team-a' }), p), false);
  assert.equal(allowed(res(ed, 'create', 'rolebindings', { apiGroup: G, namespace: 'team-a' }), p), false);
  assert.equal(allowed(res(ed, 'update', 'resourcequotas', { namespace: 'team-a', name: 'q' }), p), false);
  assert.equal(allowed(res(ed, 'create', 'deployments', { apiGroup: 'apps', namespace: 'team-b' }), p), false);

  const ad = user('ad');
  assert.equal(allowed(res(ad, 'create', 'rolebindings', { apiGroup: G, namespace: 'team-a' }), p), true);
  assert.equal(authorize(res(ad, 'delete', 'roles', { apiGroup: G, namespace: 'team-a', name: 'r' }), p).reason,
    'RBAC: allowed by RoleBinding "admin/team-a" of ClusterRole "admin" to User "ad"');
  assert.equal(allowed(res(ad, 'create', 'localsubjectaccessreviews', { apiGroup: 'authorization.k8s.io', namespace: 'team-a' }), p), true);
  assert.equal(allowed(res(ad, 'create', 'deployments', { apiGroup: 'apps', namespace: 'team-a' }), p), true);
  assert.equal(allowed(res(ad, 'list', 'pods', { namespace: 'team-a' }), p), true);
  assert.equal(allowed(res(ad, 'create', 'clusterroles', { apiGroup: G }), p), false);
  assert.equal(allowed(res(ad, 'delete', 'namespaces', { namespace: 'team-a', name: 'team-a' }), p), false);

  const root = user('kubernetes-admin', 'system:masters', 'system:authenticated');
  assert.deepEqual(authorize(res(root, 'deletecollection', 'widgets', { apiGroup: 'example.com', namespace: 'z' }), p),
    { allowed: true, reason: 'RBAC: allowed by ClusterRoleBinding "cluster-admin" of ClusterRole "cluster-admin" to Group "system:masters"' });
  assert.equal(allowed(path(root, 'delete', '/some/path'), p), true);
  assert.equal(allowed(res(root, 'escalate', 'clusterroles', { apiGroup: G, name: 'x' }), p), true);
});

test('forbiddenMessage wording', () => {
  const u = user('jane', 'g1');
  assert.equal(forbiddenMessage(res(u, 'list', 'pods', { namespace: 'default' })),
    'User "jane" cannot list resource "pods" in API group "" in the namespace "default"');
  assert.equal(forbiddenMessage(res(u, 'create', 'deployments', { apiGroup: 'apps', subresource: 'scale', namespace: 'ns1', name: 'd' })),
    'User "jane" cannot create resource "deployments/scale" in API group "apps" in the namespace "ns1"');
  assert.equal(forbiddenMessage(res(u, 'list', 'nodes')),
    'User "jane" cannot list resource "nodes" in API group "" at the cluster scope');
  assert.equal(forbiddenMessage(res(u, 'get', 'clusterroles', { apiGroup: G, name: 'x' })),
    'User "jane" cannot get resource "clusterroles" in API group "rbac.authorization.k8s.io" at the cluster scope');
  assert.equal(forbiddenMessage(path(u, 'get', '/foo')), 'User "jane" cannot get path "/foo"');
  assert.equal(forbiddenMessage(path(user('system:anonymous'), 'post', '/a"b\\c\n')), 'User "system:anonymous" cannot post path "/a\\"b\\\\c\\n"');
  assert.equal(forbiddenMessage(res(user('système'), 'get', 'pods', { namespace: 'n' })),
    'User "système" cannot get resource "pods" in API group "" in the namespace "n"');
});

test('aggregatedRules: union in name order, deduplicated, excluding itself', () => {
  const r1 = { verbs: ['get'], apiGroups: [''], resources: ['pods'] };
  const r2 = { verbs: ['list'], apiGroups: [''], resources: ['pods'] };
  const r3 = { verbs: ['get'], nonResourceURLs: ['/x'] };
  const target: KObject = {
    apiVersion: V, kind: 'ClusterRole', metadata: { name: 'agg', labels: { team: 'a' } },
    aggregationRule: { clusterRoleSelectors: [{ matchLabels: { team: 'a' } }, { matchExpressions: [{ key: 'extra', operator: 'Exists' }] }] },
    rules: [{ verbs: ['stale'], apiGroups: [''], resources: ['stale'] }],
  };
  const all = [
    target,
    cr('zz', [r2, r1], { team: 'a' }),
    cr('aa', [r1], { team: 'a' }),
    cr('other', [{ verbs: ['delete'], apiGroups: [''], resources: ['pods'] }], { team: 'b' }),
    cr('mm', [r3, { ...r1, resourceNames: [] }], { extra: '' }),
  ];
  assert.deepEqual(aggregatedRules(target, all), [r1, r2, r3]);
  // results are copies
  const out = aggregatedRules(target, all);
  out[0].verbs.push('x');
  assert.deepEqual(r1.verbs, ['get']);
  // no match -> no rules; no aggregationRule -> own rules
  assert.deepEqual(aggregatedRules({ ...target, aggregationRule: { clusterRoleSelectors: [{ matchLabels: { team: 'none' } }] } }, all), []);
  assert.deepEqual(aggregatedRules(cr('plain', [r3]), all), [r3]);
  // matchExpressions: In / NotIn / DoesNotExist
  const sel = (e: any) => aggregatedRules({ ...target, aggregationRule: { clusterRoleSelectors: [{ matchExpressions: [e] }] } }, all);
  assert.deepEqual(sel({ key: 'team', operator: 'In', values: ['b'] }), [{ verbs: ['delete'], apiGroups: [''], resources: ['pods'] }]);
  assert.deepEqual(sel({ key: 'team', operator: 'NotIn', values: ['a'] }), [r3, { ...r1, resourceNames: [] }, { verbs: ['delete'], apiGroups: [''], resources: ['pods'] }]);
  assert.deepEqual(sel({ key: 'team', operator: 'DoesNotExist' }), [r3, { ...r1, resourceNames: [] }]);
  // an invalid selector leaves the rules as they are
  assert.deepEqual(sel({ key: 'team', operator: 'Bogus' }), target.rules);
  // aggregating over the bootstrap roles plus a custom role labelled for view reaches view
  const roles = bootstrapClusterRoles();
  const custom = cr('widgets-view', [{ verbs: ['get'], apiGroups: ['example.com'], resources: ['widgets'] }], { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' });
  const view = roles.find((r) => r.metadata.name === 'view')!;
  const rules = aggregatedRules(view, [...roles, custom]);
  assert.deepEqual(rules.at(-1), custom.rules[0]);
  assert.equal(rules.length, view.rules.length + 1);
});

test('rulesFor: what SelfSubjectRulesReview reports', () => {
  const p = bootstrap({
    clusterRoles: [cr('named', [{ verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['a', 'b'] }])],
    roleBindings: [rb('ns1', 'named', 'ClusterRole', 'named', [{ kind: 'User', name: 'u' }])],
  });
  const u = user('u', 'system:authenticated');
  const r = rulesFor(u, 'ns1', p);
  assert.deepEqual(r.resourceRules, [
    { verbs: ['create'], apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'] },
    { verbs: ['create'], apiGroups: ['authentication.k8s.io'], resources: ['selfsubjectreviews'] },
    { verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['a', 'b'] },
  ]);
  assert.deepEqual(r.nonResourceRules, [
    { verbs: ['get'], nonResourceURLs: ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz', '/version', '/version/'] },
    { verbs: ['get'], nonResourceURLs: ['/healthz', '/livez', '/readyz', '/version', '/version/'] },
  ]);
  // other namespaces: only the cluster-wide rules
  assert.equal(rulesFor(u, 'ns2', p).resourceRules.length, 2);
  assert.equal(rulesFor(u, '', p).resourceRules.length, 2);
  // cluster-admin: both halves
  const root = rulesFor(user('r', 'system:masters'), 'x', p);
  assert.deepEqual(root, { resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }] });
  // nobody
  assert.deepEqual(rulesFor(user('nobody'), 'x', p), { resourceRules: [], nonResourceRules: [] });
});
