// ServiceAccounts controller (as upstream's serviceaccounts-controller): every Active namespace
// has a `default` ServiceAccount; it is created again when deleted.
import { isAlreadyExists, isNotFound, WorkQueue, type RestClient, type SharedInformerFactory } from '../client/index.js';
import type { KObject } from '../api/types.js';
import { isNamespaceTerminating, namespaceActive, namespacesResource, serviceAccountsResource } from './resources.js';

export interface ServiceAccountsControllerOptions {
  client: RestClient;
  informers: SharedInformerFactory;
  /** names to ensure in every namespace (default ['default']) */
  names?: string[];
  log?: (msg: string) => void;
}

export class ServiceAccountsController {
  readonly queue = new WorkQueue<string>({ name: 'serviceaccount', onError: (k, e) => this.opts.log?.(`serviceaccount controller: namespace ${k}: ${e instanceof Error ? e.message : e}`) });
  private readonly names: string[];
  private readonly nsInformer;
  private readonly saInformer;

  constructor(private readonly opts: ServiceAccountsControllerOptions) {
    this.names = opts.names ?? ['default'];
    this.nsInformer = opts.informers.informerFor(namespacesResource);
    this.saInformer = opts.informers.informerFor(serviceAccountsResource);
    const enqueueNs = (o: KObject) => this.queue.add(o.metadata.name!);
    this.nsInformer.addEventHandler({ add: enqueueNs, update: (_o, n) => enqueueNs(n) });
    this.saInformer.addEventHandler({
      delete: (o) => { if (this.names.includes(o.metadata.name!)) this.queue.add(o.metadata.namespace!); },
    });
  }

  async run(workers: number, signal: AbortSignal): Promise<void> {
    const synced = await Promise.all([this.nsInformer.waitForSync(signal), this.saInformer.waitForSync(signal)]);
    if (!synced.every(Boolean)) return;
    await this.queue.runWorkers(workers, (k) => this.reconcile(k), signal);
  }

  async reconcile(namespace: string): Promise<void> {
    const ns = this.nsInformer.lister.get('', namespace);
    if (!ns || !namespaceActive(ns)) return;
    const failures: string[] = [];
    for (const name of this.names) {
      if (this.saInformer.lister.get(namespace, name)) continue;
      try {
        await this.opts.client.create(serviceAccountsResource, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } });
      } catch (e) {
        if (isAlreadyExists(e) || isNotFound(e) || isNamespaceTerminating(e)) continue;
        failures.push(e instanceof Error ? e.message : String(e));
      }
    }
    if (failures.length) throw new Error(failures.join('; '));
  }
}
