// The resources and annotations the volume controllers use (names as upstream).
import type { ResourceRef } from '../../client/index.js';
import { podClaims } from '../../api/volumes.js';

export const pvsResource: ResourceRef = { group: '', version: 'v1', plural: 'persistentvolumes', namespaced: false, kind: 'PersistentVolume' };
export const pvcsResource: ResourceRef = { group: '', version: 'v1', plural: 'persistentvolumeclaims', namespaced: true, kind: 'PersistentVolumeClaim' };
export const nodesResource: ResourceRef = { group: '', version: 'v1', plural: 'nodes', namespaced: false, kind: 'Node' };

export const annBindCompleted = 'pv.kubernetes.io/bind-completed';
export const annBoundByController = 'pv.kubernetes.io/bound-by-controller';
export const annProvisionedBy = 'pv.kubernetes.io/provisioned-by';
export const annSelectedNode = 'volume.kubernetes.io/selected-node';
export const annStorageProvisioner = 'volume.kubernetes.io/storage-provisioner';
export const annBetaStorageProvisioner = 'volume.beta.kubernetes.io/storage-provisioner';

export const claimKey = (ns: string, name: string) => `claim:${ns}/${name}`;
export const volumeKey = (name: string) => `volume:${name}`;

/** the claims a pod's volumes name */
/** the claims a pod's volumes use: persistentVolumeClaim volumes, and `<pod>-<volume>` for generic ephemeral ones */
export const podClaimNames = (pod: { metadata?: { name?: string }; spec?: any }): string[] => podClaims(pod).map((c) => c.name);
