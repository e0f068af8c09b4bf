// Test harness: starts a real `k8ts server` process in a temp data dir and runs real clients against it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const k8tsBin = join(repoRoot, 'bin/k8ts.js');

export interface ServerHandle {
  dataDir: string;
  kubeconfig: string;
  url: string;
  proc: ChildProcess;
  output: () => string;
  /** SIGTERM and wait; removes the data dir unless keepData */
  stop(opts?: { keepData?: boolean; signal?: NodeJS.Signals }): Promise<void>;
}

export interface StartOptions {
  dataDir?: string; args?: string[]; env?: NodeJS.ProcessEnv; timeoutMs?: number;
  /** run the real kubelet (containerd) too; off by default so tests do not start containers unless they mean to */
  kubelet?: boolean;
}

export async function startK8ts(opts: StartOptions = {}): Promise<ServerHandle> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'k8ts-e2e-'));
  const args = [k8tsBin, 'server', '--data-dir', dataDir, '--https-listen-port', '0', ...(opts.kubelet ? [] : ['--disable', 'kubelet']), ...(opts.args ?? [])];
  // K8TS_E2E_NODE_ARGS: extra node flags for the server (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof")
  const nodeArgs = (process.env.K8TS_E2E_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const proc = spawn(process.execPath, [...nodeArgs, ...args], {
    // a kubelet's API listens on loopback, on a free port (reported in its Node status); test
    // servers remove their pods when they stop unless a test asks otherwise
    env: {
      // cluster DNS and the ingress on any free ports (tests run many servers; 53, 80 and 443 are the defaults)
      ...process.env, K8TS_DNS_PORT: '0', K8TS_INGRESS_HTTP_PORT: '0', K8TS_INGRESS_HTTPS_PORT: '0', ...(opts.kubelet ? { K8TS_KUBELET_PORT: '0', K8TS_NODE_IP: '127.0.0.1', K8TS_KUBELET_CLEANUP_ON_EXIT: 'true' } : {}), ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => { out += d; });
  proc.stderr!.on('data', (d) => { out += d; });
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`k8ts server did not become ready:\n${out}`)); }, opts.timeoutMs ?? 30_000);
    const check = () => {
      const m = /k8ts server is ready at (\S+)/.exec(out);
      if (m) { clearTimeout(timer); resolveUrl(m[1]); }
    };
    proc.stdout!.on('data', check);
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`k8ts server exited with ${code}:\n${out}`)); });
  });
  let stopped = false;
  const handle: ServerHandle = {
    dataDir, kubeconfig: join(dataDir, 'kubeconfig.yaml'), url, proc, output: () => out,
    async stop(o = {}) {
      // K8TS_E2E_LOG=1 prints the server's output when it stops (for debugging a failed test)
      if (process.env.K8TS_E2E_LOG && !stopped) process.stderr.write(`--- k8ts server output (${dataDir}) ---\n${out}\n`);
      if (!stopped) {
        stopped = true;
        if (proc.exitCode === null && proc.signalCode === null) {
          const exited = new Promise((r) => proc.once('exit', r));
          proc.kill(o.signal ?? 'SIGTERM');
          const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
          await exited;
          clearTimeout(t);
        }
      }
      if (!o.keepData && !opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return handle;
}

export function kubectlPath(version?: string): string {
  if (!version) return 'kubectl';
  const real = spawnSync('sh', ['-c', 'readlink -f "$(command -v kubectl)"'], { encoding: 'utf8' }).stdout.trim();
  return join(dirname(real), `kubectl.${version}`);
}

export interface RunResult { code: number; stdout: string; stderr: string }

export function kubectl(kubeconfig: string, args: string[], opts: { version?: string; input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): RunResult {
  const r = spawnSync(kubectlPath(opts.version), ['--kubeconfig', kubeconfig, ...args], {
    encoding: 'utf8', input: opts.input, env: { ...process.env, ...opts.env }, timeout: opts.timeoutMs ?? 60_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** kubectl that must succeed; returns stdout */
export function kc(kubeconfig: string, args: string[], opts: Parameters<typeof kubectl>[2] = {}): string {
  const r = kubectl(kubeconfig, args, opts);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}):\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

export function readText(p: string): string { return readFileSync(p, 'utf8'); }
