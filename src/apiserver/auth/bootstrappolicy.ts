// Upstream Kubernetes' bootstrap RBAC policy (plugin/pkg/auth/authorizer/rbac/bootstrappolicy/
// policy.go; rules as in its testdata/cluster-roles.yaml of the 1.27-1.31 era), without the
// roles and bindings of the kubelet/node, kube-proxy, kube-controller-manager and kube-scheduler
// and without the per-controller roles (controller_policy.go).
//
// Every object carries the label kubernetes.io/bootstrapping=rbac-defaults and the annotation
// rbac.authorization.kubernetes.io/autoupdate="true". Rules are written as upstream's rule builder
// leaves them (verbs, resources, resourceNames and nonResourceURLs sorted; apiGroups as given).
// The aggregated roles admin, edit and view carry their aggregationRule and also the rules the
// clusterrole-aggregation controller would have written into them:
//   view  = system:aggregate-to-view
//   edit  = system:aggregate-to-edit + view                 (labelled aggregate-to-edit: view)
//   admin = edit + system:aggregate-to-admin                (labelled aggregate-to-admin: edit)
import type { KObject } from '../../api/types.js';

const RBAC_API_VERSION = 'rbac.authorization.k8s.io/v1';
const RBAC_GROUP = 'rbac.authorization.k8s.io';

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];
const READ_WRITE = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

const AGGREGATE_TO_ADMIN = 'rbac.authorization.k8s.io/aggregate-to-admin';
const AGGREGATE_TO_EDIT = 'rbac.authorization.k8s.io/aggregate-to-edit';
const AGGREGATE_TO_VIEW = 'rbac.authorization.k8s.io/aggregate-to-view';

interface Rule { verbs: string[]; apiGroups?: string[]; resources?: string[]; resourceNames?: string[]; nonResourceURLs?: string[] }

/** a resource rule; field order as the Go PolicyRule serializes */
function rule(verbs: string[], apiGroups: string[], resources: string[], resourceNames?: string[]): Rule {
  const r: Rule = { verbs: [...verbs], apiGroups: [...apiGroups], resources: [...resources] };
  if (resourceNames) r.resourceNames = [...resourceNames];
  return r;
}

function urls(verbs: string[], nonResourceURLs: string[]): Rule {
  return { verbs: [...verbs], nonResourceURLs: [...nonResourceURLs] };
}

function metadata(name: string, extraLabels: Record<string, string> = {}): KObject['metadata'] {
  return {
    name,
    labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults', ...extraLabels },
    annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'true' },
  };
}

function clusterRole(name: string, rules: Rule[], extraLabels?: Record<string, string>): KObject {
  return { apiVersion: RBAC_API_VERSION, kind: 'ClusterRole', metadata: metadata(name, extraLabels), rules };
}

function aggregatedClusterRole(name: string, selectorLabel: string, rules: Rule[], extraLabels?: Record<string, string>): KObject {
  return {
    apiVersion: RBAC_API_VERSION, kind: 'ClusterRole', metadata: metadata(name, extraLabels),
    aggregationRule: { clusterRoleSelectors: [{ matchLabels: { [selectorLabel]: 'true' } }] },
    rules,
  };
}

/** union of rule lists in order, dropping rules equal to one already taken (as the aggregation controller does) */
function union(...lists: Rule[][]): Rule[] {
  const out: Rule[] = [];
  const key = (r: Rule) => JSON.stringify([r.verbs ?? [], r.apiGroups ?? [], r.resources ?? [], r.resourceNames ?? [], r.nonResourceURLs ?? []]);
  const seen = new Set<string>();
  for (const list of lists) {
    for (const r of list) {
      const k = key(r);
      if (seen.has(k)) continue;
      seen.add(k);
      out.push(JSON.parse(JSON.stringify(r)) as Rule);
    }
  }
  return out;
}

function aggregateToAdminRules(): Rule[] {
  return [
    rule(['create'], ['authorization.k8s.io'], ['localsubjectaccessreviews']),
    rule(READ_WRITE, [RBAC_GROUP], ['rolebindings', 'roles']),
  ];
}

function aggregateToEditRules(): Rule[] {
  return [
    // read on escalating resources
    rule(READ, [''], ['pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy', 'secrets', 'services/proxy']),
    rule(['impersonate'], [''], ['serviceaccounts']),
    rule(WRITE, [''], ['pods', 'pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy']),
    rule(['create'], [''], ['pods/eviction']),
    rule(WRITE, [''], ['configmaps', 'events', 'persistentvolumeclaims', 'replicationcontrollers', 'replicationcontrollers/scale',
      'secrets', 'serviceaccounts', 'services', 'services/proxy']),
    rule(['create'], [''], ['serviceaccounts/token']),
    rule(WRITE, ['apps'], ['daemonsets', 'deployments', 'deployments/rollback', 'deployments/scale', 'replicasets', 'replicasets/scale',
      'statefulsets', 'statefulsets/scale']),
    rule(WRITE, ['autoscaling'], ['horizontalpodautoscalers']),
    rule(WRITE, ['batch'], ['cronjobs', 'jobs']),
    rule(WRITE, ['extensions'], ['daemonsets', 'deployments', 'deployments/rollback', 'deployments/scale', 'ingresses', 'networkpolicies',
      'replicasets', 'replicasets/scale', 'replicationcontrollers/scale']),
    rule(WRITE, ['policy'], ['poddisruptionbudgets']),
    rule(WRITE, ['networking.k8s.io'], ['ingresses', 'networkpolicies']),
    rule(READ_WRITE, ['coordination.k8s.io'], ['leases']),
  ];
}

function aggregateToViewRules(): Rule[] {
  return [
    rule(READ, [''], ['configmaps', 'endpoints', 'persistentvolumeclaims', 'persistentvolumeclaims/status', 'pods', 'replicationcontrollers',
      'replicationcontrollers/scale', 'serviceaccounts', 'services', 'services/status']),
    rule(READ, [''], ['bindings', 'events', 'limitranges', 'namespaces/status', 'pods/log', 'pods/status', 'replicationcontrollers/status',
      'resourcequotas', 'resourcequotas/status']),
    // read access to namespaces at the namespace scope means you can read *this* namespace
    rule(READ, [''], ['namespaces']),
    rule(READ, ['discovery.k8s.io'], ['endpointslices']),
    rule(READ, ['apps'], ['controllerrevisions', 'daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status',
      'replicasets', 'replicasets/scale', 'replicasets/status', 'statefulsets', 'statefulsets/scale', 'statefulsets/status']),
    rule(READ, ['autoscaling'], ['horizontalpodautoscalers', 'horizontalpodautoscalers/status']),
    rule(READ, ['batch'], ['cronjobs', 'cronjobs/status', 'jobs', 'jobs/status']),
    rule(READ, ['extensions'], ['daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status', 'ingresses',
      'ingresses/status', 'networkpolicies', 'replicasets', 'replicasets/scale', 'replicasets/status', 'replicationcontrollers/scale']),
    rule(READ, ['policy'], ['poddisruptionbudgets', 'poddisruptionbudgets/status']),
    rule(READ, ['networking.k8s.io'], ['ingresses', 'ingresses/status', 'networkpolicies']),
  ];
}

function signerApprover(signer: string): KObject {
  return clusterRole(`system:certificates.k8s.io:${signer.replace(/^kubernetes\.io\//, '')}-approver`,
    [rule(['approve'], ['certificates.k8s.io'], ['signers'], [signer])]);
}

/** upstream's bootstrap ClusterRoles (see the file comment for what is left out) */
export function bootstrapClusterRoles(): KObject[] {
  const toView = aggregateToViewRules();
  const toEdit = aggregateToEditRules();
  const toAdmin = aggregateToAdminRules();
  // what the aggregation controller converges to: roles matched in name order, equal rules once
  const metricsReader = [rule(READ, ['metrics.k8s.io'], ['pods', 'nodes'])];
  const viewRules = union(toView, metricsReader); // "system:aggregate-to-view" < "system:aggregated-metrics-reader"
  const editRules = union(toEdit, metricsReader, viewRules); // "system:aggregate-to-edit" < "system:aggregated-..." < "view"
  const adminRules = union(editRules, toAdmin, metricsReader); // "edit" < "system:aggregate-to-admin" < "system:aggregated-..."

  return [
    // a "root" role which can do absolutely anything
    clusterRole('cluster-admin', [
      rule(['*'], ['*'], ['*']),
      urls(['*'], ['*']),
    ]),
    // just enough to determine whether the server is ready and to discover API versions
    clusterRole('system:discovery', [
      urls(['get'], ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz', '/version', '/version/']),
    ]),
    // read-only access to the monitoring endpoints
    clusterRole('system:monitoring', [
      urls(['get'], ['/healthz', '/healthz/*', '/livez', '/livez/*', '/metrics', '/metrics/slis', '/readyz', '/readyz/*']),
    ]),
    // minimal access for a "normal" user to learn about themselves
    clusterRole('system:basic-user', [
      rule(['create'], ['authorization.k8s.io'], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews']),
      rule(['create'], ['authentication.k8s.io'], ['selfsubjectreviews']),
    ]),
    // insensitive cluster information
    clusterRole('system:public-info-viewer', [
      urls(['get'], ['/healthz', '/livez', '/readyz', '/version', '/version/']),
    ]),
    // namespace admin: edit plus granting permissions to others
    aggregatedClusterRole('admin', AGGREGATE_TO_ADMIN, adminRules),
    // namespace editor: all user-level actions in a namespace
    aggregatedClusterRole('edit', AGGREGATE_TO_EDIT, editRules, { [AGGREGATE_TO_ADMIN]: 'true' }),
    // namespace viewer: read-only access to non-escalating resources
    aggregatedClusterRole('view', AGGREGATE_TO_VIEW, viewRules, { [AGGREGATE_TO_EDIT]: 'true' }),
    clusterRole('system:aggregate-to-admin', toAdmin, { [AGGREGATE_TO_ADMIN]: 'true' }),
    clusterRole('system:aggregate-to-edit', toEdit, { [AGGREGATE_TO_EDIT]: 'true' }),
    clusterRole('system:aggregate-to-view', toView, { [AGGREGATE_TO_VIEW]: 'true' }),
    // what metrics-server's manifest (and k3s) adds: reading metrics.k8s.io is part of view, edit and admin
    clusterRole('system:aggregated-metrics-reader', metricsReader,
      { [AGGREGATE_TO_VIEW]: 'true', [AGGREGATE_TO_EDIT]: 'true', [AGGREGATE_TO_ADMIN]: 'true' }),
    clusterRole('system:heapster', [
      rule(READ, [''], ['events', 'namespaces', 'nodes', 'pods']),
      rule(READ, ['extensions'], ['deployments']),
    ]),
    clusterRole('system:node-problem-detector', [
      rule(['get'], [''], ['nodes']),
      rule(['patch'], [''], ['nodes/status']),
      rule(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events']),
    ]),
    clusterRole('system:kubelet-api-admin', [
      rule(READ, [''], ['nodes']),
      rule(['proxy'], [''], ['nodes']),
      rule(['*'], [''], ['nodes/log', 'nodes/metrics', 'nodes/proxy', 'nodes/stats']),
    ]),
    clusterRole('system:node-bootstrapper', [
      rule(['create', 'get', 'list', 'watch'], ['certificates.k8s.io'], ['certificatesigningrequests']),
    ]),
    // authentication and authorization delegation
    clusterRole('system:auth-delegator', [
      rule(['create'], ['authentication.k8s.io'], ['tokenreviews']),
      rule(['create'], ['authorization.k8s.io'], ['subjectaccessreviews']),
    ]),
    clusterRole('system:kube-aggregator', [
      rule(READ, [''], ['endpoints', 'services']),
    ]),
    clusterRole('system:persistent-volume-provisioner', [
      rule(['create', 'delete', 'get', 'list', 'watch'], [''], ['persistentvolumes']),
      rule(['get', 'list', 'update', 'watch'], [''], ['persistentvolumeclaims']),
      rule(READ, ['storage.k8s.io'], ['storageclasses']),
      rule(['watch'], [''], ['events']),
      rule(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events']),
    ]),
    clusterRole('system:kube-dns', [
      rule(['list', 'watch'], [''], ['endpoints', 'services']),
    ]),
    clusterRole('system:certificates.k8s.io:certificatesigningrequests:nodeclient', [
      rule(['create'], ['certificates.k8s.io'], ['certificatesigningrequests/nodeclient']),
    ]),
    clusterRole('system:certificates.k8s.io:certificatesigningrequests:selfnodeclient', [
      rule(['create'], ['certificates.k8s.io'], ['certificatesigningrequests/selfnodeclient']),
    ]),
    signerApprover('kubernetes.io/kube-apiserver-client'),
    signerApprover('kubernetes.io/kube-apiserver-client-kubelet'),
    signerApprover('kubernetes.io/kubelet-serving'),
    signerApprover('kubernetes.io/legacy-unknown'),
    // OIDC discovery documents of the service account issuer
    clusterRole('system:service-account-issuer-discovery', [
      urls(['get'], ['/.well-known/openid-configuration', '/openid/v1/jwks']),
    ]),
  ];
}

function clusterRoleBinding(name: string, groups: string[]): KObject {
  return {
    apiVersion: RBAC_API_VERSION, kind: 'ClusterRoleBinding', metadata: metadata(name),
    roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name },
    subjects: groups.map((g) => ({ kind: 'Group', apiGroup: RBAC_GROUP, name: g })),
  };
}

/** upstream's bootstrap ClusterRoleBindings to the roles above (each binds the ClusterRole of its own name) */
export function bootstrapClusterRoleBindings(): KObject[] {
  return [
    clusterRoleBinding('cluster-admin', ['system:masters']),
    clusterRoleBinding('system:monitoring', ['system:monitoring']),
    clusterRoleBinding('system:discovery', ['system:authenticated']),
    clusterRoleBinding('system:basic-user', ['system:authenticated']),
    clusterRoleBinding('system:public-info-viewer', ['system:authenticated', 'system:unauthenticated']),
    clusterRoleBinding('system:service-account-issuer-discovery', ['system:serviceaccounts']),
  ];
}
