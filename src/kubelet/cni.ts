// The CNI config for this cluster: a bridge named per cluster, host-local IPAM in this node's pod
// CIDR (state under the data dir), portmap. No masquerade: pod traffic stays on the machine.
// containerd's CRI adds the loopback interface itself.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataDirHash } from '../util/datadir.js';

export const defaultNodePodCIDR = '10.42.0.0/24';

export interface CniNetwork { name: string; bridge: string; podCIDR: string; ipamDir: string; confFile: string }

export function cniNetwork(dataDir: string, confDir: string, podCIDR = defaultNodePodCIDR): CniNetwork {
  const h = dataDirHash(dataDir);
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

/** removes the bridge, the IPAM state and libcni's cached results (after every sandbox is gone) */
export function removeCniNetwork(n: CniNetwork, resultsDir = cniResultsDir): void {
  try { execFileSync('ip', ['link', 'del', n.bridge], { stdio: 'ignore' }); } catch { /* not there */ }
  rmSync(join(n.ipamDir, n.name), { recursive: true, force: true });
  removeCniResults(n.name, resultsDir);
  removeIdlePortmapRules();
}

/** where libcni (in containerd) caches each attachment's ADD result: <network>-<container id>-<ifname> */
export const cniResultsDir = '/var/lib/cni/results';

/**
 * The cached results of this network's attachments and of the same sandboxes' loopback
 * (cni-loopback-<id>-lo): a CNI DEL removes them, but sandboxes killed without one (killall, a
 * forced cleanup) leave them behind.
 */
export function removeCniResults(network: string, dir = cniResultsDir): void {
  let files: string[];
  try { files = readdirSync(dir); } catch { return; }
  for (const f of files) {
    const id = f.startsWith(`${network}-`) ? /^([0-9a-f]{64})-[^-]+$/.exec(f.slice(network.length + 1))?.[1] : undefined;
    if (!id) continue;
    rmSync(join(dir, f), { force: true });
    rmSync(join(dir, `cni-loopback-${id}-lo`), { force: true });
  }
}

const portmapChain = (name: string) => name.startsWith('CNI-HOSTPORT-') || name.startsWith('CNI-DN-');
const baseNatChains = new Set(['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING']);

/**
 * The portmap plugin's host-port chains (iptables-nft: tables ip nat and ip6 nat) once no pod on
 * this host has a host port (CNI-HOSTPORT-DNAT is empty): the plugin leaves them behind, with the
 * jumps to them, when its last pod goes (k3s's killall removes them too). A nat table left with
 * nothing in it goes as well; iptables makes it again when it needs it.
 */
export function removeIdlePortmapRules(): void {
  for (const family of ['ip', 'ip6']) {
    const list = (): { chains: any[]; rules: any[] } | undefined => {
      try {
        const doc = JSON.parse(execFileSync('nft', ['-j', 'list', 'table', family, 'nat'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
        const items: any[] = doc.nftables ?? [];
        return { chains: items.filter((i) => i.chain).map((i) => i.chain), rules: items.filter((i) => i.rule).map((i) => i.rule) };
      } catch { return undefined; }
    };
    const t = list();
    if (!t) continue;
    if (t.rules.some((r) => r.chain === 'CNI-HOSTPORT-DNAT')) continue; // a pod with a host port
    const nft = (...args: string[]) => { try { execFileSync('nft', args, { stdio: 'ignore' }); } catch { /* gone meanwhile */ } };
    for (const r of t.rules) {
      const target = /"(?:jump|goto)":\{"target":"([^"]+)"/.exec(JSON.stringify(r.expr))?.[1];
      if (!portmapChain(r.chain) && target && portmapChain(target)) nft('delete', 'rule', family, 'nat', r.chain, 'handle', String(r.handle));
    }
    const ours = t.chains.filter((c) => portmapChain(c.name));
    for (const c of ours) nft('flush', 'chain', family, 'nat', c.name);
    for (const c of ours) nft('delete', 'chain', family, 'nat', c.name);
    const after = list();
    if (after && !after.rules.length && after.chains.every((c) => baseNatChains.has(c.name))) nft('delete', 'table', family, 'nat');
  }
}
