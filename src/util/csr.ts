// PKCS#10 certificate requests: parsing (for the API server's CertificateSigningRequest
// validation) and signing with a CA (the csrsigning controller), over @peculiar/x509.
import { randomBytes, webcrypto } from 'node:crypto';
import 'reflect-metadata'; // @peculiar/x509 (tsyringe) needs the Reflect metadata API
import * as x509 from '@peculiar/x509';

const crypto = webcrypto as unknown as Crypto;

export interface ParsedCsr {
  subject: string; commonName: string; organizations: string[];
  /** the subjectAltName extension the request asks for */
  dnsNames: string[]; ipAddresses: string[]; emailAddresses: string[]; uris: string[];
}

const SAN_OID = '2.5.29.17';

/** the request's subjectAltName extension, if any */
function sanOf(csr: x509.Pkcs10CertificateRequest): x509.SubjectAlternativeNameExtension | undefined {
  return csr.extensions.find((e) => e.type === SAN_OID) as x509.SubjectAlternativeNameExtension | undefined;
}

/** the request in spec.request (PEM), or why it is not one (upstream's ParseCSR messages) */
export function parseCsrPem(pem: string): ParsedCsr | { error: string } {
  const m = /-----BEGIN ([A-Z ]+)-----/.exec(pem);
  if (!m || (m[1] !== 'CERTIFICATE REQUEST' && m[1] !== 'NEW CERTIFICATE REQUEST')) return { error: 'PEM block type must be CERTIFICATE REQUEST' };
  let csr: x509.Pkcs10CertificateRequest;
  try { csr = new x509.Pkcs10CertificateRequest(pem.replace(/NEW CERTIFICATE REQUEST/g, 'CERTIFICATE REQUEST')); } catch (e) {
    return { error: `asn1: structure error: ${e instanceof Error ? e.message : e}` };
  }
  const json = csr.subjectName.toJSON();
  const values = (k: string) => json.flatMap((rdn) => rdn[k] ?? []);
  const names = sanOf(csr)?.names.toJSON() ?? [];
  const san = (t: string) => names.filter((n) => n.type === t).map((n) => n.value);
  return {
    subject: csr.subject, commonName: values('CN')[0] ?? '', organizations: values('O'),
    dnsNames: san('dns'), ipAddresses: san('ip'), emailAddresses: san('email'), uris: san('url'),
  };
}

/** whether the request is signed by the key it carries */
export async function verifyCsr(pem: string): Promise<boolean> {
  try { return await new x509.Pkcs10CertificateRequest(pem.replace(/NEW CERTIFICATE REQUEST/g, 'CERTIFICATE REQUEST')).verify(crypto); } catch { return false; }
}

/** a random positive 128-bit certificate serial number (hex), without a leading zero byte */
export function randomSerial(): string {
  const b = randomBytes(16);
  b[0] = (b[0] & 0x7f) | 0x01;
  return b.toString('hex');
}

const usageFlags: Record<string, number> = {
  'digital signature': x509.KeyUsageFlags.digitalSignature, 'key encipherment': x509.KeyUsageFlags.keyEncipherment,
  'content commitment': x509.KeyUsageFlags.nonRepudiation, 'data encipherment': x509.KeyUsageFlags.dataEncipherment,
  'key agreement': x509.KeyUsageFlags.keyAgreement, 'cert sign': x509.KeyUsageFlags.keyCertSign, 'crl sign': x509.KeyUsageFlags.cRLSign,
  'encipher only': x509.KeyUsageFlags.encipherOnly, 'decipher only': x509.KeyUsageFlags.decipherOnly,
};
const extUsages: Record<string, string> = {
  'server auth': '1.3.6.1.5.5.7.3.1', 'client auth': '1.3.6.1.5.5.7.3.2', 'code signing': '1.3.6.1.5.5.7.3.3',
  'email protection': '1.3.6.1.5.5.7.3.4', 'timestamping': '1.3.6.1.5.5.7.3.8', 'ocsp signing': '1.3.6.1.5.5.7.3.9',
};

/**
 * a certificate for the request, signed by the CA (ECDSA P-256 key, PKCS#8 PEM), valid from 5
 * minutes ago (upstream's backdating) for `seconds`, but not past the CA; with the request's
 * subject, subjectAltNames and public key, and the key usages asked for
 */
export async function signCsr(ca: { cert: string; key: string }, requestPem: string, usages: string[], seconds: number): Promise<string> {
  const csr = new x509.Pkcs10CertificateRequest(requestPem.replace(/NEW CERTIFICATE REQUEST/g, 'CERTIFICATE REQUEST'));
  const caCert = new x509.X509Certificate(ca.cert);
  const caKey = await crypto.subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(ca.key), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
  const now = Date.now();
  let flags = 0;
  for (const u of usages) flags |= usageFlags[u] ?? 0;
  const ext = usages.map((u) => extUsages[u]).filter((x): x is string => !!x);
  const extensions: x509.Extension[] = [new x509.BasicConstraintsExtension(false, undefined, true)];
  if (flags) extensions.push(new x509.KeyUsagesExtension(flags, true));
  if (ext.length) extensions.push(new x509.ExtendedKeyUsageExtension(ext, false));
  // the names the request asks for (a kubelet's serving certificate needs its DNS names and IPs)
  const san = sanOf(csr);
  if (san) extensions.push(new x509.SubjectAlternativeNameExtension(san.names.toJSON(), false));
  extensions.push(await x509.AuthorityKeyIdentifierExtension.create(caCert, false, crypto));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(), subject: csr.subjectName, issuer: caCert.subjectName, publicKey: csr.publicKey, signingKey: caKey,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' }, notBefore: new Date(now - 5 * 60 * 1000),
    notAfter: new Date(Math.min(now + seconds * 1000, caCert.notAfter.getTime())), extensions,
  }, crypto);
  return cert.toString('pem') + '\n';
}
