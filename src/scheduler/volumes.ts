// The scheduler's volume plugins (upstream's VolumeBinding and VolumeRestrictions):
//   preFilter: every claim a pod uses must exist, not be lost or being deleted, and be bound unless
//     its class waits for the first consumer; a ReadWriteOncePod claim may be used by one pod only.
//     A failure here holds for every node.
//   filter: a node must satisfy the node affinity of the volumes bound to the pod's claims.
//   claimsToSelect: the unbound WaitForFirstConsumer claims the binding step hands to the volume
//     controllers (volume.kubernetes.io/selected-node) before the pod is bound.
import type { KObject } from '../api/types.js';
import { claimStorageClass, podClaims } from '../api/volumes.js';
import { termMatches, type NodeSelectorTerm } from './helpers.js';
import type { NodeInfo } from './nodeinfo.js';

export interface VolumeListers {
  claim(ns: string, name: string): KObject | undefined;
  volume(name: string): KObject | undefined;
  storageClass(name: string): KObject | undefined;
  /** the pods (bound or assumed, not finished) that use a claim, by "ns/name" key */
  claimUsers(ns: string, claim: string): string[];
}

export const volumeReasons = {
  unboundImmediate: 'pod has unbound immediate PersistentVolumeClaims',
  nodeConflict: 'node(s) had volume node affinity conflict',
  pvNotExist: 'node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)',
  rwopConflict: 'node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode',
};

function waitsForConsumer(c: KObject, l: VolumeListers): boolean {
  const name = claimStorageClass(c);
  return !!name && l.storageClass(name)?.volumeBindingMode === 'WaitForFirstConsumer';
}

/** why no node can take the pod (upstream's PreFilter messages), or undefined */
export function volumesPreFilter(pod: KObject, l: VolumeListers): string | undefined {
  const ns = pod.metadata.namespace!;
  const key = `${ns}/${pod.metadata.name}`;
  for (const { name, ephemeral } of podClaims(pod)) {
    const c = l.claim(ns, name);
    if (!c) return ephemeral ? `waiting for ephemeral volume controller to create the persistentvolumeclaim "${name}"` : `persistentvolumeclaim "${name}" not found`;
    if (c.status?.phase === 'Lost') return `persistentvolumeclaim "${name}" bound to non-existent persistentvolume "${c.spec?.volumeName ?? ''}"`;
    if (c.metadata.deletionTimestamp) return `persistentvolumeclaim "${name}" is being deleted`;
    if (ephemeral && !(c.metadata.ownerReferences ?? []).some((r: any) => r.uid === pod.metadata.uid)) {
      return `PVC ${ns}/${name} was not created for pod ${key} (pod is not owner)`;
    }
    if ((c.spec?.accessModes ?? []).includes('ReadWriteOncePod') && l.claimUsers(ns, name).some((k) => k !== key)) return volumeReasons.rwopConflict;
  }
  for (const { name } of podClaims(pod)) {
    const c = l.claim(ns, name)!;
    if (!c.spec?.volumeName && !waitsForConsumer(c, l)) return volumeReasons.unboundImmediate;
  }
  return undefined;
}

/** why the node cannot take the pod's bound volumes, or undefined */
export function volumesFilter(pod: KObject, n: NodeInfo, l: VolumeListers): string | undefined {
  const ns = pod.metadata.namespace!;
  for (const { name } of podClaims(pod)) {
    const c = l.claim(ns, name);
    const pvName = c?.spec?.volumeName;
    if (!pvName) continue;
    const pv = l.volume(pvName);
    if (!pv) return volumeReasons.pvNotExist;
    const terms = pv.spec?.nodeAffinity?.required?.nodeSelectorTerms;
    if (Array.isArray(terms) && !terms.some((t: NodeSelectorTerm) => termMatches(t, n.node!))) return volumeReasons.nodeConflict;
  }
  return undefined;
}

/** the pod's unbound claims whose class waits for the first consumer */
export function claimsToSelect(pod: KObject, l: VolumeListers): KObject[] {
  const ns = pod.metadata.namespace!;
  return podClaims(pod).map(({ name }) => l.claim(ns, name)).filter((c): c is KObject => !!c && !c.spec?.volumeName && waitsForConsumer(c, l));
}
