// Controller references: who controls an object, and adopting / releasing objects by selector
// (upstream's ControllerRefManager), through merge patches guarded by uid and resourceVersion.
import type { KObject, OwnerReference } from '../../api/types.js';
import { isNotFound, type ResourceRef, type RestClient } from '../../client/index.js';

export function controllerOf(o: KObject): OwnerReference | undefined {
  return (o.metadata.ownerReferences ?? []).find((r) => r.controller === true);
}

export function newControllerRef(owner: KObject, apiVersion: string, kind: string): OwnerReference {
  return { apiVersion, kind, name: owner.metadata.name!, uid: owner.metadata.uid!, controller: true, blockOwnerDeletion: true };
}

export interface ClaimOptions {
  client: RestClient;
  resource: ResourceRef;
  owner: KObject;
  ownerRef: OwnerReference;
  matches: (o: KObject) => boolean;
  /** re-reads the owner before the first adoption (upstream's RecheckDeletionTimestamp); false: do not adopt */
  canAdopt: () => Promise<boolean>;
}

/**
 * The objects the owner controls after adopting matching orphans and releasing owned objects that
 * no longer match. Objects controlled by someone else are ignored. Objects that vanished are skipped.
 */
export async function claim(objs: KObject[], o: ClaimOptions): Promise<KObject[]> {
  const out: KObject[] = [];
  let adoptable: boolean | undefined;
  const uid = o.owner.metadata.uid;
  for (const obj of objs) {
    const ref = controllerOf(obj);
    if (ref) {
      if (ref.uid !== uid) continue;
      if (o.matches(obj)) { out.push(obj); continue; }
      if (o.owner.metadata.deletionTimestamp) { out.push(obj); continue; }
      await release(obj, o);
      continue;
    }
    if (o.owner.metadata.deletionTimestamp || obj.metadata.deletionTimestamp || !o.matches(obj)) continue;
    adoptable ??= await o.canAdopt();
    if (!adoptable) continue;
    const adopted = await adopt(obj, o);
    if (adopted) out.push(adopted);
  }
  return out;
}

async function adopt(obj: KObject, o: ClaimOptions): Promise<KObject | undefined> {
  return write(obj, o, [...(obj.metadata.ownerReferences ?? []), o.ownerRef]);
}

async function release(obj: KObject, o: ClaimOptions): Promise<void> {
  const refs = (obj.metadata.ownerReferences ?? []).filter((r) => r.uid !== o.owner.metadata.uid);
  await write(obj, o, refs.length ? refs : null);
}

/** a merge patch of the whole list, guarded by uid and resourceVersion (409 if the object moved on) */
async function write(obj: KObject, o: ClaimOptions, ownerReferences: OwnerReference[] | null): Promise<KObject | undefined> {
  const patch = { metadata: { uid: obj.metadata.uid, resourceVersion: obj.metadata.resourceVersion, ownerReferences } };
  try {
    return await o.client.patch(o.resource, obj.metadata.name!, { namespace: obj.metadata.namespace, type: 'merge', patch });
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}
