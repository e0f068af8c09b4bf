// A pod's QoS class from its containers' requests and limits (upstream's GetPodQOS), used by the
// API server when a pod is created and by the kubelet for its cgroup settings.
import { parseQuantity } from './validation/quantity.js';

const list = (v: unknown): any[] => (Array.isArray(v) ? v : []);

/** the QoS class of a pod spec */
export function podQOSClass(spec: any): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const requests: Record<string, number> = {}; const limits: Record<string, number> = {};
  let isGuaranteed = true;
  const containers = [...list(spec?.containers), ...list(spec?.initContainers)];
  for (const c of containers) {
    const r = c?.resources ?? {};
    for (const [k, v] of Object.entries(r.requests ?? {})) {
      if (k !== 'cpu' && k !== 'memory') continue;
      const n = parseQuantity(v) ?? 0;
      if (n !== 0) requests[k] = (requests[k] ?? 0) + n;
    }
    const seen = new Set<string>();
    for (const [k, v] of Object.entries(r.limits ?? {})) {
      if (k !== 'cpu' && k !== 'memory') continue;
      const n = parseQuantity(v) ?? 0;
      if (n !== 0) { seen.add(k); limits[k] = (limits[k] ?? 0) + n; }
    }
    if (!seen.has('cpu') || !seen.has('memory')) isGuaranteed = false;
  }
  if (Object.keys(requests).length === 0 && Object.keys(limits).length === 0) return 'BestEffort';
  if (isGuaranteed) {
    for (const [k, v] of Object.entries(requests)) if (limits[k] !== v) { isGuaranteed = false; break; }
  }
  return isGuaranteed && Object.keys(limits).length === Object.keys(requests).length ? 'Guaranteed' : 'Burstable';
}
