// The Node object this kubelet registers, from the real machine: capacity (CPU, memory, pods,
// ephemeral storage), addresses, nodeInfo (kernel, OS image, containerd version), conditions.
import { readFileSync, statfsSync } from 'node:fs';
import * as os from 'node:os';
import type { KObject } from '../api/types.js';
import { healthyNodeConditions } from '../api/node.js';
import { rfc3339 } from '../client/index.js';

const arch = process.arch === 'x64' ? 'amd64' : process.arch;
const read = (f: string) => { try { return readFileSync(f, 'utf8').trim(); } catch { return ''; } };

/** the pods a node takes (upstream's default --max-pods) */
export const maxPods = 110;

export function memoryKi(): number {
  const m = /^MemTotal:\s+(\d+) kB/m.exec(read('/proc/meminfo'));
  return m ? Number(m[1]) : Math.floor(os.totalmem() / 1024);
}

export function osImage(): string {
  return /^PRETTY_NAME="?([^"\n]*)"?/m.exec(read('/etc/os-release'))?.[1] ?? 'Linux';
}

/** the first non-loopback IPv4 address, else 127.0.0.1 */
export function internalIP(): string {
  for (const addrs of Object.values(os.networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

export function capacity(dataDir: string): Record<string, string> {
  let storage = 0;
  try { const s = statfsSync(dataDir); storage = s.blocks * s.bsize; } catch { /* unknown */ }
  return { cpu: String(os.cpus().length), memory: `${memoryKi()}Ki`, pods: String(maxPods), 'ephemeral-storage': `${Math.floor(storage / 1024)}Ki` };
}

export function nodeConditions(now = rfc3339(), transition = now): any[] {
  return healthyNodeConditions(now, transition);
}

export interface NodeFacts {
  name: string; dataDir: string; podCIDR: string; runtimeVersion: string; hostIP: string;
  /** the port the kubelet's HTTPS API listens on (status.daemonEndpoints); default 10250 */
  kubeletPort?: number;
}

export function nodeStatus(f: NodeFacts): any {
  const cap = capacity(f.dataDir);
  return {
    capacity: cap, allocatable: { ...cap },
    conditions: nodeConditions(),
    addresses: [{ type: 'InternalIP', address: f.hostIP }, { type: 'Hostname', address: f.name }],
    daemonEndpoints: { kubeletEndpoint: { Port: f.kubeletPort ?? 10250 } },
    nodeInfo: {
      architecture: arch, bootID: read('/proc/sys/kernel/random/boot_id'), containerRuntimeVersion: `containerd://${f.runtimeVersion}`,
      kernelVersion: os.release(), kubeProxyVersion: '', kubeletVersion: 'v1.32.0-k8ts', machineID: read('/etc/machine-id'),
      operatingSystem: 'linux', osImage: osImage(), systemUUID: read('/sys/class/dmi/id/product_uuid'),
    },
  };
}

export function nodeObject(f: NodeFacts): KObject {
  return {
    apiVersion: 'v1', kind: 'Node',
    metadata: {
      name: f.name,
      labels: {
        'kubernetes.io/hostname': f.name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': arch,
        'beta.kubernetes.io/os': 'linux', 'beta.kubernetes.io/arch': arch, 'node-role.kubernetes.io/control-plane': 'true',
      },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0' },
    },
    spec: { podCIDR: f.podCIDR, podCIDRs: [f.podCIDR] },
    status: nodeStatus(f),
  };
}
