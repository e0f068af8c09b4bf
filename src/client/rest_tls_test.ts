import { test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { which, requirePrereq } from '../util/prereq.js';
import { RestClient } from './rest.js';

function selfSigned(dir: string, name: string, san?: string): { cert: Buffer; key: Buffer } {
  const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.crt`), '-subj', `/CN=${name}`];
  if (san) args.push('-addext', `subjectAltName=${san}`);
  execFileSync('openssl', args, { stdio: 'ignore' });
  return { cert: readFileSync(join(dir, `${name}.crt`)), key: readFileSync(join(dir, `${name}.key`)) };
}

test('https with CA and client certificate (also via kubeconfig data); keep-alive reuse; watches on their own connection',
  { skip: requirePrereq(!!which('openssl'), 'openssl') }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tls-'));
    const server = selfSigned(dir, 'server', 'IP:127.0.0.1');
    const user = selfSigned(dir, 'admin');
    let connections = 0;
    const s = https.createServer({ ...server, ca: user.cert, requestCert: true, rejectUnauthorized: true }, (req, res) => {
      const cn = (req.socket as TLSSocket).getPeerCertificate().subject.CN;
      res.writeHead(200, { 'Content-Type': 'application/json' });
      if (req.url!.includes('watch=true')) { res.write(JSON.stringify({ type: 'ADDED', object: { metadata: { name: cn } } }) + '\n'); return; }
      res.end(JSON.stringify({ user: cn }));
    });
    s.on('secureConnection', () => connections++);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const url = `https://127.0.0.1:${(s.address() as AddressInfo).port}`;
    const clients: RestClient[] = [];
    try {
      const c = new RestClient({ server: url, ca: server.cert, cert: user.cert, key: user.key });
      clients.push(c);
      for (let i = 0; i < 5; i++) assert.deepEqual(await c.request('GET', '/version'), { user: 'admin' });
      assert.equal(connections, 1);
      const ac = new AbortController();
      for await (const ev of c.watch({ group: '', version: 'v1', plural: 'pods', namespaced: true }, { signal: ac.signal })) {
        assert.equal(ev.object.metadata.name, 'admin');
        ac.abort();
      }
      assert.equal(connections, 2);

      writeFileSync(join(dir, 'kubeconfig'), `apiVersion: v1
kind: Config
current-context: k
clusters: [{name: k, cluster: {server: "${url}", certificate-authority-data: ${server.cert.toString('base64')}}}]
users: [{name: k, user: {client-certificate-data: ${user.cert.toString('base64')}, client-key-data: ${user.key.toString('base64')}}}]
contexts: [{name: k, context: {cluster: k, user: k}}]
`);
      const kc = RestClient.fromKubeconfig(join(dir, 'kubeconfig'));
      clients.push(kc);
      assert.deepEqual(await kc.request('GET', '/version'), { user: 'admin' });

      const noCA = new RestClient({ server: url, cert: user.cert, key: user.key });
      clients.push(noCA);
      await assert.rejects(noCA.request('GET', '/version'), /self[- ]signed certificate/);
    } finally {
      clients.forEach((c) => c.close());
      s.closeAllConnections();
      s.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
