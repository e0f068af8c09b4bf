// A container's cgroup settings from its resources, as upstream's kuberuntime does on Linux:
// cpu.shares from the CPU request (2 when none), CFS quota from the CPU limit over a 100 ms
// period, the memory limit in bytes, and oom_score_adj from the pod's QoS class (Guaranteed -997,
// BestEffort 1000, Burstable scaled by the memory request against the node's memory).
import type { KObject } from '../api/types.js';
import { podQOSClass } from '../api/qos.js';
import { parseQuantity } from '../api/validation/quantity.js';

export const cpuPeriodUs = 100_000;
const minShares = 2;
const maxShares = 262_144;
const minQuotaUs = 1000;

const milli = (q: unknown) => { const v = parseQuantity(q); return v === undefined ? undefined : Math.ceil(v * 1000); };
const bytes = (q: unknown) => { const v = parseQuantity(q); return v === undefined ? undefined : Math.floor(v); };


/** CRI LinuxContainerResources for container c of pod, on a node with memCapacityBytes */
export function linuxResources(pod: KObject, c: any, memCapacityBytes: number): Record<string, number> {
  const req = c.resources?.requests ?? {};
  const lim = c.resources?.limits ?? {};
  const cpuReq = milli(req.cpu ?? lim.cpu);
  const cpuLim = milli(lim.cpu);
  const memLim = bytes(lim.memory);
  const memReq = bytes(req.memory ?? lim.memory);
  const out: Record<string, number> = {
    cpuShares: cpuReq === undefined ? minShares : Math.min(maxShares, Math.max(minShares, Math.floor((cpuReq * 1024) / 1000))),
  };
  if (cpuLim !== undefined && cpuLim > 0) {
    out.cpuPeriod = cpuPeriodUs;
    out.cpuQuota = Math.max(minQuotaUs, Math.floor((cpuLim * cpuPeriodUs) / 1000));
  }
  if (memLim !== undefined && memLim > 0) out.memoryLimitInBytes = memLim;
  // the API server sets status.qosClass when the pod is created
  const qos = pod.status?.qosClass ?? podQOSClass(pod.spec);
  if (qos === 'Guaranteed') out.oomScoreAdj = -997;
  else if (qos === 'BestEffort') out.oomScoreAdj = 1000;
  else {
    const adj = 1000 - Math.floor((1000 * (memReq ?? 0)) / Math.max(1, memCapacityBytes));
    out.oomScoreAdj = Math.min(999, Math.max(2, adj));
  }
  return out;
}
