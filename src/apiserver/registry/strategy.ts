// A strategy is the small, stateless part each resource adds to the generic store
// (after upstream's pkg/registry/<group>/<resource>/strategy.go).
import type { FieldError } from '../../api/status.js';
import type { KObject, ResourceInfo } from '../../api/types.js';

export interface StrategyContext {
  /** the resource being served */
  resource: ResourceInfo;
  /** 'status' | 'scale' | '' */
  subresource: string;
}

export interface Strategy {
  /** why an object of this name may not be deleted at all (e.g. the system PriorityClasses), if so */
  deleteForbidden?(name: string): string | undefined;
  /** fill defaults (upstream SetDefaults_*) on create and update bodies */
  defaults?(obj: KObject): void;
  /** on create: clear status, set generation, etc. */
  prepareForCreate?(obj: KObject): void;
  /** on update of the main resource: keep status, bump generation when spec changed, etc. */
  prepareForUpdate?(obj: KObject, old: KObject): void;
  validate?(obj: KObject): FieldError[];
  /** immutable fields and other update rules; validate() is also run on updates */
  validateUpdate?(obj: KObject, old: KObject): FieldError[];
  /** whether the main resource's PUT/PATCH resets status to the old status (true for most kinds with a status subresource) */
  resetStatusOnUpdate?: boolean;
  /** extra field-selector fields, e.g. {'spec.nodeName': obj.spec.nodeName} */
  selectableFields?(obj: KObject): Record<string, string>;
  /** status subresource update: keep everything but status from old (upstream *StatusStrategy.PrepareForUpdate) */
  prepareForStatusUpdate?(obj: KObject, old: KObject): void;
  /** status subresource update checks */
  validateStatusUpdate?(obj: KObject, old: KObject): FieldError[];
  /** problems upstream reports while decoding the body (400 BadRequest "<Kind> in version \"v1\" cannot be handled as a <Kind>: <msg>"),
   * e.g. bad base64 in Secret data or a malformed quantity; run before defaults() */
  decodeErrors?(obj: KObject): string[];
  /** on the first delete request of an object (before finalizers are looked at): e.g. a finalizer of the kind's own */
  prepareForDelete?(obj: KObject): void;
  /**
   * for a version served from another version's storage (autoscaling/v1 HPAs are stored as v2):
   * the object as stored -> as served, and back
   */
  conversion?: { toServed(obj: KObject): KObject; toStored(obj: KObject): KObject };
  /** defaults applied to every object read from storage (a custom resource's schema defaults, as upstream applies them on read) */
  readDefaults?(obj: KObject): void;
  /** where the objects are stored when another resource holds them (events.k8s.io events are core events) */
  storage?: { group: string; plural: string };
  /**
   * subresources that update one part of the object (pods/ephemeralcontainers): the object to store,
   * built from the current one and the request's, and its checks
   */
  subresources?: Record<string, { prepare(obj: KObject, old: KObject): KObject; validate(obj: KObject, old: KObject): FieldError[] }>;
  /** names of the scale paths, for the scale subresource */
  scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath?: string };
}
