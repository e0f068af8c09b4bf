// Shared by the kubelet's end-to-end tests: the machine prerequisites, polling, and a server with the kubelet.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { requirePrereq, which } from '../../util/prereq.js';
import { kubectlPath, startK8ts, type ServerHandle } from '../../e2e/harness.js';
import { forceCleanup } from '../cleanup.js';

/** skip reason (locally) when the machine cannot run real containers; throws under CI=true */
export function kubeletPrereqs(): string | false {
  return requirePrereq(process.getuid?.() === 0 && !!which('containerd') && !!which('runc') && existsSync('/usr/lib/cni/bridge') && existsSync('/bin/busybox'),
    'root with containerd, runc, containernetworking-plugins and busybox-static (scripts/install-prereqs.sh)');
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** polls fn until it returns something other than undefined */
export async function until<T>(what: string, fn: () => T | undefined, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

/** GET url (no keep-alive), its body; rejects on errors and after 5 s */
export function httpGet(url: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const req = get(url, { timeout: 5000, agent: false }, (res) => { let b = ''; res.on('data', (d) => { b += d; }); res.on('end', () => resolve(b)); });
    req.on('error', reject).on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
  });
}

/** a TCP port free on 127.0.0.1 right now */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as AddressInfo).port; s.close(() => resolve(p)); });
  });
}

/**
 * runs fn against a `k8ts server` with the kubelet (its own pod CIDR and node name), then stops
 * it and tears down what it made on the host, even when fn fails; no mount may be left under the
 * data dir, and `afterCleanup` may check more (it gets the data dir, still named but emptied)
 */
export async function withKubeletServer(name: string, fn: (srv: ServerHandle) => Promise<void>, afterCleanup?: (dataDir: string) => void): Promise<void> {
  const octet = 100 + Math.floor(Math.random() * 150);
  let srv: ServerHandle | undefined;
  try {
    srv = await startK8ts({ kubelet: true, env: { K8TS_POD_CIDR: `10.42.${octet}.0/24`, K8TS_NODE_NAME: `k8ts-${name}-${octet}` }, timeoutMs: 60_000 });
    await fn(srv);
  } finally {
    if (srv) {
      await srv.stop({ keepData: true });
      forceCleanup(srv.dataDir);
      const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(srv!.dataDir));
      rmSync(srv.dataDir, { recursive: true, force: true });
      afterCleanup?.(srv.dataDir);
      assert.deepEqual(mounts, [], 'mounts left under the data dir');
    }
  }
}

/**
 * runs kubectl with an interactive stdin: each step's line is written every 300 ms until the output
 * matches its answer (lines a container reads before the runtime has joined an attach's output are
 * answered into the log only: containerd starts copying stdin first, for upstream too), then
 * `last` is written, or stdin ends when it is undefined
 */
export function interactive(kcfg: string, args: string[], steps: [string, RegExp][], last?: string, timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(kubectlPath(), ['--kubeconfig', kcfg, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let step = 0;
    p.stdin.on('error', () => undefined);
    const send = () => { if (step < steps.length) p.stdin.write(`${steps[step][0]}\n`); };
    const tick = setInterval(send, 300);
    const kill = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.stdout.on('data', (d) => {
      stdout += d;
      if (step >= steps.length || !steps[step][1].test(stdout)) return;
      if (++step < steps.length) send();
      else if (last === undefined) p.stdin.end();
      else p.stdin.write(last);
    });
    p.stderr.on('data', (d) => { stderr += d; });
    p.on('close', (code) => { clearInterval(tick); clearTimeout(kill); resolve({ code, stdout, stderr }); });
  });
}
