// Ingress proxy benchmark: requests/s through the k8ts Ingress (a real `k8ts server` child process
// with only the API server and the ingress) against Debian's nginx (nginx-light, one worker, upstream
// keep-alive) proxying the same backend (a node:http child process), in the same run. Load comes
// from N concurrent keep-alive clients: ApacheBench (`ab -k`, C) when installed, else Node clients.
// Each round measures the ingress and nginx back to back; the verdict is the median of the rounds' ingress ÷ nginx
// ratios against the goal ≥ 0.8. `node dist/ingress/bench.js` runs it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as http from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RestClient } from '../client/index.js';
import { ingressesResource } from './index.js';
import { cpuSeconds } from '../util/proc.js';
import { percentile } from '../util/stats.js';

const median = (v: number[]) => percentile(v, 50);

export const INGRESS_GOALS = { ratioVsNginx: 0.8 };

export interface IngressBenchOptions {
  /** concurrent keep-alive clients (default 32) and seconds per measurement (default 3) */
  clients?: number;
  seconds?: number;
  /** measurements per target (default 7); rates are the medians, the ratio the median of the rounds' ratios */
  rounds?: number;
  out?: (line: string) => void;
}

export interface IngressBenchResult {
  loader: 'ab' | 'node';
  direct: number; ingress: number; nginx?: number; ratio?: number; failures: number; pass?: boolean;
  /** requests per CPU-second of the proxy process (its efficiency, independent of machine load) */
  ingressPerCpuSec?: number; nginxPerCpuSec?: number;
}

const k8tsBin = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/k8ts.js');
const which = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).stdout.trim();

function waitOutput(proc: ChildProcess, re: RegExp, what: string, ms = 30_000): Promise<RegExpExecArray> {
  let out = '';
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`${what} did not start:\n${out}`)), ms);
    const check = (d: Buffer) => { out += d; const m = re.exec(out); if (m) { clearTimeout(timer); ok(m); } };
    proc.stdout?.on('data', check);
    proc.stderr?.on('data', check);
    proc.once('exit', (c) => { clearTimeout(timer); fail(new Error(`${what} exited with ${c}:\n${out}`)); });
  });
}

async function kill(proc: ChildProcess | undefined): Promise<void> {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(t);
}

const backendScript = `
const http = require('node:http');
const body = Buffer.from('hello from the backend\\n');
http.createServer({ keepAliveTimeout: 60000 }, (req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
  res.end(body);
}).listen(0, '127.0.0.1', function () { console.log('backend listening on ' + this.address().port); });`;

function nginxConfig(dir: string, port: number, backendPort: number): string {
  return `daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy;
  upstream backend { server 127.0.0.1:${backendPort}; keepalive 128; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $host;
      proxy_set_header X-Forwarded-Port $server_port;
    }
  }
}
`;
}

async function freePort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return p;
}

interface Load { rps: number; failures: number }

function abLoad(port: number, host: string, clients: number, seconds: number): Load {
  const r = spawnSync('ab', ['-q', '-k', '-c', String(clients), '-t', String(seconds), '-n', '10000000', '-H', `Host: ${host}`, `http://127.0.0.1:${port}/`], { encoding: 'utf8', timeout: (seconds + 30) * 1000 });
  const rps = Number(/Requests per second:\s+([\d.]+)/.exec(r.stdout)?.[1] ?? NaN);
  const failed = Number(/Failed requests:\s+(\d+)/.exec(r.stdout)?.[1] ?? 0) + Number(/Non-2xx responses:\s+(\d+)/.exec(r.stdout)?.[1] ?? 0);
  if (!Number.isFinite(rps)) throw new Error(`ab failed: ${r.stderr || r.stdout}`);
  return { rps, failures: failed };
}

async function nodeLoad(port: number, host: string, clients: number, seconds: number): Promise<Load> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const end = Date.now() + seconds * 1000;
  let done = 0, failures = 0;
  const one = () => new Promise<void>((ok) => {
    http.get({ host: '127.0.0.1', port, path: '/', agent, headers: { host } }, (res) => {
      if (res.statusCode !== 200) failures++;
      res.resume();
      res.on('end', () => { done++; ok(); });
    }).on('error', () => { failures++; ok(); });
  });
  const t0 = Date.now();
  await Promise.all(Array.from({ length: clients }, async () => { while (Date.now() < end) await one(); }));
  agent.destroy();
  return { rps: done / ((Date.now() - t0) / 1000), failures };
}

export async function runIngressBench(opts: IngressBenchOptions = {}): Promise<IngressBenchResult> {
  const out = opts.out ?? ((l: string) => process.stdout.write(`${l}\n`));
  const clients = opts.clients ?? 32;
  const seconds = opts.seconds ?? 3;
  const rounds = opts.rounds ?? 7;
  const loader: 'ab' | 'node' = which('ab') ? 'ab' : 'node';
  const load = (port: number, host: string, s = seconds) => (loader === 'ab' ? Promise.resolve(abLoad(port, host, clients, s)) : nodeLoad(port, host, clients, s));
  const nginxBin = which('nginx') || ['/usr/sbin/nginx'].find((p) => spawnSync(p, ['-v']).status === 0) || '';
  const dir = mkdtempSync(join(tmpdir(), 'k8ts-ingressbench-'));
  let backend: ChildProcess | undefined, server: ChildProcess | undefined, nginx: ChildProcess | undefined;
  let client: RestClient | undefined;
  try {
    backend = spawn(process.execPath, ['-e', backendScript], { stdio: ['ignore', 'pipe', 'pipe'] });
    const backendPort = Number((await waitOutput(backend, /backend listening on (\d+)/, 'backend'))[1]);

    const dataDir = join(dir, 'k8ts');
    // K8TS_E2E_NODE_ARGS: extra node flags for the server, as for the e2e harness (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof")
    const nodeArgs = (process.env.K8TS_E2E_NODE_ARGS ?? '').split(' ').filter(Boolean);
    server = spawn(process.execPath, [...nodeArgs, k8tsBin, 'server', '--data-dir', dataDir, '--https-listen-port', '0', '--disable', 'scheduler,controllers,kubelet,proxy,dns,dashboard'], {
      env: { ...process.env, K8TS_INGRESS_HTTP_PORT: '0', K8TS_INGRESS_HTTPS_PORT: '0', K8TS_NODE_IP: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const ingressPort = Number((await waitOutput(server, /ingress: serving http on 127\.0\.0\.1:(\d+)/, 'k8ts server'))[1]);
    client = RestClient.fromKubeconfig(join(dataDir, 'kubeconfig.yaml'), { userAgent: 'k8ts-ingress-bench' });
    const ns = { namespace: 'default' };
    await client.create({ group: '', version: 'v1', plural: 'services', namespaced: true }, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'bench', namespace: 'default' }, spec: { ports: [{ name: 'http', port: 80 }] } }, ns);
    await client.create({ group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', namespaced: true }, {
      apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'bench', namespace: 'default', labels: { 'kubernetes.io/service-name': 'bench' } },
      addressType: 'IPv4', ports: [{ name: 'http', port: backendPort, protocol: 'TCP' }], endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }],
    } as any, ns);
    await client.create(ingressesResource, {
      apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'bench', namespace: 'default' },
      spec: { rules: [{ host: 'bench.test', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'bench', port: { name: 'http' } } } }] } }] },
    }, ns);
    for (let i = 0; ; i++) {
      const st = await new Promise<number>((ok) => http.get({ host: '127.0.0.1', port: ingressPort, headers: { host: 'bench.test' } }, (r) => { r.resume(); ok(r.statusCode ?? 0); }).on('error', () => ok(0)));
      if (st === 200) break;
      if (i > 100) throw new Error(`the ingress does not route bench.test (status ${st})`);
      await new Promise((r) => setTimeout(r, 100));
    }

    let nginxPort = 0;
    if (nginxBin) {
      nginxPort = await freePort();
      for (const d of ['body', 'proxy']) mkdirSync(join(dir, d));
      writeFileSync(join(dir, 'nginx.conf'), nginxConfig(dir, nginxPort, backendPort));
      nginx = spawn(nginxBin, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], { stdio: ['ignore', 'pipe', 'pipe'] });
      for (let i = 0; ; i++) {
        const st = await new Promise<number>((ok) => http.get({ host: '127.0.0.1', port: nginxPort, headers: { host: 'bench.test' } }, (r) => { r.resume(); ok(r.statusCode ?? 0); }).on('error', () => ok(0)));
        if (st === 200) break;
        if (i > 50 || nginx.exitCode !== null) throw new Error(`nginx did not start (status ${st})`);
        await new Promise((r) => setTimeout(r, 100));
      }
    } else {
      out('[ingress] nginx is not installed: skipping the nginx comparison (apt-get install nginx-light)');
    }

    out(`[ingress] ${clients} keep-alive clients (${loader === 'ab' ? 'ApacheBench -k' : 'Node http.Agent'}), ${rounds} rounds of ${seconds} s per target, ingress and nginx back to back (order alternating)`);
    const targets: [string, number][] = [['direct', backendPort], ['ingress', ingressPort], ...(nginxPort ? [['nginx', nginxPort] as [string, number]] : [])];
    for (const [, port] of targets) await load(port, 'bench.test', 1); // warm-up (JIT, upstream connections)
    const rates: Record<string, number[]> = {};
    const perCpu: Record<string, number[]> = {};
    const ratios: number[] = [];
    const proxyPid: Record<string, number | undefined> = { ingress: server.pid, nginx: nginx?.pid };
    let failures = 0;
    for (let r = 0; r < rounds; r++) {
      // this machine's speed drifts from second to second: each round measures the ingress and
      // nginx one right after the other (which goes first alternates), and the verdict is the
      // median of the rounds' ratios, so a slow moment hits one round, not the result
      const order = r % 2 ? [targets[0], ...targets.slice(1).reverse()] : targets;
      const round: Record<string, number> = {};
      for (const [name, port] of order) {
        const c0 = cpuSeconds(proxyPid[name]);
        const t0 = Date.now();
        const l = await load(port, 'bench.test');
        const cpu = cpuSeconds(proxyPid[name]) - c0;
        const wall = (Date.now() - t0) / 1000;
        failures += l.failures;
        round[name] = l.rps;
        (rates[name] ??= []).push(l.rps);
        if (cpu > 0) (perCpu[name] ??= []).push((l.rps * wall) / cpu);
        const cpuNote = cpu > 0 ? `, proxy CPU ${((100 * cpu) / wall).toFixed(0)}%` : '';
        out(`[ingress] round ${r + 1} ${name.padEnd(8)} ${l.rps.toFixed(0).padStart(7)} req/s${cpuNote}${l.failures ? ` (${l.failures} failed)` : ''}`);
      }
      if (round.nginx) ratios.push(round.ingress / round.nginx);
    }
    const res: IngressBenchResult = {
      loader, direct: median(rates.direct), ingress: median(rates.ingress), nginx: rates.nginx && median(rates.nginx), failures,
      ingressPerCpuSec: perCpu.ingress && median(perCpu.ingress), nginxPerCpuSec: perCpu.nginx && median(perCpu.nginx),
    };
    out(`backend direct: ${res.direct.toFixed(0)} req/s; through the k8ts ingress: ${res.ingress.toFixed(0)} req/s (${(res.ingressPerCpuSec ?? NaN).toFixed(0)} per CPU-second) (medians of ${rounds} rounds)`);
    if (res.nginx) {
      res.ratio = median(ratios);
      res.pass = res.ratio >= INGRESS_GOALS.ratioVsNginx && failures === 0;
      out(`through nginx (1 worker): ${res.nginx.toFixed(0)} req/s (${(res.nginxPerCpuSec ?? NaN).toFixed(0)} per CPU-second)`);
      out(`ingress ÷ nginx per round: ${ratios.map((x) => x.toFixed(2)).join(' ')}; median ${res.ratio.toFixed(3)} (goal ≥ ${INGRESS_GOALS.ratioVsNginx}) ${res.pass ? 'PASS' : 'FAIL'}`);
    }
    return res;
  } finally {
    client?.close();
    await kill(nginx);
    await kill(server);
    await kill(backend);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runIngressBench().catch((e) => { console.error(e); process.exit(1); });
}
