// Resource arithmetic for scheduling: pod requests (upstream's resource.PodRequests) and node allocatable.
import { parseQuantity } from '../api/validation/quantity.js';

/** resource name -> amount; cpu in millicores, everything else in base units */
export type Resources = Record<string, number>;

/** upstream's defaults for containers without requests, used by the scoring plugins only */
export const defaultMilliCPURequest = 100;
export const defaultMemoryRequest = 200 * 1024 * 1024;

function amount(name: string, v: unknown): number {
  const n = parseQuantity(v) ?? 0;
  return name === 'cpu' ? Math.ceil(n * 1000 - 1e-9) : n;
}

export function parseResources(list: Record<string, unknown> | undefined): Resources {
  const out: Resources = {};
  for (const [k, v] of Object.entries(list ?? {})) out[k] = amount(k, v);
  return out;
}

function addInto(into: Resources, r: Resources): void { for (const [k, v] of Object.entries(r)) into[k] = (into[k] ?? 0) + v; }
function maxInto(into: Resources, r: Resources): void { for (const [k, v] of Object.entries(r)) if (v > (into[k] ?? 0)) into[k] = v; }

/**
 * The effective request of a pod: max(sum of containers (plus restartable init containers),
 * each init container) plus overhead. With nonZero, cpu/memory missing from a container count
 * as upstream's defaults (100m, 200Mi), as the scoring plugins see them.
 */
export function podRequests(spec: any, nonZero = false): Resources {
  const sum: Resources = {};
  const withDefaults = (c: any): Resources => {
    const r = parseResources(c?.resources?.requests);
    if (nonZero) {
      if (!r.cpu) r.cpu = defaultMilliCPURequest;
      if (!r.memory) r.memory = defaultMemoryRequest;
    }
    return r;
  };
  for (const c of spec?.containers ?? []) addInto(sum, withDefaults(c));
  const sidecars: Resources = {};
  const initMax: Resources = {};
  for (const c of spec?.initContainers ?? []) {
    const r = withDefaults(c);
    if (c?.restartPolicy === 'Always') { addInto(sidecars, r); continue; }
    const withSidecars = { ...sidecars };
    addInto(withSidecars, r);
    maxInto(initMax, withSidecars);
  }
  addInto(sum, sidecars);
  maxInto(sum, initMax);
  addInto(sum, parseResources(spec?.overhead));
  return sum;
}

export function addResources(into: Resources, r: Resources, sign = 1): void {
  for (const [k, v] of Object.entries(r)) into[k] = (into[k] ?? 0) + sign * v;
}
