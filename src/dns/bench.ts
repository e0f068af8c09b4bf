// Cluster DNS benchmark: a real `k8ts server` (API + DNS only, DNS on a free loopback port), a few
// hundred Services made through the API, then A queries for random Service names from concurrent
// UDP clients. Prints queries/s and latency percentiles against the goal p99 ≤ 100 ms.
import { spawn } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RestClient } from '../client/index.js';
import { queryMessage } from './client.js';
import { decodeMessage } from './message.js';
import { endpointSlicesResource, servicesResource } from './publish.js';
import { percentile } from '../util/stats.js';

export const DNS_GOALS = { p99Ms: 100 };

export interface DnsBenchOptions {
  /** an existing server's kubeconfig (else a `k8ts server` child process is started) */
  kubeconfig?: string;
  services?: number;
  clients?: number;
  queries?: number;
  out?: (line: string) => void;
}

export interface DnsBenchResult {
  services: number; clients: number; queries: number; failures: number;
  queriesPerSec: number; p50Ms: number; p99Ms: number; maxMs: number; pass: boolean;
}

const k8tsBin = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/k8ts.js');

/** a `k8ts server` with only the API server and DNS (DNS on 127.0.0.1, a free port, no upstream) */
async function startServer(): Promise<{ kubeconfig: string; stop(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'k8ts-dnsbench-'));
  const proc = spawn(process.execPath, [k8tsBin, 'server', '--data-dir', dataDir, '--https-listen-port', '0', '--disable', 'scheduler,controllers,kubelet,proxy,ingress,dashboard'], {
    env: { ...process.env, K8TS_DNS_PORT: '0', K8TS_NODE_IP: '127.0.0.1', K8TS_DNS_UPSTREAM: '', K8TS_RESOLV_CONF: '/nonexistent' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await new Promise<void>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`k8ts server did not become ready:\n${out}`)), 30_000);
      const check = (d: Buffer) => { out += d; if (/k8ts server is ready at/.test(out)) { clearTimeout(timer); ok(); } };
      proc.stdout!.on('data', check);
      proc.stderr!.on('data', (d) => { out += d; });
      proc.once('exit', (code) => { clearTimeout(timer); fail(new Error(`k8ts server exited with ${code}:\n${out}`)); });
    });
  } catch (e) { await stop(); throw e; }
  return { kubeconfig: join(dataDir, 'kubeconfig.yaml'), stop };
}

/** one closed-loop client: a UDP socket sending the next query when the last reply arrived */
function udpClient(host: string, port: number): { ask(name: string): Promise<number | undefined>; close(): void } {
  const sock: Socket = createSocket('udp4');
  let pending: { id: number; resolve(ms: number | undefined): void; t0: number; timer: NodeJS.Timeout } | undefined;
  sock.on('message', (b) => {
    if (!pending || b.readUInt16BE(0) !== pending.id) return;
    const p = pending;
    pending = undefined;
    clearTimeout(p.timer);
    const ok = (b[3] & 0xf) === 0 && b.readUInt16BE(6) > 0;
    p.resolve(ok ? performance.now() - p.t0 : undefined);
  });
  let nextId = Math.floor(Math.random() * 65536);
  return {
    ask(name) {
      return new Promise((resolveAsk) => {
        const id = (nextId = (nextId + 1) % 65536);
        const timer = setTimeout(() => { pending = undefined; resolveAsk(undefined); }, 2000);
        pending = { id, resolve: resolveAsk, t0: performance.now(), timer };
        sock.send(queryMessage(name, 'A', { id }), port, host);
      });
    },
    close() { sock.close(); },
  };
}

export async function runDnsBench(opts: DnsBenchOptions = {}): Promise<DnsBenchResult> {
  const out = opts.out ?? ((l: string) => process.stdout.write(`${l}\n`));
  const nServices = opts.services ?? 300;
  const nClients = opts.clients ?? 32;
  const nQueries = opts.queries ?? 30_000;
  const server = opts.kubeconfig ? undefined : await startServer();
  const client = RestClient.fromKubeconfig(opts.kubeconfig ?? server!.kubeconfig, { userAgent: 'k8ts-dns-bench', maxSockets: 16 });
  try {
    const slice: any = await waitFor(() => client.get(endpointSlicesResource, 'kube-dns', { namespace: 'kube-system' }));
    const host = slice.endpoints[0].addresses[0];
    const port = slice.ports[0].port;
    out(`[dns] creating ${nServices} Services, DNS at ${host}:${port} ...`);
    const ns = `dnsbench-${Date.now().toString(36)}`;
    await client.create({ group: '', version: 'v1', plural: 'namespaces', namespaced: false, kind: 'Namespace' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    let next = 0;
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (next < nServices) {
        const i = next++;
        await client.create(servicesResource, { apiVersion: 'v1', kind: 'Service', metadata: { name: `svc-${i}`, namespace: ns }, spec: { ports: [{ name: 'http', port: 80 }] } }, { namespace: ns });
      }
    }));
    const names = Array.from({ length: nServices }, (_, i) => `svc-${i}.${ns}.svc.cluster.local`);
    // the DNS informers have caught up when the last Service resolves
    const probe = udpClient(host, port);
    await waitFor(async () => ((await probe.ask(names.at(-1)!)) !== undefined ? true : undefined));
    probe.close();

    const clients = Array.from({ length: nClients }, () => udpClient(host, port));
    const lat: number[] = [];
    let failures = 0;
    let sent = 0;
    const t0 = performance.now();
    await Promise.all(clients.map(async (c) => {
      while (sent < nQueries) {
        sent++;
        const ms = await c.ask(names[Math.floor(Math.random() * names.length)]);
        if (ms === undefined) failures++; else lat.push(ms);
      }
    }));
    const secs = (performance.now() - t0) / 1000;
    for (const c of clients) c.close();
    lat.sort((a, b) => a - b);
    const r: DnsBenchResult = {
      services: nServices, clients: nClients, queries: nQueries, failures,
      queriesPerSec: lat.length / secs, p50Ms: percentile(lat, 50), p99Ms: percentile(lat, 99), maxMs: lat.at(-1) ?? NaN,
      pass: failures === 0 && percentile(lat, 99) <= DNS_GOALS.p99Ms,
    };
    out(`DNS A queries for ${nServices} Service names, ${nClients} UDP clients: ${Math.round(r.queriesPerSec)} queries/s  p50 ${r.p50Ms.toFixed(2)} ms  p99 ${r.p99Ms.toFixed(2)} ms  max ${r.maxMs.toFixed(1)} ms  failures ${failures}/${nQueries}  goal p99 ≤ ${DNS_GOALS.p99Ms} ms  ${r.pass ? 'PASS' : 'FAIL'}`);
    return r;
  } finally {
    client.close();
    await server?.stop();
  }
}

async function waitFor<T>(f: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    try { const v = await f(); if (v !== undefined) return v; } catch (e) { if (Date.now() > end) throw e; }
    if (Date.now() > end) throw new Error('dns bench: timed out waiting for the server');
    await new Promise((r) => setTimeout(r, 100));
  }
}
