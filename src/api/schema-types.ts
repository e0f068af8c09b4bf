// How a field behaves under merge: the facts upstream publishes as
// x-kubernetes-patch-strategy / x-kubernetes-patch-merge-key / x-kubernetes-list-type / x-kubernetes-list-map-keys / x-kubernetes-map-type.
// Used by strategic merge patch and server-side apply.

export interface FieldSchema {
  /** 'object' (struct with known fields), 'map' (string-keyed map), 'array', 'string', 'integer', 'number', 'boolean', 'int-or-string', 'quantity', 'any' */
  type: 'object' | 'map' | 'array' | 'string' | 'integer' | 'number' | 'boolean' | 'int-or-string' | 'any';
  /** for object: its fields */
  fields?: Record<string, FieldSchema> | (() => Record<string, FieldSchema>);
  /** for array and map: element schema */
  items?: FieldSchema | (() => FieldSchema);
  /** strategic merge: patch strategy ('merge', 'replace', 'retainKeys', 'merge,retainKeys') */
  patchStrategy?: string;
  /** strategic merge: merge key for lists of objects */
  patchMergeKey?: string;
  /** SSA: 'atomic' | 'set' | 'map' (lists) */
  listType?: 'atomic' | 'set' | 'map';
  listMapKeys?: string[];
  /** SSA: 'atomic' | 'granular' (structs/maps) */
  mapType?: 'atomic' | 'granular';
  /** an object that also keeps fields it does not declare (a CRD's x-kubernetes-preserve-unknown-fields) */
  preserveUnknownFields?: boolean;
  description?: string;
}

/** Finds the schema of a top-level kind; undefined for unknown kinds (then merge like JSON merge patch). */
export type SchemaLookup = (apiVersion: string, kind: string) => FieldSchema | undefined;
