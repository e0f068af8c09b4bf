// The descriptor table of controllers (as kube-controller-manager's NewControllerDescriptors).
// Each entry is a level-triggered reconciler over shared informers from one factory (plus one
// metadata-only factory, as upstream's MetadataInformerFactory). They run only while this process
// holds the Lease kube-system/kube-controller-manager.
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import { LeaderElector, loadKubeconfig, RestClient, SharedInformerFactory } from '../client/index.js';
import { batchAndEndpointDescriptors } from './batchnet.js';
import { ServerDiscovery } from './discovery.js';
import { APIServiceController } from './apiservice.js';
import { ClusterRoleAggregationController } from './clusterroleaggregation.js';
import { CsrSigningController } from './csrsigning.js';
import { ResourceQuotaController } from './resourcequota.js';
import { DisruptionController } from './disruption.js';
import { PodAutoscalerController } from './podautoscaler.js';
import { GarbageCollector } from './garbagecollector.js';
import { MetadataClient } from './metadataclient.js';
import { NamespaceController } from './namespace.js';
import { NodeLifecycleController } from './nodelifecycle.js';
import { startReplicaSetController, startReplicationController } from './replicaset.js';
import { startDeploymentController } from './deployment/controller.js';
import { RootCAPublisher } from './rootca.js';
import { ServiceAccountsController } from './serviceaccount.js';
import { loadServiceAccountKey, TokensController } from './tokens.js';
import { setAndVolumeDescriptors } from './setsandvolumes.js';

export interface ControllersOptions {
  kubeconfigPath: string;
  /** the server's data dir (local-path volumes live under DIR/storage) */
  dataDir?: string;
  log: (msg: string) => void;
  /** controller names to leave out */
  disable?: string[];
  /** lease timings in seconds (defaults 15 / 10 / 2, as upstream) */
  leaseDurationSeconds?: number; renewDeadlineSeconds?: number; retryPeriodSeconds?: number;
}

export interface ControllerContext {
  client: RestClient;
  metadataClient: RestClient;
  informers: SharedInformerFactory;
  metadataInformers: SharedInformerFactory;
  discovery: ServerDiscovery;
  /** the cluster CA bundle (PEM), from the kubeconfig */
  rootCA: string;
  log: (msg: string) => void;
  dataDir?: string;
}

export interface ControllerDescriptor {
  name: string;
  /** registers informers at once; the promise settles when the signal aborts and the workers are done */
  start(ctx: ControllerContext, signal: AbortSignal): Promise<void>;
}

/** a controller built from the client, the shared informers and the log, run with `workers` workers */
function simple(name: string, make: (o: Pick<ControllerContext, 'client' | 'informers' | 'log'>) => { run(workers: number, signal: AbortSignal): Promise<void> }, workers: number): ControllerDescriptor {
  return { name, start: (ctx, signal) => make({ client: ctx.client, informers: ctx.informers, log: ctx.log }).run(workers, signal) };
}

export const controllerDescriptors: ControllerDescriptor[] = [
  {
    name: 'namespace-controller',
    start: (ctx, signal) => new NamespaceController({ client: ctx.client, informers: ctx.informers, discovery: ctx.discovery, log: ctx.log }).run(10, signal),
  },
  {
    name: 'garbage-collector-controller',
    start: (ctx, signal) => new GarbageCollector({
      client: ctx.client, metadataClient: ctx.metadataClient, metadataInformers: ctx.metadataInformers, discovery: ctx.discovery, log: ctx.log,
    }).run(20, signal),
  },
  simple('node-lifecycle-controller', (o) => new NodeLifecycleController(o), 4),
  simple('serviceaccount-controller', (o) => new ServiceAccountsController(o), 5),
  {
    // signs legacy tokens with the service account key, which it reads from the data dir
    // (upstream: --service-account-private-key-file)
    name: 'serviceaccount-token-controller',
    start: async (ctx, signal) => {
      const key = ctx.dataDir ? await loadServiceAccountKey(ctx.dataDir) : undefined;
      if (!key) return;
      await new TokensController({ client: ctx.client, informers: ctx.informers, key, rootCA: ctx.rootCA, log: ctx.log }).run(5, signal);
    },
  },
  {
    name: 'root-ca-certificate-publisher-controller',
    start: (ctx, signal) => new RootCAPublisher({ client: ctx.client, informers: ctx.informers, rootCA: ctx.rootCA, log: ctx.log }).run(5, signal),
  },
  ...batchAndEndpointDescriptors,
  { name: 'replicaset-controller', start: startReplicaSetController },
  { name: 'replicationcontroller-controller', start: startReplicationController },
  { name: 'deployment-controller', start: startDeploymentController },
  ...setAndVolumeDescriptors,
  simple('disruption-controller', (o) => new DisruptionController(o), 5),
  simple('clusterrole-aggregation-controller', (o) => new ClusterRoleAggregationController(o), 1),
  // in upstream the aggregator in kube-apiserver registers these
  simple('apiservice-registration-controller', (o) => new APIServiceController(o), 1),
  {
    // signs with the cluster's CAs, which it reads from the data dir (upstream: --cluster-signing-cert-file)
    name: 'certificatesigningrequest-signing-controller',
    start: async (ctx, signal) => {
      if (!ctx.dataDir) return;
      await new CsrSigningController({ client: ctx.client, informers: ctx.informers, dataDir: ctx.dataDir, log: ctx.log }).run(2, signal);
    },
  },
  {
    name: 'resourcequota-controller',
    start: (ctx, signal) => new ResourceQuotaController({ client: ctx.client, informers: ctx.informers, discovery: ctx.discovery, log: ctx.log }).run(5, signal),
  },
  {
    name: 'horizontal-pod-autoscaler-controller',
    start: (ctx, signal) => new PodAutoscalerController({ client: ctx.client, informers: ctx.informers, discovery: ctx.discovery, log: ctx.log }).run(5, signal),
  },
];

/** Builds the clients and informer factories shared by all controllers. */
export function newControllerContext(kubeconfigPath: string, log: (msg: string) => void): ControllerContext {
  const cfg = loadKubeconfig(kubeconfigPath);
  const userAgent = `kube-controller-manager/v0.1.0 (${process.platform}/${process.arch}) k8ts`;
  const client = new RestClient({ ...cfg, userAgent });
  const metadataClient = new MetadataClient({ ...cfg, userAgent });
  return {
    client, metadataClient,
    informers: new SharedInformerFactory(client),
    metadataInformers: new SharedInformerFactory(metadataClient),
    discovery: new ServerDiscovery(client),
    rootCA: cfg.ca ? cfg.ca.toString() : '',
    log,
  };
}

/** Runs every enabled controller until the signal aborts. */
export async function startControllers(ctx: ControllerContext, parent: AbortSignal, disable: string[] = []): Promise<void> {
  // every informer, queue and worker pool listens on this one signal
  const ac = new AbortController();
  const signal = ac.signal;
  setMaxListeners(0, signal);
  if (parent.aborted) ac.abort(); else parent.addEventListener('abort', () => ac.abort(), { once: true });
  const runs = controllerDescriptors.filter((d) => !disable.includes(d.name)).map((d) => {
    ctx.log(`controllers: starting ${d.name}`);
    return d.start(ctx, signal).catch((e) => ctx.log(`controllers: ${d.name} failed: ${e instanceof Error ? e.stack : e}`));
  });
  ctx.informers.start(signal);
  ctx.metadataInformers.start(signal);
  await Promise.all(runs);
  await Promise.all([ctx.informers.stop(), ctx.metadataInformers.stop()]);
}

export async function runControllers(opts: ControllersOptions): Promise<() => Promise<void>> {
  const { log } = opts;
  const stop = new AbortController();
  const identity = `${hostname()}_${randomUUID()}`;
  const leaseClient = RestClient.fromKubeconfig(opts.kubeconfigPath, { userAgent: 'kube-controller-manager/leader-election k8ts' });
  const campaign = async () => {
    while (!stop.signal.aborted) {
      const elector = new LeaderElector({
        client: leaseClient, namespace: 'kube-system', name: 'kube-controller-manager', identity,
        leaseDurationSeconds: opts.leaseDurationSeconds, renewDeadlineSeconds: opts.renewDeadlineSeconds, retryPeriodSeconds: opts.retryPeriodSeconds,
        onNewLeader: (who) => { if (who !== identity) log(`controllers: leader is ${who}`); },
        onStartedLeading: async (signal) => {
          log(`controllers: became leader (${identity})`);
          const ctx = { ...newControllerContext(opts.kubeconfigPath, log), dataDir: opts.dataDir };
          try { await startControllers(ctx, signal, opts.disable); } finally { ctx.client.close(); ctx.metadataClient.close(); }
        },
        onStoppedLeading: () => { if (!stop.signal.aborted) log('controllers: leader election lost'); },
      });
      try { await elector.run(stop.signal); } catch (e) { log(`controllers: leader election: ${e instanceof Error ? e.message : e}`); }
      if (!stop.signal.aborted) await new Promise((r) => setTimeout(r, 1000));
    }
  };
  const done = campaign();
  return async () => {
    stop.abort();
    await done;
    leaseClient.close();
  };
}
