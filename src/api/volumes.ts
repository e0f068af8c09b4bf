// The claims a pod's volumes use, and a claim's storage class: shared by the scheduler, the volume
// controllers, the kubelet and admission.
import type { KObject } from './types.js';

/** the claim of a pod's generic ephemeral volume (upstream's ephemeral.VolumeClaimName) */
export const ephemeralClaimName = (pod: { metadata?: { name?: string } }, volumeName: string): string => `${pod.metadata?.name}-${volumeName}`;

/** the claims a pod's volumes use, in volume order: persistentVolumeClaim volumes, and ephemeral ones (<pod>-<volume>) */
export function podClaims(pod: { metadata?: { name?: string }; spec?: any }): { name: string; ephemeral: boolean }[] {
  const out: { name: string; ephemeral: boolean }[] = [];
  for (const v of pod.spec?.volumes ?? []) {
    if (typeof v?.persistentVolumeClaim?.claimName === 'string' && v.persistentVolumeClaim.claimName) out.push({ name: v.persistentVolumeClaim.claimName, ephemeral: false });
    else if (v?.ephemeral) out.push({ name: ephemeralClaimName(pod, v.name), ephemeral: true });
  }
  return out;
}

/** the class a claim names: the beta annotation, else spec.storageClassName (upstream's GetPersistentVolumeClaimClass) */
export const claimStorageClass = (c: KObject): string => c.metadata.annotations?.['volume.beta.kubernetes.io/storage-class'] ?? c.spec?.storageClassName ?? '';
