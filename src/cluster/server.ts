// The one place that wires components together (k3s style): storage, API server, and, unless
// disabled, the controllers. Each component only talks to the API server.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { openBackend } from '../storage/index.js';
import { ApiServer } from '../apiserver/server.js';
import { bootstrap } from '../apiserver/bootstrap.js';
import { ensurePki } from '../apiserver/auth/pki.js';
import { createHttpsServerOptions } from '../apiserver/auth/tls.js';
import { createAuthnContext } from '../apiserver/auth/authn.js';
import { ensureServiceAccountKey } from '../apiserver/auth/sakey.js';
import { nthAddress } from '../apiserver/allocator.js';
import { writeKubeconfig } from '../util/kubeconfig.js';
import { issueKubeletTls } from './kubelet_tls.js';
import type { Backend } from '../storage/backend.js';

export interface ServerConfig {
  dataDir: string;
  bindAddress: string;
  port: number;
  datastoreEndpoint?: string;
  disable: string[];
  writeKubeconfig?: string;
  serviceCidr: string;
  clusterCidr: string;
  simulatedNodes: number;
  /** an existing CRI socket for the kubelet instead of its own containerd */
  containerRuntimeEndpoint?: string;
  log: (msg: string) => void;
}

export interface RunningServer {
  api: ApiServer;
  backend: Backend;
  kubeconfigPath: string;
  url: string;
  stop(): Promise<void>;
}

export async function startServer(cfg: ServerConfig): Promise<RunningServer> {
  await mkdir(cfg.dataDir, { recursive: true });
  const backend = await openBackend(cfg.datastoreEndpoint, cfg.dataDir);
  // in-cluster clients (client-go, the Python and JS clients) connect to KUBERNETES_SERVICE_HOST,
  // the `kubernetes` Service's IP: the first of the service CIDR
  const pki = await ensurePki(join(cfg.dataDir, 'tls'), { hosts: [cfg.bindAddress, nthAddress(cfg.serviceCidr, 1)].filter((h) => h !== '0.0.0.0') });
  // the kubelet's serving certificate and the API server's client certificate for kubelets
  const kubeletTls = await issueKubeletTls(pki, cfg.dataDir);
  // the service account token signing key (DIR/tls/service.key, as k3s)
  const serviceAccountKey = await ensureServiceAccountKey(pki.dir);
  const api = new ApiServer({
    backend, tls: createHttpsServerOptions(pki), authn: createAuthnContext(pki),
    host: cfg.bindAddress, port: cfg.port, serviceCidr: cfg.serviceCidr, kubeletClient: kubeletTls.apiserverClient,
    serviceAccountKey,
    // without the controllers nothing creates the `default` ServiceAccounts, and ServiceAccount
    // admission (which requires the pod's account to exist) would refuse every pod
    serviceAccountAdmission: !cfg.disable.includes('controllers'),
    // the finalizers it adds are removed by the protection controllers
    storageProtection: !cfg.disable.includes('controllers'),
  });
  await api.start();
  const advertise = cfg.bindAddress === '0.0.0.0' ? '127.0.0.1' : cfg.bindAddress;
  await bootstrap(api.registry, { serviceIP: nthAddress(cfg.serviceCidr, 1), advertiseAddress: advertise, port: api.port });
  const url = `https://${advertise.includes(':') ? `[${advertise}]` : advertise}:${api.port}`;
  const kubeconfigPath = cfg.writeKubeconfig ?? join(cfg.dataDir, 'kubeconfig.yaml');
  await writeKubeconfig(kubeconfigPath, { server: url, caPem: pki.serverCa.cert, clientCertPem: pki.admin.cert, clientKeyPem: pki.admin.key });
  const stops: (() => Promise<void> | void)[] = [];
  // as upstream's kubernetesservice and system-namespaces controllers: the default namespaces and the
  // `kubernetes` Service (with its endpoints) come back within 10 s of being deleted
  const reconcile = setInterval(() => {
    bootstrap(api.registry, { serviceIP: nthAddress(cfg.serviceCidr, 1), advertiseAddress: advertise, port: api.port, policy: false })
      .catch((e) => cfg.log(`apiserver: reconciling the kubernetes service: ${e instanceof Error ? e.message : e}`));
  }, 10_000);
  reconcile.unref();
  stops.push(() => clearInterval(reconcile));
  const { startControllers } = await import('./components.js');
  stops.push(await startControllers({ kubeconfigPath, dataDir: cfg.dataDir, disable: cfg.disable, log: cfg.log, simulatedNodes: cfg.simulatedNodes, containerRuntimeEndpoint: cfg.containerRuntimeEndpoint,
    serviceCidr: cfg.serviceCidr, clusterCidr: cfg.clusterCidr, apiPort: api.port }));
  return {
    api, backend, kubeconfigPath, url,
    async stop() {
      for (const s of stops.reverse()) await s();
      await api.stop();
      await backend.close();
    },
  };
}
