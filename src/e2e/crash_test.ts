// Durability of acknowledged writes: a burst of concurrent creates through the HTTPS API, the
// k8ts server SIGKILLed mid-burst, then restarted on the same data dir (and datastore). Every
// create the server answered with 2xx must still exist, with the same uid.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startK8ts, type ServerHandle } from './harness.js';
import { connect } from '../bench/https.js';
import { requirePrereq } from '../util/prereq.js';
import { etcdBinary, startEtcd, type EtcdProcess } from '../storage/testing/etcd-process.js';

const IN_FLIGHT = 32;
const NS = 'default';

/** runs IN_FLIGHT create loops until the connection dies; kills the server once `killAfter` creates were acknowledged */
async function burstThenKill(srv: ServerHandle, killAfter: number): Promise<{ acked: Map<string, string>; failed: number }> {
  const api = connect(srv.kubeconfig, { maxSockets: IN_FLIGHT });
  const acked = new Map<string, string>();
  let failed = 0;
  let next = 0;
  let killed = false;
  const worker = async (): Promise<void> => {
    for (;;) {
      const name = `burst-${next++}`;
      try {
        const r = await api.request('POST', `/api/v1/namespaces/${NS}/configmaps`, {
          apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { payload: 'x'.repeat(256), name },
        });
        if (r.status === 201) acked.set(name, r.body.metadata.uid);
        else throw new Error(`create ${name}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
      } catch (err) {
        if (!killed) throw err;
        failed++;
        return;
      }
      if (!killed && acked.size >= killAfter) {
        killed = true;
        srv.proc.kill('SIGKILL');
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  } finally {
    api.close();
  }
  return { acked, failed };
}

function crashSuite(label: string, useEtcd: boolean) {
  const skip = useEtcd ? requirePrereq(!!etcdBinary(), 'etcd (apt-get install etcd-server)') : false;
  describe(`acknowledged creates survive SIGKILL of the k8ts server (${label})`, () => {
    let etcd: EtcdProcess | undefined;
    let srv: ServerHandle | undefined;
    const dataDir = mkdtempSync(join(tmpdir(), 'k8ts-crash-'));
    after(async () => {
      await srv?.stop();
      await etcd?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('every 2xx-acknowledged create exists after restart with the same uid', { skip, timeout: 120_000 }, async (t) => {
      const args: string[] = [];
      if (useEtcd) {
        etcd = await startEtcd();
        args.push('--datastore-endpoint', etcd.endpoint);
      }
      srv = await startK8ts({ dataDir, args });
      const { acked, failed } = await burstThenKill(srv, 300);
      await srv.stop({ keepData: true });
      assert.equal(srv.proc.signalCode, 'SIGKILL');
      assert.ok(acked.size >= 300, `acknowledged ${acked.size}`);
      assert.ok(failed > 0, 'some creates were in flight when the server died');

      srv = await startK8ts({ dataDir, args });
      const api = connect(srv.kubeconfig);
      try {
        const list = await api.request('GET', `/api/v1/namespaces/${NS}/configmaps`);
        assert.equal(list.status, 200);
        const found = new Map<string, string>(list.body.items.map((cm: any) => [cm.metadata.name, cm.metadata.uid]));
        t.diagnostic(`acknowledged ${acked.size}, failed in flight ${failed}, present after restart ${found.size}`);
        const lost = [...acked].filter(([name, uid]) => found.get(name) !== uid);
        assert.deepEqual(lost, [], `${lost.length} of ${acked.size} acknowledged creates lost or changed`);
        // objects committed but not acknowledged may exist; nothing else may
        for (const name of found.keys()) if (!acked.has(name)) assert.match(name, /^(burst-\d+|kube-root-ca\.crt)$/);
        // the same object read singly, and the server takes writes again
        const [name, uid] = [...acked][acked.size - 1];
        const one = await api.request('GET', `/api/v1/namespaces/${NS}/configmaps/${name}`);
        assert.equal(one.status, 200);
        assert.equal(one.body.metadata.uid, uid);
        assert.equal(one.body.data.name, name);
        const again = await api.request('POST', `/api/v1/namespaces/${NS}/configmaps`, { metadata: { name: 'after-restart' } });
        assert.equal(again.status, 201, JSON.stringify(again.body));
        assert.ok(Number(again.body.metadata.resourceVersion) > Number(one.body.metadata.resourceVersion));
        const dup = await api.request('POST', `/api/v1/namespaces/${NS}/configmaps`, { metadata: { name } });
        assert.equal(dup.status, 409);
      } finally {
        api.close();
      }
    });
  });
}

crashSuite('SQLite', false);
crashSuite('etcd', true);
