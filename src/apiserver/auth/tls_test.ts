import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePki } from './pki.js';
import { createHttpsServerOptions } from './tls.js';

/** openssl s_client's summary of one handshake with the given extra flags (the server runs in this process: no spawnSync) */
function handshake(port: number, flags: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, ...flags], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { out += d; });
    p.on('error', reject);
    p.on('close', () => resolve(out));
    p.stdin.end();
  });
}

test('TLS 1.2 clients that offer only SHA-1 signatures (busybox wget) get a handshake, as from kube-apiserver', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-tls-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const srv = https.createServer(createHttpsServerOptions(await ensurePki(dir, { hosts: ['127.0.0.1'] })), (_req, res) => res.end('ok'));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => srv.close(() => r())));
  const port = (srv.address() as AddressInfo).port;
  // a client without signature_algorithms is taken to accept SHA-1 only (RFC 5246 7.4.1.4.1)
  assert.match(await handshake(port, ['-tls1_2', '-sigalgs', 'ECDSA+SHA1', '-cipher', 'DEFAULT@SECLEVEL=0']), /Cipher is ECDHE-ECDSA-/);
  // ordinary clients still get TLS 1.3 and the default cipher suites
  assert.match(await handshake(port, []), /New, TLSv1\.3, Cipher is TLS_AES_/);
  assert.doesNotMatch(await handshake(port, ['-tls1_2', '-cipher', 'DES-CBC3-SHA@SECLEVEL=0']), /Cipher is DES-CBC3-SHA/);
});
