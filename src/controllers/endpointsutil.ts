// Shared by the Endpoints and EndpointSlice controllers (upstream pkg/controller/util/endpoint and
// podutil): which pods belong in endpoints, port resolution, hostnames, change-trigger times.
import type { KObject } from '../api/types.js';
import { keyOf, selectorMatches, type SharedInformer, type WorkQueue } from '../client/index.js';

export const lastChangeTriggerTimeAnnotation = 'endpoints.kubernetes.io/last-change-trigger-time';
export const headlessLabel = 'service.kubernetes.io/headless';
export const servicesResource = { group: '', version: 'v1', plural: 'services', namespaced: true, kind: 'Service' };
export const nodesResource = { group: '', version: 'v1', plural: 'nodes', namespaced: false, kind: 'Node' };

export { isPodReady } from '../api/pods.js';
export const isHeadless = (svc: KObject) => svc.spec?.clusterIP === 'None';

/** the pod's IPv4 address, if any */
export function podIPv4(pod: KObject): string | undefined {
  const ips: string[] = [pod.status?.podIP, ...(pod.status?.podIPs ?? []).map((p: any) => p.ip)].filter(Boolean);
  return ips.find((ip) => /^\d+\.\d+\.\d+\.\d+$/.test(ip));
}

/** upstream ShouldPodBeInEndpoints: not terminal, has an IP, terminating only when tolerated */
export function shouldPodBeInEndpoints(pod: KObject, includeTerminating: boolean): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  if (!pod.status?.podIP && !(pod.status?.podIPs ?? []).length) return false;
  if (!includeTerminating && pod.metadata.deletionTimestamp) return false;
  return true;
}

/** the container port a service port targets on this pod (podutil.FindPort); undefined if none */
export function findPort(pod: KObject, svcPort: any): number | undefined {
  const tp = svcPort.targetPort ?? svcPort.port;
  if (typeof tp === 'number') return tp;
  if (/^\d+$/.test(String(tp))) return Number(tp);
  const proto = svcPort.protocol ?? 'TCP';
  for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? []).filter((ic: any) => ic.restartPolicy === 'Always')]) {
    for (const p of c.ports ?? []) if (p.name === tp && (p.protocol ?? 'TCP') === proto) return p.containerPort;
  }
  return undefined;
}

/** hostname goes into endpoints when the pod's subdomain names this service */
export function hostnameFor(pod: KObject, svc: KObject): string | undefined {
  const h = pod.spec?.hostname;
  return h && pod.spec?.subdomain === svc.metadata.name && pod.metadata.namespace === svc.metadata.namespace ? h : undefined;
}

/** Go's time.RFC3339Nano of a UTC instant (trailing zeros of the fraction dropped) */
export function rfc3339Nano(t: number): string {
  return new Date(t).toISOString().replace(/\.?0+Z$/, 'Z').replace(/\.Z$/, 'Z');
}

/**
 * Informer wiring shared by both controllers: service changes enqueue the service, pod changes
 * enqueue every service in the namespace selecting the pod (before or after the change).
 * Returns the trigger-time tracker: the earliest change not yet written per service key.
 */
export function wireServicePodHandlers(services: SharedInformer, pods: SharedInformer, queue: WorkQueue<string>, now: () => number): Map<string, number> {
  const triggers = new Map<string, number>();
  const mark = (key: string, t: number) => { const cur = triggers.get(key); if (cur === undefined || t < cur) triggers.set(key, t); queue.add(key); };
  services.addEventHandler({
    add: (s) => mark(keyOf(s), now()),
    update: (o, s) => { if (o.metadata.resourceVersion !== s.metadata.resourceVersion) mark(keyOf(s), now()); else queue.add(keyOf(s)); },
    delete: (s) => { triggers.delete(keyOf(s)); queue.add(keyOf(s)); },
  });
  const podServices = (p: KObject) => services.lister.list(p.metadata.namespace, (s) => !!s.spec?.selector && selectorMatches({ matchLabels: s.spec.selector }, p.metadata.labels));
  const onPod = (old: KObject | undefined, p: KObject) => {
    if (old && old.metadata.resourceVersion === p.metadata.resourceVersion) return;
    const keys = new Set([...podServices(p), ...(old ? podServices(old) : [])].map((s) => keyOf(s)));
    for (const k of keys) mark(k, now());
  };
  pods.addEventHandler({ add: (p) => onPod(undefined, p), update: (o, p) => onPod(o, p), delete: (p) => onPod(undefined, p) });
  return triggers;
}

/** JSON with object keys sorted: for comparing objects regardless of key order */
export function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1))) : x));
}
