// Which PersistentVolume a claim can bind to (upstream's findMatchingVolume): same class and
// volume mode, enough capacity, every requested access mode, the claim's selector; volumes
// pre-bound to the claim win, else the smallest that fits.
import { selectorMatches } from '../../client/index.js';
import type { KObject } from '../../api/types.js';
import { parseQuantity } from '../../api/validation/index.js';

export const capacityOf = (pv: KObject) => parseQuantity(pv.spec?.capacity?.storage) ?? 0;
export const requestOf = (claim: KObject) => parseQuantity(claim.spec?.resources?.requests?.storage) ?? 0;

/** the PV's claimRef names this claim (uid too, when the ref has one) */
export function claimRefMatches(pv: KObject, claim: KObject): boolean {
  const r = pv.spec?.claimRef;
  if (!r || r.name !== claim.metadata.name || (r.namespace ?? '') !== claim.metadata.namespace) return false;
  return !r.uid || r.uid === claim.metadata.uid;
}

/** whether the volume satisfies the claim, ignoring who it is bound to */
export function volumeFits(pv: KObject, claim: KObject, className: string): boolean {
  if ((pv.spec?.storageClassName ?? '') !== className) return false;
  if ((pv.spec?.volumeMode ?? 'Filesystem') !== (claim.spec?.volumeMode ?? 'Filesystem')) return false;
  if (capacityOf(pv) < requestOf(claim)) return false;
  const modes: string[] = pv.spec?.accessModes ?? [];
  if (!(claim.spec?.accessModes ?? []).every((m: string) => modes.includes(m))) return false;
  if (claim.spec?.selector && !selectorMatches(claim.spec.selector, pv.metadata.labels)) return false;
  return true;
}

export function findMatchingVolume(claim: KObject, volumes: KObject[], className: string): KObject | undefined {
  let best: KObject | undefined;
  for (const pv of volumes) {
    if (pv.metadata.deletionTimestamp) continue;
    const pre = claimRefMatches(pv, claim);
    if (pv.spec?.claimRef && !pre) continue;
    if (!volumeFits(pv, claim, className)) continue;
    if (pre) return pv;
    if (pv.status?.phase && pv.status.phase !== 'Available' && pv.status.phase !== 'Pending') continue;
    if (!best || capacityOf(pv) < capacityOf(best)) best = pv;
  }
  return best;
}
