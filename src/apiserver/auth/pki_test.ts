import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createHash, createPrivateKey } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ensurePki, issueClientCert, DEFAULT_SERVING_HOSTS } from './pki.js';
import { which } from '../../util/prereq.js';

const run = promisify(execFile);

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-pki-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const FILES = ['server-ca', 'client-ca', 'serving-kube-apiserver', 'client-admin'];

test('ensurePki creates CAs, serving and admin certificates quickly', async (t) => {
  const dir = await tempDir(t);
  const started = performance.now();
  const pki = await ensurePki(dir, { hosts: ['node1.example', '192.0.2.7', '2001:db8::1'] });
  assert.ok(performance.now() - started < 1000, 'generation took under 1s');

  for (const f of FILES) {
    assert.equal((await stat(join(dir, `${f}.key`))).mode & 0o777, 0o600, `${f}.key is 0600`);
    assert.ok((await readFile(join(dir, `${f}.crt`), 'utf8')).startsWith('-----BEGIN CERTIFICATE-----'));
  }
  assert.equal((await stat(join(dir, 'token'))).mode & 0o777, 0o600);
  assert.equal((await readFile(join(dir, 'token'), 'utf8')).trim(), pki.token);
  assert.match(pki.token, /^K10[0-9a-f]{64}::server:[0-9a-f]{32}$/);

  const serverCa = new X509Certificate(pki.serverCa.cert);
  const clientCa = new X509Certificate(pki.clientCa.cert);
  assert.match(serverCa.subject, /^CN=k8ts-server-ca@\d+$/);
  assert.match(clientCa.subject, /^CN=k8ts-client-ca@\d+$/);
  assert.ok(serverCa.ca && clientCa.ca);
  const years = (new Date(serverCa.validTo).getTime() - Date.now()) / (365 * 24 * 3600 * 1000);
  assert.ok(years > 9.9 && years < 10.1, `CA valid ~10 years, got ${years}`);

  const serving = new X509Certificate(pki.serving.cert);
  assert.ok(serving.checkIssued(serverCa) && serving.verify(serverCa.publicKey));
  assert.ok(!serving.ca);
  for (const h of [...DEFAULT_SERVING_HOSTS, 'node1.example', '192.0.2.7', '2001:db8::1']) {
    const ok = /^[\d.]+$|:/.test(h) ? serving.checkIP(h) : serving.checkHost(h, { subject: 'never' });
    assert.ok(ok, `serving cert covers ${h}`);
  }
  assert.equal(serving.checkHost('other.example', { subject: 'never' }), undefined);
  assert.ok(serving.checkPrivateKey(createPrivateKey(pki.serving.key)));

  const admin = new X509Certificate(pki.admin.cert);
  assert.ok(admin.checkIssued(clientCa) && admin.verify(clientCa.publicKey));
  assert.ok(!admin.checkIssued(serverCa), 'admin cert is signed by the client CA, not the server CA');
  assert.equal(admin.subject, 'O=system:masters\nCN=system:admin');
  assert.deepEqual(admin.keyUsage, ['1.3.6.1.5.5.7.3.2']);
  assert.deepEqual(serving.keyUsage, ['1.3.6.1.5.5.7.3.1']);
  assert.ok(admin.checkPrivateKey(createPrivateKey(pki.admin.key)));
});

test('ensurePki reuses files and re-issues the serving cert only when hosts are missing', async (t) => {
  const dir = await tempDir(t);
  const first = await ensurePki(dir, { hosts: ['a.example'] });
  const again = await ensurePki(dir, { hosts: ['a.example'] });
  assert.deepEqual(again, first);
  const subset = await ensurePki(dir, { hosts: [] });
  assert.equal(subset.serving.cert, first.serving.cert, 'hosts already covered: kept');

  const grown = await ensurePki(dir, { hosts: ['a.example', 'b.example'] });
  assert.notEqual(grown.serving.cert, first.serving.cert);
  assert.ok(new X509Certificate(grown.serving.cert).checkHost('b.example', { subject: 'never' }));
  assert.equal(grown.serverCa.cert, first.serverCa.cert);
  assert.equal(grown.clientCa.cert, first.clientCa.cert);
  assert.equal(grown.admin.cert, first.admin.cert);
  assert.equal(grown.token, first.token);
  assert.equal(await readFile(join(dir, 'serving-kube-apiserver.crt'), 'utf8'), grown.serving.cert);

  // a new server CA re-issues the serving cert and re-hashes the token but keeps its secret
  await rm(join(dir, 'server-ca.crt'));
  const rekeyed = await ensurePki(dir, { hosts: ['a.example'] });
  assert.notEqual(rekeyed.serverCa.cert, first.serverCa.cert);
  assert.ok(new X509Certificate(rekeyed.serving.cert).checkIssued(new X509Certificate(rekeyed.serverCa.cert)));
  assert.notEqual(rekeyed.token, first.token);
  assert.equal(rekeyed.token.split('::')[1], first.token.split('::')[1]);
  assert.equal(rekeyed.token.slice(3, 67), createHash('sha256').update(rekeyed.serverCa.cert).digest('hex'));
  assert.equal((await readFile(join(dir, 'token'), 'utf8')).trim(), rekeyed.token);
});

test('ensurePki replaces a leaf whose key does not match or that is not signed by the CA', async (t) => {
  const dir = await tempDir(t);
  const first = await ensurePki(dir, { hosts: [] });
  await writeFile(join(dir, 'client-admin.key'), first.serving.key); // wrong key for the admin cert
  await writeFile(join(dir, 'serving-kube-apiserver.crt'), first.admin.cert); // signed by the client CA
  const fixed = await ensurePki(dir, { hosts: [] });
  assert.notEqual(fixed.admin.cert, first.admin.cert);
  assert.ok(new X509Certificate(fixed.admin.cert).checkPrivateKey(createPrivateKey(fixed.admin.key)));
  assert.ok(new X509Certificate(fixed.serving.cert).checkIssued(new X509Certificate(fixed.serverCa.cert)));
});

test('issueClientCert signs CN and O with the client CA', async (t) => {
  const pki = await ensurePki(await tempDir(t), { hosts: [] });
  const { cert, key } = await issueClientCert(pki, { cn: 'system:node:worker-1', orgs: ['system:nodes', 'extra'] });
  const c = new X509Certificate(cert);
  assert.ok(c.verify(new X509Certificate(pki.clientCa.cert).publicKey));
  assert.equal(c.subject, 'O=system:nodes\nO=extra\nCN=system:node:worker-1');
  assert.ok(c.checkPrivateKey(createPrivateKey(key)));
});

test('openssl verifies the chains', async (t) => {
  if (!which('openssl')) return t.skip('openssl not installed');
  const dir = await tempDir(t);
  await ensurePki(dir, { hosts: ['node1.example'] });
  const s = await run('openssl', ['verify', '-CAfile', join(dir, 'server-ca.crt'), '-purpose', 'sslserver', join(dir, 'serving-kube-apiserver.crt')]);
  assert.match(s.stdout, /: OK/);
  const c = await run('openssl', ['verify', '-CAfile', join(dir, 'client-ca.crt'), '-purpose', 'sslclient', join(dir, 'client-admin.crt')]);
  assert.match(c.stdout, /: OK/);
  await assert.rejects(run('openssl', ['verify', '-CAfile', join(dir, 'server-ca.crt'), join(dir, 'client-admin.crt')]));
});
