// kube-scheduler: runs the Scheduler while holding the Lease kube-system/kube-scheduler.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { LeaderElector, RestClient, SharedInformerFactory } from '../client/index.js';
import { Scheduler, type SchedulerOptions } from './scheduler.js';

export { Scheduler } from './scheduler.js';
export { fitErrorMessage } from './fiterror.js';

export interface RunSchedulerOptions {
  kubeconfigPath: string;
  log: (msg: string) => void;
  /** a factory shared with other in-process components; its owner starts it. Default: our own. */
  informers?: SharedInformerFactory;
  scheduler?: Partial<SchedulerOptions>;
  leaseDurationSeconds?: number; renewDeadlineSeconds?: number; retryPeriodSeconds?: number;
}

/** campaigns for the kube-scheduler Lease and schedules while leading; returns a stop function */
export async function runScheduler(opts: RunSchedulerOptions): Promise<() => Promise<void>> {
  const { log } = opts;
  const stop = new AbortController();
  const identity = `${hostname()}_${randomUUID()}`;
  const client = RestClient.fromKubeconfig(opts.kubeconfigPath, { userAgent: 'kube-scheduler/v0.1.0 k8ts', maxSockets: 64 });
  const own = !opts.informers;
  const informers = opts.informers ?? new SharedInformerFactory(client);
  const campaign = async () => {
    while (!stop.signal.aborted) {
      const elector = new LeaderElector({
        client, namespace: 'kube-system', name: 'kube-scheduler', identity,
        leaseDurationSeconds: opts.leaseDurationSeconds, renewDeadlineSeconds: opts.renewDeadlineSeconds, retryPeriodSeconds: opts.retryPeriodSeconds,
        onNewLeader: (who) => { if (who !== identity) log(`scheduler: leader is ${who}`); },
        onStartedLeading: async (signal) => {
          log(`scheduler: became leader (${identity})`);
          const s = new Scheduler({ client, informers, log, ...opts.scheduler });
          const run = s.run(signal);
          if (own) informers.start(signal);
          await run;
          if (own) await informers.stop();
        },
        onStoppedLeading: () => { if (!stop.signal.aborted) log('scheduler: leader election lost'); },
      });
      try { await elector.run(stop.signal); } catch (e) { log(`scheduler: leader election: ${e instanceof Error ? e.message : e}`); }
      if (!stop.signal.aborted) await new Promise((r) => setTimeout(r, 1000));
    }
  };
  const done = campaign();
  return async () => { stop.abort(); await done; client.close(); };
}
