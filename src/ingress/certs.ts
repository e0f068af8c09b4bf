// TLS for the HTTPS listener: certificates from `kubernetes.io/tls` Secrets named in the served
// Ingresses' spec.tls, chosen by SNI (exact host, then a `*.domain` host or SAN-less wildcard entry),
// else a self-signed default certificate (as ingress-nginx's "Fake Certificate").
import * as tls from 'node:tls';
import { webcrypto, randomBytes } from 'node:crypto';
import 'reflect-metadata'; // @peculiar/x509 (tsyringe) needs the Reflect metadata API
import * as x509 from '@peculiar/x509';
import type { KObject } from '../api/types.js';
import type { Lister } from '../client/index.js';
import { normalizeHost } from './match.js';

export interface CertKeyPem { cert: string; key: string }

const crypto = webcrypto as unknown as Crypto;
const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const RSA = { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' } as const;

/** a self-signed serving certificate (ECDSA P-256, or RSA 2048) for `hosts` (DNS SANs), valid `days` */
export async function selfSignedCert(cn: string, hosts: string[] = [], days = 365, keyType: 'ec' | 'rsa' = 'ec'): Promise<CertKeyPem> {
  const keys = await crypto.subtle.generateKey(keyType === 'rsa' ? RSA : EC, true, ['sign', 'verify']);
  const now = Date.now();
  const serial = randomBytes(16); serial[0] = (serial[0] & 0x7f) | 1;
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension(['1.3.6.1.5.5.7.3.1'], false),
  ];
  if (hosts.length) extensions.push(new x509.SubjectAlternativeNameExtension(hosts.map((h) => ({ type: 'dns' as const, value: h })), false));
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial.toString('hex'), name: [{ CN: [cn] }], keys, signingAlgorithm: keyType === 'rsa' ? RSA : { name: 'ECDSA', hash: 'SHA-256' },
    notBefore: new Date(now - 3600_000), notAfter: new Date(now + days * 86_400_000), extensions,
  }, crypto);
  const der = await crypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { cert: cert.toString('pem') + '\n', key: x509.PemConverter.encode(der, 'PRIVATE KEY') + '\n' };
}

export const defaultCertCN = 'k8ts Ingress Controller Fake Certificate';

export class Certificates {
  /** SNI host ('' = Ingress tls entries without hosts) -> "ns/secret" */
  private hosts = new Map<string, string>();
  private contexts = new Map<string, { rv: string; ctx?: tls.SecureContext }>();
  private warned = new Set<string>();

  constructor(private readonly secrets: Lister, readonly fallback: tls.SecureContext, private readonly log: (m: string) => void = () => {}) {}

  /** rebuilds the host -> Secret map from the served Ingresses (oldest first wins a host) */
  setIngresses(ingresses: KObject[]): void {
    const m = new Map<string, string>();
    for (const ing of ingresses) {
      for (const t of ing.spec?.tls ?? []) {
        if (!t.secretName) continue;
        const ref = `${ing.metadata.namespace}/${t.secretName}`;
        const hs: string[] = t.hosts?.length ? t.hosts : [''];
        for (const h of hs) { const k = String(h).toLowerCase(); if (!m.has(k)) m.set(k, ref); }
      }
    }
    this.hosts = m;
  }

  /** the context for an SNI name (undefined servername: tls entries without hosts, else the default) */
  contextFor(servername: string | undefined): tls.SecureContext {
    const h = servername ? normalizeHost(servername) : '';
    const dot = h.indexOf('.');
    const ref = (h && this.hosts.get(h)) || (dot > 0 && this.hosts.get(`*.${h.slice(dot + 1)}`)) || this.hosts.get('');
    return (ref && this.secretContext(ref)) || this.fallback;
  }

  private secretContext(ref: string): tls.SecureContext | undefined {
    const [ns, name] = ref.split('/');
    const s = this.secrets.get(ns, name);
    if (!s) { this.warn(ref, `ingress: TLS secret ${ref} not found, serving the default certificate`); return undefined; }
    const rv = s.metadata.resourceVersion ?? '';
    const hit = this.contexts.get(ref);
    if (hit && hit.rv === rv) return hit.ctx;
    let ctx: tls.SecureContext | undefined;
    try {
      const data = (s as any).data ?? {};
      const cert = Buffer.from(data['tls.crt'] ?? '', 'base64');
      const key = Buffer.from(data['tls.key'] ?? '', 'base64');
      if (!cert.length || !key.length) throw new Error('tls.crt or tls.key is empty');
      ctx = tls.createSecureContext({ cert, key });
    } catch (e) {
      this.warn(`${ref}@${rv}`, `ingress: TLS secret ${ref} is unusable (${(e as Error).message}), serving the default certificate`);
    }
    this.contexts.set(ref, { rv, ctx });
    return ctx;
  }

  private warn(k: string, msg: string): void {
    if (this.warned.has(k)) return;
    this.warned.add(k);
    this.log(msg);
  }
}
