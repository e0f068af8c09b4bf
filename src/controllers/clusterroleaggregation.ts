// ClusterRole aggregation controller (upstream pkg/controller/clusterroleaggregation): a ClusterRole
// with an aggregationRule gets, as its rules, the rules of every ClusterRole its selectors match, so
// a CRD's "aggregate-to-edit" role extends `edit` (and through it `admin`).
import { aggregatedRules } from '../api/rbac.js';
import type { KObject } from '../api/types.js';
import { isNotFound, WorkQueue, type ResourceRef, type RestClient, type SharedInformer, type SharedInformerFactory } from '../client/index.js';
import { deepEqual } from '../util/deep.js';

export const clusterRolesResource: ResourceRef = { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'clusterroles', namespaced: false, kind: 'ClusterRole' };

export interface AggregationOptions { client: RestClient; informers: SharedInformerFactory; log?: (msg: string) => void }

export class ClusterRoleAggregationController {
  readonly queue: WorkQueue<string>;
  private readonly roles: SharedInformer;

  constructor(private readonly opts: AggregationOptions) {
    this.roles = opts.informers.informerFor(clusterRolesResource);
    this.queue = new WorkQueue<string>({ name: 'ClusterRoleAggregator', onError: (k, e) => opts.log?.(`clusterrole-aggregation: ${k}: ${e instanceof Error ? e.message : e}`) });
    // any role may feed any aggregated role: look at all of them (there are few)
    const all = () => { for (const r of this.roles.lister.list()) if (r.aggregationRule) this.queue.add(r.metadata.name!); };
    this.roles.addEventHandler({ add: all, update: all, delete: all });
  }

  async run(workers: number, signal: AbortSignal): Promise<void> {
    if (!(await this.roles.waitForSync(signal))) return;
    await this.queue.runWorkers(workers, (k) => this.reconcile(k), signal);
  }

  async reconcile(name: string): Promise<void> {
    const role = this.roles.lister.get('', name);
    if (!role?.aggregationRule) return;
    const rules = aggregatedRules(role, this.roles.lister.list());
    if (deepEqual(rules, role.rules ?? [])) return;
    try {
      await this.opts.client.update(clusterRolesResource, { ...role, rules } as KObject);
    } catch (e) {
      if (isNotFound(e)) return;
      throw e; // a conflict: retried with the newer object
    }
  }
}
