// A local image registry for tests: Debian's docker-registry on 127.0.0.1 (a free port), with
// htpasswd basic auth when users are given, storage in a temp dir; images are pushed into it from a
// containerd with ctr over plain HTTP (containerd pulls from loopback registries over HTTP too).
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { which } from '../../util/prereq.js';
import { freePort } from './e2e.js';

export interface Registry { host: string; stop(): Promise<void> }

export function registryAvailable(): boolean { return !!which('docker-registry') && !!which('htpasswd') && !!which('ctr'); }

export async function startRegistry(users: Record<string, string> = {}): Promise<Registry> {
  const dir = mkdtempSync(join(tmpdir(), 'k8ts-registry-'));
  const port = await freePort();
  const auth = Object.keys(users).length > 0;
  if (auth) {
    const lines = Object.entries(users).map(([u, p]) => execFileSync('htpasswd', ['-Bbn', u, p], { encoding: 'utf8' }).trim());
    writeFileSync(join(dir, 'htpasswd'), `${lines.join('\n')}\n`);
  }
  writeFileSync(join(dir, 'config.yml'), [
    'version: 0.1',
    'log:', '  level: warn',
    'storage:', '  filesystem:', `    rootdirectory: ${join(dir, 'data')}`,
    'http:', `  addr: 127.0.0.1:${port}`,
    ...(auth ? ['auth:', '  htpasswd:', '    realm: k8ts-test', `    path: ${join(dir, 'htpasswd')}`] : []),
  ].join('\n') + '\n');
  const proc: ChildProcess = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: 'ignore' });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) { proc.kill('SIGKILL'); await exited; }
    rmSync(dir, { recursive: true, force: true });
  };
  const host = `127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      const r = await fetch(`http://${host}/v2/`);
      if (r.status === 200 || r.status === 401) break;
    } catch { /* not yet */ }
    if (i > 100) { await stop(); throw new Error('docker-registry did not start'); }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { host, stop };
}

/** tags a local image of the containerd at socket as ref and pushes it (plain HTTP) */
export function pushImage(socket: string, local: string, ref: string, user?: string): void {
  const ctr = (...a: string[]) => execFileSync('ctr', ['-a', socket, '-n', 'k8s.io', ...a], { stdio: 'pipe' });
  ctr('images', 'tag', '--force', local, ref);
  ctr('images', 'push', '--plain-http', ...(user ? ['--user', user] : []), ref, ref);
  ctr('images', 'rm', ref);
}
