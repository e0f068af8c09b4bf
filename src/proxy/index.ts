// Starts the service proxy of this node: one nftables table per cluster (named from the data dir,
// as the CNI bridge is), created on start and deleted on stop.
import * as os from 'node:os';
import { dataDirHash } from '../util/datadir.js';
import { RestClient } from '../client/index.js';
import { which } from '../util/prereq.js';
import { deleteTable } from '../util/nft.js';
import { Proxier } from './proxy.js';
import type { HostPort } from './lbstatus.js';

export { Proxier } from './proxy.js';

/** the table and bridge names of a data dir: `k8ts-<hash>` and `k8ts<hash>` (src/kubelet/cni.ts uses the same hash) */
export function proxyNames(dataDir: string): { table: string; bridge: string } {
  const h = dataDirHash(dataDir);
  return { table: `k8ts-${h}`, bridge: `k8ts${h}` };
}

/** removes the data dir's nftables table (for forced cleanups) */
export function cleanupProxy(dataDir: string): void { deleteTable(proxyNames(dataDir).table); }

/** why the proxy cannot run here, or undefined */
export function proxyUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not running as root';
  if (!which('nft')) return 'nft not found (apt-get install nftables)';
  return undefined;
}

export interface RunProxyOptions {
  /** remove the nftables table on stop (when the kubelet removes its pods too) */
  deleteRulesOnStop?: boolean;
  kubeconfigPath: string;
  dataDir: string;
  log: (msg: string) => void;
  /** default 10.43.0.0/16 */
  serviceCIDR?: string;
  /** default 10.42.0.0/16 */
  clusterCIDR?: string;
  /** this node's pod range (the Node's spec.podCIDR wins); default K8TS_POD_CIDR or 10.42.0.0/24, as the kubelet */
  podCIDR?: string;
  /** default K8TS_NODE_NAME or os.hostname() */
  nodeName?: string;
  /** ports the node serves itself (the ingress's): LoadBalancer Services asking for them stay pending */
  reservedPorts?: HostPort[];
}

export async function runProxy(opts: RunProxyOptions): Promise<() => Promise<void>> {
  const { table, bridge } = proxyNames(opts.dataDir);
  const client = RestClient.fromKubeconfig(opts.kubeconfigPath, { userAgent: 'k8ts-proxy/v0.1.0' });
  const proxier = new Proxier({
    client, table, bridge, log: opts.log,
    nodeName: opts.nodeName ?? process.env.K8TS_NODE_NAME ?? os.hostname().toLowerCase(),
    serviceCIDR: opts.serviceCIDR ?? '10.43.0.0/16', clusterCIDR: opts.clusterCIDR ?? '10.42.0.0/16',
    nodeIP: process.env.K8TS_NODE_IP || undefined, podCIDR: opts.podCIDR ?? process.env.K8TS_POD_CIDR ?? '10.42.0.0/24',
    reservedPorts: opts.reservedPorts,
  });
  const ac = new AbortController();
  const done = proxier.run(ac.signal).catch((e) => opts.log(`proxy: ${e instanceof Error ? e.stack : e}`));
  opts.log(`proxy: programming nftables table inet ${table}`);
  return async () => {
    ac.abort();
    await done;
    client.close();
    // kept by default, as kube-proxy leaves its rules: pods keep running while k8ts is stopped, and
    // their service traffic must stay on this machine (`k8ts killall` removes the table)
    if (opts.deleteRulesOnStop) deleteTable(table);
  };
}
