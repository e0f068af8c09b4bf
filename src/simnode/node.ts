// The Node and Lease objects a simulated (kwok-style) node registers and renews.
import type { KObject } from '../api/types.js';
import { healthyNodeConditions } from '../api/node.js';
import { microTime, rfc3339 } from '../client/index.js';

export const heartbeatAnnotation = 'k8ts.io/simulated-heartbeat';
export const simulatedLabel = 'type';

export function simNodeName(i: number): string { return `k8ts-sim-${i}`; }

/** node i's pod range: 10.(42 + i/256).(i%256).0/24 */
export function podCIDR(i: number): string { return `10.${42 + (i >> 8)}.${i & 255}.0/24`; }
export function hostIP(i: number): string { const n = i + 1; return `172.${18 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`; }

export function readyConditions(now = rfc3339(), transition = now): any[] {
  return healthyNodeConditions(now, transition);
}

export function nodeObject(i: number): KObject {
  const name = simNodeName(i);
  const capacity = { cpu: '4', memory: '16Gi', pods: '110', 'ephemeral-storage': '100Gi' };
  return {
    apiVersion: 'v1', kind: 'Node',
    metadata: {
      name,
      labels: {
        'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': process.arch === 'x64' ? 'amd64' : process.arch,
        'beta.kubernetes.io/os': 'linux', 'beta.kubernetes.io/arch': process.arch === 'x64' ? 'amd64' : process.arch,
        'node.kubernetes.io/instance-type': 'simulated', [simulatedLabel]: 'kwok',
      },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'kwok.x-k8s.io/node': 'fake' },
    },
    spec: { podCIDR: podCIDR(i), podCIDRs: [podCIDR(i)] },
    status: {
      capacity, allocatable: { ...capacity },
      conditions: readyConditions(),
      addresses: [{ type: 'InternalIP', address: hostIP(i) }, { type: 'Hostname', address: name }],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        architecture: process.arch === 'x64' ? 'amd64' : process.arch, bootID: '', containerRuntimeVersion: 'k8ts-sim://0.1.0',
        kernelVersion: '', kubeProxyVersion: '', kubeletVersion: 'v1.32.0-k8ts', machineID: '', operatingSystem: 'linux',
        osImage: 'k8ts simulated node', systemUUID: '',
      },
      phase: 'Running',
    },
  };
}

export function leaseObject(node: KObject, durationSeconds = 40): KObject {
  const now = microTime();
  return {
    apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
    metadata: {
      name: node.metadata.name, namespace: 'kube-node-lease',
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: node.metadata.name!, uid: node.metadata.uid! }],
    },
    spec: { holderIdentity: node.metadata.name, leaseDurationSeconds: durationSeconds, renewTime: now },
  };
}
