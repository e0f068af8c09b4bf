// Root CA certificate publisher (as upstream's root-ca-cert-publisher): every namespace has the
// ConfigMap `kube-root-ca.crt` whose `ca.crt` is the cluster CA bundle; edits are put back.
import { clone, isAlreadyExists, isNotFound, WorkQueue, type RestClient, type SharedInformerFactory } from '../client/index.js';
import type { KObject } from '../api/types.js';
import { configMapsResource, isNamespaceTerminating, namespacesResource } from './resources.js';

export const rootCAConfigMapName = 'kube-root-ca.crt';
export const descriptionAnnotation = 'kubernetes.io/description';
export const description = 'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

export interface RootCAPublisherOptions {
  client: RestClient;
  informers: SharedInformerFactory;
  /** the CA bundle (PEM) */
  rootCA: string;
  log?: (msg: string) => void;
}

export class RootCAPublisher {
  readonly queue = new WorkQueue<string>({ name: 'root_ca_cert_publisher', onError: (k, e) => this.opts.log?.(`root CA publisher: namespace ${k}: ${e instanceof Error ? e.message : e}`) });
  private readonly nsInformer;
  private readonly cmInformer;

  constructor(private readonly opts: RootCAPublisherOptions) {
    this.nsInformer = opts.informers.informerFor(namespacesResource);
    this.cmInformer = opts.informers.informerFor(configMapsResource, { fieldSelector: `metadata.name=${rootCAConfigMapName}` });
    this.nsInformer.addEventHandler({ add: (o) => this.queue.add(o.metadata.name!), update: (_o, n) => this.queue.add(n.metadata.name!) });
    const enqueueCm = (o: KObject) => { if (o.metadata.name === rootCAConfigMapName) this.queue.add(o.metadata.namespace!); };
    this.cmInformer.addEventHandler({ update: (_o, n) => enqueueCm(n), delete: enqueueCm });
  }

  async run(workers: number, signal: AbortSignal): Promise<void> {
    const synced = await Promise.all([this.nsInformer.waitForSync(signal), this.cmInformer.waitForSync(signal)]);
    if (!synced.every(Boolean)) return;
    await this.queue.runWorkers(workers, (k) => this.reconcile(k), signal);
  }

  async reconcile(namespace: string): Promise<void> {
    const ns = this.nsInformer.lister.get('', namespace);
    // a terminating namespace refuses new content; its ConfigMap is deleted with it
    if (!ns || ns.metadata.deletionTimestamp) return;
    const data = { 'ca.crt': this.opts.rootCA };
    const cm = this.cmInformer.lister.get(namespace, rootCAConfigMapName);
    if (!cm) {
      try {
        await this.opts.client.create(configMapsResource, {
          apiVersion: 'v1', kind: 'ConfigMap',
          metadata: { name: rootCAConfigMapName, namespace, annotations: { [descriptionAnnotation]: description } },
          data,
        });
      } catch (e) {
        if (!isAlreadyExists(e) && !isNotFound(e) && !isNamespaceTerminating(e)) throw e;
      }
      return;
    }
    if (JSON.stringify(cm.data ?? {}) === JSON.stringify(data) && cm.metadata.annotations?.[descriptionAnnotation]) return;
    const next = clone(cm);
    next.data = data;
    next.metadata.annotations = { ...(next.metadata.annotations ?? {}), [descriptionAnnotation]: description };
    try { await this.opts.client.update(configMapsResource, next); } catch (e) { if (!isNotFound(e)) throw e; }
  }
}
