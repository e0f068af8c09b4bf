// Runs a throwaway etcd server on random loopback ports for tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { which } from '../../util/prereq.js';

export interface EtcdProcess {
  endpoint: string;
  dataDir: string;
  /** SIGKILL the server, keeping its data dir (for crash tests) */
  kill(): Promise<void>;
  /** start it again on the same ports and data dir */
  restart(): Promise<void>;
  /** kill it and remove the data dir */
  stop(): Promise<void>;
}

export function etcdBinary(): string | undefined {
  return which('etcd');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

async function waitReady(endpoint: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`etcd exited with ${child.exitCode}: ${log()}`);
    const client = new Etcd3({ hosts: endpoint, dialTimeout: 500 });
    try {
      await client.kv.range({ key: Buffer.from([0]), limit: 1, keys_only: true });
      return;
    } catch { /* not ready */ } finally {
      client.close();
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`etcd did not become ready: ${log()}`);
}

/** start etcd with a temp data dir on random loopback ports */
export async function startEtcd(opts: { dataDir?: string } = {}): Promise<EtcdProcess> {
  const bin = etcdBinary();
  if (!bin) throw new Error('etcd not installed (apt-get install etcd-server)');
  const ownDir = !opts.dataDir;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'k8ts-etcd-'));
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const endpoint = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  let child: ChildProcess | undefined;
  let output = '';

  const launch = async (): Promise<void> => {
    output = '';
    const c = spawn(bin, [
      '--name', 'k8ts-test', '--data-dir', dataDir,
      '--listen-client-urls', endpoint, '--advertise-client-urls', endpoint,
      '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
      '--initial-cluster', `k8ts-test=${peer}`, '--initial-cluster-state', 'new',
      '--logger', 'zap', '--log-level', 'error',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    const keep = (d: Buffer): void => { output = (output + d.toString()).slice(-4000); };
    c.stdout!.on('data', keep);
    c.stderr!.on('data', keep);
    await waitReady(endpoint, c, () => output);
  };

  const kill = async (): Promise<void> => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  };

  const onExit = (): void => {
    child?.kill('SIGKILL');
    if (ownDir) rmSync(dataDir, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  try {
    await launch();
  } catch (err) {
    await kill();
    if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    endpoint,
    dataDir,
    kill,
    restart: async () => { await kill(); await launch(); },
    stop: async () => {
      await kill();
      process.off('exit', onExit);
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
