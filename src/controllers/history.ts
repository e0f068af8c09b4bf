// ControllerRevision helpers shared by the DaemonSet and StatefulSet controllers (as upstream's
// pkg/controller/history): revision data is the patch that replaces spec.template, names are
// `<owner>-<hash>`, numbers grow monotonically, and old unused revisions are pruned to the limit.
import { isAlreadyExists, selectorMatches, type RestClient, type ResourceRef } from '../client/index.js';
import type { KObject, OwnerReference } from '../api/types.js';

export const controllerRevisionsResource: ResourceRef = { group: 'apps', version: 'v1', plural: 'controllerrevisions', namespaced: true, kind: 'ControllerRevision' };
/** label upstream's history package puts on StatefulSet revisions */
export const controllerRevisionHashLabel = 'controller.kubernetes.io/hash';
/** label on DaemonSet revisions and on DaemonSet/StatefulSet pods */
export const podRevisionLabel = 'controller-revision-hash';

export { safeEncodeString as safeEncode } from '../util/rand.js';
import { safeEncodeString as safeEncode } from '../util/rand.js';

/** JSON with object keys sorted: equal objects give equal text */
export function canonicalJSON(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (x && typeof x === 'object' && !Array.isArray(x)
    ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, x[k]])) : x));
}

function fnv32a(bytes: Buffer, h = 0x811c9dc5): number {
  for (const b of bytes) { h ^= b; h = Math.imul(h, 0x01000193) >>> 0; }
  return h >>> 0;
}

/** the hash of revision data, probed with the collision count (as HashControllerRevision) */
export function hashRevisionData(data: unknown, collisionCount?: number): string {
  let h = fnv32a(Buffer.from(canonicalJSON(data)));
  if (collisionCount) h = fnv32a(Buffer.from(String(collisionCount)), h);
  return safeEncode(String(h));
}

/** `<owner>-<hash>`, the owner name cut so the result stays a valid name */
export function revisionName(owner: string, hash: string): string {
  return `${owner.slice(0, 223)}-${hash}`;
}

/** the revision data: a strategic merge patch replacing spec.template (what `rollout undo` applies) */
export function templatePatch(owner: KObject): Record<string, unknown> {
  return { spec: { template: { ...(owner.spec?.template ?? {}), $patch: 'replace' } } };
}

export function controllerRefTo(owner: KObject): OwnerReference {
  return { apiVersion: owner.apiVersion!, kind: owner.kind!, name: owner.metadata.name!, uid: owner.metadata.uid!, controller: true, blockOwnerDeletion: true };
}

export function controllerRefOf(o: KObject): OwnerReference | undefined {
  return o.metadata.ownerReferences?.find((r) => r.controller);
}

/** revisions of the owner: controlled by it, or orphans its selector matches */
export function ownedRevisions(owner: KObject, all: KObject[]): KObject[] {
  return all.filter((r) => {
    const ref = controllerRefOf(r);
    if (ref) return ref.uid === owner.metadata.uid;
    return selectorMatches(owner.spec?.selector, r.metadata.labels);
  });
}

export function sortRevisions(revs: KObject[]): KObject[] {
  return [...revs].sort((a, b) => (a.revision ?? 0) - (b.revision ?? 0) || (a.metadata.name! < b.metadata.name! ? -1 : 1));
}

export function nextRevisionNumber(revs: KObject[]): number {
  return revs.reduce((m, r) => Math.max(m, r.revision ?? 0), 0) + 1;
}

export function sameData(a: KObject, data: unknown): boolean {
  return canonicalJSON(a.data) === canonicalJSON(data);
}

export interface RevisionStyle {
  /** label holding the hash on the revision (DaemonSet: controller-revision-hash; StatefulSet: controller.kubernetes.io/hash) */
  hashLabel: string;
}

/** a new ControllerRevision object for the owner's current template */
export function newRevision(owner: KObject, revision: number, collisionCount: number, style: RevisionStyle): KObject {
  const data = templatePatch(owner);
  const hash = hashRevisionData(data, collisionCount);
  const annotations = { ...(owner.metadata.annotations ?? {}) };
  delete annotations['kubectl.kubernetes.io/last-applied-configuration'];
  return {
    apiVersion: 'apps/v1', kind: 'ControllerRevision',
    metadata: {
      name: revisionName(owner.metadata.name!, hash), namespace: owner.metadata.namespace,
      labels: { ...(owner.spec?.template?.metadata?.labels ?? {}), [style.hashLabel]: hash },
      ...(Object.keys(annotations).length ? { annotations } : {}),
      ownerReferences: [controllerRefTo(owner)],
    },
    data, revision,
  };
}

export interface EnsuredRevision {
  /** the revision for the current template */
  update: KObject;
  hash: string;
  /** the owner's collision count after this call (persist it in status) */
  collisionCount: number;
  /** every revision of the owner after this call, sorted */
  revisions: KObject[];
}

/**
 * Finds or creates the revision of the owner's current template. An equal revision that is not
 * the newest gets the next number (a rollback); a name clash with other data bumps the collision
 * count and tries another name.
 */
export async function ensureRevision(client: RestClient, owner: KObject, existing: KObject[], style: RevisionStyle): Promise<EnsuredRevision> {
  let revisions = sortRevisions(existing);
  const data = templatePatch(owner);
  let collisionCount = owner.status?.collisionCount ?? 0;
  const equal = revisions.filter((r) => sameData(r, data));
  const next = nextRevisionNumber(revisions);
  if (equal.length) {
    let update = equal[equal.length - 1];
    const hash = update.metadata.labels?.[style.hashLabel] ?? update.metadata.name!.slice(owner.metadata.name!.length + 1);
    if (update !== revisions[revisions.length - 1] && (update.revision ?? 0) < next - 1) {
      update = await client.patch(controllerRevisionsResource, update.metadata.name!, { namespace: owner.metadata.namespace, patch: { revision: next } });
      revisions = sortRevisions([...revisions.filter((r) => r.metadata.name !== update.metadata.name), update]);
    }
    return { update, hash, collisionCount, revisions };
  }
  for (;;) {
    const rev = newRevision(owner, next, collisionCount, style);
    try {
      const made = await client.create(controllerRevisionsResource, rev, { namespace: owner.metadata.namespace });
      return { update: made, hash: rev.metadata.labels![style.hashLabel], collisionCount, revisions: sortRevisions([...revisions, made]) };
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      const clash = await client.get<KObject>(controllerRevisionsResource, rev.metadata.name!, { namespace: owner.metadata.namespace });
      if (sameData(clash, data) && controllerRefOf(clash)?.uid === owner.metadata.uid) {
        return { update: clash, hash: rev.metadata.labels![style.hashLabel], collisionCount, revisions: sortRevisions([...revisions.filter((r) => r.metadata.name !== clash.metadata.name), clash]) };
      }
      collisionCount++;
    }
  }
}

/**
 * Revisions to delete: the oldest ones beyond `limit` among those that are neither live (named in
 * `live`, e.g. used by a pod or as current/update revision) nor the newest.
 */
export function revisionsToPrune(revisions: KObject[], live: Set<string>, limit: number): KObject[] {
  const sorted = sortRevisions(revisions);
  const newest = sorted[sorted.length - 1]?.metadata.name;
  const dead = sorted.filter((r) => !live.has(r.metadata.name!) && r.metadata.name !== newest);
  return dead.slice(0, Math.max(0, dead.length - limit));
}
