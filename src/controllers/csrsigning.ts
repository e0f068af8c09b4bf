// CertificateSigningRequest signer (upstream pkg/controller/certificates/signer, the
// kube-controller-manager's --cluster-signing-* key pair): an approved request for one of the
// built-in signers is signed with the cluster's CA (the client CA for the kube-apiserver-client
// signers, so the certificate logs in to the API server; the server CA for kubelet-serving), for
// expirationSeconds (at most a year, the default), and the certificate is written to
// status.certificate. A request the signer refuses gets a Failed condition.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KObject } from '../api/types.js';
import { isNotFound, rfc3339, WorkQueue, type ResourceRef, type RestClient, type SharedInformer, type SharedInformerFactory } from '../client/index.js';
import { parseCsrPem, signCsr, verifyCsr, type ParsedCsr } from '../util/csr.js';

export const csrsResource: ResourceRef = { group: 'certificates.k8s.io', version: 'v1', plural: 'certificatesigningrequests', namespaced: false, kind: 'CertificateSigningRequest' };

/** upstream's --cluster-signing-duration default */
const maxSeconds = 365 * 24 * 3600;
const clientUsages = ['digital signature', 'key encipherment', 'client auth'];

const sameSet = (a: string[], b: string[]) => new Set(a).size === b.length && b.every((u) => a.includes(u));

/**
 * why a kubelet's request (kube-apiserver-client-kubelet or kubelet-serving) is not one, as
 * upstream's ValidateKubeletClientCSR / ValidateKubeletServingCSR
 */
function kubeletRequestError(csr: ParsedCsr, usages: string[], serving: boolean): string | undefined {
  if (csr.organizations.length !== 1 || csr.organizations[0] !== 'system:nodes') return 'subject organization is not system:nodes';
  if (serving) {
    if (!csr.dnsNames.length && !csr.ipAddresses.length) return 'DNS or IP subjectAltName is required';
  } else {
    if (csr.dnsNames.length) return 'DNS subjectAltNames are not allowed';
  }
  if (csr.emailAddresses.length) return 'Email subjectAltNames are not allowed';
  if (!serving && csr.ipAddresses.length) return 'IP subjectAltNames are not allowed';
  if (csr.uris.length) return 'URI subjectAltNames are not allowed';
  const need = serving ? ['key encipherment', 'digital signature', 'server auth'] : ['key encipherment', 'digital signature', 'client auth'];
  // the client check looks at the name before the usages, the serving check after them (as upstream)
  const cn = csr.commonName.startsWith('system:node:') ? undefined : 'subject common name does not begin with system:node:';
  if (!serving && cn) return cn;
  if (!sameSet(usages, need) && !sameSet(usages, need.slice(1))) return `usages did not match [${[...need].sort().join(' ')}]`;
  return serving ? cn : undefined;
}

export interface CsrSigningOptions { client: RestClient; informers: SharedInformerFactory; dataDir: string; log?: (msg: string) => void }

const has = (csr: KObject, type: string) => (csr.status?.conditions ?? []).some((c: any) => c.type === type && (c.status ?? 'True') === 'True');

export class CsrSigningController {
  readonly queue: WorkQueue<string>;
  private readonly csrs: SharedInformer;

  constructor(private readonly opts: CsrSigningOptions) {
    this.csrs = opts.informers.informerFor(csrsResource);
    this.queue = new WorkQueue<string>({ name: 'csrsigning', onError: (k, e) => opts.log?.(`csrsigning: ${k}: ${e instanceof Error ? e.message : e}`) });
    const add = (c: KObject) => this.queue.add(c.metadata.name!);
    this.csrs.addEventHandler({ add, update: (_o, c) => add(c) });
  }

  async run(workers: number, signal: AbortSignal): Promise<void> {
    if (!(await this.csrs.waitForSync(signal))) return;
    await this.queue.runWorkers(workers, (k) => this.reconcile(k), signal);
  }

  private ca(name: 'client-ca' | 'server-ca'): { cert: string; key: string } {
    const dir = join(this.opts.dataDir, 'tls');
    return { cert: readFileSync(join(dir, `${name}.crt`), 'utf8'), key: readFileSync(join(dir, `${name}.key`), 'utf8') };
  }

  async reconcile(name: string): Promise<void> {
    const csr = this.csrs.lister.get('', name);
    if (!csr || csr.status?.certificate || !has(csr, 'Approved') || has(csr, 'Denied') || has(csr, 'Failed')) return;
    const signer: string = csr.spec?.signerName ?? '';
    const client = signer === 'kubernetes.io/kube-apiserver-client' || signer === 'kubernetes.io/kube-apiserver-client-kubelet';
    if (!client && signer !== 'kubernetes.io/kubelet-serving') return; // another signer's
    const usages: string[] = csr.spec?.usages ?? [];
    const pem = Buffer.from(String(csr.spec?.request ?? ''), 'base64').toString('utf8');
    let why: string | undefined;
    const parsed = parseCsrPem(pem);
    if ('error' in parsed || !(await verifyCsr(pem))) why = 'unable to parse csr: invalid signature or request';
    else if (signer === 'kubernetes.io/kube-apiserver-client') {
      const bad = usages.filter((u) => !clientUsages.includes(u));
      if (bad.length) why = `invalid usage for client certificate: ${bad[0]}`;
      else if (!usages.includes('client auth')) why = 'missing required usage for client certificate: client auth';
    } else why = kubeletRequestError(parsed, usages, signer === 'kubernetes.io/kubelet-serving');
    const status: any = { ...(csr.status ?? {}) };
    if (why) {
      const now = rfc3339();
      status.conditions = [...(status.conditions ?? []), { type: 'Failed', status: 'True', reason: 'SignerValidationFailure', message: why, lastUpdateTime: now, lastTransitionTime: now }];
    } else {
      const seconds = Math.min(csr.spec?.expirationSeconds ?? maxSeconds, maxSeconds);
      const cert = await signCsr(this.ca(client ? 'client-ca' : 'server-ca'), pem, usages, seconds);
      status.certificate = Buffer.from(cert).toString('base64');
      this.opts.log?.(`csrsigning: signed ${name} for ${csr.spec?.username ?? '?'} (${signer})`);
    }
    try {
      await this.opts.client.updateStatus(csrsResource, { ...csr, status });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}
