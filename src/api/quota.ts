// ResourceQuota accounting (upstream pkg/quota/v1/evaluator/core): what one object uses of the
// resources a quota can limit, whether a quota's scopes cover a pod, and quantities written back
// the way upstream prints them. Shared by the API server's quota admission and the quota controller.
import type { KObject } from './types.js';
import { parseQuantity } from './validation/quantity.js';

const terminal = (p: KObject) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

/** a pod's requests or limits: the sum over its containers, or the largest init container if more */
function podResources(pod: KObject, kind: 'requests' | 'limits'): Record<string, number> {
  const sum: Record<string, number> = {};
  for (const c of pod.spec?.containers ?? []) {
    for (const [k, v] of Object.entries(c.resources?.[kind] ?? {})) sum[k] = (sum[k] ?? 0) + (parseQuantity(v) ?? 0);
  }
  for (const c of pod.spec?.initContainers ?? []) {
    for (const [k, v] of Object.entries(c.resources?.[kind] ?? {})) sum[k] = Math.max(sum[k] ?? 0, parseQuantity(v) ?? 0);
  }
  return sum;
}

/** upstream's quota scopes for pods (BestEffort: no requests or limits at all; Terminating: activeDeadlineSeconds) */
export function podInScopes(quota: KObject, pod: KObject): boolean {
  // as upstream's getScopeSelectorsFromQuota: spec.scopes (each as Exists) and the scopeSelector's expressions
  const selectors: { scopeName: string; operator: string; values?: string[] }[] = [
    ...(quota.spec?.scopes ?? []).map((scopeName: string) => ({ scopeName, operator: 'Exists' })),
    ...(quota.spec?.scopeSelector?.matchExpressions ?? []),
  ];
  const bestEffort = (pod.spec?.containers ?? []).every((c: any) => !Object.keys(c.resources?.requests ?? {}).length && !Object.keys(c.resources?.limits ?? {}).length);
  const terminating = pod.spec?.activeDeadlineSeconds != null;
  const crossNamespace = ['podAffinity', 'podAntiAffinity'].some((k) => {
    const a = pod.spec?.affinity?.[k] ?? {};
    return [...(a.requiredDuringSchedulingIgnoredDuringExecution ?? []), ...(a.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w: any) => w?.podAffinityTerm)]
      .some((t: any) => t?.namespaceSelector || (t?.namespaces ?? []).length);
  });
  const pc = pod.spec?.priorityClassName ?? '';
  return selectors.every((sel) => {
    const matched = (() => {
      switch (sel.scopeName) {
        case 'BestEffort': return bestEffort;
        case 'NotBestEffort': return !bestEffort;
        case 'Terminating': return terminating;
        case 'NotTerminating': return !terminating;
        case 'CrossNamespacePodAffinity': return crossNamespace;
        case 'PriorityClass':
          switch (sel.operator) {
            case 'Exists': return pc !== '';
            case 'DoesNotExist': return pc === '';
            case 'In': return (sel.values ?? []).includes(pc);
            case 'NotIn': return !(sel.values ?? []).includes(pc);
            default: return false;
          }
        default: return true;
      }
    })();
    // the boolean scopes only take Exists (validation); DoesNotExist of one would be its negation
    return sel.scopeName !== 'PriorityClass' && sel.operator === 'DoesNotExist' ? !matched : matched;
  });
}

/** what one object of group/plural uses (resource name -> amount), as upstream's evaluators count it */
export function usageOf(group: string, plural: string, obj: KObject): Record<string, number> {
  const count = group ? `count/${plural}.${group}` : `count/${plural}`;
  const u: Record<string, number> = { [count]: 1 };
  if (group !== '') return u;
  switch (plural) {
    case 'pods': {
      if (terminal(obj)) return {};
      Object.assign(u, { pods: 1 });
      const req = podResources(obj, 'requests');
      const lim = podResources(obj, 'limits');
      for (const r of ['cpu', 'memory', 'ephemeral-storage']) {
        if (req[r] !== undefined) { u[`requests.${r}`] = req[r]; if (r !== 'ephemeral-storage') u[r] = req[r]; }
        if (lim[r] !== undefined) u[`limits.${r}`] = lim[r];
      }
      return u;
    }
    case 'services': {
      const type = obj.spec?.type ?? 'ClusterIP';
      u.services = 1;
      if (type === 'LoadBalancer') u['services.loadbalancers'] = 1;
      if (type === 'NodePort' || type === 'LoadBalancer') u['services.nodeports'] = (obj.spec?.ports ?? []).length;
      return u;
    }
    case 'persistentvolumeclaims': {
      const storage = parseQuantity(obj.spec?.resources?.requests?.storage) ?? 0;
      u.persistentvolumeclaims = 1;
      u['requests.storage'] = storage;
      const cls = obj.spec?.storageClassName;
      if (cls) { u[`${cls}.storageclass.storage.k8s.io/requests.storage`] = storage; u[`${cls}.storageclass.storage.k8s.io/persistentvolumeclaims`] = 1; }
      return u;
    }
    case 'secrets': case 'configmaps': case 'replicationcontrollers': case 'resourcequotas':
      u[plural] = 1;
      return u;
    default: return u;
  }
}

/** the resources that count objects of group/plural, for a quota's hard list */
export function countsKind(resource: string, group: string, plural: string): boolean {
  if (resource === (group ? `count/${plural}.${group}` : `count/${plural}`)) return true;
  if (group !== '') return false;
  if (plural === 'pods') return resource === 'pods' || resource === 'cpu' || resource === 'memory' || /^(requests|limits)\./.test(resource);
  if (plural === 'services') return resource.startsWith('services');
  if (plural === 'persistentvolumeclaims') return resource === 'persistentvolumeclaims' || resource === 'requests.storage' || resource.includes('.storageclass.storage.k8s.io/');
  return resource === plural;
}

const binary: [string, number][] = [['Ei', 2 ** 60], ['Pi', 2 ** 50], ['Ti', 2 ** 40], ['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10]];
const decimal: [string, number][] = [['E', 1e18], ['P', 1e15], ['T', 1e12], ['G', 1e9], ['M', 1e6], ['k', 1e3]];

/** an amount as a quantity string: cpu in cores or millicores, bytes with the largest exact suffix */
export function formatQuantity(resource: string, n: number): string {
  if (/(^|\.)cpu$/.test(resource)) return Number.isInteger(n) ? String(n) : `${Math.round(n * 1000)}m`;
  if (!Number.isInteger(n)) return `${Math.round(n * 1000)}m`;
  if (n === 0) return '0';
  for (const [s, f] of binary) if (n % f === 0) return `${n / f}${s}`;
  if (/memory|storage/.test(resource)) for (const [s, f] of decimal) if (n % f === 0) return `${n / f}${s}`;
  return String(n);
}
