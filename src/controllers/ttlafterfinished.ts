// TTL-after-finished controller (upstream pkg/controller/ttlafterfinished): deletes a finished Job
// (Complete or Failed) ttlSecondsAfterFinished after it finished, with foreground propagation.
import type { KObject } from '../api/types.js';
import { isNotFound, keyOf, splitKey, WorkQueue, type RestClient, type SharedInformer, type SharedInformerFactory } from '../client/index.js';
import { realClock, type Clock } from '../util/clock.js';
import { jobsResource } from './job.js';
import { findCondition, isJobFinished } from './jobutil.js';

export interface TTLAfterFinishedOptions { client: RestClient; informers: SharedInformerFactory; clock?: Clock; log?: (msg: string) => void }

/** when the job expires (ms since epoch), or undefined if it has no TTL or is not finished */
export function expiresAt(job: KObject): number | undefined {
  const ttl = job.spec?.ttlSecondsAfterFinished;
  if (ttl == null || !isJobFinished(job)) return undefined;
  const c = findCondition(job.status?.conditions, 'Complete')?.status === 'True' ? findCondition(job.status.conditions, 'Complete') : findCondition(job.status?.conditions, 'Failed');
  const finishedAt = Date.parse(c?.lastTransitionTime ?? job.status?.completionTime ?? '');
  if (Number.isNaN(finishedAt)) return undefined;
  return finishedAt + ttl * 1000;
}

export class TTLAfterFinishedController {
  readonly queue: WorkQueue<string>;
  readonly jobs: SharedInformer;
  private readonly clock: Clock;

  constructor(private readonly opts: TTLAfterFinishedOptions) {
    this.clock = opts.clock ?? realClock;
    this.queue = new WorkQueue<string>({ name: 'ttl_jobs_to_delete', onError: (k, e) => opts.log?.(`ttl-after-finished controller: ${k}: ${e instanceof Error ? e.message : e}`) });
    this.jobs = opts.informers.informerFor(jobsResource);
    const enqueue = (j: KObject) => { if (!j.metadata.deletionTimestamp && expiresAt(j) !== undefined) this.queue.add(keyOf(j)); };
    this.jobs.addEventHandler({ add: enqueue, update: (_o, j) => enqueue(j) });
  }

  async run(workers: number, signal: AbortSignal): Promise<void> {
    if (!(await this.jobs.waitForSync(signal))) return;
    await this.queue.runWorkers(workers, (k) => this.reconcile(k), signal);
  }

  async reconcile(key: string): Promise<void | { requeueAfter: number }> {
    const { namespace, name } = splitKey(key);
    const cached = this.jobs.lister.get(namespace, name);
    if (!cached || cached.metadata.deletionTimestamp) return;
    const left = (at: number | undefined) => (at === undefined ? undefined : at - this.clock.now().getTime());
    let l = left(expiresAt(cached));
    if (l === undefined) return;
    if (l > 0) return { requeueAfter: this.clock.realDelay(l) + 50 };
    // the cache may be stale: check the live object before deleting
    let fresh: KObject;
    try { fresh = await this.opts.client.get(jobsResource, name, { namespace }); } catch (e) { if (isNotFound(e)) return; throw e; }
    if (fresh.metadata.deletionTimestamp) return;
    l = left(expiresAt(fresh));
    if (l === undefined) return;
    if (l > 0) return { requeueAfter: this.clock.realDelay(l) + 50 };
    try {
      await this.opts.client.delete(jobsResource, name, { namespace, propagationPolicy: 'Foreground', preconditions: { uid: fresh.metadata.uid } });
      this.opts.log?.(`ttl-after-finished controller: deleted job ${key}`);
    } catch (e) { if (!isNotFound(e)) throw e; }
  }
}
