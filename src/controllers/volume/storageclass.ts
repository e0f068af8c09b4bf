// The default StorageClass (k3s's `local-path`) and how a claim's class is resolved. The API
// server does not default storageClassName on claims (upstream's DefaultStorageClass admission),
// and claim specs are immutable, so an absent storageClassName means "the default class" here.
import { isAlreadyExists, type ResourceRef, type RestClient } from '../../client/index.js';
import type { KObject } from '../../api/types.js';

export const storageClassesResource: ResourceRef = { group: 'storage.k8s.io', version: 'v1', plural: 'storageclasses', namespaced: false, kind: 'StorageClass' };
export const localPathClassName = 'local-path';
export const localPathProvisionerName = 'k8ts.io/local-path';
export const defaultClassAnnotation = 'storageclass.kubernetes.io/is-default-class';
export const betaDefaultClassAnnotation = 'storageclass.beta.kubernetes.io/is-default-class';

export function localPathStorageClass(): KObject {
  return {
    apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass',
    metadata: { name: localPathClassName, annotations: { [defaultClassAnnotation]: 'true' } },
    provisioner: localPathProvisionerName, reclaimPolicy: 'Delete', volumeBindingMode: 'WaitForFirstConsumer',
  };
}

/** creates the local-path class unless it exists (an existing one is left as the admin made it) */
export async function ensureDefaultStorageClass(client: RestClient): Promise<void> {
  try { await client.create(storageClassesResource, localPathStorageClass()); } catch (e) { if (!isAlreadyExists(e)) throw e; }
}

export const isDefaultClass = (c: KObject) =>
  c.metadata.annotations?.[defaultClassAnnotation] === 'true' || c.metadata.annotations?.[betaDefaultClassAnnotation] === 'true';

/** the default class; with several, the newest (then by name), as upstream's GetDefaultClass */
export function defaultClass(classes: KObject[]): KObject | undefined {
  return classes.filter(isDefaultClass).sort((a, b) =>
    (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? '') || (a.metadata.name! < b.metadata.name! ? -1 : 1))[0];
}

/**
 * The class a claim asks for: its storageClassName when set (possibly "" = no class), else the
 * default class's name, else "".
 */
export function claimClassName(claim: KObject, classes: KObject[]): string {
  const s = claim.spec?.storageClassName;
  if (typeof s === 'string') return s;
  return defaultClass(classes)?.metadata.name ?? '';
}
