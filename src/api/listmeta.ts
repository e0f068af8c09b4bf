// The merge facts upstream publishes for built-in types (x-kubernetes-patch-strategy, -patch-merge-key,
// -list-type, -list-map-keys, -map-type), taken from the +patchStrategy/+listType markers in k8s.io/api.
// Keyed by the @kubernetes/client-node model class name and the JSON field name.

export interface MergeFacts {
  patchStrategy?: string;
  patchMergeKey?: string;
  listType?: 'atomic' | 'set' | 'map';
  listMapKeys?: string[];
  mapType?: 'atomic' | 'granular';
}

const atomic: MergeFacts = { listType: 'atomic' };
const set: MergeFacts = { listType: 'set' };
/** patchStrategy merge + associative list keyed by `key` (the usual +patchMergeKey/+listMapKey pair) */
function mergeBy(key: string, mapKeys: string[] = [key], strategy = 'merge'): MergeFacts {
  return { patchStrategy: strategy, patchMergeKey: key, listType: 'map', listMapKeys: mapKeys };
}
const byType = mergeBy('type');
const atomicMap: MergeFacts = { mapType: 'atomic' };

function containerFacts(): Record<string, MergeFacts> {
  return {
    args: atomic, command: atomic, envFrom: atomic, resizePolicy: atomic, restartPolicyRules: atomic,
    env: mergeBy('name'),
    ports: mergeBy('containerPort', ['containerPort', 'protocol']),
    volumeMounts: mergeBy('mountPath'),
    volumeDevices: mergeBy('devicePath'),
  };
}

/** model class -> field -> facts */
export const fieldFacts: Record<string, Record<string, MergeFacts>> = {
  // meta/v1
  V1ObjectMeta: { finalizers: { patchStrategy: 'merge', listType: 'set' }, ownerReferences: mergeBy('uid'), managedFields: atomic },
  V1LabelSelector: { matchExpressions: atomic },
  V1LabelSelectorRequirement: { values: atomic },
  V1Status: {},
  V1StatusDetails: { causes: atomic },
  // core/v1 Pod
  V1PodSpec: {
    containers: mergeBy('name'),
    initContainers: mergeBy('name'),
    ephemeralContainers: mergeBy('name'),
    volumes: mergeBy('name', ['name'], 'merge,retainKeys'),
    imagePullSecrets: mergeBy('name'),
    hostAliases: mergeBy('ip'),
    tolerations: atomic,
    readinessGates: atomic,
    topologySpreadConstraints: mergeBy('topologyKey', ['topologyKey', 'whenUnsatisfiable']),
    schedulingGates: mergeBy('name'),
    resourceClaims: mergeBy('name', ['name'], 'merge,retainKeys'),
    nodeSelector: atomicMap,
  },
  V1Container: containerFacts(),
  V1EphemeralContainer: containerFacts(),
  V1ContainerRestartRuleOnExitCodes: { values: set },
  V1ResourceRequirements: { claims: { listType: 'map', listMapKeys: ['name'] } },
  V1ExecAction: { command: atomic },
  V1HTTPGetAction: { httpHeaders: atomic },
  V1Capabilities: { add: atomic, drop: atomic },
  V1PodDNSConfig: { nameservers: atomic, searches: atomic, options: atomic },
  V1HostAlias: { hostnames: atomic },
  V1PodSecurityContext: { supplementalGroups: atomic, sysctls: atomic },
  V1TopologySpreadConstraint: { matchLabelKeys: atomic },
  V1NodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: atomic },
  V1NodeSelector: { nodeSelectorTerms: atomic },
  V1NodeSelectorTerm: { matchExpressions: atomic, matchFields: atomic },
  V1NodeSelectorRequirement: { values: atomic },
  V1PodAffinity: { requiredDuringSchedulingIgnoredDuringExecution: atomic, preferredDuringSchedulingIgnoredDuringExecution: atomic },
  V1PodAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: atomic, preferredDuringSchedulingIgnoredDuringExecution: atomic },
  V1PodAffinityTerm: { namespaces: atomic, matchLabelKeys: atomic, mismatchLabelKeys: atomic },
  V1CephFSVolumeSource: { monitors: atomic },
  V1CephFSPersistentVolumeSource: { monitors: atomic },
  V1RBDVolumeSource: { monitors: atomic },
  V1RBDPersistentVolumeSource: { monitors: atomic },
  V1ISCSIVolumeSource: { portals: atomic },
  V1ISCSIPersistentVolumeSource: { portals: atomic },
  V1FCVolumeSource: { targetWWNs: atomic, wwids: atomic },
  V1ConfigMapVolumeSource: { items: atomic },
  V1SecretVolumeSource: { items: atomic },
  V1DownwardAPIVolumeSource: { items: atomic },
  V1ProjectedVolumeSource: { sources: atomic },
  V1ConfigMapProjection: { items: atomic },
  V1SecretProjection: { items: atomic },
  V1DownwardAPIProjection: { items: atomic },
  V1PodStatus: {
    conditions: byType,
    podIPs: mergeBy('ip'),
    hostIPs: { patchStrategy: 'merge', patchMergeKey: 'ip', listType: 'atomic' },
    initContainerStatuses: atomic,
    containerStatuses: atomic,
    ephemeralContainerStatuses: atomic,
    resourceClaimStatuses: mergeBy('name', ['name'], 'merge,retainKeys'),
  },
  V1ContainerStatus: { allocatedResourcesStatus: mergeBy('name'), volumeMounts: mergeBy('mountPath') },
  V1ResourceStatus: { resources: { listType: 'map', listMapKeys: ['resourceID'] } },
  V1LinuxContainerUser: { supplementalGroups: atomic },
  V1PodExtendedResourceClaimStatus: { requestMappings: atomic },
  // core/v1 others
  V1NamespaceSpec: { finalizers: atomic },
  V1NamespaceStatus: { conditions: byType },
  V1ServiceSpec: {
    ports: mergeBy('port', ['port', 'protocol']),
    clusterIPs: atomic, externalIPs: atomic, ipFamilies: atomic, loadBalancerSourceRanges: atomic,
    selector: atomicMap,
  },
  V1ServiceStatus: { conditions: byType },
  V1LoadBalancerStatus: { ingress: atomic },
  V1LoadBalancerIngress: { ports: atomic },
  V1Endpoints: { subsets: atomic },
  V1EndpointSubset: { addresses: atomic, notReadyAddresses: atomic, ports: atomic },
  V1ServiceAccount: { secrets: mergeBy('name'), imagePullSecrets: atomic },
  V1NodeSpec: { podCIDRs: { patchStrategy: 'merge', listType: 'set' }, taints: atomic },
  V1NodeStatus: {
    conditions: byType, addresses: byType,
    images: atomic, volumesInUse: atomic, volumesAttached: atomic, runtimeHandlers: atomic,
  },
  V1ContainerImage: { names: atomic },
  V1PersistentVolumeSpec: { accessModes: atomic, mountOptions: atomic },
  V1PersistentVolumeClaimSpec: { accessModes: atomic },
  V1PersistentVolumeClaimStatus: { accessModes: atomic, conditions: byType, allocatedResourceStatuses: { mapType: 'granular' } },
  V1ReplicationControllerSpec: { selector: atomicMap },
  V1ReplicationControllerStatus: { conditions: byType },
  V1LimitRangeSpec: { limits: atomic },
  V1ResourceQuotaSpec: { scopes: atomic },
  V1ScopeSelector: { matchExpressions: atomic },
  V1ScopedResourceSelectorRequirement: { values: atomic },
  // apps/v1
  V1DeploymentSpec: { strategy: { patchStrategy: 'retainKeys' } },
  V1DeploymentStatus: { conditions: byType },
  V1ReplicaSetStatus: { conditions: byType },
  V1DaemonSetStatus: { conditions: byType },
  V1StatefulSetSpec: { volumeClaimTemplates: atomic },
  V1StatefulSetStatus: { conditions: byType },
  // batch/v1
  V1JobStatus: { conditions: { patchStrategy: 'merge', patchMergeKey: 'type', listType: 'atomic' } },
  V1UncountedTerminatedPods: { succeeded: set, failed: set },
  V1PodFailurePolicy: { rules: atomic },
  V1PodFailurePolicyRule: { onPodConditions: atomic },
  V1PodFailurePolicyOnExitCodesRequirement: { values: set },
  V1SuccessPolicy: { rules: atomic },
  V1CronJobStatus: { active: atomic },
  // policy/v1, autoscaling/v2
  V1PodDisruptionBudgetStatus: { conditions: byType },
  V2HorizontalPodAutoscalerSpec: { metrics: atomic },
  V2HorizontalPodAutoscalerStatus: { currentMetrics: atomic, conditions: byType },
  V2HPAScalingRules: { policies: atomic },
  // networking.k8s.io/v1
  V1IngressSpec: { rules: atomic, tls: atomic },
  V1IngressTLS: { hosts: atomic },
  V1HTTPIngressRuleValue: { paths: atomic },
  V1IngressLoadBalancerStatus: { ingress: atomic },
  V1IngressLoadBalancerIngress: { ports: atomic },
  V1NetworkPolicySpec: { ingress: atomic, egress: atomic, policyTypes: atomic },
  V1NetworkPolicyIngressRule: { ports: atomic, from: atomic },
  V1NetworkPolicyEgressRule: { ports: atomic, to: atomic },
  V1IPBlock: { except: atomic },
  // discovery.k8s.io/v1
  V1EndpointSlice: { endpoints: atomic, ports: atomic },
  V1Endpoint: { addresses: set },
  V1EndpointHints: { forZones: atomic, forNodes: atomic },
  // rbac.authorization.k8s.io/v1
  V1Role: { rules: atomic },
  V1ClusterRole: { rules: atomic },
  V1RoleBinding: { subjects: atomic },
  V1ClusterRoleBinding: { subjects: atomic },
  V1PolicyRule: { verbs: atomic, apiGroups: atomic, resources: atomic, resourceNames: atomic, nonResourceURLs: atomic },
  V1AggregationRule: { clusterRoleSelectors: atomic },
  // storage.k8s.io/v1
  V1StorageClass: { mountOptions: atomic, allowedTopologies: atomic },
  V1TopologySelectorTerm: { matchLabelExpressions: atomic },
  V1TopologySelectorLabelRequirement: { values: atomic },
  // apiextensions.k8s.io/v1
  V1CustomResourceDefinitionSpec: { versions: atomic },
  V1CustomResourceDefinitionNames: { shortNames: atomic, categories: atomic },
  V1CustomResourceDefinitionVersion: { additionalPrinterColumns: atomic, selectableFields: atomic },
  V1CustomResourceDefinitionStatus: { conditions: { listType: 'map', listMapKeys: ['type'] }, storedVersions: atomic },
  V1WebhookConversion: { conversionReviewVersions: atomic },
  V1JSONSchemaProps: {
    allOf: atomic, anyOf: atomic, oneOf: atomic, enum: atomic, required: atomic,
    'x-kubernetes-list-map-keys': atomic,
    'x-kubernetes-validations': { patchStrategy: 'merge', patchMergeKey: 'rule', listType: 'map', listMapKeys: ['rule'] },
  },
};

/** structs published with x-kubernetes-map-type: atomic (+structType=atomic): replaced whole by SSA */
export const atomicStructs = new Set<string>([
  'V1LabelSelector', 'V1LocalObjectReference', 'V1ObjectReference', 'V1SecretKeySelector', 'V1ConfigMapKeySelector',
  'V1ObjectFieldSelector', 'V1ResourceFieldSelector', 'V1NodeSelector', 'V1NodeSelectorTerm', 'V1TopologySelectorTerm',
  'V1TypedLocalObjectReference', 'V1SecretReference', 'V1RoleRef',
]);

/** facts for one field of a model, plus the struct-level map type of atomic structs */
export function factsFor(model: string, field: string): MergeFacts | undefined {
  return fieldFacts[model]?.[field];
}
