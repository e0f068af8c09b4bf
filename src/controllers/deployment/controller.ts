// Deployment controller (upstream's pkg/controller/deployment): owns ReplicaSets named
// "<deployment>-<pod-template-hash>", rolls from old to new (RollingUpdate within
// maxSurge/maxUnavailable, or Recreate), scales proportionally, honours spec.paused, keeps
// revisionHistoryLimit old RSs, and reports status and the Progressing / Available conditions.
import type { KObject } from '../../api/types.js';
import {
  EventRecorder, isAlreadyExists, isNotFound, keyOf, selectorIsEmpty, selectorMatches, splitKey, WorkQueue,
  type Lister, type ResourceRef, type RestClient, type SharedInformerFactory,
} from '../../client/index.js';
import { claim, controllerOf, newControllerRef } from '../replicaset/ownerref.js';
import { podsResource } from '../resources.js';
import { activeRSs, byCreation, findActiveOrLatest, isSaturated, newRSNewReplicas, oldRSsScaleDown, proportionalSizes } from './rollout.js';
import { deploymentComplete, msUntilDeadline, rolloutStatus, statusEqual, type DeploymentStatus } from './status.js';
import {
  computeHash, desiredReplicasAnnotation, equalIgnoreHash, getCondition, hasProgressDeadline, isRolling, maxRevision, maxSurge,
  newCondition, podTemplateHashLabel, replicasAnnotationsNeedUpdate, replicasOf, revisionAnnotation, revisionOf,
  setCondition, setNewReplicaSetAnnotations, setReplicasAnnotations,
} from './util.js';

export const deploymentsResource: ResourceRef = { group: 'apps', version: 'v1', plural: 'deployments', namespaced: true, kind: 'Deployment' };
export const replicaSetsResource: ResourceRef = { group: 'apps', version: 'v1', plural: 'replicasets', namespaced: true, kind: 'ReplicaSet' };

export interface DeploymentControllerOptions {
  client: RestClient;
  informers: SharedInformerFactory;
  recorder?: EventRecorder;
  log?: (msg: string) => void;
  now?: () => number;
}

type Result = void | { requeueAfter: number };

export class DeploymentController {
  readonly queue: WorkQueue<string>;
  readonly recorder: EventRecorder;
  private readonly dLister: Lister<KObject>;
  private readonly rsLister: Lister<KObject>;
  private readonly podLister: Lister<KObject>;
  private readonly syncs: Array<{ waitForSync(s?: AbortSignal): Promise<boolean> }>;
  private readonly log: (msg: string) => void;
  private readonly now: () => number;
  private readonly client: RestClient;

  constructor(opts: DeploymentControllerOptions) {
    this.client = opts.client;
    this.log = opts.log ?? (() => {});
    this.now = opts.now ?? Date.now;
    this.recorder = opts.recorder ?? new EventRecorder(opts.client, { component: 'deployment-controller' });
    this.queue = new WorkQueue<string>({ name: 'deployment', onError: (k, e) => this.log(`deployment-controller: error syncing ${k}: ${e instanceof Error ? e.message : e}`) });
    const dInf = opts.informers.informerFor<KObject>(deploymentsResource);
    const rsInf = opts.informers.informerFor<KObject>(replicaSetsResource);
    const podInf = opts.informers.informerFor<KObject>(podsResource);
    this.dLister = dInf.lister; this.rsLister = rsInf.lister; this.podLister = podInf.lister;
    this.syncs = [dInf, rsInf, podInf];
    const enq = (o: KObject) => this.queue.add(keyOf(o));
    dInf.addEventHandler({ add: enq, update: (_o, n) => enq(n), delete: enq });
    rsInf.addEventHandler({ add: (r) => this.rsChanged(undefined, r), update: (o, n) => this.rsChanged(o, n), delete: (r) => this.enqueueOwner(r) });
    podInf.addEventHandler({ delete: (p) => this.podDeleted(p) });
  }

  async run(workers: number, signal: AbortSignal): Promise<void> {
    for (const s of this.syncs) if (!(await s.waitForSync(signal))) return;
    await this.queue.runWorkers(workers, (k) => this.reconcile(k), signal);
  }

  // ---- handlers ----

  private owner(o: KObject): KObject | undefined {
    const ref = controllerOf(o);
    if (!ref || ref.kind !== 'Deployment') return undefined;
    const d = this.dLister.get(o.metadata.namespace ?? '', ref.name);
    return d && d.metadata.uid === ref.uid ? d : undefined;
  }

  private enqueueOwner(o: KObject): void { const d = this.owner(o); if (d) this.queue.add(keyOf(d)); }

  private rsChanged(old: KObject | undefined, rs: KObject): void {
    if (old && old.metadata.resourceVersion === rs.metadata.resourceVersion) return;
    if (old && controllerOf(old)?.uid !== controllerOf(rs)?.uid) this.enqueueOwner(old);
    if (controllerOf(rs)) return this.enqueueOwner(rs);
    if (rs.metadata.deletionTimestamp) return;
    for (const d of this.dLister.list(rs.metadata.namespace ?? '')) {
      if (selectorMatches(d.spec?.selector, rs.metadata.labels)) this.queue.add(keyOf(d));
    }
  }

  private podDeleted(p: KObject): void {
    const ref = controllerOf(p);
    if (!ref || ref.kind !== 'ReplicaSet') return;
    const rs = this.rsLister.get(p.metadata.namespace ?? '', ref.name);
    const d = rs && this.owner(rs);
    if (d && !isRolling(d)) this.queue.add(keyOf(d));
  }

  // ---- reconcile ----

  async reconcile(key: string): Promise<Result> {
    const { namespace, name } = splitKey(key);
    const cached = this.dLister.get(namespace, name);
    if (!cached) return;
    const d: KObject = { ...structuredClone(cached), apiVersion: 'apps/v1', kind: 'Deployment' };
    if (selectorIsEmpty(d.spec?.selector)) {
      this.recorder.event(d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      if ((d.metadata.generation ?? 0) > (d.status?.observedGeneration ?? 0)) {
        await this.client.updateStatus(deploymentsResource, { ...d, status: { ...(d.status ?? {}), observedGeneration: d.metadata.generation } });
      }
      return;
    }
    const rsList = await this.claimReplicaSets(d);
    const s = new Sync(this, d, rsList);
    if (d.metadata.deletionTimestamp) return s.statusOnly();
    await s.checkPausedConditions();
    if (d.spec?.paused || this.isScalingEvent(d, rsList)) return s.sync();
    return isRolling(d) ? s.rolling() : s.recreate(this.podsByRS(d, rsList));
  }

  private async claimReplicaSets(d: KObject): Promise<KObject[]> {
    const ns = d.metadata.namespace!;
    return claim(this.rsLister.list(ns), {
      client: this.client, resource: replicaSetsResource, owner: d,
      ownerRef: newControllerRef(d, 'apps/v1', 'Deployment'),
      matches: (rs) => selectorMatches(d.spec.selector, rs.metadata.labels),
      canAdopt: async () => {
        const fresh = await this.client.get(deploymentsResource, d.metadata.name!, { namespace: ns });
        return fresh.metadata.uid === d.metadata.uid && !fresh.metadata.deletionTimestamp;
      },
    });
  }

  private podsByRS(d: KObject, rsList: KObject[]): Map<string, KObject[]> {
    const m = new Map<string, KObject[]>(rsList.map((r) => [r.metadata.uid!, []]));
    for (const p of this.podLister.list(d.metadata.namespace!)) m.get(controllerOf(p)?.uid ?? '')?.push(p);
    return m;
  }

  /** an active RS annotated for another size than spec.replicas (upstream's isScalingEvent) */
  private isScalingEvent(d: KObject, rsList: KObject[]): boolean {
    return activeRSs(rsList).some((r) => {
      const v = r.metadata.annotations?.[desiredReplicasAnnotation];
      return v !== undefined && Number(v) !== replicasOf(d);
    });
  }

  // used by Sync
  get api(): RestClient { return this.client; }
  get clock(): number { return this.now(); }
  lookupRS(namespace: string, name: string): KObject | undefined { return this.rsLister.get(namespace, name); }
}

/** One sync of one deployment: keeps the latest copies of the deployment and its RSs as it writes. */
class Sync {
  private rss: KObject[];
  constructor(private readonly c: DeploymentController, private d: KObject, rsList: KObject[]) {
    this.rss = [...rsList].sort(byCreation);
  }

  private get ns(): string { return this.d.metadata.namespace!; }
  private findNew(): KObject | undefined { return this.rss.find((r) => equalIgnoreHash(r.spec?.template, this.d.spec?.template)); }
  private olds(newRS: KObject | undefined): KObject[] { return this.rss.filter((r) => r !== newRS); }
  private replace(rs: KObject): KObject {
    const i = this.rss.findIndex((r) => r.metadata.uid === rs.metadata.uid);
    if (i >= 0) this.rss[i] = rs; else this.rss.push(rs);
    return rs;
  }

  private async writeStatus(status: DeploymentStatus): Promise<void> {
    const out = await this.c.api.updateStatus(deploymentsResource, { ...this.d, status });
    this.d = { ...out, apiVersion: 'apps/v1', kind: 'Deployment' };
  }

  /** the revision annotation goes with a status write (as upstream); a server that drops it there gets a patch */
  private async writeRevision(revision: string, status: DeploymentStatus): Promise<void> {
    this.d.metadata.annotations = { ...(this.d.metadata.annotations ?? {}), [revisionAnnotation]: revision };
    await this.writeStatus(status);
    if (this.d.metadata.annotations?.[revisionAnnotation] !== revision) {
      const out = await this.c.api.patch<KObject>(deploymentsResource, this.d.metadata.name!, {
        namespace: this.ns, patch: { metadata: { resourceVersion: this.d.metadata.resourceVersion, annotations: { [revisionAnnotation]: revision } } },
      });
      this.d = { ...out, apiVersion: 'apps/v1', kind: 'Deployment' };
    }
  }

  async checkPausedConditions(): Promise<void> {
    if (!hasProgressDeadline(this.d)) return;
    const cond = getCondition(this.d.status, 'Progressing');
    if (cond?.reason === 'ProgressDeadlineExceeded') return;
    const pausedCond = cond?.reason === 'DeploymentPaused';
    const st: DeploymentStatus = structuredClone(this.d.status ?? {});
    if (this.d.spec?.paused && !pausedCond) setCondition(st, newCondition('Progressing', 'Unknown', 'DeploymentPaused', 'Deployment is paused', this.c.clock));
    else if (!this.d.spec?.paused && pausedCond) setCondition(st, newCondition('Progressing', 'Unknown', 'DeploymentResumed', 'Deployment is resumed', this.c.clock));
    else return;
    await this.writeStatus(st);
  }

  /** upstream's getNewReplicaSet: syncs the existing new RS's annotations and revision, or creates it */
  private async newReplicaSet(create: boolean): Promise<KObject | undefined> {
    const existing = this.findNew();
    const newRevision = maxRevision(this.olds(existing)) + 1;
    const d = this.d;
    if (existing) {
      const copy = structuredClone(existing);
      const annotationsChanged = setNewReplicaSetAnnotations(d, copy, newRevision, true);
      const mrs = d.spec?.minReadySeconds ?? 0;
      if (annotationsChanged || (copy.spec.minReadySeconds ?? 0) !== mrs) {
        copy.spec.minReadySeconds = mrs;
        return this.replace(await this.c.api.update(replicaSetsResource, copy));
      }
      const rev = copy.metadata.annotations?.[revisionAnnotation] ?? '';
      const st: DeploymentStatus = structuredClone(d.status ?? {});
      let statusChanged = false;
      if (hasProgressDeadline(d) && !getCondition(st, 'Progressing')) {
        setCondition(st, newCondition('Progressing', 'True', 'FoundNewReplicaSet', `Found new replica set "${copy.metadata.name}"`, this.c.clock));
        statusChanged = true;
      }
      if (d.metadata.annotations?.[revisionAnnotation] !== rev) await this.writeRevision(rev, st);
      else if (statusChanged) await this.writeStatus(st);
      return existing;
    }
    if (!create) return undefined;
    const hash = computeHash(d.spec.template, d.status?.collisionCount);
    const template = structuredClone(d.spec.template);
    template.metadata = { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), [podTemplateHashLabel]: hash } };
    const selector = structuredClone(d.spec.selector);
    selector.matchLabels = { ...(selector.matchLabels ?? {}), [podTemplateHashLabel]: hash };
    const rs: KObject = {
      apiVersion: 'apps/v1', kind: 'ReplicaSet',
      metadata: { name: `${d.metadata.name}-${hash}`, namespace: this.ns, ownerReferences: [newControllerRef(d, 'apps/v1', 'Deployment')], labels: { ...template.metadata.labels } },
      spec: { replicas: 0, minReadySeconds: d.spec.minReadySeconds ?? 0, selector, template },
    };
    rs.spec.replicas = newRSNewReplicas(d, [...this.rss, rs], rs);
    setNewReplicaSetAnnotations(d, rs, newRevision, false);
    let made: KObject;
    let already = false;
    try {
      made = await this.c.api.create(replicaSetsResource, rs, { namespace: this.ns });
    } catch (e) {
      if (!isAlreadyExists(e)) {
        const msg = `Failed to create new replica set "${rs.metadata.name}": ${e instanceof Error ? e.message : e}`;
        if (hasProgressDeadline(d)) {
          const st: DeploymentStatus = structuredClone(d.status ?? {});
          setCondition(st, newCondition('Progressing', 'False', 'ReplicaSetCreateError', msg, this.c.clock));
          await this.writeStatus(st).catch(() => {});
        }
        this.c.recorder.event(d, 'Warning', 'ReplicaSetCreateError', msg);
        throw e;
      }
      const found: KObject = this.c.lookupRS(this.ns, rs.metadata.name!) ?? await this.c.api.get<KObject>(replicaSetsResource, rs.metadata.name!, { namespace: this.ns });
      if (controllerOf(found)?.uid !== d.metadata.uid || !equalIgnoreHash(d.spec.template, found.spec?.template)) {
        const st: DeploymentStatus = structuredClone(d.status ?? {});
        st.collisionCount = (st.collisionCount ?? 0) + 1;
        await this.writeStatus(st);
        throw e;
      }
      made = found;
      already = true;
    }
    this.replace(made);
    if (!already && rs.spec.replicas > 0) {
      this.c.recorder.event(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${made.metadata.name} to ${rs.spec.replicas}`);
    }
    const st: DeploymentStatus = structuredClone(this.d.status ?? {});
    if (!already && hasProgressDeadline(d)) {
      setCondition(st, newCondition('Progressing', 'True', 'NewReplicaSetCreated', `Created new replica set "${made.metadata.name}"`, this.c.clock));
    }
    if (this.d.metadata.annotations?.[revisionAnnotation] !== String(newRevision)) await this.writeRevision(String(newRevision), st);
    else if (!already && hasProgressDeadline(d)) await this.writeStatus(st);
    return made;
  }

  /** sets an RS's size (and replicas annotations); records ScalingReplicaSet when the size changes */
  private async scaleRS(rs: KObject, to: number): Promise<boolean> {
    const d = this.d;
    const from = rs.spec?.replicas ?? 0;
    const max = replicasOf(d) + maxSurge(d);
    if (from === to && !replicasAnnotationsNeedUpdate(rs, replicasOf(d), max)) return false;
    const copy = structuredClone(rs);
    copy.spec.replicas = to;
    setReplicasAnnotations(copy, replicasOf(d), max);
    this.replace(await this.c.api.update(replicaSetsResource, copy));
    if (from === to) return false;
    this.c.recorder.event(d, 'Normal', 'ScalingReplicaSet', `Scaled ${from < to ? 'up' : 'down'} replica set ${rs.metadata.name} to ${to} from ${from}`);
    return true;
  }

  /** scaling events and paused deployments (upstream's sync) */
  async sync(): Promise<Result> {
    const newRS = await this.newReplicaSet(false);
    await this.scale(newRS);
    if (this.d.spec?.paused) await this.cleanup(newRS);
    return this.syncStatus(this.findNew());
  }

  async statusOnly(): Promise<Result> {
    const newRS = await this.newReplicaSet(false);
    return this.syncStatus(newRS);
  }

  private async scale(newRS: KObject | undefined): Promise<void> {
    const d = this.d;
    const olds = this.olds(newRS);
    const one = findActiveOrLatest(newRS, olds);
    if (one) {
      if ((one.spec?.replicas ?? 0) !== replicasOf(d)) await this.scaleRS(one, replicasOf(d));
      return;
    }
    if (isSaturated(d, newRS)) {
      for (const r of activeRSs(olds)) await this.scaleRS(r, 0);
      return;
    }
    if (!isRolling(d)) return;
    const sizes = proportionalSizes(d, newRS, olds);
    if (!sizes) return;
    for (const r of activeRSs(this.rss)) {
      const to = sizes.get(r.metadata.name!);
      if (to !== undefined) await this.scaleRS(r, to);
    }
  }

  async rolling(): Promise<Result> {
    let newRS = await this.newReplicaSet(true);
    if (newRS) {
      const want = replicasOf(this.d);
      const cur = newRS.spec?.replicas ?? 0;
      const to = cur > want ? want : newRSNewReplicas(this.d, this.rss, newRS);
      if (to !== cur && await this.scaleRS(newRS, to)) return this.syncStatus(this.findNew());
      newRS = this.findNew();
    }
    const plan = oldRSsScaleDown(this.d, this.olds(newRS), newRS);
    let scaled = false;
    for (const r of this.olds(newRS)) {
      const to = plan.get(r.metadata.name!);
      if (to !== undefined && await this.scaleRS(r, to)) scaled = true;
    }
    if (!scaled && deploymentComplete(this.d, rolloutStatus(this.d, this.rss, newRS, this.c.clock))) await this.cleanup(newRS);
    return this.syncStatus(this.findNew());
  }

  async recreate(pods: Map<string, KObject[]>): Promise<Result> {
    let newRS = await this.newReplicaSet(false);
    let scaled = false;
    for (const r of activeRSs(this.olds(newRS))) if (await this.scaleRS(r, 0)) scaled = true;
    if (scaled) return this.syncStatus(newRS);
    const running = this.olds(newRS).some((r) => (r.status?.replicas ?? 0) > 0 ||
      (pods.get(r.metadata.uid!) ?? []).some((p) => p.status?.phase !== 'Failed' && p.status?.phase !== 'Succeeded'));
    if (running) return this.syncStatus(newRS);
    newRS ??= await this.newReplicaSet(true);
    if (newRS) await this.scaleRS(newRS, replicasOf(this.d));
    newRS = this.findNew();
    if (deploymentComplete(this.d, rolloutStatus(this.d, this.rss, newRS, this.c.clock))) await this.cleanup(newRS);
    return this.syncStatus(newRS);
  }

  /** deletes the oldest empty old RSs beyond revisionHistoryLimit */
  private async cleanup(newRS: KObject | undefined): Promise<void> {
    const limit = this.d.spec?.revisionHistoryLimit;
    if (limit === undefined || limit === null) return;
    const cleanable = this.olds(newRS).filter((r) => !r.metadata.deletionTimestamp);
    const diff = cleanable.length - limit;
    if (diff <= 0) return;
    cleanable.sort((a, b) => revisionOf(a) - revisionOf(b) || byCreation(a, b));
    for (const r of cleanable.slice(0, diff)) {
      if ((r.status?.replicas ?? 0) !== 0 || (r.spec?.replicas ?? 0) !== 0 || (r.metadata.generation ?? 0) > (r.status?.observedGeneration ?? 0)) continue;
      try {
        await this.c.api.delete(replicaSetsResource, r.metadata.name!, { namespace: this.ns, preconditions: { uid: r.metadata.uid } });
      } catch (e) { if (!isNotFound(e)) throw e; }
      this.rss = this.rss.filter((x) => x !== r);
    }
  }

  private async syncStatus(newRS: KObject | undefined): Promise<Result> {
    const now = this.c.clock;
    const st = rolloutStatus(this.d, this.rss, newRS, now);
    if (!statusEqual(this.d.status, st)) await this.writeStatus(st);
    const wait = msUntilDeadline(this.d, st, now);
    return wait === undefined ? undefined : { requeueAfter: wait };
  }
}

/** what the controller table (index.ts) hands a controller */
export interface ControllerContext { client: RestClient; informers: SharedInformerFactory; log: (msg: string) => void }

/** upstream's ConcurrentDeploymentSyncs default */
const workers = 5;

export function startDeploymentController(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
  return new DeploymentController({ client: ctx.client, informers: ctx.informers, log: ctx.log }).run(workers, signal);
}
