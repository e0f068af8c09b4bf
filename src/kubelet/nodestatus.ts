// The Node status this kubelet reports, from the real machine and its containerd: capacity and
// allocatable (upstream subtracts the hard eviction thresholds: memory.available 100Mi,
// nodefs.available 10%), the images list (the 50 largest, as upstream's nodeStatusMaxImages),
// and conditions with MemoryPressure and DiskPressure evaluated against those same thresholds.
// A condition's lastTransitionTime moves only when its status does.
import { readFileSync, statfsSync } from 'node:fs';
import { rfc3339 } from '../client/index.js';
import type { CriClient } from './cri/client.js';
import { capacity, nodeStatus, type NodeFacts } from './node.js';

export const evictionHard = { memoryAvailableKi: 100 * 1024, nodefsAvailableFraction: 0.1 };
const maxImages = 50;

export interface NodeSignals { memAvailableKi: number; nodefsAvailableFraction: number }

export function nodeSignals(dataDir: string): NodeSignals {
  let memAvailableKi = Infinity;
  try { memAvailableKi = Number(/^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? Infinity); } catch { /* unknown */ }
  let nodefsAvailableFraction = 1;
  try { const s = statfsSync(dataDir); nodefsAvailableFraction = s.blocks > 0 ? s.bavail / s.blocks : 1; } catch { /* unknown */ }
  return { memAvailableKi, nodefsAvailableFraction };
}

/** the conditions for these signals; transitions kept from `prev` where the status is unchanged */
export function nodeConditionsFor(sig: NodeSignals, prev: any[] = [], now = rfc3339()): any[] {
  const memory = sig.memAvailableKi < evictionHard.memoryAvailableKi;
  const disk = sig.nodefsAvailableFraction < evictionHard.nodefsAvailableFraction;
  const c = (type: string, status: string, reason: string, message: string) => {
    const old = prev.find((x) => x.type === type);
    return { type, status, lastHeartbeatTime: now, lastTransitionTime: old && old.status === status ? old.lastTransitionTime : now, reason, message };
  };
  return [
    memory ? c('MemoryPressure', 'True', 'KubeletHasInsufficientMemory', 'kubelet has insufficient memory available')
      : c('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
    disk ? c('DiskPressure', 'True', 'KubeletHasDiskPressure', 'kubelet has disk pressure')
      : c('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
    c('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
    c('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
  ];
}

/** CRI images -> node.status.images (names: tags then digests; largest first) */
export function nodeImages(images: any[]): any[] {
  return images
    .map((i) => ({ names: [...(i.repoTags ?? []), ...(i.repoDigests ?? [])], sizeBytes: Number(i.size ?? 0) }))
    .filter((i) => i.names.length > 0)
    .sort((a, b) => b.sizeBytes - a.sizeBytes)
    .slice(0, maxImages);
}

export function allocatable(cap: Record<string, string>): Record<string, string> {
  const memKi = Number(/^(\d+)Ki$/.exec(cap.memory)?.[1] ?? 0);
  const storageKi = Number(/^(\d+)Ki$/.exec(cap['ephemeral-storage'])?.[1] ?? 0);
  return {
    ...cap,
    memory: `${Math.max(0, memKi - evictionHard.memoryAvailableKi)}Ki`,
    'ephemeral-storage': `${Math.floor(storageKi * (1 - evictionHard.nodefsAvailableFraction))}Ki`,
  };
}

/** the full status to report now, given the conditions last reported */
export async function currentNodeStatus(f: NodeFacts, cri: CriClient, prevConditions?: any[]): Promise<any> {
  const base = nodeStatus(f);
  const cap = capacity(f.dataDir);
  let images: any[] = [];
  try { images = nodeImages((await cri.image('ListImages', {})).images ?? []); } catch { /* runtime busy: report none this time */ }
  return { ...base, capacity: cap, allocatable: allocatable(cap), conditions: nodeConditionsFor(nodeSignals(f.dataDir), prevConditions), images };
}
