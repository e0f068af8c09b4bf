// The kubelet's Summary API (GET /stats/summary, upstream's stats/v1alpha1 shape, CPU and memory
// only): the node's usage from /proc and each running container's from the runtime (CRI
// ListContainerStats). The API server's metrics.k8s.io (kubectl top, the HPA) is made from it.
//
// CPU is a cumulative counter; usageNanoCores is its rate between two samples, as cAdvisor's
// housekeeping gives it. A sampler takes one every `intervalMs` (10 s); a summary reports the rate
// from the newest sample at least 1 s old to a fresh one, so it follows the load within seconds. A
// container seen for the first time has no rate yet: it is left out until the next sample (as
// metrics-server leaves out a pod it has scraped once).
import { readFile } from 'node:fs/promises';
import type { CriClient } from './cri/client.js';
import { containerNameLabel, podNameLabel, podNamespaceLabel, podUidLabel } from './runtime.js';

export interface CpuStats { time: string; usageNanoCores?: number; usageCoreNanoSeconds?: number }
export interface MemoryStats { time: string; workingSetBytes?: number; availableBytes?: number; usageBytes?: number; rssBytes?: number }
export interface ContainerStats { name: string; cpu?: CpuStats; memory?: MemoryStats }
export interface PodStats { podRef: { name: string; namespace: string; uid: string }; containers: ContainerStats[]; cpu?: CpuStats; memory?: MemoryStats }
export interface Summary { node: { nodeName: string; startTime?: string; cpu?: CpuStats; memory?: MemoryStats }; pods: PodStats[] }

/** one reading of a cumulative CPU counter (ns) at a time (ns since the epoch) */
interface Sample { t: number; cpu: number }

interface Reading {
  node: { cpu: Sample; memory: { total: number; workingSet: number; available: number; usage: number } };
  containers: Map<string, { attrs: any; cpu: Sample; memory: any }>;
}

const minWindowNs = 1e9;
const rfc3339 = (ns: number) => new Date(Math.floor(ns / 1e6)).toISOString().replace(/\.\d+Z$/, 'Z');

/** node CPU (ns, all cores, busy time) and memory from /proc (USER_HZ is 100 on Linux) */
export function parseProc(stat: string, meminfo: string, nowNs: number): Reading['node'] & { bootTime?: number } {
  const cpu = stat.split('\n').find((l) => l.startsWith('cpu '))?.trim().split(/\s+/).slice(1).map(Number) ?? [];
  // user nice system idle iowait irq softirq steal (guest time is already in user)
  const busy = [0, 1, 2, 5, 6, 7].reduce((a, i) => a + (cpu[i] || 0), 0);
  const kb = (k: string) => Number(new RegExp(`^${k.replace(/[()]/g, '\\$&')}:\\s+(\\d+) kB`, 'm').exec(meminfo)?.[1] ?? 0) * 1024;
  const total = kb('MemTotal'), free = kb('MemFree'), available = kb('MemAvailable');
  const usage = total - free;
  // as cAdvisor's working set: usage without the inactive file cache
  const workingSet = Math.max(0, usage - kb('Inactive(file)'));
  const btime = /^btime (\d+)/m.exec(stat)?.[1];
  return { cpu: { t: nowNs, cpu: busy * 1e7 }, memory: { total, workingSet, available, usage }, bootTime: btime ? Number(btime) : undefined };
}

export interface StatsProviderOptions { cri: CriClient; nodeName: string; procDir?: string; intervalMs?: number }

export class StatsProvider {
  /** the newest readings, oldest first (at most 3) */
  private readings: Reading[] = [];
  private timer: NodeJS.Timeout | undefined;
  private bootTime: number | undefined;
  private readonly proc: string;

  constructor(private readonly o: StatsProviderOptions) { this.proc = o.procDir ?? '/proc'; }

  start(): void {
    const tick = () => { void this.read().then((r) => this.keep(r), () => {}); };
    tick();
    this.timer = setInterval(tick, this.o.intervalMs ?? 10_000).unref();
  }

  stop(): void { clearInterval(this.timer); }

  private keep(r: Reading): void {
    this.readings.push(r);
    if (this.readings.length > 3) this.readings.shift();
  }

  private async read(): Promise<Reading> {
    const [running, stats, stat, meminfo] = await Promise.all([
      this.o.cri.call('ListContainers', { filter: { state: { state: 'CONTAINER_RUNNING' } } }),
      this.o.cri.call('ListContainerStats', { filter: {} }),
      readFile(`${this.proc}/stat`, 'utf8'),
      readFile(`${this.proc}/meminfo`, 'utf8'),
    ]);
    const now = Date.now() * 1e6;
    const node = parseProc(stat, meminfo, now);
    this.bootTime ??= node.bootTime;
    const live = new Set(((running.containers ?? []) as any[]).map((c) => c.id));
    const containers = new Map<string, { attrs: any; cpu: Sample; memory: any }>();
    for (const s of (stats.stats ?? []) as any[]) {
      const id = s.attributes?.id;
      if (!id || !live.has(id) || !s.cpu?.usageCoreNanoSeconds) continue;
      containers.set(id, { attrs: s.attributes, cpu: { t: Number(s.cpu.timestamp) || now, cpu: Number(s.cpu.usageCoreNanoSeconds.value) }, memory: s.memory });
    }
    return { node: { cpu: node.cpu, memory: node.memory }, containers };
  }

  /** the newest kept sample of `pick` at least minWindow before `at` */
  private base(at: number, pick: (r: Reading) => Sample | undefined): Sample | undefined {
    for (let i = this.readings.length - 1; i >= 0; i--) {
      const s = pick(this.readings[i]);
      if (s && at - s.t >= minWindowNs) return s;
    }
    return undefined;
  }

  async summary(): Promise<Summary> {
    let now = await this.read();
    if (!this.base(now.node.cpu.t, (r) => r.node.cpu)) {
      // just started: wait for a window
      this.keep(now);
      await new Promise((r) => setTimeout(r, minWindowNs / 1e6));
      now = await this.read();
    }
    const rate = (cur: Sample, base: Sample | undefined): CpuStats => ({
      time: rfc3339(cur.t), usageCoreNanoSeconds: cur.cpu,
      ...(base && cur.t > base.t ? { usageNanoCores: Math.max(0, Math.round(((cur.cpu - base.cpu) / (cur.t - base.t)) * 1e9)) } : {}),
    });
    const time = rfc3339(now.node.cpu.t);
    const m = now.node.memory;
    const pods = new Map<string, PodStats>();
    for (const [id, c] of now.containers) {
      const labels = c.attrs.labels ?? {};
      const uid = labels[podUidLabel];
      if (!uid) continue;
      const cpu = rate(c.cpu, this.base(c.cpu.t, (r) => r.containers.get(id)?.cpu));
      if (cpu.usageNanoCores === undefined) continue;
      let pod = pods.get(uid);
      if (!pod) pods.set(uid, (pod = { podRef: { name: labels[podNameLabel] ?? '', namespace: labels[podNamespaceLabel] ?? '', uid }, containers: [] }));
      const ws = Number(c.memory?.workingSetBytes?.value ?? 0);
      pod.containers.push({
        name: labels[containerNameLabel] ?? c.attrs.metadata?.name ?? '', cpu,
        memory: { time: rfc3339(Number(c.memory?.timestamp) || c.cpu.t), workingSetBytes: ws, ...(c.memory?.usageBytes ? { usageBytes: Number(c.memory.usageBytes.value) } : {}) },
      });
    }
    for (const p of pods.values()) {
      const sum = (f: (c: ContainerStats) => number | undefined) => p.containers.reduce((a, c) => a + (f(c) ?? 0), 0);
      p.cpu = { time, usageNanoCores: sum((c) => c.cpu?.usageNanoCores), usageCoreNanoSeconds: sum((c) => c.cpu?.usageCoreNanoSeconds) };
      p.memory = { time, workingSetBytes: sum((c) => c.memory?.workingSetBytes) };
    }
    this.keep(now);
    return {
      node: {
        nodeName: this.o.nodeName, ...(this.bootTime ? { startTime: new Date(this.bootTime * 1000).toISOString().replace(/\.\d+Z$/, 'Z') } : {}),
        cpu: rate(now.node.cpu, this.base(now.node.cpu.t, (r) => r.node.cpu)),
        memory: { time, workingSetBytes: m.workingSet, availableBytes: m.available, usageBytes: m.usage },
      },
      pods: [...pods.values()],
    };
  }
}
