// The subset of the CRI v1 API (k8s.io/cri-api pkg/apis/runtime/v1/api.proto) that the kubelet
// uses, as a protobufjs JSON descriptor: package runtime.v1, services RuntimeService and
// ImageService. Field names and numbers are the upstream protocol's; only what we call is listed.

type Field = [type: string, id: number, rule?: 'repeated' | `map<${string}>`];

function msg(fields: Record<string, Field>): { fields: Record<string, object> } {
  const out: Record<string, object> = {};
  for (const [snake, [type, id, rule]] of Object.entries(fields)) {
    const name = snake.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase()); // the JS name; the wire uses only ids
    if (rule === 'repeated') out[name] = { type, id, rule: 'repeated' };
    else if (rule?.startsWith('map<')) out[name] = { keyType: rule.slice(4, -1), type, id };
    else out[name] = { type, id };
  }
  return { fields: out };
}
const map: Field[2] = 'map<string>';
const empty = { fields: {} };
const rpc = (name: string) => ({ requestType: `${name}Request`, responseType: `${name}Response` });

const messages = {
  VersionRequest: msg({ version: ['string', 1] }),
  VersionResponse: msg({ version: ['string', 1], runtime_name: ['string', 2], runtime_version: ['string', 3], runtime_api_version: ['string', 4] }),
  DNSConfig: msg({ servers: ['string', 1, 'repeated'], searches: ['string', 2, 'repeated'], options: ['string', 3, 'repeated'] }),
  PortMapping: msg({ protocol: ['Protocol', 1], container_port: ['int32', 2], host_port: ['int32', 3], host_ip: ['string', 4] }),
  Mount: msg({ container_path: ['string', 1], host_path: ['string', 2], readonly: ['bool', 3], selinux_relabel: ['bool', 4], propagation: ['MountPropagation', 5] }),
  NamespaceOption: msg({ network: ['NamespaceMode', 1], pid: ['NamespaceMode', 2], ipc: ['NamespaceMode', 3], target_id: ['string', 4] }),
  Int64Value: msg({ value: ['int64', 1] }),
  LinuxSandboxSecurityContext: msg({
    namespace_options: ['NamespaceOption', 1], run_as_user: ['Int64Value', 3], run_as_group: ['Int64Value', 8],
    readonly_rootfs: ['bool', 4], supplemental_groups: ['int64', 5, 'repeated'], privileged: ['bool', 6],
  }),
  LinuxPodSandboxConfig: msg({ cgroup_parent: ['string', 1], security_context: ['LinuxSandboxSecurityContext', 2], sysctls: ['string', 3, map] }),
  PodSandboxMetadata: msg({ name: ['string', 1], uid: ['string', 2], namespace: ['string', 3], attempt: ['uint32', 4] }),
  PodSandboxConfig: msg({
    metadata: ['PodSandboxMetadata', 1], hostname: ['string', 2], log_directory: ['string', 3], dns_config: ['DNSConfig', 4],
    port_mappings: ['PortMapping', 5, 'repeated'], labels: ['string', 6, map], annotations: ['string', 7, map], linux: ['LinuxPodSandboxConfig', 8],
  }),
  RunPodSandboxRequest: msg({ config: ['PodSandboxConfig', 1], runtime_handler: ['string', 2] }),
  RunPodSandboxResponse: msg({ pod_sandbox_id: ['string', 1] }),
  StopPodSandboxRequest: msg({ pod_sandbox_id: ['string', 1] }),
  StopPodSandboxResponse: empty,
  RemovePodSandboxRequest: msg({ pod_sandbox_id: ['string', 1] }),
  RemovePodSandboxResponse: empty,
  PodSandboxStatusRequest: msg({ pod_sandbox_id: ['string', 1], verbose: ['bool', 2] }),
  PodIP: msg({ ip: ['string', 1] }),
  PodSandboxNetworkStatus: msg({ ip: ['string', 1], additional_ips: ['PodIP', 2, 'repeated'] }),
  PodSandboxStatus: msg({
    id: ['string', 1], metadata: ['PodSandboxMetadata', 2], state: ['PodSandboxState', 3], created_at: ['int64', 4],
    network: ['PodSandboxNetworkStatus', 5], labels: ['string', 7, map], annotations: ['string', 8, map], runtime_handler: ['string', 9],
  }),
  PodSandboxStatusResponse: msg({ status: ['PodSandboxStatus', 1], info: ['string', 2, map] }),
  PodSandboxStateValue: msg({ state: ['PodSandboxState', 1] }),
  PodSandboxFilter: msg({ id: ['string', 1], state: ['PodSandboxStateValue', 2], label_selector: ['string', 3, map] }),
  ListPodSandboxRequest: msg({ filter: ['PodSandboxFilter', 1] }),
  PodSandbox: msg({
    id: ['string', 1], metadata: ['PodSandboxMetadata', 2], state: ['PodSandboxState', 3], created_at: ['int64', 4],
    labels: ['string', 5, map], annotations: ['string', 6, map], runtime_handler: ['string', 7],
  }),
  ListPodSandboxResponse: msg({ items: ['PodSandbox', 1, 'repeated'] }),
  ImageSpec: msg({ image: ['string', 1], annotations: ['string', 2, map] }),
  KeyValue: msg({ key: ['string', 1], value: ['string', 2] }),
  LinuxContainerResources: msg({
    cpu_period: ['int64', 1], cpu_quota: ['int64', 2], cpu_shares: ['int64', 3], memory_limit_in_bytes: ['int64', 4],
    oom_score_adj: ['int64', 5], cpuset_cpus: ['string', 6], cpuset_mems: ['string', 7],
  }),
  Capability: msg({ add_capabilities: ['string', 1, 'repeated'], drop_capabilities: ['string', 2, 'repeated'] }),
  LinuxContainerSecurityContext: msg({
    capabilities: ['Capability', 1], privileged: ['bool', 2], namespace_options: ['NamespaceOption', 3], run_as_user: ['Int64Value', 5],
    run_as_group: ['Int64Value', 12], run_as_username: ['string', 6], readonly_rootfs: ['bool', 7], supplemental_groups: ['int64', 8, 'repeated'],
    no_new_privs: ['bool', 11],
  }),
  LinuxContainerConfig: msg({ resources: ['LinuxContainerResources', 1], security_context: ['LinuxContainerSecurityContext', 2] }),
  ContainerMetadata: msg({ name: ['string', 1], attempt: ['uint32', 2] }),
  ContainerConfig: msg({
    metadata: ['ContainerMetadata', 1], image: ['ImageSpec', 2], command: ['string', 3, 'repeated'], args: ['string', 4, 'repeated'],
    working_dir: ['string', 5], envs: ['KeyValue', 6, 'repeated'], mounts: ['Mount', 7, 'repeated'], labels: ['string', 9, map],
    annotations: ['string', 10, map], log_path: ['string', 11], stdin: ['bool', 12], stdin_once: ['bool', 13], tty: ['bool', 14],
    linux: ['LinuxContainerConfig', 15],
  }),
  CreateContainerRequest: msg({ pod_sandbox_id: ['string', 1], config: ['ContainerConfig', 2], sandbox_config: ['PodSandboxConfig', 3] }),
  CreateContainerResponse: msg({ container_id: ['string', 1] }),
  StartContainerRequest: msg({ container_id: ['string', 1] }),
  StartContainerResponse: empty,
  StopContainerRequest: msg({ container_id: ['string', 1], timeout: ['int64', 2] }),
  StopContainerResponse: empty,
  RemoveContainerRequest: msg({ container_id: ['string', 1] }),
  RemoveContainerResponse: empty,
  ContainerStateValue: msg({ state: ['ContainerState', 1] }),
  ContainerFilter: msg({ id: ['string', 1], state: ['ContainerStateValue', 2], pod_sandbox_id: ['string', 3], label_selector: ['string', 4, map] }),
  ListContainersRequest: msg({ filter: ['ContainerFilter', 1] }),
  Container: msg({
    id: ['string', 1], pod_sandbox_id: ['string', 2], metadata: ['ContainerMetadata', 3], image: ['ImageSpec', 4], image_ref: ['string', 5],
    state: ['ContainerState', 6], created_at: ['int64', 7], labels: ['string', 8, map], annotations: ['string', 9, map], image_id: ['string', 10],
  }),
  ListContainersResponse: msg({ containers: ['Container', 1, 'repeated'] }),
  ContainerStatusRequest: msg({ container_id: ['string', 1], verbose: ['bool', 2] }),
  ContainerStatus: msg({
    id: ['string', 1], metadata: ['ContainerMetadata', 2], state: ['ContainerState', 3], created_at: ['int64', 4], started_at: ['int64', 5],
    finished_at: ['int64', 6], exit_code: ['int32', 7], image: ['ImageSpec', 8], image_ref: ['string', 9], reason: ['string', 10],
    message: ['string', 11], labels: ['string', 12, map], annotations: ['string', 13, map], mounts: ['Mount', 14, 'repeated'],
    log_path: ['string', 15], image_id: ['string', 17],
  }),
  ContainerStatusResponse: msg({ status: ['ContainerStatus', 1], info: ['string', 2, map] }),
  ImageFilter: msg({ image: ['ImageSpec', 1] }),
  ListImagesRequest: msg({ filter: ['ImageFilter', 1] }),
  Image: msg({
    id: ['string', 1], repo_tags: ['string', 2, 'repeated'], repo_digests: ['string', 3, 'repeated'], size: ['uint64', 4],
    uid: ['Int64Value', 5], username: ['string', 6], spec: ['ImageSpec', 7], pinned: ['bool', 8],
  }),
  ListImagesResponse: msg({ images: ['Image', 1, 'repeated'] }),
  ImageStatusRequest: msg({ image: ['ImageSpec', 1], verbose: ['bool', 2] }),
  ImageStatusResponse: msg({ image: ['Image', 1], info: ['string', 2, map] }),
  AuthConfig: msg({
    username: ['string', 1], password: ['string', 2], auth: ['string', 3], server_address: ['string', 4],
    identity_token: ['string', 5], registry_token: ['string', 6],
  }),
  PullImageRequest: msg({ image: ['ImageSpec', 1], auth: ['AuthConfig', 2], sandbox_config: ['PodSandboxConfig', 3] }),
  PullImageResponse: msg({ image_ref: ['string', 1] }),
  // streaming and probes
  ExecSyncRequest: msg({ container_id: ['string', 1], cmd: ['string', 2, 'repeated'], timeout: ['int64', 3] }),
  ExecSyncResponse: msg({ stdout: ['bytes', 1], stderr: ['bytes', 2], exit_code: ['int32', 3] }),
  ExecRequest: msg({ container_id: ['string', 1], cmd: ['string', 2, 'repeated'], tty: ['bool', 3], stdin: ['bool', 4], stdout: ['bool', 5], stderr: ['bool', 6] }),
  ExecResponse: msg({ url: ['string', 1] }),
  AttachRequest: msg({ container_id: ['string', 1], stdin: ['bool', 2], tty: ['bool', 3], stdout: ['bool', 4], stderr: ['bool', 5] }),
  AttachResponse: msg({ url: ['string', 1] }),
  PortForwardRequest: msg({ pod_sandbox_id: ['string', 1], port: ['int32', 2, 'repeated'] }),
  PortForwardResponse: msg({ url: ['string', 1] }),
  // resource usage (the Summary API and metrics.k8s.io)
  UInt64Value: msg({ value: ['uint64', 1] }),
  ContainerStatsFilter: msg({ id: ['string', 1], pod_sandbox_id: ['string', 2], label_selector: ['string', 3, map] }),
  ListContainerStatsRequest: msg({ filter: ['ContainerStatsFilter', 1] }),
  ContainerAttributes: msg({ id: ['string', 1], metadata: ['ContainerMetadata', 2], labels: ['string', 3, map], annotations: ['string', 4, map] }),
  CpuUsage: msg({ timestamp: ['int64', 1], usage_core_nano_seconds: ['UInt64Value', 2], usage_nano_cores: ['UInt64Value', 3] }),
  MemoryUsage: msg({ timestamp: ['int64', 1], working_set_bytes: ['UInt64Value', 2], available_bytes: ['UInt64Value', 3], usage_bytes: ['UInt64Value', 4], rss_bytes: ['UInt64Value', 5] }),
  ContainerStats: msg({ attributes: ['ContainerAttributes', 1], cpu: ['CpuUsage', 2], memory: ['MemoryUsage', 3] }),
  ListContainerStatsResponse: msg({ stats: ['ContainerStats', 1, 'repeated'] }),
};

const enums = {
  Protocol: { values: { TCP: 0, UDP: 1, SCTP: 2 } },
  MountPropagation: { values: { PROPAGATION_PRIVATE: 0, PROPAGATION_HOST_TO_CONTAINER: 1, PROPAGATION_BIDIRECTIONAL: 2 } },
  NamespaceMode: { values: { POD: 0, CONTAINER: 1, NODE: 2, TARGET: 3 } },
  PodSandboxState: { values: { SANDBOX_READY: 0, SANDBOX_NOTREADY: 1 } },
  ContainerState: { values: { CONTAINER_CREATED: 0, CONTAINER_RUNNING: 1, CONTAINER_EXITED: 2, CONTAINER_UNKNOWN: 3 } },
};

const runtimeMethods = [
  'Version', 'RunPodSandbox', 'StopPodSandbox', 'RemovePodSandbox', 'PodSandboxStatus', 'ListPodSandbox',
  'CreateContainer', 'StartContainer', 'StopContainer', 'RemoveContainer', 'ListContainers', 'ContainerStatus',
  'ExecSync', 'Exec', 'Attach', 'PortForward', 'ListContainerStats',
] as const;
const imageMethods = ['ListImages', 'ImageStatus', 'PullImage'] as const;
export type RuntimeMethod = (typeof runtimeMethods)[number];
export type ImageMethod = (typeof imageMethods)[number];

/** protobufjs JSON (INamespace) for package runtime.v1 */
export const criDescriptor = {
  nested: {
    runtime: {
      nested: {
        v1: {
          nested: {
            ...messages, ...enums,
            RuntimeService: { methods: Object.fromEntries(runtimeMethods.map((m) => [m, rpc(m)])) },
            ImageService: { methods: Object.fromEntries(imageMethods.map((m) => [m, rpc(m)])) },
          },
        },
      },
    },
  },
};
