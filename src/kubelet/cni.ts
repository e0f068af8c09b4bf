// The CNI config for this cluster: a bridge named per cluster, host-local IPAM in this node's pod
// CIDR (state under the data dir), portmap. No masquerade: pod traffic stays on the machine.
// containerd's CRI adds the loopback interface itself.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const defaultNodePodCIDR = '10.42.0.0/24';

export interface CniNetwork { name: string; bridge: string; podCIDR: string; ipamDir: string; confFile: string }

export function cniNetwork(dataDir: string, confDir: string, podCIDR = defaultNodePodCIDR): CniNetwork {
  const h = createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 6);
  return {
    name: `k8ts-${h}`, bridge: `k8ts${h}`, podCIDR,
    ipamDir: join(dataDir, 'agent', 'cni', 'networks'),
    confFile: join(confDir, '10-k8ts.conflist'),
  };
}

export function cniConflist(n: CniNetwork): object {
  return {
    cniVersion: '1.0.0',
    name: n.name,
    plugins: [
      {
        type: 'bridge', bridge: n.bridge, isGateway: true, ipMasq: false, hairpinMode: true,
        ipam: { type: 'host-local', dataDir: n.ipamDir, ranges: [[{ subnet: n.podCIDR }]], routes: [{ dst: '0.0.0.0/0' }] },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  };
}

export function writeCniConfig(n: CniNetwork): void {
  mkdirSync(join(n.confFile, '..'), { recursive: true });
  mkdirSync(n.ipamDir, { recursive: true });
  writeFileSync(n.confFile, JSON.stringify(cniConflist(n), null, 2) + '\n');
}

/** removes the bridge and the IPAM state (after every sandbox is gone) */
export function removeCniNetwork(n: CniNetwork): void {
  try { execFileSync('ip', ['link', 'del', n.bridge], { stdio: 'ignore' }); } catch { /* not there */ }
  rmSync(join(n.ipamDir, n.name), { recursive: true, force: true });
}
