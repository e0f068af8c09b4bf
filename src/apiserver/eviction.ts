// pods/eviction (upstream pkg/registry/core/pod/storage/eviction.go), what `kubectl drain` uses:
// a pod is deleted only if the PodDisruptionBudget covering it allows one more disruption. The
// budget's status.disruptionsAllowed is decremented (compare-and-swap) and the pod noted in
// status.disruptedPods, so the disruption controller does not count it as healthy meanwhile;
// otherwise 429 TooManyRequests, which kubectl drain retries. Pods that are pending, finished or
// already terminating are deleted without looking at budgets.
import { errors, StatusError } from '../api/status.js';
import type { KObject } from '../api/types.js';
import { fromLabelSelector, matches } from '../api/labels.js';
import { withDisruptionAllowed } from '../api/pdb.js';
import { isPodReady } from '../api/pods.js';
import { nowRFC3339 } from '../util/time.js';
import type { DeleteOptions, Store } from './registry/store.js';

const pdbGR = { group: 'policy', resource: 'poddisruptionbudget' };
/** upstream's MaxDisruptedPodSize */
const maxDisruptedPods = 2000;


function canIgnorePDB(pod: KObject): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || !!pod.metadata.deletionTimestamp;
}

function tooManyRequests(cause: string, retryAfterSeconds: number): StatusError {
  return new StatusError(429, 'TooManyRequests', "Cannot evict pod as it would violate the pod's disruption budget.",
    { causes: [{ reason: 'DisruptionBudget', message: cause }], retryAfterSeconds });
}

/** the budgets whose selector picks the pod (a null selector picks none; an empty one, all) */
async function budgetsOf(pdbs: Store, pod: KObject): Promise<KObject[]> {
  const { items } = await pdbs.list(pod.metadata.namespace);
  return items.filter((b) => b.spec?.selector != null && matches(fromLabelSelector(b.spec.selector), pod.metadata.labels ?? {}));
}

export interface EvictionStores { pods: Store; pdbs?: Store }

/** evicts ns/name; throws the Status errors upstream returns (429 when a budget forbids it) */
export async function evict(s: EvictionStores, ns: string, name: string, del: DeleteOptions, fieldManager: string): Promise<void> {
  const pod = await s.pods.get(ns, name);
  if (canIgnorePDB(pod) || !s.pdbs) {
    await s.pods.delete(ns, name, del);
    return;
  }
  const budgets = await budgetsOf(s.pdbs, pod);
  if (budgets.length > 1) throw new StatusError(500, '', 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
  if (budgets.length === 1) {
    const pdb = budgets[0];
    const st = pdb.status ?? {};
    const unhealthyOk = !isPodReady(pod) && (pdb.spec?.unhealthyPodEvictionPolicy === 'AlwaysAllow'
      || ((st.currentHealthy ?? 0) >= (st.desiredHealthy ?? 0) && (st.desiredHealthy ?? 0) > 0));
    if (!unhealthyOk) await takeDisruption(s.pdbs, pdb, name, !!del.dryRun);
  }
  if (!del.dryRun) {
    await s.pods.guaranteedUpdate(ns, name, (cur) => {
      if (!cur || (del.preconditions?.uid && cur.metadata.uid !== del.preconditions.uid)) return undefined;
      const conds = (cur.status?.conditions ?? []).filter((c: any) => c.type !== 'DisruptionTarget');
      conds.push({ type: 'DisruptionTarget', status: 'True', lastProbeTime: null, lastTransitionTime: nowRFC3339(), reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting' });
      cur.status = { ...(cur.status ?? {}), conditions: conds };
      return cur;
    }, { subresource: 'status', fieldManager });
  }
  await s.pods.delete(ns, name, del);
}

/** checkAndDecrement: one disruption fewer in the budget's status, or the error that forbids it */
async function takeDisruption(pdbs: Store, pdb: KObject, podName: string, dryRun: boolean): Promise<void> {
  const pdbName = pdb.metadata.name!;
  await pdbs.guaranteedUpdate(pdb.metadata.namespace, pdbName, (cur) => {
    if (!cur) throw errors.notFound({ group: 'policy', resource: 'poddisruptionbudgets' }, pdbName);
    const st = cur.status ?? (cur.status = {});
    if ((st.observedGeneration ?? 0) < (cur.metadata.generation ?? 0)) throw tooManyRequests(`The disruption budget ${pdbName} is still being processed by the server.`, 10);
    if ((st.disruptionsAllowed ?? 0) < 0) throw errors.forbidden(pdbGR, pdbName, 'pdb disruptions allowed is negative');
    if (Object.keys(st.disruptedPods ?? {}).length > maxDisruptedPods) throw errors.forbidden(pdbGR, pdbName, 'DisruptedPods map too big - too many evictions not confirmed by PDB controller');
    if ((st.disruptionsAllowed ?? 0) === 0) {
      throw tooManyRequests(`The disruption budget ${pdbName} needs ${st.desiredHealthy ?? 0} healthy pods and has ${st.currentHealthy ?? 0} currently`, 0);
    }
    st.disruptionsAllowed -= 1;
    if (st.disruptionsAllowed === 0) st.conditions = withDisruptionAllowed(st, nowRFC3339());
    st.disruptedPods = { ...(st.disruptedPods ?? {}), [podName]: nowRFC3339() };
    return cur;
  }, { subresource: 'status', dryRun, fieldManager: 'kube-apiserver' });
}
