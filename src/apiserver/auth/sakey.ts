// The service account token signing key, k3s-style: `service.key` (PKCS#8 PEM, mode 0600) beside the
// cluster CAs, created on first start and reused afterwards. New keys are ECDSA P-256 (ES256, which
// upstream accepts as well): a token costs the kubelet's pod start ~0.1 ms to sign instead of RSA
// 2048's ~3 ms. An RSA key already in the file keeps working (RS256).
//
//   ensureServiceAccountKey(dir) -> KeyObject (private)
import { createPrivateKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const SERVICE_ACCOUNT_KEY_FILE = 'service.key';

export async function ensureServiceAccountKey(dir: string): Promise<KeyObject> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, SERVICE_ACCOUNT_KEY_FILE);
  const stored = await readFile(path, 'utf8').catch(() => '');
  if (stored) {
    try { return createPrivateKey(stored); } catch { /* unreadable: replace it */ }
  }
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await writeFile(tmp, pem, { mode: 0o600 });
  await rename(tmp, path);
  return privateKey;
}
