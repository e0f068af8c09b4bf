import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { renderKubeconfig, writeKubeconfig, kubeconfigWithToken, mergeKubeconfig, removeKubeconfigContext } from './kubeconfig.js';
import { which } from './prereq.js';

const run = promisify(execFile);
const CA = '-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n';
const CERT = '-----BEGIN CERTIFICATE-----\nQ0VSVA==\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nS0VZ\n-----END PRIVATE KEY-----\n';
const b64 = (s: string) => Buffer.from(s).toString('base64');

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-kc-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('renderKubeconfig: k3s layout with embedded certificate data', () => {
  const doc = parse(renderKubeconfig({ server: 'https://127.0.0.1:6443', caPem: CA, clientCertPem: CERT, clientKeyPem: KEY }));
  assert.deepEqual(doc, {
    apiVersion: 'v1', kind: 'Config',
    clusters: [{ name: 'default', cluster: { 'certificate-authority-data': b64(CA), server: 'https://127.0.0.1:6443' } }],
    contexts: [{ name: 'default', context: { cluster: 'default', user: 'default' } }],
    'current-context': 'default', preferences: {},
    users: [{ name: 'default', user: { 'client-certificate-data': b64(CERT), 'client-key-data': b64(KEY) } }],
  });
});

test('writeKubeconfig / kubeconfigWithToken write 0600 files kubectl reads', async (t) => {
  const dir = await tempDir(t);
  const certPath = join(dir, 'sub', 'kubeconfig.yaml');
  await writeKubeconfig(certPath, { server: 'https://10.0.0.1:6443', caPem: CA, clientCertPem: CERT, clientKeyPem: KEY, contextName: 'k8ts' });
  assert.equal((await stat(certPath)).mode & 0o777, 0o600);
  const tokPath = join(dir, 'token.yaml');
  await kubeconfigWithToken(tokPath, { server: 'https://10.0.0.1:6443', caPem: CA, token: 'K10abc::server:def' });
  assert.equal((await stat(tokPath)).mode & 0o777, 0o600);
  assert.deepEqual(parse(await readFile(tokPath, 'utf8')).users, [{ name: 'default', user: { token: 'K10abc::server:def' } }]);

  if (!which('kubectl')) return t.skip('kubectl not installed');
  const view = JSON.parse((await run('kubectl', ['config', 'view', '--raw', '-o', 'json', '--kubeconfig', certPath])).stdout);
  assert.equal(view['current-context'], 'k8ts');
  assert.equal(view.clusters[0].cluster.server, 'https://10.0.0.1:6443');
  assert.equal(view.users[0].name, 'k8ts');
  assert.equal(view.users[0].user['client-key-data'], b64(KEY));
  const tview = JSON.parse((await run('kubectl', ['config', 'view', '--raw', '-o', 'json', '--kubeconfig', tokPath])).stdout);
  assert.equal(tview.users[0].user.token, 'K10abc::server:def');
});

test('mergeKubeconfig keeps other entries, replaces its own, and removeKubeconfigContext undoes it', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'config');
  await writeFile(path, [
    'apiVersion: v1', 'kind: Config', 'current-context: prod',
    'clusters:', '- name: prod', '  cluster: {server: "https://prod:6443"}',
    'users:', '- name: prod', '  user: {token: p}',
    'contexts:', '- name: prod', '  context: {cluster: prod, user: prod, namespace: web}',
    'preferences: {}', '',
  ].join('\n'));
  await mergeKubeconfig(path, { server: 'https://127.0.0.1:6443', caPem: CA, token: 'old', contextName: 'k8ts' });
  await mergeKubeconfig(path, { server: 'https://127.0.0.1:7443', caPem: CA, clientCertPem: CERT, clientKeyPem: KEY, contextName: 'k8ts' });
  let doc = parse(await readFile(path, 'utf8'));
  assert.equal(doc['current-context'], 'k8ts');
  assert.deepEqual(doc.clusters.map((c: { name: string }) => c.name), ['prod', 'k8ts']);
  assert.equal(doc.clusters[1].cluster.server, 'https://127.0.0.1:7443');
  assert.deepEqual(doc.users[1], { name: 'k8ts', user: { 'client-certificate-data': b64(CERT), 'client-key-data': b64(KEY) } });
  assert.equal(doc.contexts[0].context.namespace, 'web');
  assert.equal((await stat(path)).mode & 0o777, 0o600);

  assert.equal(await removeKubeconfigContext(path, 'k8ts'), true);
  assert.equal(await removeKubeconfigContext(path, 'k8ts'), false);
  doc = parse(await readFile(path, 'utf8'));
  assert.equal(doc['current-context'], '');
  assert.deepEqual([doc.clusters.length, doc.users.length, doc.contexts.length], [1, 1, 1]);

  const fresh = join(dir, 'new', 'config');
  await mergeKubeconfig(fresh, { server: 'https://127.0.0.1:6443', caPem: CA, token: 't' });
  assert.equal(parse(await readFile(fresh, 'utf8'))['current-context'], 'default');
});
