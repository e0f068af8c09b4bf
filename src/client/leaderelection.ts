// Leader election through coordination.k8s.io/v1 Leases (as client-go's leaderelection with a LeaseLock).
// Every write carries the resourceVersion read before it: a 409 means another candidate won the race.
import type { KObject } from '../api/types.js';
import { isConflict, isNotFound } from './errors.js';
import { microTime } from './microtime.js';
import type { RestClient } from './rest.js';

export const leases = { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', namespaced: true, kind: 'Lease' };

export interface LeaseSpec {
  holderIdentity?: string; leaseDurationSeconds?: number;
  acquireTime?: string; renewTime?: string; leaseTransitions?: number;
}
interface Lease extends KObject { spec?: LeaseSpec }

export interface LeaderElectionConfig {
  client: RestClient;
  /** the Lease's namespace and name */
  namespace: string;
  name: string;
  /** this candidate's identity (unique: e.g. hostname_uuid) */
  identity: string;
  /** seconds others wait before taking over a lease that is not renewed (default 15) */
  leaseDurationSeconds?: number;
  /** seconds the leader keeps retrying a renewal before giving up leadership (default 10) */
  renewDeadlineSeconds?: number;
  /** seconds between attempts (default 2) */
  retryPeriodSeconds?: number;
  /** on cancellation, clear holderIdentity so others need not wait for expiry (default true) */
  releaseOnCancel?: boolean;
  /** runs while leading; its signal aborts when leadership ends */
  onStartedLeading: (signal: AbortSignal) => void | Promise<void>;
  onStoppedLeading?: () => void;
  /** called when a different leader is observed (including ourselves) */
  onNewLeader?: (identity: string) => void;
}

const sleep = (ms: number, signal: AbortSignal) => new Promise<void>((resolve) => {
  if (signal.aborted) return resolve();
  const done = () => { clearTimeout(t); signal.removeEventListener('abort', done); resolve(); };
  const t = setTimeout(done, ms);
  signal.addEventListener('abort', done, { once: true });
});

export class LeaderElector {
  private observed?: Lease;
  private observedSpec = '';
  private observedTime = 0;
  private reportedLeader = '';
  private readonly leaseMs: number;
  private readonly renewMs: number;
  private readonly retryMs: number;

  constructor(private readonly cfg: LeaderElectionConfig) {
    this.leaseMs = (cfg.leaseDurationSeconds ?? 15) * 1000;
    this.renewMs = (cfg.renewDeadlineSeconds ?? 10) * 1000;
    this.retryMs = (cfg.retryPeriodSeconds ?? 2) * 1000;
    if (this.leaseMs <= this.renewMs) throw new Error('leaseDuration must be greater than renewDeadline');
    if (this.renewMs <= this.retryMs * 1.2) throw new Error('renewDeadline must be greater than retryPeriod*1.2');
  }

  /** the holder last observed ('' if none) */
  getLeader(): string { return this.observed?.spec?.holderIdentity ?? ''; }
  isLeader(): boolean { return !!this.observed && this.getLeader() === this.cfg.identity; }

  /**
   * Campaigns until leading, leads until the lease cannot be renewed within renewDeadline or the
   * signal aborts, then returns (after onStoppedLeading). Run it again to campaign again.
   */
  async run(signal: AbortSignal): Promise<void> {
    if (!(await this.acquire(signal))) return;
    const leading = new AbortController();
    const work = Promise.resolve().then(() => this.cfg.onStartedLeading(leading.signal))
      .catch((e) => console.error(`leader election ${this.cfg.name}: onStartedLeading failed:`, e));
    try {
      await this.renewLoop(signal);
    } finally {
      leading.abort();
      if (signal.aborted && (this.cfg.releaseOnCancel ?? true)) await this.release();
      this.cfg.onStoppedLeading?.();
    }
    await work;
  }

  private async acquire(signal: AbortSignal): Promise<boolean> {
    while (!signal.aborted) {
      if (await this.tryAcquireOrRenew(signal)) return true;
      await sleep(this.retryMs * (1 + Math.random() * 1.2), signal);
    }
    return false;
  }

  private async renewLoop(signal: AbortSignal): Promise<void> {
    let lastRenew = Date.now();
    while (!signal.aborted) {
      await sleep(this.retryMs, signal);
      if (signal.aborted) return;
      if (await this.tryAcquireOrRenew(signal)) { lastRenew = Date.now(); continue; }
      if (Date.now() - lastRenew >= this.renewMs) return;   // failed to renew in time: leadership lost
    }
  }

  private async tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const { client, namespace, name, identity } = this.cfg;
    const now = microTime();
    const reqSignal = AbortSignal.any([signal, AbortSignal.timeout(this.renewMs)]);
    const desired: LeaseSpec = { holderIdentity: identity, leaseDurationSeconds: Math.ceil(this.leaseMs / 1000), acquireTime: now, renewTime: now, leaseTransitions: 0 };
    let cur: Lease;
    try {
      cur = await client.get<Lease>(leases, name, { namespace, signal: reqSignal });
    } catch (e) {
      if (!isNotFound(e)) return this.failed(e);
      try {
        const made = await client.create<Lease>(leases, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace }, spec: desired }, { signal: reqSignal });
        this.observe(made);
        return true;
      } catch (e2) { return this.failed(e2); }
    }
    this.observe(cur);
    const spec = cur.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const validMs = (spec.leaseDurationSeconds ?? 0) * 1000;
    if (holder && holder !== identity && this.observedTime + validMs > Date.now()) return false;
    if (holder === identity) {
      desired.acquireTime = spec.acquireTime;
      desired.leaseTransitions = spec.leaseTransitions ?? 0;
    } else {
      desired.leaseTransitions = (spec.leaseTransitions ?? 0) + 1;
    }
    try {
      const upd = await client.update<Lease>(leases, { ...cur, spec: desired }, { signal: reqSignal });
      this.observe(upd);
      return true;
    } catch (e) { return this.failed(e); }
  }

  /** remembers the record and when this process first saw it (the local clock decides expiry) */
  private observe(l: Lease): void {
    const s = JSON.stringify(l.spec ?? {});
    if (s !== this.observedSpec) { this.observedSpec = s; this.observedTime = Date.now(); }
    this.observed = l;
    const leader = this.getLeader();
    if (leader && leader !== this.reportedLeader) {
      this.reportedLeader = leader;
      try { this.cfg.onNewLeader?.(leader); } catch (e) { console.error(e); }
    }
  }

  private failed(e: unknown): false {
    if (!isConflict(e) && !(e instanceof Error && e.name === 'AbortError')) {
      console.error(`leader election ${this.cfg.namespace}/${this.cfg.name}: ${e instanceof Error ? e.message : e}`);
    }
    return false;
  }

  /**
   * Clears holderIdentity. A renewal cut short by the cancellation may still have been applied by the
   * server, leaving the record this process observed one version behind: on a conflict, read the lease
   * again and release it if it is still ours (otherwise the others wait out the lease).
   */
  private async release(): Promise<void> {
    if (!this.isLeader()) return;
    const { client, namespace, name, identity } = this.cfg;
    const signal = AbortSignal.timeout(this.renewMs);
    for (let attempt = 0; attempt < 3; attempt++) {
      const cur = this.observed!;
      if ((cur.spec?.holderIdentity ?? '') !== identity) return;
      const now = microTime();
      const spec: LeaseSpec = { holderIdentity: '', leaseDurationSeconds: 1, acquireTime: now, renewTime: now, leaseTransitions: cur.spec?.leaseTransitions ?? 0 };
      try {
        this.observe(await client.update<Lease>(leases, { ...cur, spec }, { signal }));
        return;
      } catch (e) {
        if (!isConflict(e)) { this.failed(e); return; }
        try { this.observe(await client.get<Lease>(leases, name, { namespace, signal })); } catch (e2) { this.failed(e2); return; }
      }
    }
  }
}
