// CertificateSubjectRestriction admission (upstream plugin/pkg/admission/certificates/subjectrestriction):
// a CertificateSigningRequest for the kube-apiserver-client signer may not ask for the
// system:masters group, whose certificates would pass every authorization check.
import type { KObject } from '../../api/types.js';
import { errors } from '../../api/status.js';
import { parseCsrPem } from '../../util/csr.js';

const gr = { group: 'certificates.k8s.io', resource: 'certificatesigningrequests' };

export function admitCertificateSubject(csr: KObject): void {
  const signer = csr.spec?.signerName;
  if (signer !== 'kubernetes.io/kube-apiserver-client') return;
  const parsed = parseCsrPem(Buffer.from(String(csr.spec?.request ?? ''), 'base64').toString('utf8'));
  const name = csr.metadata.name ?? '';
  if ('error' in parsed) throw errors.forbidden(gr, name, `failed to parse CSR: ${parsed.error}`);
  if (parsed.organizations.includes('system:masters')) throw errors.forbidden(gr, name, `use of ${signer} signer with system:masters group is not allowed`);
}
