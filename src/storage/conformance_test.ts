import { after, before } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requirePrereq } from '../util/prereq.js';
import { EtcdBackend } from './etcd.js';
import { MemoryBackend } from './memory.js';
import { SqliteBackend } from './sqlite.js';
import { runBackendConformance } from './testing/conformance.js';
import { etcdBinary, startEtcd, type EtcdProcess } from './testing/etcd-process.js';

runBackendConformance('memory', async () => new MemoryBackend());

const dir = mkdtempSync(join(tmpdir(), 'k8ts-sqlite-conf-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
runBackendConformance('sqlite', async () => SqliteBackend.open(join(dir, `t${++n}`, 'state.db')));

const skip = requirePrereq(etcdBinary() !== undefined, 'etcd binary (Debian package etcd-server)');
let etcd: EtcdProcess | undefined;
if (!skip) {
  before(async () => { etcd = await startEtcd(); });
  after(async () => { await etcd?.stop(); });
}
let m = 0;
// each test gets its own key prefix in the one etcd
runBackendConformance('etcd', async () => EtcdBackend.open(etcd!.endpoint, { prefix: `/conformance-${++m}/` }), { skip });
