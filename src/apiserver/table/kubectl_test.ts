// Renders our Tables with the real kubectl: a loopback HTTP server answers legacy discovery and pod/service lists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtinResources } from '../../api/resources.js';
import type { KObject } from '../../api/types.js';
import { toTable } from './index.js';

const ago = (s: number) => new Date(Date.now() - s * 1000).toISOString();
const pods: KObject[] = [
  { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', namespace: 'default', creationTimestamp: ago(300), labels: { app: 'web' } },
    spec: { nodeName: 'n1', containers: [{ name: 'c' }] },
    status: { phase: 'Running', podIPs: [{ ip: '10.42.0.5' }], containerStatuses: [{ name: 'c', ready: true, restartCount: 0, state: { running: {} } }] } },
  { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'crash', namespace: 'default', creationTimestamp: ago(7200), labels: { app: 'db' } },
    spec: { containers: [{ name: 'c' }] },
    status: { phase: 'Running', containerStatuses: [{ name: 'c', ready: false, restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, finishedAt: ago(60) } } }] } },
];
const services: KObject[] = [
  { apiVersion: 'v1', kind: 'Service', metadata: { name: 'kubernetes', namespace: 'default', creationTimestamp: ago(86400 * 3) },
    spec: { type: 'ClusterIP', clusterIPs: ['10.43.0.1'], ports: [{ port: 443, protocol: 'TCP' }] } },
];

function handler(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  const send = (body: unknown) => { res.writeHead(200, { 'Content-Type': 'application/json' }); res.end(JSON.stringify(body)); };
  const wantsTable = /as=Table/.test(req.headers.accept ?? '');
  switch (url.pathname) {
    case '/api': return send({ kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] });
    case '/apis': return send({ kind: 'APIGroupList', apiVersion: 'v1', groups: [] });
    case '/api/v1': return send({ kind: 'APIResourceList', groupVersion: 'v1', resources: ['pods', 'services'].map((p) => {
      const r = builtinResources.find((x) => x.group === '' && x.plural === p)!;
      return { name: p, singularName: r.singular, namespaced: true, kind: r.kind, verbs: ['get', 'list'], shortNames: r.shortNames };
    }) });
    case '/api/v1/namespaces/default/pods':
    case '/api/v1/pods':
      return send(wantsTable ? toTable(builtinResources.find((x) => x.plural === 'pods')!, pods, { listMeta: { resourceVersion: '10' } }) : { kind: 'PodList', apiVersion: 'v1', metadata: {}, items: pods });
    case '/api/v1/namespaces/default/services':
      return send(wantsTable ? toTable(builtinResources.find((x) => x.plural === 'services')!, services, { listMeta: { resourceVersion: '10' } }) : { kind: 'ServiceList', apiVersion: 'v1', metadata: {}, items: services });
  }
  res.writeHead(404, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: 'not found' }));
}

function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile('kubectl', args, { timeout: 20_000 }, (e: any, out, err) => resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, out, err }));
  });
}

const lines = (s: string) => s.trim().split('\n').map((l) => l.trim().split(/\s{2,}/));

test('kubectl renders server-side tables (get, -o wide, --show-labels, -A)', async (t) => {
  const probe = await run(['version', '--client']);
  if (probe.code !== 0) { t.skip('kubectl not available'); return; }
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const dir = mkdtempSync(join(tmpdir(), 'k8ts-table-'));
  try {
    const port = (server.address() as { port: number }).port;
    writeFileSync(join(dir, 'none'), 'apiVersion: v1\nkind: Config\n');
    const base = ['--kubeconfig', join(dir, 'none'), '--cache-dir', join(dir, 'cache'), '-s', `http://127.0.0.1:${port}`, '-n', 'default'];
    const get = await run([...base, 'get', 'pods']);
    assert.equal(get.code, 0, get.err);
    assert.deepEqual(lines(get.out), [
      ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'],
      ['web-1', '1/1', 'Running', '0', '5m'],
      ['crash', '0/1', 'CrashLoopBackOff', '4 (60s ago)', '120m'],
    ]);
    const wide = await run([...base, 'get', 'pods', '-o', 'wide']);
    assert.equal(wide.code, 0, wide.err);
    assert.deepEqual(lines(wide.out)[0], ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES']);
    assert.deepEqual(lines(wide.out)[1], ['web-1', '1/1', 'Running', '0', '5m', '10.42.0.5', 'n1', '<none>', '<none>']);
    const labels = await run([...base, 'get', 'pods', '--show-labels']);
    assert.equal(labels.code, 0, labels.err);
    assert.deepEqual(lines(labels.out).map((l) => l.at(-1)), ['LABELS', 'app=web', 'app=db']);
    const all = await run([...base, 'get', 'pods', '-A', '-L', 'app']);
    assert.equal(all.code, 0, all.err);
    assert.deepEqual(lines(all.out)[0], ['NAMESPACE', 'NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'APP']);
    assert.deepEqual(lines(all.out)[1], ['default', 'web-1', '1/1', 'Running', '0', '5m', 'web']);
    const svc = await run([...base, 'get', 'svc']);
    assert.equal(svc.code, 0, svc.err);
    assert.deepEqual(lines(svc.out), [['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE'], ['kubernetes', 'ClusterIP', '10.43.0.1', '<none>', '443/TCP', '3d']]);
  } finally {
    server.close();
    server.closeAllConnections();
    rmSync(dir, { recursive: true, force: true });
  }
});
