// Disruption controller (upstream pkg/controller/disruption): keeps each PodDisruptionBudget's
// status current from the pods it selects: how many are expected (minAvailable as a number: the
// pods found; otherwise the scale of their controllers), how many must stay healthy, how many are
// healthy (Ready, not terminating, not just evicted), and so how many may be disrupted now. The
// eviction subresource reads that status and decrements it.
import { disruptedPodTimeoutMs, withDisruptionAllowed } from '../api/pdb.js';
import type { KObject } from '../api/types.js';
import {
  EventRecorder, isNotFound, keyOf, rfc3339, selectorMatches, splitKey, WorkQueue, type ResourceRef, type RestClient, type SharedInformer,
  type SharedInformerFactory,
} from '../client/index.js';
import { deepEqual } from '../util/deep.js';
import { isPodReady } from '../api/pods.js';
import { deploymentsResource, replicaSetsResource } from './deployment/controller.js';
import { replicationControllerKind } from './replicaset.js';
import { podsResource } from './resources.js';
import { statefulSetsResource } from './statefulset.js';

export const pdbsResource: ResourceRef = { group: 'policy', version: 'v1', plural: 'poddisruptionbudgets', namespaced: true, kind: 'PodDisruptionBudget' };

export interface DisruptionOptions { client: RestClient; informers: SharedInformerFactory; recorder?: EventRecorder; log?: (msg: string) => void }

/** an int-or-percent against a total, percentages rounded up (intstr.GetScaledValueFromIntOrPercent) */
export function scaled(v: unknown, total: number): number {
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(String(v));
  if (!m) throw new Error(`invalid value for IntOrString: invalid value "${v}"`);
  return Math.ceil((Number(m[1]) * total) / 100);
}

const controllerRef = (o: KObject) => (o.metadata.ownerReferences ?? []).find((r: any) => r.controller === true);

export class DisruptionController {
  readonly queue: WorkQueue<string>;
  private readonly pdbs: SharedInformer;
  private readonly pods: SharedInformer;
  private readonly owners: Record<string, SharedInformer>;
  private readonly recorder: EventRecorder;

  constructor(private readonly opts: DisruptionOptions) {
    const inf = opts.informers;
    this.pdbs = inf.informerFor(pdbsResource);
    this.pods = inf.informerFor(podsResource);
    this.owners = {
      'apps/ReplicaSet': inf.informerFor(replicaSetsResource), 'apps/Deployment': inf.informerFor(deploymentsResource),
      'apps/StatefulSet': inf.informerFor(statefulSetsResource), '/ReplicationController': inf.informerFor(replicationControllerKind.resource),
    };
    this.recorder = opts.recorder ?? new EventRecorder(opts.client, { component: 'controllermanager' });
    this.queue = new WorkQueue<string>({ name: 'disruption', onError: (k, e) => opts.log?.(`disruption controller: ${k}: ${e instanceof Error ? e.message : e}`) });
    this.pdbs.addEventHandler({ add: (b) => this.queue.add(keyOf(b)), update: (_o, b) => this.queue.add(keyOf(b)) });
    const onPod = (p: KObject) => { for (const b of this.budgetsOf(p)) this.queue.add(keyOf(b)); };
    this.pods.addEventHandler({ add: onPod, update: (o, p) => { onPod(o); onPod(p); }, delete: onPod });
    // a scale change moves expectedPods and desiredHealthy
    const onOwner = (o: KObject) => {
      for (const p of this.pods.lister.list(o.metadata.namespace)) if (controllerRef(p)?.uid === o.metadata.uid) { onPod(p); }
    };
    for (const i of Object.values(this.owners)) i.addEventHandler({ update: (o, n) => { if (o.spec?.replicas !== n.spec?.replicas) onOwner(n); } });
  }

  private budgetsOf(pod: KObject): KObject[] {
    return this.pdbs.lister.list(pod.metadata.namespace).filter((b) => b.spec?.selector != null && selectorMatches(b.spec.selector, pod.metadata.labels ?? {}));
  }

  async run(workers: number, signal: AbortSignal): Promise<void> {
    for (const i of [this.pdbs, this.pods, ...Object.values(this.owners)]) if (!(await i.waitForSync(signal))) return;
    await this.queue.runWorkers(workers, (k) => this.reconcile(k), signal);
  }

  /** the summed scale of the controllers of `pods` (a ReplicaSet counts as its Deployment), or why it cannot be known */
  private expectedScale(pods: KObject[]): number {
    const seen = new Map<string, number>();
    for (const p of pods) {
      const ref = controllerRef(p);
      if (!ref) throw new Error(`found no controller ref for pod "${p.metadata.name}"`);
      let owner = this.findOwner(ref, p.metadata.namespace!);
      if (owner && ref.kind === 'ReplicaSet') {
        const dref = controllerRef(owner);
        const d = dref?.kind === 'Deployment' ? this.findOwner(dref, p.metadata.namespace!) : undefined;
        if (d) owner = d;
      }
      if (!owner) throw new Error(`found no controllers for pod "${p.metadata.name}"`);
      seen.set(owner.metadata.uid!, owner.spec?.replicas ?? 1);
    }
    let n = 0;
    for (const v of seen.values()) n += v;
    return n;
  }

  private findOwner(ref: any, ns: string): KObject | undefined {
    const group = String(ref.apiVersion ?? '').includes('/') ? String(ref.apiVersion).split('/')[0] : '';
    const o = this.owners[`${group}/${ref.kind}`]?.lister.get(ns, ref.name);
    return o && o.metadata.uid === ref.uid ? o : undefined;
  }

  async reconcile(key: string): Promise<void | { requeueAfter: number }> {
    const { namespace, name } = splitKey(key);
    const pdb = this.pdbs.lister.get(namespace, name);
    if (!pdb || pdb.metadata.deletionTimestamp) return;
    const spec = pdb.spec ?? {};
    const pods = spec.selector == null ? [] : this.pods.lister.list(namespace).filter((p) => selectorMatches(spec.selector, p.metadata.labels ?? {}));
    if (!pods.length) this.recorder.event(pdb, 'Normal', 'NoPods', 'No matching pods found');

    const now = Date.now();
    let expected = 0; let desired = 0; let failure: string | undefined;
    try {
      if (spec.maxUnavailable != null) {
        expected = this.expectedScale(pods);
        desired = Math.max(0, expected - scaled(spec.maxUnavailable, expected));
      } else if (typeof spec.minAvailable === 'number') {
        desired = spec.minAvailable;
        expected = pods.length;
      } else if (spec.minAvailable != null) {
        expected = this.expectedScale(pods);
        desired = scaled(spec.minAvailable, expected);
      }
    } catch (e) {
      failure = e instanceof Error ? e.message : String(e);
      this.recorder.event(pdb, 'Warning', 'CalculateExpectedPodCountFailed', `Failed to calculate the number of expected pods: ${failure}`);
    }

    // evictions not yet seen as deletions keep their pods out of currentHealthy for a while
    const byName = new Map(pods.map((p) => [p.metadata.name!, p]));
    const disrupted: Record<string, string> = {};
    let nextExpiry = Infinity;
    for (const [pod, at] of Object.entries<string>(pdb.status?.disruptedPods ?? {})) {
      const p = byName.get(pod);
      const expires = Date.parse(at) + disruptedPodTimeoutMs;
      if (!p || p.metadata.deletionTimestamp || !(expires > now)) continue;
      disrupted[pod] = at;
      nextExpiry = Math.min(nextExpiry, expires);
    }
    const healthy = pods.filter((p) => !p.metadata.deletionTimestamp && isPodReady(p) && !(p.metadata.name! in disrupted)).length;

    const status: any = { ...(pdb.status ?? {}) };
    if (failure) {
      status.disruptionsAllowed = 0;
      status.observedGeneration = pdb.metadata.generation;
      status.conditions = withDisruptionAllowed(status, rfc3339(new Date(now)), 'SyncFailed', failure);
    } else {
      const allowed = expected <= 0 ? 0 : Math.max(0, healthy - desired);
      Object.assign(status, { currentHealthy: healthy, desiredHealthy: desired, expectedPods: expected, disruptionsAllowed: allowed, observedGeneration: pdb.metadata.generation });
      status.conditions = withDisruptionAllowed(status, rfc3339(new Date(now)));
    }
    if (Object.keys(disrupted).length) status.disruptedPods = disrupted; else delete status.disruptedPods;
    if (!deepEqual(status, pdb.status ?? {})) {
      try {
        await this.opts.client.updateStatus(pdbsResource, { ...pdb, status });
      } catch (e) {
        if (isNotFound(e)) return;
        throw e; // a conflict: the work queue retries with the newer object
      }
    }
    if (nextExpiry !== Infinity) return { requeueAfter: nextExpiry - now + 50 };
  }
}
