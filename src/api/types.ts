// Shared shapes for API objects and the resource table.

export interface ObjectMeta {
  name?: string; generateName?: string; namespace?: string; uid?: string;
  resourceVersion?: string; generation?: number; creationTimestamp?: string;
  deletionTimestamp?: string; deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>; annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[]; finalizers?: string[];
  managedFields?: ManagedFieldsEntry[];
  [k: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string; kind: string; name: string; uid: string;
  controller?: boolean; blockOwnerDeletion?: boolean;
}

export interface ManagedFieldsEntry {
  manager?: string; operation?: 'Apply' | 'Update'; apiVersion?: string; time?: string;
  fieldsType?: 'FieldsV1'; fieldsV1?: Record<string, unknown>; subresource?: string;
}

/** Any API object. */
export interface KObject {
  apiVersion?: string; kind?: string; metadata: ObjectMeta;
  spec?: any; status?: any;
  [k: string]: any;
}

/** One served resource (group/version/plural), as in the resource table. */
export interface ResourceInfo {
  group: string;            // '' for core
  version: string;
  kind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  /** subresources served besides the main resource, e.g. ['status','scale'] */
  subresources?: string[];
  /** verbs; default: create delete deletecollection get list patch update watch */
  verbs?: string[];
  /** kind of the List type; default kind + 'List' */
  listKind?: string;
  /** a custom resource: what its CRD version says (src/apiserver/crd.ts) */
  custom?: CustomResourceInfo;
}

/** the parts of a CRD version the API server serves a custom resource by */
export interface CustomResourceInfo {
  scale?: { specReplicasPath?: string; statusReplicasPath?: string; labelSelectorPath?: string };
  /** additionalPrinterColumns */
  printerColumns?: any[];
  /** schema.openAPIV3Schema */
  schema?: any;
  deprecated?: boolean;
  deprecationWarning?: string;
  /** the CRD is being deleted: its resources can be read and deleted, not created */
  terminating?: boolean;
}

export const defaultVerbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export function apiVersionOf(r: { group: string; version: string }): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}
