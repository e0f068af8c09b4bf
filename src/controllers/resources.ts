// The built-in resources the controllers address directly (everything else comes from discovery).
import type { ResourceRef } from '../client/index.js';

export const namespacesResource: ResourceRef = { group: '', version: 'v1', plural: 'namespaces', namespaced: false, kind: 'Namespace' };
export const podsResource: ResourceRef = { group: '', version: 'v1', plural: 'pods', namespaced: true, kind: 'Pod' };
export const serviceAccountsResource: ResourceRef = { group: '', version: 'v1', plural: 'serviceaccounts', namespaced: true, kind: 'ServiceAccount' };
export const secretsResource: ResourceRef = { group: '', version: 'v1', plural: 'secrets', namespaced: true, kind: 'Secret' };
export const configMapsResource: ResourceRef = { group: '', version: 'v1', plural: 'configmaps', namespaced: true, kind: 'ConfigMap' };
export const crdsResource: ResourceRef = { group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions', namespaced: false, kind: 'CustomResourceDefinition' };

/** whether a namespace is Active (no deletionTimestamp; phase Active or not yet set) */
export function namespaceActive(ns: { metadata: { deletionTimestamp?: string }; status?: { phase?: string } }): boolean {
  return !ns.metadata.deletionTimestamp && (ns.status?.phase ?? 'Active') === 'Active';
}

/** a create refused because the namespace is being terminated (cause NamespaceTerminating) */
export function isNamespaceTerminating(e: unknown): boolean {
  const d = (e as { details?: { causes?: { reason?: string }[] } })?.details;
  return !!d?.causes?.some((c) => c.reason === 'NamespaceTerminating');
}
