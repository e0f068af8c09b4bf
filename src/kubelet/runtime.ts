// Pod operations on the CRI: the sandbox and container configs built from a Pod, finding a pod's
// sandboxes and containers by their labels, pulling images, and tearing a pod down.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KObject } from '../api/types.js';
import { type CriClient, isCriNotFound } from './cri/client.js';
import { unmountUnder } from './hostmount.js';

export const podUidLabel = 'io.kubernetes.pod.uid';
export const podNameLabel = 'io.kubernetes.pod.name';
export const podNamespaceLabel = 'io.kubernetes.pod.namespace';
export const containerNameLabel = 'io.kubernetes.container.name';

export interface RuntimeOptions {
  podsDir: string; clusterDNS: string; clusterDomain: string;
  /** the runtime's ImageStatus of an image (its uid / username), for runAsNonRoot */
  imageStatus?(image: string): Promise<{ uid?: { value: string | number }; username?: string } | undefined>;
}

export function podDir(podsDir: string, uid: string): string { return join(podsDir, uid); }

export function sandboxConfig(pod: KObject, attempt: number, o: RuntimeOptions): any {
  const { name, namespace, uid } = pod.metadata as { name: string; namespace: string; uid: string };
  const spec = pod.spec ?? {};
  const hostNetwork = !!spec.hostNetwork;
  const labels = { ...(pod.metadata.labels ?? {}), [podUidLabel]: uid, [podNameLabel]: name, [podNamespaceLabel]: namespace };
  let dnsConfig: any;
  const policy = spec.dnsPolicy ?? 'ClusterFirst';
  // as upstream's getPodDNSType: ClusterFirst on the host network falls back to the node's resolv.conf
  // (Default); ClusterFirstWithHostNet always uses the cluster DNS
  if ((policy === 'ClusterFirst' && !hostNetwork) || policy === 'ClusterFirstWithHostNet' || policy === 'None') {
    dnsConfig = policy === 'None' ? { servers: [], searches: [], options: [] } : {
      servers: [o.clusterDNS],
      searches: [`${namespace}.svc.${o.clusterDomain}`, `svc.${o.clusterDomain}`, o.clusterDomain],
      options: ['ndots:5'],
    };
    const extra = spec.dnsConfig ?? {};
    // as upstream's appendDNSConfig: nameservers and searches added without duplicates, options
    // merged by name (the pod's value wins: ndots:1 replaces ndots:5)
    for (const ns of extra.nameservers ?? []) if (!dnsConfig.servers.includes(ns)) dnsConfig.servers.push(ns);
    for (const sd of extra.searches ?? []) if (!dnsConfig.searches.includes(sd)) dnsConfig.searches.push(sd);
    const opts = new Map<string, string | undefined>(dnsConfig.options.map((o: string) => { const i = o.indexOf(':'); return i < 0 ? [o, undefined] : [o.slice(0, i), o.slice(i + 1)]; }));
    for (const op of extra.options ?? []) if (op?.name) opts.set(op.name, op.value ?? undefined);
    dnsConfig.options = [...opts].map(([n, v]) => (v !== undefined ? `${n}:${v}` : n));
  }
  const ports = (spec.containers ?? []).flatMap((c: any) => (c.ports ?? []).filter((p: any) => p.hostPort).map((p: any) => ({
    protocol: p.protocol ?? 'TCP', containerPort: p.containerPort, hostPort: p.hostPort, hostIp: p.hostIP ?? '',
  })));
  return {
    metadata: { name, namespace, uid, attempt },
    hostname: hostNetwork ? '' : (spec.hostname ?? name).slice(0, 63),
    logDirectory: podDir(o.podsDir, uid),
    dnsConfig, portMappings: ports, labels, annotations: pod.metadata.annotations ?? {},
    linux: {
      // the runtime lets a container be privileged only in a privileged sandbox (upstream's kubelet
      // marks the sandbox so when any container of the pod is)
      securityContext: {
        namespaceOptions: { network: hostNetwork ? 'NODE' : 'POD', pid: spec.hostPID ? 'NODE' : spec.shareProcessNamespace ? 'POD' : 'CONTAINER', ipc: spec.hostIPC ? 'NODE' : 'POD' },
        privileged: [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])].some((c: any) => c?.securityContext?.privileged === true),
        ...(spec.securityContext?.runAsUser !== undefined ? { runAsUser: { value: spec.securityContext.runAsUser } } : {}),
      },
      sysctls: Object.fromEntries((spec.securityContext?.sysctls ?? []).filter((x: any) => x?.name).map((x: any) => [x.name, String(x.value ?? '')])),
    },
  };
}

export async function podSandboxes(cri: CriClient, uid: string): Promise<any[]> {
  const r = await cri.call('ListPodSandbox', { filter: { labelSelector: { [podUidLabel]: uid } } });
  return (r.items as any[]).sort((a, b) => b.metadata.attempt - a.metadata.attempt);
}

export async function sandboxContainers(cri: CriClient, sandboxId: string): Promise<any[]> {
  return (await cri.call('ListContainers', { filter: { podSandboxId: sandboxId } })).containers;
}

/** pulls the image unless present (IfNotPresent) or policy says otherwise; returns an error reason or undefined */
export async function ensureImage(cri: CriClient, image: string, policy: string, sandbox: any): Promise<{ reason: string; message: string } | undefined> {
  const present = (await cri.image('ImageStatus', { image: { image } })).image;
  if (present && policy !== 'Always') return undefined;
  if (!present && policy === 'Never') return { reason: 'ErrImageNeverPull', message: `Container image "${image}" is not present with pull policy of Never` };
  try {
    await cri.image('PullImage', { image: { image }, sandboxConfig: sandbox });
    return undefined;
  } catch (e) {
    // deliberate difference from upstream: with no reachable registry, policy Always (the default
    // for :latest) falls back to the local copy instead of failing with ErrImagePull
    if (present) return undefined;
    return { reason: 'ErrImagePull', message: e instanceof Error ? e.message : String(e) };
  }
}

/**
 * the sandbox's verbose status, after noting its network namespace's path in dir (netns-<id>), for
 * cleanup when the runtime no longer knows the sandbox; undefined if the runtime could not say
 */
export async function recordNetns(cri: CriClient, sandboxId: string, dir: string): Promise<any> {
  try {
    const st = await cri.call('PodSandboxStatus', { podSandboxId: sandboxId, verbose: true });
    const spec = JSON.parse(st.info?.info ?? '{}').runtimeSpec;
    const ns = spec?.linux?.namespaces?.find((n: any) => n.type === 'network')?.path;
    if (ns) { mkdirSync(dir, { recursive: true }); writeFileSync(join(dir, `netns-${sandboxId.slice(0, 12)}`), ns); }
    return st.status;
  } catch { return undefined; /* best effort */ }
}

/** stops every container (graceSeconds each, in parallel), then stops and removes the pod's sandboxes */
export async function killPod(cri: CriClient, uid: string, graceSeconds: number, podsDir?: string): Promise<void> {
  for (const sb of await podSandboxes(cri, uid)) {
    const cs = await sandboxContainers(cri, sb.id);
    await Promise.all(cs.filter((c) => c.state === 'CONTAINER_RUNNING').map((c) =>
      cri.call('StopContainer', { containerId: c.id, timeout: graceSeconds }, { timeoutMs: (graceSeconds + 30) * 1000 }).catch((e) => { if (!isCriNotFound(e)) throw e; })));
    await cri.call('StopPodSandbox', { podSandboxId: sb.id }).catch((e) => { if (!isCriNotFound(e)) throw e; });
    await cri.call('RemovePodSandbox', { podSandboxId: sb.id }).catch((e) => { if (!isCriNotFound(e)) throw e; });
  }
  if (podsDir) await removePodDir(podsDir, uid);
}

/** removes a pod's directory, after unmounting its volumes' mounts (removing would only empty them, then fail) */
export async function removePodDir(podsDir: string, uid: string): Promise<void> {
  await unmountUnder(podDir(podsDir, uid));
  rmSync(podDir(podsDir, uid), { recursive: true, force: true });
}
