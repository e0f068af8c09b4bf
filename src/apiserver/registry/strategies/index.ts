// strategyFor: the strategy of each built-in resource, and a default one for everything else.
import type { ResourceInfo } from '../../../api/types.js';
import type { Strategy } from '../strategy.js';
import { horizontalPodAutoscalerStrategy, horizontalPodAutoscalerV1Strategy } from './autoscaling.js';
import { cronJobStrategy, jobStrategy } from './batch.js';
import { certificateSigningRequestStrategy } from './certificates.js';
import {
  configMapStrategy, endpointsStrategy, eventStrategy, eventsV1Strategy, limitRangeStrategy, namespaceStrategy, nodeStrategy,
  podTemplateStrategy, resourceQuotaStrategy, secretStrategy, serviceAccountStrategy,
} from './core.js';
import { crdStrategy } from './crd.js';
import { apiServiceStrategy } from './apiregistration.js';
import { customResourceStrategy, defaultStrategy, type DefaultOptions } from './default.js';
import type { JSONSchemaProps } from './crschema.js';
import { endpointSliceStrategy, ingressClassStrategy, ingressStrategy, leaseStrategy, networkPolicyStrategy } from './networking.js';
import { podStrategy } from './pod.js';
import { podDisruptionBudgetStrategy } from './policy.js';
import { clusterRoleBindingStrategy, clusterRoleStrategy, roleBindingStrategy, roleStrategy } from './rbac.js';
import { priorityClassStrategy } from './scheduling.js';
import { serviceStrategy } from './service.js';
import { persistentVolumeClaimStrategy, persistentVolumeStrategy, storageClassStrategy } from './storage.js';
import {
  controllerRevisionStrategy, daemonSetStrategy, deploymentStrategy, replicaSetStrategy, replicationControllerStrategy, statefulSetStrategy,
} from './workloads.js';

const table: Record<string, Strategy> = {
  '/namespaces': namespaceStrategy,
  '/pods': podStrategy,
  '/services': serviceStrategy,
  '/endpoints': endpointsStrategy,
  '/configmaps': configMapStrategy,
  '/secrets': secretStrategy,
  '/serviceaccounts': serviceAccountStrategy,
  '/nodes': nodeStrategy,
  '/events': eventStrategy,
  '/persistentvolumes': persistentVolumeStrategy,
  '/persistentvolumeclaims': persistentVolumeClaimStrategy,
  '/replicationcontrollers': replicationControllerStrategy,
  '/podtemplates': podTemplateStrategy,
  '/limitranges': limitRangeStrategy,
  '/resourcequotas': resourceQuotaStrategy,
  'apps/deployments': deploymentStrategy,
  'apps/replicasets': replicaSetStrategy,
  'apps/daemonsets': daemonSetStrategy,
  'apps/statefulsets': statefulSetStrategy,
  'apps/controllerrevisions': controllerRevisionStrategy,
  'autoscaling/horizontalpodautoscalers': horizontalPodAutoscalerStrategy,
  // a version served from another version's storage: group/version/plural
  'autoscaling/v1/horizontalpodautoscalers': horizontalPodAutoscalerV1Strategy,
  'batch/jobs': jobStrategy,
  'batch/cronjobs': cronJobStrategy,
  'certificates.k8s.io/certificatesigningrequests': certificateSigningRequestStrategy,
  'networking.k8s.io/ingresses': ingressStrategy,
  'networking.k8s.io/ingressclasses': ingressClassStrategy,
  'networking.k8s.io/networkpolicies': networkPolicyStrategy,
  'policy/poddisruptionbudgets': podDisruptionBudgetStrategy,
  'scheduling.k8s.io/priorityclasses': priorityClassStrategy,
  'discovery.k8s.io/endpointslices': endpointSliceStrategy,
  'coordination.k8s.io/leases': leaseStrategy,
  'events.k8s.io/events': eventsV1Strategy,
  'rbac.authorization.k8s.io/roles': roleStrategy,
  'rbac.authorization.k8s.io/rolebindings': roleBindingStrategy,
  'rbac.authorization.k8s.io/clusterroles': clusterRoleStrategy,
  'rbac.authorization.k8s.io/clusterrolebindings': clusterRoleBindingStrategy,
  'storage.k8s.io/storageclasses': storageClassStrategy,
  'apiextensions.k8s.io/customresourcedefinitions': crdStrategy,
  'apiregistration.k8s.io/apiservices': apiServiceStrategy,
};

/**
 * The strategy for group/plural. Anything not built in gets the default strategy; pass the
 * ResourceInfo (or opts) so it knows the scope and whether status is a subresource.
 */
export function strategyFor(group: string | ResourceInfo, plural?: string, opts?: DefaultOptions): Strategy {
  let o: DefaultOptions = { ...(opts ?? {}) };
  let schema: JSONSchemaProps | undefined;
  if (typeof group === 'object') {
    const r = group;
    const versioned = table[`${r.group}/${r.version}/${r.plural}`];
    if (versioned) return versioned;
    o = { namespaced: r.namespaced, statusSubresource: r.subresources?.includes('status') ?? false, ...o };
    plural = r.plural;
    group = r.group;
    // custom resources (crd.ts) carry their CRD's openAPIV3Schema
    schema = r.custom?.schema;
  }
  return table[`${group}/${plural}`] ?? (schema ? customResourceStrategy(o, schema) : defaultStrategy(o));
}

export { defaultStrategy, type DefaultOptions } from './default.js';
export { prepareStatusUpdate } from './base.js';
export { prepareNamespaceFinalize } from './core.js';
export { selectorMatches, mapSelectorMatches, validateLabelSelector } from './meta.js';
export { podQOSClass } from './pod.js';
export { defaultPullPolicy } from './podspec_defaults.js';
export { generateJobSelector } from './batch.js';
