// The network policy controller of this node (k3s's embedded one, on nftables): it watches
// NetworkPolicies, Pods and Namespaces and rewrites one nftables table per cluster (named from the
// data dir, `k8ts-<hash>-np`) in one transaction whenever they change.
import { RestClient, SharedInformerFactory, type ResourceRef } from '../client/index.js';
import { dataDirHash } from '../util/datadir.js';
import { deleteTable, nftApply } from '../util/nft.js';
import { netpolRuleset } from './rules.js';

const resources: Record<string, ResourceRef> = {
  pods: { group: '', version: 'v1', plural: 'pods', namespaced: true, kind: 'Pod' },
  namespaces: { group: '', version: 'v1', plural: 'namespaces', namespaced: false, kind: 'Namespace' },
  policies: { group: 'networking.k8s.io', version: 'v1', plural: 'networkpolicies', namespaced: true, kind: 'NetworkPolicy' },
};

export const netpolTable = (dataDir: string): string => `k8ts-${dataDirHash(dataDir)}-np`;

/** removes the data dir's network policy table (for forced cleanups) */
export function cleanupNetpol(dataDir: string): void { deleteTable(netpolTable(dataDir)); }

export interface RunNetpolOptions { kubeconfigPath: string; dataDir: string; log: (msg: string) => void; deleteRulesOnStop?: boolean }

export async function runNetworkPolicy(opts: RunNetpolOptions): Promise<() => Promise<void>> {
  const table = netpolTable(opts.dataDir);
  const client = RestClient.fromKubeconfig(opts.kubeconfigPath, { userAgent: 'k8ts-network-policy/v0.1.0' });
  const informers = new SharedInformerFactory(client);
  const inf = Object.fromEntries(Object.entries(resources).map(([k, r]) => [k, informers.informerFor(r)]));
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let running = Promise.resolve();
  let last = '';
  const sync = () => {
    running = running.then(async () => {
      const script = netpolRuleset({ table, pods: inf.pods.lister.list(), namespaces: inf.namespaces.lister.list(), policies: inf.policies.lister.list() });
      if (script === last) return;
      try { await nftApply(script); last = script; } catch (e) { opts.log(`network-policy: ${e instanceof Error ? e.message : e}`); schedule(5000); }
    });
  };
  const schedule = (ms = 100) => { if (ac.signal.aborted) return; clearTimeout(timer); timer = setTimeout(sync, ms); };
  for (const i of Object.values(inf)) i.addEventHandler({ add: () => schedule(), update: () => schedule(), delete: () => schedule() });
  informers.start(ac.signal);
  void Promise.all(Object.values(inf).map((i) => i.waitForSync(ac.signal))).then(() => schedule(0));
  opts.log(`network-policy: programming nftables table inet ${table}`);
  return async () => {
    ac.abort();
    clearTimeout(timer);
    await running;
    await informers.stop();
    client.close();
    if (opts.deleteRulesOnStop) cleanupNetpol(opts.dataDir);
  };
}
