// certificates.k8s.io/v1 CertificateSigningRequest (upstream pkg/apis/certificates/validation and
// pkg/registry/certificates): the request is a PEM PKCS#10 request, the spec cannot change after
// create (the API server fills in who asked), approval goes through the approval subresource, and
// the signer writes the certificate through status.
import { parseCsrPem } from '../../../util/csr.js';
import { nowRFC3339 } from '../../../util/time.js';
import type { Strategy } from '../strategy.js';
import { makeStrategy } from './base.js';
import { arr, clone, enumOf, fe, immutable, type Errs } from './field.js';

const supportedUsages = ['any', 'cert sign', 'client auth', 'code signing', 'content commitment', 'crl sign', 'data encipherment',
  'decipher only', 'digital signature', 'email protection', 'encipher only', 'ipsec end system', 'ipsec tunnel', 'ipsec user',
  'key agreement', 'key encipherment', 'microsoft sgc', 'netscape sgc', 'ocsp signing', 's/mime', 'server auth', 'signing', 'timestamping'];
const conditionTypes = ['Approved', 'Denied', 'Failed'];

function validateConditions(conds: unknown): Errs {
  const errs: Errs = [];
  const seen = new Set<string>();
  arr(conds).forEach((c: any, i: number) => {
    const p = `status.conditions[${i}]`;
    if (!c?.type) errs.push(fe.required(`${p}.type`));
    else if (seen.has(c.type) && conditionTypes.includes(c.type)) errs.push(fe.duplicate(`${p}.type`, c.type));
    if (c?.type) seen.add(c.type);
    if (c?.status !== undefined && c.status !== '') errs.push(...enumOf(`${p}.status`, c.status, ['False', 'True', 'Unknown']));
  });
  const approved = arr(conds).some((c: any) => c?.type === 'Approved' && (c.status ?? 'True') === 'True');
  const denied = arr(conds).some((c: any) => c?.type === 'Denied' && (c.status ?? 'True') === 'True');
  if (approved && denied) errs.push(fe.invalid('status.conditions', arr(conds).map((c: any) => c?.type), 'Approved and Denied conditions are mutually exclusive'));
  return errs;
}

/** conditions as stored: status True by default, the update and transition times filled in */
function stampConditions(conds: unknown, old: unknown): any[] {
  const now = nowRFC3339();
  return arr(conds).map((c: any) => {
    const before = arr(old).find((o: any) => o?.type === c?.type);
    const status = c?.status || 'True';
    return { ...c, status, lastUpdateTime: c?.lastUpdateTime ?? now, lastTransitionTime: before && before.status === status ? before.lastTransitionTime ?? now : c?.lastTransitionTime ?? now };
  });
}

export const certificateSigningRequestStrategy: Strategy = makeStrategy({
  namespaced: false, status: 'subresource',
  validate(o) {
    const spec = o.spec ?? {};
    const errs: Errs = [];
    if (!spec.request) errs.push(fe.required('spec.request'));
    else {
      let pem = '';
      try { pem = Buffer.from(String(spec.request), 'base64').toString('utf8'); } catch { pem = ''; }
      const parsed = parseCsrPem(pem);
      if ('error' in parsed) errs.push(fe.invalid('spec.request', spec.request, parsed.error));
    }
    if (!spec.signerName) errs.push(fe.required('spec.signerName'));
    else if (!/^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-zA-Z0-9._-]+(\/[a-zA-Z0-9._-]+)*$/.test(spec.signerName)) {
      errs.push(fe.invalid('spec.signerName', spec.signerName, "must be a fully qualified domain and path of the form 'example.com/signer-name'"));
    } else if (spec.signerName === 'kubernetes.io/legacy-unknown') {
      errs.push(fe.invalid('spec.signerName', spec.signerName, 'the legacy signerName is not allowed via this API version'));
    }
    if (!arr(spec.usages).length) errs.push(fe.required('spec.usages'));
    arr(spec.usages).forEach((u: string, i: number) => errs.push(...enumOf(`spec.usages[${i}]`, u, supportedUsages)));
    if (typeof spec.expirationSeconds === 'number' && spec.expirationSeconds < 600) {
      errs.push(fe.invalid('spec.expirationSeconds', spec.expirationSeconds, 'may not specify a duration less than 600 seconds (10 minutes)'));
    }
    return errs;
  },
  validateUpdate: (o, old) => immutable('spec', o.spec, old.spec),
  validateStatusUpdate: (o) => validateConditions(o.status?.conditions),
});

// the approval subresource (kubectl certificate approve|deny): only status.conditions change
certificateSigningRequestStrategy.subresources = {
  approval: {
    prepare(obj, old) {
      const next = clone(old);
      next.status = { ...(old.status ?? {}), conditions: stampConditions(obj.status?.conditions, old.status?.conditions) };
      return next;
    },
    validate: (obj) => validateConditions(obj.status?.conditions),
  },
};
