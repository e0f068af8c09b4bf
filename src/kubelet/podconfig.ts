// What a container is given from its Pod: the CRI ContainerConfig (command, env, mounts, security
// context) and the per-pod files behind its volumes. One instance per kubelet; `prepare` runs on
// every pod sync (idempotent: it refreshes configMap/secret volumes), `release` when the pod is gone.
import type { KObject } from '../api/types.js';
import type { RestClient } from '../client/index.js';
import { containerNameLabel, podNameLabel, podNamespaceLabel, podUidLabel, type RuntimeOptions } from './runtime.js';

export class PodConfig {
  constructor(private readonly client: RestClient, private readonly rt: RuntimeOptions) {}

  /** starts whatever caches it needs; returns when they are synced or the signal aborts */
  async start(_signal: AbortSignal): Promise<void> {}

  /** creates/refreshes the pod's volumes on this node (after its sandbox is up, before containers start) */
  async prepare(_pod: KObject): Promise<void> {}

  /** the CRI ContainerConfig for one container attempt */
  async containerConfig(pod: KObject, c: any, attempt: number, podIP: string): Promise<any> {
    return containerConfig(pod, c, attempt, podIP);
  }

  /** frees what prepare made for a pod (unmounts, files); the pod's dir itself is removed by killPod */
  async release(_uid: string): Promise<void> {}
}

/** env from value and the simple downward-API fieldRefs */
function envs(pod: KObject, c: any, podIP: string): { key: string; value: string }[] {
  const field: Record<string, string | undefined> = {
    'metadata.name': pod.metadata.name, 'metadata.namespace': pod.metadata.namespace, 'metadata.uid': pod.metadata.uid,
    'spec.nodeName': pod.spec?.nodeName, 'spec.serviceAccountName': pod.spec?.serviceAccountName,
    'status.podIP': podIP, 'status.hostIP': pod.status?.hostIP,
  };
  const out: { key: string; value: string }[] = [];
  for (const e of c.env ?? []) {
    if (e.value !== undefined) out.push({ key: e.name, value: String(e.value) });
    else if (e.valueFrom?.fieldRef) out.push({ key: e.name, value: field[e.valueFrom.fieldRef.fieldPath] ?? '' });
    else if (!e.valueFrom) out.push({ key: e.name, value: '' });
  }
  return out;
}

function containerConfig(pod: KObject, c: any, attempt: number, podIP: string): any {
  const sc = c.securityContext ?? {};
  return {
    metadata: { name: c.name, attempt },
    image: { image: c.image },
    command: c.command ?? [], args: c.args ?? [], workingDir: c.workingDir ?? '',
    envs: envs(pod, c, podIP),
    labels: { [podUidLabel]: pod.metadata.uid, [podNameLabel]: pod.metadata.name, [podNamespaceLabel]: pod.metadata.namespace, [containerNameLabel]: c.name },
    annotations: { 'io.kubernetes.container.terminationMessagePath': c.terminationMessagePath ?? '/dev/termination-log' },
    logPath: `${c.name}/${attempt}.log`,
    stdin: !!c.stdin, stdinOnce: !!c.stdinOnce, tty: !!c.tty,
    linux: {
      securityContext: {
        privileged: !!sc.privileged,
        ...(sc.runAsUser !== undefined ? { runAsUser: { value: sc.runAsUser } } : {}),
        ...(sc.runAsGroup !== undefined ? { runAsGroup: { value: sc.runAsGroup } } : {}),
        readonlyRootfs: !!sc.readOnlyRootFilesystem,
        namespaceOptions: { network: pod.spec?.hostNetwork ? 'NODE' : 'POD', pid: pod.spec?.hostPID ? 'NODE' : pod.spec?.shareProcessNamespace ? 'POD' : 'CONTAINER', ipc: pod.spec?.hostIPC ? 'NODE' : 'POD' },
      },
    },
  };
}

