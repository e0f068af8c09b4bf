// Starts the node agent: our containerd, the CNI config, the local test images, then the kubelet.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { RestClient } from '../client/index.js';
import { which } from '../util/prereq.js';
import { containerdPaths, startContainerd, type Containerd } from './containerd.js';
import { CriClient } from './cri/client.js';
import { cniNetwork, removeCniNetwork, writeCniConfig } from './cni.js';
import { Kubelet } from './kubelet.js';
import { internalIP } from './node.js';
import { startKubeletServer, type KubeletServer } from './server.js';
import { StatsProvider } from './stats.js';
import { killPod, podUidLabel } from './runtime.js';
import { busyboxBinary, buildTestImages, httpdImage, importImages } from './testimages.js';

export { Kubelet } from './kubelet.js';
export { startContainerd, containerdPaths } from './containerd.js';
export { forceCleanup } from './cleanup.js';
export { CriClient } from './cri/client.js';

export interface RunKubeletOptions {
  kubeconfigPath: string;
  dataDir: string;
  log: (msg: string) => void;
  /** default K8TS_NODE_NAME or os.hostname() */
  nodeName?: string;
  /** this node's pod range; default K8TS_POD_CIDR or 10.42.0.0/24 */
  podCIDR?: string;
  /**
   * tear every pod, the bridge and IPAM state down on stop. Default false, as k3s: containers keep
   * running while k8ts is stopped and the next start re-adopts them (`k8ts killall` removes them);
   * K8TS_KUBELET_CLEANUP_ON_EXIT=true turns it on
   */
  cleanupOnExit?: boolean;
  /**
   * the kubelet's HTTPS API (container logs for the API server): PEM files of its serving
   * certificate and key, and of the CA that signs the clients it accepts. Default: DIR/agent/serving-kubelet.crt,
   * serving-kubelet.key and client-ca.crt (as k3s), which `k8ts server` writes; not served without them.
   */
  tls?: { certFile: string; keyFile: string; clientCAFile: string };
  /** the cluster DNS address written into pods' resolv.conf (default 10.43.0.10) */
  clusterDNS?: string;
  /** an existing CRI endpoint (unix socket) instead of our own containerd (upstream --container-runtime-endpoint) */
  containerRuntimeEndpoint?: string;
  /** its port; default K8TS_KUBELET_PORT or 10250 (0: any free port, reported in the Node status) */
  port?: number;
}

/** a runtime someone else runs: used as it is, never stopped by us */
async function externalRuntime(endpoint: string, dataDir: string): Promise<Containerd> {
  const socket = endpoint.replace(/^unix:\/\//, '');
  const cri = new CriClient(socket);
  await cri.waitReady(10_000);
  const paths = { ...containerdPaths(dataDir), socket };
  return { paths, snapshotter: 'overlayfs', cri, proc: undefined as any, stop: async () => { cri.close(); } };
}

/** why the kubelet cannot run here, or undefined */
export function kubeletUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not running as root';
  if (!which('containerd')) return 'containerd not found (apt-get install containerd runc containernetworking-plugins)';
  if (!existsSync('/usr/lib/cni/bridge')) return 'CNI plugins not found in /usr/lib/cni (apt-get install containernetworking-plugins)';
  return undefined;
}

export interface RunningKubelet {
  /** stops the kubelet and containerd (and removes every pod when cleanupOnExit) */
  (): Promise<void>;
  cleanupOnExit: boolean;
}

/** how long a stop waits for the pod workers before stopping containerd */
const stopWaitMs = 5_000;

export async function runKubelet(opts: RunKubeletOptions): Promise<RunningKubelet> {
  const ctrd = opts.containerRuntimeEndpoint ? await externalRuntime(opts.containerRuntimeEndpoint, opts.dataDir) : await startContainerd(opts.dataDir, { log: opts.log });
  const podCIDR = opts.podCIDR ?? process.env.K8TS_POD_CIDR ?? '10.42.0.0/24';
  const net = cniNetwork(opts.dataDir, ctrd.paths.cniConfDir, podCIDR);
  // an existing runtime brings its own CNI configuration
  if (!opts.containerRuntimeEndpoint) writeCniConfig(net);
  const cleanup = opts.cleanupOnExit ?? process.env.K8TS_KUBELET_CLEANUP_ON_EXIT === 'true';
  try {
    // (imported again when the newest of them is missing, e.g. in a data dir from an older k8ts)
    const have = (await ctrd.cri.image('ImageStatus', { image: { image: httpdImage } })).image;
    if (!have && existsSync(busyboxBinary)) {
      const dir = join(opts.dataDir, 'agent', 'images');
      mkdirSync(dir, { recursive: true });
      const file = join(dir, 'k8ts-test-images.tar');
      const names = buildTestImages(file);
      importImages(ctrd.paths.socket, file, ctrd.snapshotter);
      opts.log(`kubelet: imported local images ${names.join(', ')}`);
    }
  } catch (e) { await ctrd.stop(); throw e; }
  const client = RestClient.fromKubeconfig(opts.kubeconfigPath, { userAgent: 'k8ts-kubelet/v0.1.0' });
  const version = await ctrd.cri.version();
  // the node's address (upstream --node-ip): the Node's InternalIP, where the kubelet API listens
  const hostIP = process.env.K8TS_NODE_IP || internalIP();
  let kubelet: Kubelet | undefined;
  let server: KubeletServer | undefined;
  const agent = (n: string) => join(opts.dataDir, 'agent', n);
  const tls = opts.tls ?? (existsSync(agent('serving-kubelet.crt'))
    ? { certFile: agent('serving-kubelet.crt'), keyFile: agent('serving-kubelet.key'), clientCAFile: agent('client-ca.crt') } : undefined);
  const nodeName = opts.nodeName ?? process.env.K8TS_NODE_NAME ?? os.hostname().toLowerCase();
  const stats = new StatsProvider({ cri: ctrd.cri, nodeName });
  if (tls) {
    try {
      stats.start();
      server = await startKubeletServer({
        summary: () => stats.summary(),
        host: hostIP, port: opts.port ?? Number(process.env.K8TS_KUBELET_PORT ?? 10250), cri: ctrd.cri, log: opts.log,
        tls: { cert: readFileSync(tls.certFile, 'utf8'), key: readFileSync(tls.keyFile, 'utf8'), clientCA: readFileSync(tls.clientCAFile, 'utf8') },
        getPod: (ns, name) => kubelet?.podInformer.lister.get(ns, name),
      });
      opts.log(`kubelet: API listening on https://${hostIP.includes(':') ? `[${hostIP}]` : hostIP}:${server.port}`);
    } catch (e) { stats.stop(); client.close(); await ctrd.stop(); throw e; }
  }
  kubelet = new Kubelet({
    client, cri: ctrd.cri, name: nodeName, dataDir: opts.dataDir,
    podCIDR, hostIP, runtimeVersion: version.runtimeVersion, log: opts.log, kubeletPort: server?.port,
    clusterDNS: opts.clusterDNS,
  });
  const ac = new AbortController();
  const done = kubelet.run(ac.signal).catch((e) => opts.log(`kubelet: ${e instanceof Error ? e.stack : e}`));
  return Object.assign(async () => {
    ac.abort();
    stats.stop();
    await server?.close();
    // a pod worker may be in a graceful container stop (up to its grace period): containerd is
    // stopped anyway (the stop goes on under the shim; the next start finishes the pod's deletion)
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([done, new Promise((r) => { timer = setTimeout(r, stopWaitMs); })]);
    clearTimeout(timer);
    client.close();
    if (cleanup) {
      const all = (await ctrd.cri.call('ListPodSandbox', {}).catch(() => ({ items: [] }))).items as any[];
      for (const uid of new Set(all.map((s) => s.labels?.[podUidLabel] as string).filter(Boolean))) {
        await killPod(ctrd.cri, uid, 0, join(opts.dataDir, 'agent', 'pods')).catch((e) => opts.log(`kubelet: cleanup ${uid}: ${e}`));
      }
    }
    await ctrd.stop();
    if (cleanup && !opts.containerRuntimeEndpoint) removeCniNetwork(net);
  }, { cleanupOnExit: cleanup });
}

/**
 * `k8ts image import FILE.tar`: loads an OCI or docker archive into this data dir's containerd
 * (running, as part of `k8ts server`), in the CRI's namespace so pods can use it
 */
export function importImageArchive(dataDir: string, file: string): string[] {
  const p = containerdPaths(dataDir);
  if (!existsSync(p.socket)) throw new Error(`no containerd socket at ${p.socket}: is \`k8ts server --data-dir ${dataDir}\` running?`);
  const snapshotter = /^\s*snapshotter\s*=\s*"([^"]+)"/m.exec(existsSync(p.config) ? readFileSync(p.config, 'utf8') : '')?.[1] ?? 'overlayfs';
  const out = execFileSync('ctr', ['-a', p.socket, '-n', 'k8s.io', 'images', 'import', '--snapshotter', snapshotter, file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  // "unpacking docker.io/library/x:latest (sha256:...)...done"
  return [...out.matchAll(/unpacking (\S+) \(/g)].map((m) => m[1]);
}

/** the images in this data dir's containerd, as `ctr images ls -q` names them */
export function listImages(dataDir: string): string[] {
  const p = containerdPaths(dataDir);
  return execFileSync('ctr', ['-a', p.socket, '-n', 'k8s.io', 'images', 'ls', '-q'], { encoding: 'utf8' }).split('\n').filter((l) => l && !l.startsWith('sha256:'));
}
