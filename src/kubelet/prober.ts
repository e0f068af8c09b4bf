// Probe workers, as upstream's prober manager: one timer per (pod, container, probe kind), never
// blocking a pod sync. The kubelet tells the manager what runs (update) and reads cached results;
// a result that changes calls onChange so the pod is synced again. Results are per container id:
// readiness starts as failure, liveness as success, startup as unknown; a liveness or startup
// failure holds the worker until a new container replaces the failed one.
import { runProbe, type CheckOutcome } from './probes.js';
import type { ExecFn } from './execsync.js';

export type ProbeKind = 'liveness' | 'readiness' | 'startup';
const kinds: { kind: ProbeKind; field: string; label: string }[] = [
  { kind: 'startup', field: 'startupProbe', label: 'Startup' },
  { kind: 'liveness', field: 'livenessProbe', label: 'Liveness' },
  { kind: 'readiness', field: 'readinessProbe', label: 'Readiness' },
];

/** what the kubelet knows of a container's latest attempt */
export interface RunningState { id: string; running: boolean; startedAtMs: number }

export interface ProberOptions {
  exec: ExecFn;
  /** a cached result changed: sync the pod (namespace/name) */
  onChange: (podKey: string) => void;
  /** a probe attempt failed or errored (for the Unhealthy event) */
  onFailure?: (pod: any, container: any, kind: ProbeKind, message: string) => void;
  /** runs a check; default runProbe (tests may count calls) */
  run?: typeof runProbe;
}

/** upstream's defaults for the fields the API server leaves unset */
export function probeTiming(p: any): { initialDelayMs: number; periodMs: number; timeoutSeconds: number; successThreshold: number; failureThreshold: number } {
  return {
    initialDelayMs: (p.initialDelaySeconds ?? 0) * 1000, periodMs: Math.max(1, p.periodSeconds ?? 10) * 1000,
    timeoutSeconds: Math.max(1, p.timeoutSeconds ?? 1), successThreshold: Math.max(1, p.successThreshold ?? 1), failureThreshold: Math.max(1, p.failureThreshold ?? 3),
  };
}

interface Result { id: string; ok: boolean | undefined }

class Worker {
  state?: RunningState;
  podIP = '';
  private timer?: NodeJS.Timeout;
  private last?: boolean;
  private run = 0;
  private onHold = false;
  private busy = false;
  private stopped = false;

  readonly probe: any;

  constructor(readonly m: ProbeManager, readonly key: string, public pod: any, public container: any, readonly kind: ProbeKind, readonly label: string, readonly spec: string) {
    this.probe = JSON.parse(spec);
  }

  /** called when the kubelet reports the container; a new id resets the results and probes soon */
  see(state: RunningState | undefined, podIP: string): void {
    this.podIP = podIP;
    const prev = this.state;
    this.state = state;
    if (!state || state.id === prev?.id) {
      if (!this.timer && !this.stopped) this.schedule(0);
      return;
    }
    this.onHold = false; this.run = 0; this.last = undefined;
    this.m.set(this.key, { id: state.id, ok: this.kind === 'readiness' ? false : this.kind === 'liveness' ? true : undefined }, false);
    const delay = Math.max(0, state.startedAtMs + probeTiming(this.probe).initialDelayMs - Date.now());
    this.schedule(delay);
  }

  stop(): void { this.stopped = true; clearTimeout(this.timer); this.timer = undefined; }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    if (this.stopped) return;
    this.timer = setTimeout(() => { this.timer = undefined; void this.tick(); }, ms);
  }

  private async tick(): Promise<void> {
    const t = probeTiming(this.probe);
    if (this.busy) return;
    this.busy = true;
    try { await this.probeOnce(t); } catch { /* a failed check is a result; anything else waits for the next period */ }
    this.busy = false;
    if (!this.stopped && !this.timer) this.schedule(t.periodMs);
  }

  private async probeOnce(t: ReturnType<typeof probeTiming>): Promise<void> {
    const s = this.state;
    if (!s || this.onHold) return;
    const cur = this.m.get(this.key);
    if (!s.running) {
      if (this.kind === 'readiness' && cur?.id === s.id && cur.ok !== false) this.m.set(this.key, { id: s.id, ok: false }, true);
      return;
    }
    const uid = this.pod.metadata.uid;
    const name = this.container.name;
    if (this.kind === 'startup' && cur?.id === s.id && cur.ok === true) return; // started: nothing more to do
    if (this.kind !== 'startup' && this.container.startupProbe && this.m.result(uid, name, 'startup', s.id) !== true) return;
    if (Date.now() - s.startedAtMs < t.initialDelayMs) return;
    const out: CheckOutcome = await (this.m.o.run ?? runProbe)(this.probe, { podIP: this.podIP, container: this.container, containerId: s.id, exec: this.m.o.exec });
    if (this.stopped || this.state?.id !== s.id) return;
    if (out.result === 'unknown') {
      this.m.o.onFailure?.(this.pod, this.container, this.kind, `${this.label} probe errored and resulted in unknown state: ${out.output}`);
      return;
    }
    const ok = out.result === 'success';
    if (!ok) this.m.o.onFailure?.(this.pod, this.container, this.kind, `${this.label} probe failed: ${out.output}`);
    if (this.last === ok) this.run++;
    else { this.last = ok; this.run = 1; }
    if ((ok && this.run < t.successThreshold) || (!ok && this.run < t.failureThreshold)) return;
    this.m.set(this.key, { id: s.id, ok }, true);
    if (!ok && this.kind !== 'readiness') { this.onHold = true; this.run = 0; }
  }
}

export class ProbeManager {
  private readonly workers = new Map<string, Worker>();
  private readonly results = new Map<string, Result>();

  constructor(readonly o: ProberOptions) {}

  /** creates, refreshes and removes the pod's workers from its spec and its containers' states */
  update(pod: any, podIP: string, states: Map<string, RunningState>): void {
    const uid = pod.metadata.uid;
    const want = new Set<string>();
    const all = [...(pod.spec?.initContainers ?? []).filter((c: any) => c.restartPolicy === 'Always'), ...(pod.spec?.containers ?? [])];
    for (const c of all) {
      for (const k of kinds) {
        if (!c[k.field]) continue;
        const key = `${uid}/${c.name}/${k.kind}`;
        want.add(key);
        const spec = JSON.stringify(c[k.field]);
        let w = this.workers.get(key);
        if (w && w.spec !== spec) { w.stop(); w = undefined; this.results.delete(key); }
        if (!w) { w = new Worker(this, key, pod, c, k.kind, k.label, spec); this.workers.set(key, w); }
        w.pod = pod; w.container = c;
        w.see(states.get(c.name), podIP);
      }
    }
    for (const [key, w] of this.workers) {
      if (key.startsWith(`${uid}/`) && !want.has(key)) { w.stop(); this.workers.delete(key); this.results.delete(key); }
    }
  }

  /** stops the pod's workers and forgets its results */
  removePod(uid: string): void {
    for (const [key, w] of this.workers) if (key.startsWith(`${uid}/`)) { w.stop(); this.workers.delete(key); this.results.delete(key); }
  }

  /** the cached result for that container attempt: true, false, or undefined (unknown / no probe) */
  result(uid: string, container: string, kind: ProbeKind, containerId: string): boolean | undefined {
    const r = this.results.get(`${uid}/${container}/${kind}`);
    return r && r.id === containerId ? r.ok : undefined;
  }

  stop(): void { for (const w of this.workers.values()) w.stop(); this.workers.clear(); this.results.clear(); }

  /** @internal */
  get(key: string): Result | undefined { return this.results.get(key); }

  /** @internal */
  set(key: string, r: Result, notify: boolean): void {
    const old = this.results.get(key);
    this.results.set(key, r);
    if (notify && (old?.id !== r.id || old?.ok !== r.ok)) {
      const w = this.workers.get(key);
      if (w) this.o.onChange(`${w.pod.metadata.namespace}/${w.pod.metadata.name}`);
    }
  }
}
