// The kubelet API over real TLS with the cluster PKI; the CRI is a small in-memory map of
// container id -> status (log path, state), the pod as the kubelet's cache would hold it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePki, issueClientCert, issueServingCert } from '../apiserver/auth/pki.js';
import type { CriClient } from './cri/client.js';
import { startKubeletServer, type KubeletServer } from './server.js';

const dir = mkdtempSync(join(tmpdir(), 'k8ts-kubelet-server-'));
let srv: KubeletServer;
let ca = '';
let admin: { cert: string; key: string };
let nobody: { cert: string; key: string };

const pod: any = {
  metadata: { name: 'p', namespace: 'ns', uid: 'u' },
  spec: { containers: [{ name: 'a' }, { name: 'w' }] },
  status: {
    containerStatuses: [
      { name: 'a', containerID: 'containerd://new', state: { running: {} }, lastState: { terminated: { exitCode: 1, containerID: 'containerd://old' } } },
      { name: 'w', state: { waiting: { reason: 'ContainerCreating' } }, lastState: {} },
    ],
  },
};
const cri = {
  async call(method: string, req: any) {
    assert.equal(method, 'ContainerStatus');
    const logs: Record<string, string> = { new: join(dir, '1.log'), old: join(dir, '0.log') };
    return { status: { id: req.containerId, logPath: logs[req.containerId], state: req.containerId === 'new' ? 'CONTAINER_RUNNING' : 'CONTAINER_EXITED' } };
  },
} as unknown as CriClient;

test.before(async () => {
  const pki = await ensurePki(join(dir, 'tls'), { hosts: [] });
  ca = pki.serverCa.cert;
  admin = await issueClientCert(pki, { cn: 'kube-apiserver-kubelet-client', orgs: ['system:masters'] });
  nobody = await issueClientCert(pki, { cn: 'jane', orgs: ['devs'] });
  const serving = await issueServingCert(pki, { cn: 'node', hosts: ['127.0.0.1'] });
  writeFileSync(join(dir, '0.log'), '2024-05-01T10:00:00Z stdout F old run\n');
  writeFileSync(join(dir, '1.log'), '2024-05-01T10:00:01Z stdout F one\n2024-05-01T10:00:02Z stderr F two\n2024-05-01T10:00:03Z stdout F three\n');
  srv = await startKubeletServer({
    host: '127.0.0.1', port: 0, cri, tls: { cert: serving.cert, key: serving.key, clientCA: pki.clientCa.cert },
    getPod: (ns, name) => (ns === 'ns' && name === 'p' ? pod : undefined),
  });
});
test.after(async () => { await srv?.close(); rmSync(dir, { recursive: true, force: true }); });

function get(path: string, cert?: { cert: string; key: string }): Promise<{ code: number; body: string }> {
  return new Promise((resolve, reject) => {
    // verifies the kubelet's serving certificate against the server CA, as the API server does
    const r = request({ host: '127.0.0.1', port: srv.port, path, ca, ...cert, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
    });
    r.on('error', reject);
    r.end();
  });
}

test('clients need a certificate from the client CA, in system:masters', async () => {
  assert.deepEqual(await get('/containerLogs/ns/p/a'), { code: 401, body: 'Unauthorized' });
  assert.deepEqual(await get('/containerLogs/ns/p/a', nobody), { code: 403, body: 'Forbidden (user=jane, verb=get, resource=nodes, subresource(s)=[proxy])' });
  assert.deepEqual(await get('/healthz', admin), { code: 200, body: 'ok' });
});

test('containerLogs: current, options, previous', async () => {
  assert.deepEqual(await get('/containerLogs/ns/p/a', admin), { code: 200, body: 'one\ntwo\nthree\n' });
  assert.equal((await get('/containerLogs/ns/p/a?tailLines=1&timestamps=true', admin)).body, '2024-05-01T10:00:03Z three\n');
  assert.equal((await get('/containerLogs/ns/p/a?limitBytes=5', admin)).body, 'one\nt');
  assert.equal((await get('/containerLogs/ns/p/a?previous=true', admin)).body, 'old run\n');
});

test('containerLogs: upstream errors', async () => {
  assert.deepEqual(await get('/containerLogs/ns/q/a', admin), { code: 404, body: 'pod "q" does not exist\n' });
  assert.deepEqual(await get('/containerLogs/ns/p/zz', admin), { code: 404, body: 'container "zz" not found in pod "p"\n' });
  assert.deepEqual(await get('/containerLogs/ns/p/w', admin), { code: 400, body: 'container "w" in pod "p" is waiting to start: ContainerCreating' });
  assert.deepEqual(await get('/containerLogs/ns/p/w?previous=true', admin), { code: 400, body: 'previous terminated container "w" in pod "p" not found' });
  assert.equal((await get('/nope', admin)).code, 404);
});
