// The service proxy: Services + EndpointSlices (+ this Node's address) from informers, programmed
// into one nftables table. The first sync and any failed one write the whole table in one
// transaction; afterwards only the Services that changed are rewritten (their chains, sets and map
// elements), all of them in one transaction per sync.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { KObject } from '../api/types.js';
import { keyOf, splitKey, SharedInformer, WorkQueue, type RestClient } from '../client/index.js';
import { portTaken, publishIngress, servicesRef, wantedIngress, type HostPort } from './lbstatus.js';
import { servicePorts, serviceNameLabel } from './model.js';
import { nftApply, tableExists, type Apply } from '../util/nft.js';
import { emptyProgram, fullRuleset, programDiff, serviceProgram, type Program, type RulesConfig } from './rules.js';

const slicesRef = { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', namespaced: true, kind: 'EndpointSlice' };
const nodesRef = { group: '', version: 'v1', plural: 'nodes', namespaced: false, kind: 'Node' };

export interface ProxierOptions {
  client: RestClient;
  table: string;
  /** for route_localnet (NodePorts on 127.0.0.1) */
  bridge: string;
  /** this node's pod range until its Node object says otherwise */
  podCIDR: string;
  nodeName: string;
  serviceCIDR: string;
  clusterCIDR: string;
  /** the node's address until its Node object says otherwise */
  nodeIP?: string;
  log: (msg: string) => void;
  apply?: Apply;
  /** whether the table is still there (checked every 30 s; someone may delete it); default asks nft */
  exists?: (table: string) => Promise<boolean>;
  /** a full rewrite of the table this often (default 1 h) */
  fullSyncMs?: number;
  /** ports the node itself serves on its address (the ingress): no LoadBalancer Service gets them */
  reservedPorts?: HostPort[];
}

export class Proxier {
  readonly services: SharedInformer;
  readonly slices: SharedInformer;
  readonly node: SharedInformer;
  /** endpoint slices by service key "ns/name" */
  private readonly slicesBySvc = new Map<string, Map<string, KObject>>();
  private installed = new Map<string, Program>();
  /** element key -> the service holding it (a LoadBalancer port on the node IP goes to the first) */
  private owners = new Map<string, string>();
  /** element key -> services that wanted it while another held it (synced again once it is free) */
  private denied = new Map<string, Set<string>>();
  private dirty = new Set<string>();
  private needFull = true;
  private nodeIP?: string;
  /** the Node object's InternalIP (what ServiceLB publishes) */
  private nodeInternalIP?: string;
  private podCIDR: string;
  private readonly queue: WorkQueue<string>;
  private readonly lbQueue: WorkQueue<string>;
  private readonly apply: Apply;
  /** counts of transactions (for tests and metrics) */
  readonly stats = { full: 0, partial: 0, failed: 0, lastMs: 0 };

  constructor(private readonly o: ProxierOptions) {
    this.apply = o.apply ?? nftApply;
    this.nodeIP = o.nodeIP;
    this.podCIDR = o.podCIDR;
    this.services = new SharedInformer(o.client, servicesRef);
    this.slices = new SharedInformer(o.client, slicesRef);
    this.node = new SharedInformer(o.client, nodesRef, { fieldSelector: `metadata.name=${o.nodeName}` });
    const onErr = (what: string) => (k: string, e: unknown) => o.log(`proxy: ${what} ${k}: ${(e as Error)?.message ?? e}`);
    this.queue = new WorkQueue<string>({ name: 'proxy', onError: onErr('sync') });
    this.lbQueue = new WorkQueue<string>({ name: 'servicelb', onError: onErr('servicelb') });
  }

  config(): RulesConfig {
    const ips = [...new Set([this.nodeIP, '127.0.0.1'].filter((x): x is string => !!x))];
    return { table: this.o.table, podCIDR: this.podCIDR, serviceCIDR: this.o.serviceCIDR, clusterCIDR: this.o.clusterCIDR, nodePortIPs: ips };
  }

  private touch(key: string): void { this.dirty.add(key); this.queue.add('sync'); }

  async run(signal: AbortSignal): Promise<void> {
    const unsub = [
      this.services.addEventHandler({
        // a LoadBalancer Service's ports decide which other ones may have the node's address
        add: (s) => { this.touch(keyOf(s)); this.lbQueue.add(keyOf(s)); this.recheckLBs(s); },
        update: (a, b) => { if (a !== b) { this.touch(keyOf(b)); this.lbQueue.add(keyOf(b)); this.recheckLBs(a, b); } },
        delete: (s) => { this.touch(keyOf(s)); this.recheckLBs(s); },
      }),
      this.slices.addEventHandler({
        add: (s) => this.sliceChanged(s, false),
        update: (a, b) => { if (a !== b) { this.sliceChanged(a, true); this.sliceChanged(b, false); } },
        delete: (s) => this.sliceChanged(s, true),
      }),
      this.node.addEventHandler({ add: (n) => this.nodeChanged(n), update: (_a, n) => this.nodeChanged(n) }),
    ];
    for (const i of [this.services, this.slices, this.node]) i.start(signal);
    const synced = (await Promise.all([this.services.waitForSync(signal), this.slices.waitForSync(signal)])).every(Boolean);
    const workers: Promise<void>[] = [];
    if (synced) {
      workers.push(this.queue.runWorkers(1, () => this.sync(), signal), this.lbQueue.runWorkers(1, (k) => this.syncLB(k), signal));
      this.queue.add('sync');
    }
    const full = setInterval(() => { this.needFull = true; this.queue.add('sync'); }, this.o.fullSyncMs ?? 3_600_000);
    full.unref();
    // the bridge appears with the first pod (and again after a cleanup): route_localnet as soon as it does
    const localnet = setInterval(() => this.ensureRouteLocalnet(), 500);
    localnet.unref();
    // a table deleted behind our back (a cleanup, `nft flush ruleset`) is written anew
    const exists = this.o.exists ?? (this.o.apply ? async () => true : tableExists);
    const check = setInterval(() => {
      if (this.installed.size || this.stats.full) {
        void exists(this.o.table).then((ok) => { if (!ok && !signal.aborted) { this.o.log(`proxy: table inet ${this.o.table} is gone; writing it again`); this.needFull = true; this.queue.add('sync'); } });
      }
    }, 30_000);
    check.unref();
    await new Promise<void>((r) => { if (signal.aborted) r(); else signal.addEventListener('abort', () => r(), { once: true }); });
    clearInterval(full);
    clearInterval(localnet);
    clearInterval(check);
    unsub.forEach((u) => u());
    this.queue.shutDown();
    this.lbQueue.shutDown();
    await Promise.all([this.services.stop(), this.slices.stop(), this.node.stop(), ...workers]);
  }

  private sliceChanged(s: KObject, gone: boolean): void {
    const svc = s.metadata.labels?.[serviceNameLabel];
    if (!svc) return;
    const key = `${s.metadata.namespace}/${svc}`;
    const sliceName = s.metadata.name ?? '';
    let m = this.slicesBySvc.get(key);
    if (gone) { m?.delete(sliceName); if (m && !m.size) this.slicesBySvc.delete(key); }
    else { if (!m) this.slicesBySvc.set(key, (m = new Map())); m.set(sliceName, s); }
    this.touch(key);
  }

  private nodeChanged(n: KObject): void {
    const ip = ((n as any).status?.addresses ?? []).find((a: any) => a.type === 'InternalIP')?.address as string | undefined;
    const cidr = (n as any).spec?.podCIDR as string | undefined;
    if (ip && ip !== this.nodeInternalIP) {
      this.nodeInternalIP = ip;
      for (const s of this.services.lister.list()) this.lbQueue.add(keyOf(s));
    }
    if ((!ip || ip === this.nodeIP) && (!cidr || cidr === this.podCIDR)) return;
    if (ip) this.nodeIP = ip;
    if (cidr) this.podCIDR = cidr;
    this.needFull = true;
    this.queue.add('sync');
  }

  /** the wanted program of one service, without elements another service holds */
  private program(key: string, cfg: RulesConfig): Program {
    const svc = this.get(key);
    if (!svc) return emptyProgram();
    const p = serviceProgram(cfg, servicePorts(svc, [...(this.slicesBySvc.get(key)?.values() ?? [])], this.o.nodeName));
    for (const k of [...p.elements.keys()]) {
      const owner = this.owners.get(k);
      if (owner && owner !== key && this.get(owner)) {
        p.elements.delete(k);
        let d = this.denied.get(k);
        if (!d) this.denied.set(k, (d = new Set()));
        d.add(key);
      }
    }
    return p;
  }

  private get(key: string): KObject | undefined { const { namespace, name } = splitKey(key); return this.services.lister.get(namespace, name); }

  private claim(key: string, old: Program, next: Program): void {
    for (const k of old.elements.keys()) {
      if (next.elements.has(k) || this.owners.get(k) !== key) continue;
      this.owners.delete(k);
      for (const waiting of this.denied.get(k) ?? []) this.touch(waiting);
      this.denied.delete(k);
    }
    for (const k of next.elements.keys()) this.owners.set(k, key);
  }

  /** one transaction: the whole table, or the services changed since the last sync */
  async sync(): Promise<void> {
    const t0 = Date.now();
    this.ensureRouteLocalnet();
    const cfg = this.config();
    if (this.needFull) {
      // cleared before the write: a change that asks for a full sync while this one is in flight
      // (the node's address arriving, say) gets a sync of its own, with the new config
      this.needFull = false;
      this.dirty.clear();
      this.owners.clear();
      this.denied.clear();
      const byAge = this.services.lister.list().sort((a, b) => String(a.metadata.creationTimestamp ?? '').localeCompare(String(b.metadata.creationTimestamp ?? '')));
      const next = new Map<string, Program>();
      for (const s of byAge) {
        const key = keyOf(s);
        const p = this.program(key, cfg);
        this.claim(key, emptyProgram(), p);
        if (p.chains.size || p.elements.size) next.set(key, p);
      }
      try { await this.apply(fullRuleset(cfg, next.values())); } catch (e) { this.stats.failed++; this.needFull = true; throw e; }
      this.installed = next;
      this.stats.full++;
      this.o.log(`proxy: wrote table inet ${cfg.table} with ${next.size} services in ${Date.now() - t0} ms`);
    } else {
      const keys = [...this.dirty];
      this.dirty.clear();
      const lines: string[] = [];
      const next = new Map<string, Program>();
      for (const key of keys) {
        const old = this.installed.get(key) ?? emptyProgram();
        const p = this.program(key, cfg);
        lines.push(...programDiff(cfg.table, old, p));
        next.set(key, p);
      }
      if (lines.length) {
        try { await this.apply(lines.join('\n') + '\n'); } catch (e) {
          this.stats.failed++;
          this.needFull = true;
          throw e;
        }
        this.stats.partial++;
      }
      for (const [key, p] of next) {
        this.claim(key, this.installed.get(key) ?? emptyProgram(), p);
        if (p.chains.size || p.elements.size) this.installed.set(key, p); else this.installed.delete(key);
      }
    }
    this.stats.lastMs = Date.now() - t0;
  }

  /** only a LoadBalancer Service (before or after the change) can free or take another one's port */
  private recheckLBs(...changed: unknown[]): void {
    if (!changed.some((s) => (s as any)?.spec?.type === 'LoadBalancer')) return;
    for (const s of this.services.lister.list()) if ((s as any).spec?.type === 'LoadBalancer') this.lbQueue.add(keyOf(s));
  }

  private async syncLB(key: string): Promise<void> {
    const svc = this.get(key);
    if (!svc) return;
    const taken = (svc as any).spec?.type === 'LoadBalancer' && portTaken(svc, this.services.lister.list(), this.o.reservedPorts ?? []);
    const ingress = wantedIngress(svc, this.nodeInternalIP, taken);
    if (ingress) await publishIngress(this.o.client, svc, ingress);
  }

  /**
   * NodePorts and LoadBalancer ports on 127.0.0.1 are DNATed to pods, and pods reach endpoints on
   * the host's loopback (the in-process cluster DNS): the bridge must route loopback addresses
   * (the table drops loopback destinations arriving from outside before any DNAT)
   */
  private ensureRouteLocalnet(): void {
    const f = `/proc/sys/net/ipv4/conf/${this.o.bridge}/route_localnet`;
    try { if (existsSync(f) && readFileSync(f, 'utf8').trim() !== '1') writeFileSync(f, '1'); } catch { /* not permitted */ }
  }
}
