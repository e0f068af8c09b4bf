// Starts the in-process components (each a plain API client using the admin kubeconfig).
import { nthAddress } from '../apiserver/allocator.js';
export interface ComponentOptions {
  kubeconfigPath: string; dataDir: string; disable: string[]; log: (msg: string) => void; simulatedNodes?: number;
  containerRuntimeEndpoint?: string;
  /** for the service proxy (defaults 10.43.0.0/16, 10.42.0.0/16) */
  serviceCidr?: string; clusterCidr?: string;
  /** the API server's port: no LoadBalancer may take it on the node (nor the kubelet's) */
  apiPort?: number;
}

export async function startControllers(opts: ComponentOptions): Promise<() => Promise<void>> {
  const stops: (() => Promise<void> | void)[] = [];
  /** what the node serves on its own address (the ingress's ports): the proxy's ServiceLB leaves them alone */
  const nodePorts: { protocol: string; port: number }[] = [];
  for (const port of [opts.apiPort, Number(process.env.K8TS_KUBELET_PORT ?? 10250)]) if (port) nodePorts.push({ protocol: 'TCP', port });
  if (!opts.disable.includes('controllers')) {
    const { runControllers } = await import('../controllers/index.js');
    stops.push(await runControllers({ kubeconfigPath: opts.kubeconfigPath, dataDir: opts.dataDir, log: opts.log }));
  }
  const wantScheduler = !opts.disable.includes('scheduler');
  const simulated = opts.simulatedNodes ?? 0;
  if (wantScheduler || simulated > 0) {
    // the scheduler and the simulated kubelets share one client and one pod/node informer each
    const { RestClient, SharedInformerFactory } = await import('../client/index.js');
    const client = RestClient.fromKubeconfig(opts.kubeconfigPath, { userAgent: 'k8ts-components/v0.1.0', maxSockets: 64 });
    const informers = new SharedInformerFactory(client);
    const ac = new AbortController();
    if (wantScheduler) {
      const { runScheduler } = await import('../scheduler/index.js');
      stops.push(await runScheduler({ kubeconfigPath: opts.kubeconfigPath, log: opts.log, informers }));
    }
    if (simulated > 0) {
      const { startSimulatedNodes } = await import('../simnode/index.js');
      stops.push(startSimulatedNodes({ client, informers, count: simulated, log: opts.log }));
    }
    informers.start(ac.signal);
    stops.push(async () => { ac.abort(); await informers.stop(); client.close(); });
  }
  if (!opts.disable.includes('dns')) {
    // cluster DNS runs in this process (not as a pod) and publishes itself as kube-system/kube-dns
    const { startDns } = await import('../dns/index.js');
    try {
      const dns = await startDns({ kubeconfigPath: opts.kubeconfigPath, log: opts.log, allowCidrs: opts.clusterCidr ? [opts.clusterCidr] : undefined });
      stops.push(() => dns.stop());
    } catch (e) {
      opts.log(`dns: not started: ${(e as Error)?.message ?? e} (--disable dns silences this)`);
    }
  }
  if (!opts.disable.includes('ingress')) {
    // the Ingress controller and its L7 proxy (ports 80/443, or $K8TS_INGRESS_HTTP(S)_PORT) run in this process
    const { startIngress } = await import('../ingress/index.js');
    try {
      const ingress = await startIngress({ kubeconfigPath: opts.kubeconfigPath, log: opts.log });
      stops.push(() => ingress.stop());
      nodePorts.push({ protocol: 'TCP', port: ingress.httpPort }, { protocol: 'TCP', port: ingress.httpsPort });
    } catch (e) {
      opts.log(`ingress: not started: ${(e as Error)?.message ?? e} (--disable ingress silences this)`);
    }
  }
  if (!opts.disable.includes('kubelet') && !simulated) {
    // the real node agent: our own containerd + CNI, only as root with containerd installed
    // (not beside simulated nodes: those clusters are for scale tests of the control plane)
    const { kubeletUnavailable, runKubelet } = await import('../kubelet/index.js');
    const why = kubeletUnavailable();
    if (why) opts.log(`kubelet: not started: ${why} (--disable kubelet silences this)`);
    else {
      // a node agent that cannot start (containerd refusing, say) must not take the control plane down
      try {
        const stopKubelet = await runKubelet({
          kubeconfigPath: opts.kubeconfigPath, dataDir: opts.dataDir, log: opts.log, containerRuntimeEndpoint: opts.containerRuntimeEndpoint,
          // the 10th address of the service range, as k3s (and what the DNS publishes as kube-dns)
          clusterDNS: opts.serviceCidr ? nthAddress(opts.serviceCidr, 10) : undefined,
        });
        stops.push(async () => {
          // an orderly stop leaves the pods running for the next start (or removes them when asked
          // to); if a removing stop hangs, tear the runtime down so nothing is left behind
          let timer: NodeJS.Timeout | undefined;
          const late = new Promise<'late'>((r) => { timer = setTimeout(() => r('late'), 8_000); });
          const how = await Promise.race([stopKubelet().then(() => 'ok' as const), late]);
          clearTimeout(timer);
          if (how === 'late' && stopKubelet.cleanupOnExit) {
            opts.log('kubelet: stop timed out; removing containers, mounts and the pod network by force');
            const { forceCleanup } = await import('../kubelet/cleanup.js');
            forceCleanup(opts.dataDir);
          }
        });
      } catch (e) {
        opts.log(`kubelet: failed to start, the server runs without a node agent: ${(e as Error)?.message ?? e}`);
      }
    }
    // the service proxy is the other half of the node agent (nftables, as root)
    if (!why && !opts.disable.includes('proxy')) {
      const { proxyUnavailable, runProxy } = await import('../proxy/index.js');
      const whyNot = proxyUnavailable();
      if (whyNot) opts.log(`proxy: not started: ${whyNot} (--disable proxy silences this)`);
      else {
        stops.push(await runProxy({
          kubeconfigPath: opts.kubeconfigPath, dataDir: opts.dataDir, log: opts.log, serviceCIDR: opts.serviceCidr, clusterCIDR: opts.clusterCidr,
          deleteRulesOnStop: process.env.K8TS_KUBELET_CLEANUP_ON_EXIT === 'true', reservedPorts: nodePorts,
        }));
      }
    }
    // NetworkPolicies on this node's traffic (nftables, as root, like the proxy)
    if (!why && !opts.disable.includes('network-policy')) {
      const { proxyUnavailable } = await import('../proxy/index.js');
      const { runNetworkPolicy } = await import('../netpol/index.js');
      if (!proxyUnavailable()) {
        stops.push(await runNetworkPolicy({ kubeconfigPath: opts.kubeconfigPath, dataDir: opts.dataDir, log: opts.log, deleteRulesOnStop: process.env.K8TS_KUBELET_CLEANUP_ON_EXIT === 'true' }));
      }
    }
  }
  return async () => { for (const s of stops.reverse()) await s(); };
}
