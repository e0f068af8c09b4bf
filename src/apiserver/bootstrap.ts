// What the API server itself keeps in place, as upstream's kube-apiserver does:
// the default namespaces, the system PriorityClasses, the bootstrap RBAC policy (cluster-admin,
// admin/edit/view, system:discovery & co. and their bindings), and the `kubernetes` Service with
// its Endpoints and EndpointSlice.
import { StatusError } from '../api/status.js';
import type { KObject } from '../api/types.js';
import type { Registry } from './registry/registry.js';
import { systemPriorityClasses } from './registry/strategies/scheduling.js';
import { bootstrapClusterRoleBindings, bootstrapClusterRoles } from './auth/bootstrappolicy.js';

export const defaultNamespaces = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

async function ensure(registry: Registry, group: string, plural: string, obj: KObject): Promise<void> {
  const store = registry.find(group, plural)!;
  try {
    await store.create(obj.metadata.namespace, obj, { fieldManager: 'kube-apiserver' });
  } catch (e) {
    if (!(e instanceof StatusError && e.reason === 'AlreadyExists')) throw e;
  }
}

/** the system PriorityClasses and the bootstrap RBAC policy, created when missing (upstream's post-start hooks) */
export async function bootstrapPolicy(registry: Registry): Promise<void> {
  // upstream also reconciles the roles annotated autoupdate; k8ts leaves edits alone
  for (const r of bootstrapClusterRoles()) await ensure(registry, 'rbac.authorization.k8s.io', 'clusterroles', r);
  for (const b of bootstrapClusterRoleBindings()) await ensure(registry, 'rbac.authorization.k8s.io', 'clusterrolebindings', b);
  for (const c of systemPriorityClasses) {
    await ensure(registry, 'scheduling.k8s.io', 'priorityclasses', {
      apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: c.name }, value: c.value, description: c.description,
    });
  }
}

/** policy: false leaves out bootstrapPolicy (the periodic reconcile of the namespaces and the kubernetes Service) */
export async function bootstrap(registry: Registry, opts: { serviceIP: string; advertiseAddress: string; port: number; policy?: boolean }): Promise<void> {
  for (const name of defaultNamespaces) {
    await ensure(registry, '', 'namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name } } });
  }
  if (opts.policy !== false) await bootstrapPolicy(registry);
  // as upstream's kubernetesservice controller (getMasterServiceUpdateIfNeeded): an existing Service
  // gets this server's ports and type back, so with several servers on one datastore the last one to
  // start wins, consistently with the Endpoints below
  const ports = [{ name: 'https', port: 443, protocol: 'TCP', targetPort: opts.port }];
  await registry.find('', 'services')!.guaranteedUpdate('default', 'kubernetes', (cur) => {
    if (!cur) {
      return {
        apiVersion: 'v1', kind: 'Service',
        metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
        spec: { type: 'ClusterIP', clusterIP: opts.serviceIP, ports, sessionAffinity: 'None' },
      };
    }
    const spec = cur.spec ?? (cur.spec = {});
    if ((spec.type ?? 'ClusterIP') === 'ClusterIP' && JSON.stringify(spec.ports) === JSON.stringify(ports)) return undefined;
    spec.type = 'ClusterIP';
    spec.ports = ports;
    return cur;
  }, { allowCreate: true, fieldManager: 'kube-apiserver' });
  const endpoints = registry.find('', 'endpoints')!;
  const subsets = [{ addresses: [{ ip: opts.advertiseAddress }], ports: [{ name: 'https', port: opts.port, protocol: 'TCP' }] }];
  await endpoints.guaranteedUpdate('default', 'kubernetes', (cur) => {
    if (cur && JSON.stringify(cur.subsets) === JSON.stringify(subsets)) return undefined;
    const o: KObject = cur ?? { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'kubernetes', namespace: 'default', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } } };
    o.subsets = subsets;
    return o;
  }, { allowCreate: true, fieldManager: 'kube-apiserver' });
  // and its EndpointSlice, which the apiserver writes itself (the Endpoints carry skip-mirror)
  const family = opts.advertiseAddress.includes(':') ? 'IPv6' : 'IPv4';
  const slice = {
    addressType: family,
    endpoints: [{ addresses: [opts.advertiseAddress], conditions: { ready: true } }],
    ports: [{ name: 'https', port: opts.port, protocol: 'TCP' }],
  };
  await registry.find('discovery.k8s.io', 'endpointslices')!.guaranteedUpdate('default', 'kubernetes', (cur) => {
    if (cur && JSON.stringify({ addressType: cur.addressType, endpoints: cur.endpoints, ports: cur.ports }) === JSON.stringify(slice)) return undefined;
    return {
      ...(cur ?? {}), apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
      metadata: { ...(cur?.metadata ?? {}), name: 'kubernetes', namespace: 'default', labels: { 'kubernetes.io/service-name': 'kubernetes' } },
      ...slice,
    };
  }, { allowCreate: true, fieldManager: 'kube-apiserver' });
}
