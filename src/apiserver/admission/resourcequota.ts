// ResourceQuota admission (upstream plugin/pkg/admission/resourcequota): a new object must fit in
// every quota of its namespace that counts it (pods also only under the quota's scopes). Its usage
// is added to the quota's status.used at once (compare-and-swap, retried), as upstream does, so
// quick creates cannot overrun a quota before the controller recounts; a pod must set the
// requests and limits its quotas limit; a quota the controller has not counted yet refuses.
import { countsKind, formatQuantity, podInScopes, usageOf } from '../../api/quota.js';
import { errors, type StatusError } from '../../api/status.js';
import type { KObject } from '../../api/types.js';
import { parseQuantity } from '../../api/validation/quantity.js';

export interface QuotaDeps {
  /** the namespace's quotas (may be a second old) */
  quotas(ns: string): Promise<KObject[]>;
  /** read-modify-write of a quota's status */
  updateStatus(ns: string, name: string, mutate: (q: KObject) => KObject): Promise<void>;
}

const computeResources = ['requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory', 'cpu', 'memory'];
const listString = (m: Record<string, string>) => Object.keys(m).sort().map((k) => `${k}=${m[k]}`).join(',');

export async function admitQuota(group: string, plural: string, obj: KObject, deps: QuotaDeps, dryRun = false): Promise<void> {
  const ns = obj.metadata.namespace;
  if (!ns) return;
  const quotas = (await deps.quotas(ns)).filter((q) => Object.keys(q.spec?.hard ?? {}).some((r) => countsKind(r, group, plural)));
  if (!quotas.length) return;
  const gr = { group, resource: plural };
  const name = obj.metadata.name ?? '';
  const usage = usageOf(group, plural, obj);
  // every quota is checked before any is charged (a request one quota refuses uses none of the others)
  const charges: { quota: KObject; needed: string[]; check: (q: KObject) => StatusError | undefined }[] = [];
  for (const quota of quotas) {
    if (plural === 'pods' && group === '' && !podInScopes(quota, obj)) continue;
    const hard: Record<string, string> = quota.spec.hard;
    const keys = Object.keys(hard).filter((r) => countsKind(r, group, plural));
    // a pod must say what it asks for, for each compute resource the quota limits
    if (plural === 'pods' && group === '') {
      const missing: string[] = [];
      for (const r of keys.filter((k) => computeResources.includes(k)).sort()) {
        const [kind, res] = r.includes('.') ? r.split('.') : ['requests', r];
        const lacking = (obj.spec?.containers ?? []).filter((c: any) => c.resources?.[kind]?.[res] === undefined).map((c: any) => c.name);
        if (lacking.length) missing.push(`${r} for: ${lacking.join(',')}`);
      }
      if (missing.length) throw errors.forbidden(gr, name, `failed quota: ${quota.metadata.name}: must specify ${missing.join('; ')}`);
    }
    const needed = keys.filter((k) => (usage[k] ?? 0) > 0);
    if (!needed.length) continue;
    const check = (q: KObject): StatusError | undefined => {
      if (!q.status?.hard) return errors.forbidden(gr, name, `status unknown for quota: ${q.metadata.name}, resource: ${needed.sort().join(', ')}`);
      const over = needed.filter((k) => (parseQuantity(q.status.used?.[k]) ?? 0) + usage[k] > (parseQuantity(q.spec.hard[k]) ?? Infinity));
      if (!over.length) return undefined;
      const pick = (f: (k: string) => string) => Object.fromEntries(over.map((k) => [k, f(k)]));
      return errors.forbidden(gr, name, `exceeded quota: ${q.metadata.name}, requested: ${listString(pick((k) => formatQuantity(k, usage[k])))}, `
        + `used: ${listString(pick((k) => q.status.used?.[k] ?? '0'))}, limited: ${listString(pick((k) => String(q.spec.hard[k])))}`);
    };
    const refused = check(quota);
    if (refused) throw refused;
    charges.push({ quota, needed, check });
  }
  if (dryRun) return;
  for (const { quota, needed, check } of charges) {
    await deps.updateStatus(ns, quota.metadata.name!, (q) => {
      const why = check(q);
      if (why) throw why;
      const used = { ...(q.status.used ?? {}) };
      for (const k of needed) used[k] = formatQuantity(k, (parseQuantity(used[k]) ?? 0) + usage[k]);
      return { ...q, status: { ...q.status, used } };
    });
  }
}
