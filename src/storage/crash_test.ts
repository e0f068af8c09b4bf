// Crash safety: every write a backend acknowledged survives SIGKILL (of the writer process
// for SQLite, of the etcd server for etcd), and revisions stay consistent.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { requirePrereq } from '../util/prereq.js';
import type { Backend, WatchEvent } from './backend.js';
import { EtcdBackend } from './etcd.js';
import { SqliteBackend } from './sqlite.js';
import { etcdBinary, startEtcd } from './testing/etcd-process.js';

const writerScript = fileURLToPath(new URL('./testing/crash-writer.js', import.meta.url));

interface Ack { op: 'C' | 'U'; key: string; rev: number; value?: string }

class Writer {
  readonly acks: Ack[] = [];
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  private waiters: Array<{ n: number; resolve: () => void }> = [];
  private stderr = '';
  failures = 0;

  constructor(args: string[]) {
    this.child = spawn(process.execPath, [writerScript, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.exited = new Promise((r) => this.child.once('exit', () => r()));
    let buf = '';
    this.child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const line of lines) {
        const [op, key, rev, value] = line.split(' ');
        if (op === 'C' || op === 'U') this.acks.push({ op, key, rev: Number(rev), value });
      }
      this.waiters = this.waiters.filter((w) => (this.acks.length >= w.n ? (w.resolve(), false) : true));
    });
    this.child.stderr!.on('data', (d: Buffer) => {
      this.failures += d.toString().split('write failed').length - 1;
      this.stderr = (this.stderr + d.toString()).slice(-2000);
    });
  }

  waitAcks(n: number, timeoutMs = 30_000): Promise<void> {
    if (this.acks.length >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`only ${this.acks.length}/${n} acks; stderr: ${this.stderr}`)), timeoutMs);
      this.waiters.push({ n, resolve: () => { clearTimeout(t); resolve(); } });
      this.exited.then(() => reject(new Error(`writer exited after ${this.acks.length} acks: ${this.stderr}`)));
    });
  }

  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}

async function checkAcks(b: Backend, acks: Ack[]): Promise<void> {
  const revs = new Set<number>();
  for (const a of acks) {
    assert.ok(!revs.has(a.rev), `revision ${a.rev} acknowledged twice`);
    revs.add(a.rev);
    const kv = await b.get(a.key, a.rev);
    assert.ok(kv, `acknowledged ${a.op} of ${a.key} at ${a.rev} is missing`);
    assert.equal(kv.modRevision, a.rev, `${a.key} at ${a.rev}`);
    if (a.op === 'C') assert.equal(kv.createRevision, a.rev);
    if (a.op === 'U') assert.equal(kv.value, a.value);
  }
  const max = Math.max(...revs);
  assert.ok((await b.currentRevision()) >= max, 'current revision below an acknowledged one');
  const rev = await b.create('/crash/after', 'x');
  assert.ok(rev > max, `new write got revision ${rev} <= acknowledged ${max}`);
}

/** all events under prefix from revision 1 up to `until` */
async function history(b: Backend, prefix: string, until: number): Promise<WatchEvent[]> {
  const ac = new AbortController();
  const evs: WatchEvent[] = [];
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('history replay timed out')), 20_000);
    const w = b.watch(prefix, { startRevision: 1, signal: ac.signal }, (batch) => {
      evs.push(...batch);
      if (evs[evs.length - 1].kv.modRevision >= until) { clearTimeout(t); resolve(); }
    });
    w.done.catch(reject);
  });
  ac.abort();
  return evs;
}

function assertIncreasing(evs: WatchEvent[], what: string): void {
  for (let i = 1; i < evs.length; i++) {
    assert.ok(evs[i].kv.modRevision > evs[i - 1].kv.modRevision, `${what}: ${evs[i - 1].kv.modRevision} then ${evs[i].kv.modRevision}`);
  }
}

describe('crash safety', () => {
  it('sqlite keeps every acknowledged write across SIGKILL of the writer', async (t) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'k8ts-crash-'));
    const writers: Writer[] = [];
    t.after(async () => {
      for (const w of writers) await w.kill();
      rmSync(dataDir, { recursive: true, force: true });
    });
    const acks: Ack[] = [];
    for (let run = 1; run <= 3; run++) {
      const w = new Writer(['', dataDir, String(run)]);
      writers.push(w);
      await w.waitAcks(1000 + Math.floor(Math.random() * 1000));
      await w.kill();
      acks.push(...w.acks);
    }
    const path = join(dataDir, 'db', 'state.db');
    const raw = new Database(path);
    assert.equal(raw.pragma('integrity_check', { simple: true }), 'ok');
    raw.close();
    const b = SqliteBackend.open(path);
    try {
      await checkAcks(b, acks);
      const evs = await history(b, '/crash/', Math.max(...acks.map((a) => a.rev)));
      assertIncreasing(evs, 'sqlite history');
    } finally {
      await b.close();
    }
  });

  const skip = requirePrereq(etcdBinary() !== undefined, 'etcd binary (Debian package etcd-server)');
  it('etcd keeps every acknowledged write across SIGKILL of the server; watches resume without gaps', { skip }, async (t) => {
    const etcd = await startEtcd();
    const writers: Writer[] = [];
    const backends: Backend[] = [];
    t.after(async () => {
      for (const w of writers) await w.kill();
      for (const b of backends) await b.close();
      await etcd.stop();
    });
    const prefix = '/crash-test/';
    const watching = EtcdBackend.open(etcd.endpoint, { prefix });
    backends.push(watching);
    const live: WatchEvent[] = [];
    const start = (await watching.currentRevision()) + 1;
    const w0 = watching.watch('/crash/', { startRevision: start }, (evs) => live.push(...evs));

    const w = new Writer([etcd.endpoint, '', '1', prefix]);
    writers.push(w);
    await w.waitAcks(400);
    await etcd.kill();
    const acked = w.acks.length;
    await new Promise((r) => setTimeout(r, 300));
    await etcd.restart();
    await w.waitAcks(acked + 400, 60_000);
    await w.kill();

    const fresh = EtcdBackend.open(etcd.endpoint, { prefix });
    backends.push(fresh);
    await checkAcks(fresh, w.acks);
    const last = await fresh.currentRevision();
    const all = await history(fresh, '/crash/', last);
    // the watch that lived through the restart saw exactly the stored history
    const deadline = Date.now() + 20_000;
    while ((live.length === 0 || live[live.length - 1].kv.modRevision < last) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assertIncreasing(live, 'live watch');
    assert.deepEqual(live.map((e) => e.kv.modRevision), all.map((e) => e.kv.modRevision));
    const ackedRevs = new Set(w.acks.map((a) => a.rev));
    assert.equal(all.filter((e) => ackedRevs.has(e.kv.modRevision)).length, ackedRevs.size);
    w0.done.catch(() => {});
    assert.ok(w.failures > 0, 'the server was killed while writes were in flight');
  });
});
