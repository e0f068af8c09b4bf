// The cluster's certificates and server token, k3s-style, kept as PEM files in one directory.
//
//   ensurePki(dir, {hosts}) -> Pki
//     First run: creates a server CA (`k8ts-server-ca@<unix time>`, 10 years), a separate client CA
//     (`k8ts-client-ca@<unix time>`), the API server's serving certificate (signed by the server CA,
//     SANs: localhost, 127.0.0.1, kubernetes[.default[.svc[.cluster.local]]] + hosts, which name
//     the `kubernetes` Service's IP, the first of the service CIDR, as upstream's apiserver adds it),
//     an admin client certificate (CN=system:admin, O=system:masters, signed by the client CA)
//     and a token `K10<sha256 of server-ca.crt>::server:<random hex>` (the hash follows the CA on disk).
//     Later runs reuse the files; the serving and admin certificates are re-issued when they lack
//     a requested host, are no longer signed by the CA on disk, or expire within 90 days.
//   issueClientCert(pki, {cn, orgs}) -> {cert, key}   a client certificate signed by the client CA.
//   issueServingCert(pki, {cn, hosts}) -> {cert, key} a serving certificate signed by the server CA (the kubelet's).
//
// Files in dir: server-ca.crt/key, client-ca.crt/key, serving-kube-apiserver.crt/key,
// client-admin.crt/key, token. Keys and the token are written with mode 0600.
// Keys are ECDSA P-256 (PKCS#8 PEM) so that first start takes milliseconds.
import { webcrypto, X509Certificate as NodeX509, createHash, createPrivateKey, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import 'reflect-metadata'; // @peculiar/x509 (tsyringe) needs the Reflect metadata API
import * as x509 from '@peculiar/x509';
import { randomSerial } from '../../util/csr.js';

export interface CertKeyPem { cert: string; key: string }

export interface Pki {
  dir: string;
  serverCa: CertKeyPem;
  clientCa: CertKeyPem;
  serving: CertKeyPem;
  admin: CertKeyPem;
  /** the server token (k3s format); maps to system:admin / system:masters in authn */
  token: string;
}

export interface EnsurePkiOptions {
  /** extra DNS names and IP addresses for the serving certificate (the `kubernetes` Service's IP among them) */
  hosts: string[];
}

export const DEFAULT_SERVING_HOSTS: readonly string[] = [
  'localhost', '127.0.0.1', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc',
  'kubernetes.default.svc.cluster.local',
];

const crypto = webcrypto as unknown as Crypto;
const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY = 24 * 3600 * 1000;
const CA_DAYS = 3650;
const LEAF_DAYS = 365;
const RENEW_BEFORE_DAYS = 90;
const OID_SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const OID_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

export async function ensurePki(dir: string, opts: EnsurePkiOptions): Promise<Pki> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const now = Math.floor(Date.now() / 1000);
  const serverCa = (await readPair(dir, 'server-ca')) ?? await writePair(dir, 'server-ca', await createCa(`k8ts-server-ca@${now}`));
  const clientCa = (await readPair(dir, 'client-ca')) ?? await writePair(dir, 'client-ca', await createCa(`k8ts-client-ca@${now}`));

  const hosts = uniq([...DEFAULT_SERVING_HOSTS, ...opts.hosts.map((h) => h.trim()).filter(Boolean)]);
  let serving = await readPair(dir, 'serving-kube-apiserver');
  if (!serving || !leafUsable(serving, serverCa) || !coversHosts(serving.cert, hosts)) {
    serving = await writePair(dir, 'serving-kube-apiserver', await createLeaf(serverCa, { cn: 'kube-apiserver', orgs: [], hosts, usage: OID_SERVER_AUTH }));
  }
  let admin = await readPair(dir, 'client-admin');
  if (!admin || !leafUsable(admin, clientCa)) {
    admin = await writePair(dir, 'client-admin', await createLeaf(clientCa, { cn: 'system:admin', orgs: ['system:masters'], hosts: [], usage: OID_CLIENT_AUTH }));
  }

  const tokenPath = join(dir, 'token');
  const stored = (await readFile(tokenPath, 'utf8').catch(() => '')).trim();
  const secret = /::server:(.+)$/.exec(stored)?.[1] ?? randomBytes(16).toString('hex');
  const token = `K10${createHash('sha256').update(serverCa.cert).digest('hex')}::server:${secret}`;
  if (token !== stored) await writeAtomic(tokenPath, token + '\n', 0o600); // new, or the CA changed
  return { dir, serverCa, clientCa, serving, admin, token };
}

/** A client certificate (1 year) for user `cn` in groups `orgs`, signed by the client CA. Not written to disk. */
export async function issueClientCert(pki: Pki, who: { cn: string; orgs?: string[] }): Promise<CertKeyPem> {
  return createLeaf(pki.clientCa, { cn: who.cn, orgs: who.orgs ?? [], hosts: [], usage: OID_CLIENT_AUTH });
}

/** A serving certificate (1 year) for `hosts` (DNS names and IPs), signed by the server CA. Not written to disk. */
export async function issueServingCert(pki: Pki, who: { cn: string; hosts: string[] }): Promise<CertKeyPem> {
  return createLeaf(pki.serverCa, { cn: who.cn, orgs: [], hosts: uniq(who.hosts), usage: OID_SERVER_AUTH });
}

// ---- generation

async function createCa(cn: string): Promise<CertKeyPem> {
  const keys = await crypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(), name: [{ CN: [cn] }], keys, signingAlgorithm: SIGN,
    notBefore: new Date(now - 3600 * 1000), notAfter: new Date(now + CA_DAYS * DAY),
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
    ],
  }, crypto);
  return { cert: cert.toString('pem') + '\n', key: await keyPem(keys.privateKey) };
}

interface LeafSpec { cn: string; orgs: string[]; hosts: string[]; usage: string }

async function createLeaf(ca: CertKeyPem, spec: LeafSpec): Promise<CertKeyPem> {
  const caCert = new x509.X509Certificate(ca.cert);
  const caKey = await crypto.subtle.importKey('pkcs8', pemBody(ca.key), EC, false, ['sign']);
  const keys = await crypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const now = Date.now();
  const subject: x509.JsonName = [...spec.orgs.map((o) => ({ O: [o] })), { CN: [spec.cn] }];
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension([spec.usage], false),
    await x509.AuthorityKeyIdentifierExtension.create(caCert, false, crypto),
  ];
  if (spec.hosts.length) {
    extensions.push(new x509.SubjectAlternativeNameExtension(
      spec.hosts.map((h) => ({ type: isIP(h) ? 'ip' as const : 'dns' as const, value: h })), false));
  }
  const notAfter = Math.min(now + LEAF_DAYS * DAY, caCert.notAfter.getTime());
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(), subject, issuer: caCert.subjectName, publicKey: keys.publicKey, signingKey: caKey,
    signingAlgorithm: SIGN, notBefore: new Date(now - 300 * 1000), notAfter: new Date(notAfter), extensions,
  }, crypto);
  return { cert: cert.toString('pem') + '\n', key: await keyPem(keys.privateKey) };
}

async function keyPem(key: CryptoKey): Promise<string> {
  const der = await crypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY') + '\n';
}

function pemBody(pem: string): ArrayBuffer {
  return x509.PemConverter.decodeFirst(pem);
}


function uniq(xs: string[]): string[] { return [...new Set(xs)]; }

// ---- reuse checks

function leafUsable(leaf: CertKeyPem, ca: CertKeyPem): boolean {
  try {
    const c = new NodeX509(leaf.cert);
    const caCert = new NodeX509(ca.cert);
    if (!c.verify(caCert.publicKey) || !c.checkIssued(caCert) || !c.checkPrivateKey(createPrivateKey(leaf.key))) return false;
    return new Date(c.validTo).getTime() - Date.now() > RENEW_BEFORE_DAYS * DAY;
  } catch {
    return false;
  }
}

function coversHosts(certPem: string, hosts: string[]): boolean {
  const c = new NodeX509(certPem);
  return hosts.every((h) => (isIP(h) ? c.checkIP(h) !== undefined : c.checkHost(h, { subject: 'never' }) !== undefined));
}

// ---- files

async function readPair(dir: string, name: string): Promise<CertKeyPem | undefined> {
  try {
    const cert = await readFile(join(dir, `${name}.crt`), 'utf8');
    const key = await readFile(join(dir, `${name}.key`), 'utf8');
    new NodeX509(cert); // parses
    return { cert, key };
  } catch {
    return undefined;
  }
}

async function writePair(dir: string, name: string, pair: CertKeyPem): Promise<CertKeyPem> {
  await writeAtomic(join(dir, `${name}.key`), pair.key, 0o600);
  await writeAtomic(join(dir, `${name}.crt`), pair.cert, 0o644);
  return pair;
}

async function writeAtomic(path: string, data: string, mode: number): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await writeFile(tmp, data, { mode });
  await rename(tmp, path);
}
