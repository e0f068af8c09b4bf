// StatefulSet pod identity and storage (as upstream's stateful_set_utils): names `<set>-<ordinal>`,
// hostname/subdomain and identity labels, per-pod claims from volumeClaimTemplates named
// `<template>-<set>-<ordinal>`, and the claim owner references the retention policy asks for.
import { clone } from '../client/index.js';
import type { KObject, OwnerReference } from '../api/types.js';
import { controllerRefTo, podRevisionLabel } from './history.js';
import { isPodAvailable, isPodReady } from './replicaset/pods.js';

export const podNameLabel = 'statefulset.kubernetes.io/pod-name';
export const podIndexLabel = 'apps.kubernetes.io/pod-index';

/** parent name and ordinal from a pod name, or undefined */
export function parentAndOrdinal(pod: KObject): { parent: string; ordinal: number } | undefined {
  const m = /^(.*)-(\d+)$/.exec(pod.metadata.name ?? '');
  return m ? { parent: m[1], ordinal: Number(m[2]) } : undefined;
}

export function isMemberOf(set: KObject, pod: KObject): boolean {
  return parentAndOrdinal(pod)?.parent === set.metadata.name;
}

export const ordinalOf = (pod: KObject) => parentAndOrdinal(pod)?.ordinal ?? -1;
export const podName = (set: KObject, ordinal: number) => `${set.metadata.name}-${ordinal}`;
export const claimName = (template: KObject, set: KObject, ordinal: number) => `${template.metadata?.name}-${set.metadata.name}-${ordinal}`;
export const revisionOf = (pod: KObject) => pod.metadata.labels?.[podRevisionLabel];

export const isTerminating = (p: KObject) => !!p.metadata.deletionTimestamp;
export const isCreated = (p: KObject) => !!p.status?.phase;
export const isFailedOrSucceeded = (p: KObject) => p.status?.phase === 'Failed' || p.status?.phase === 'Succeeded';
export const isRunningAndReady = (p: KObject) => p.status?.phase === 'Running' && isPodReady(p);
export const isRunningAndAvailable = (p: KObject, minReadySeconds: number, now: number) => p.status?.phase === 'Running' && isPodAvailable(p, minReadySeconds, now);
/** running, ready and not being deleted */
export const isHealthy = (p: KObject) => isRunningAndReady(p) && !isTerminating(p);

/** the pod template a revision holds (its data replaces spec.template) */
export function revisionTemplate(rev: KObject): any {
  const { $patch: _p, ...t } = rev.data?.spec?.template ?? {};
  return t;
}

/** the pod for an ordinal, from a template (of the revision it should run) */
export function newStatefulPod(set: KObject, template: any, revisionName: string, ordinal: number): KObject {
  const t = clone(template ?? {});
  const name = podName(set, ordinal);
  const spec = t.spec ?? {};
  const claims: any[] = set.spec?.volumeClaimTemplates ?? [];
  const claimVolumes = claims.map((c) => ({ name: c.metadata?.name, persistentVolumeClaim: { claimName: claimName(c, set, ordinal) } }));
  const names = new Set(claimVolumes.map((v) => v.name));
  spec.volumes = [...claimVolumes, ...(spec.volumes ?? []).filter((v: any) => !names.has(v.name))];
  if (!spec.volumes.length) delete spec.volumes;
  spec.hostname = name;
  if (set.spec?.serviceName) spec.subdomain = set.spec.serviceName;
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      name, namespace: set.metadata.namespace,
      labels: { ...(t.metadata?.labels ?? {}), [podNameLabel]: name, [podIndexLabel]: String(ordinal), [podRevisionLabel]: revisionName },
      ...(t.metadata?.annotations ? { annotations: t.metadata.annotations } : {}),
      ownerReferences: [controllerRefTo(set)],
    },
    spec,
  };
}

function plainRef(o: KObject): OwnerReference {
  return { apiVersion: o.apiVersion!, kind: o.kind!, name: o.metadata.name!, uid: o.metadata.uid! };
}

/**
 * The owner references a claim should carry under the retention policy: the set when
 * whenDeleted=Delete, the pod when whenScaled=Delete and the pod is condemned (scaled away).
 * References to other owners are kept.
 */
export function claimOwnerRefs(claim: KObject | undefined, set: KObject, pod: KObject | undefined, condemned: boolean): OwnerReference[] {
  const policy = set.spec?.persistentVolumeClaimRetentionPolicy ?? {};
  const mine = new Set([set.metadata.uid, pod?.metadata.uid]);
  const refs = (claim?.metadata.ownerReferences ?? []).filter((r) => !mine.has(r.uid) && r.kind !== 'StatefulSet');
  // a claim whose pod is scaled away goes with the pod (the set lets go of it, as upstream's
  // updateClaimOwnerRefForSetAndPod), any other one with the set if it says so
  const withPod = policy.whenScaled === 'Delete' && condemned && !!pod?.metadata.uid;
  if (policy.whenDeleted === 'Delete' && !withPod) refs.push(plainRef(set));
  if (withPod) refs.push(plainRef(pod!));
  return refs;
}

/** the claims a pod of the ordinal needs */
export function newClaims(set: KObject, ordinal: number): KObject[] {
  return (set.spec?.volumeClaimTemplates ?? []).map((c: any) => {
    const labels = { ...(c.metadata?.labels ?? {}), ...(set.spec?.selector?.matchLabels ?? {}) };
    const refs = claimOwnerRefs(undefined, set, undefined, false);
    return {
      apiVersion: 'v1', kind: 'PersistentVolumeClaim',
      metadata: {
        name: claimName(c, set, ordinal), namespace: set.metadata.namespace, labels,
        ...(c.metadata?.annotations ? { annotations: c.metadata.annotations } : {}),
        ...(refs.length ? { ownerReferences: refs } : {}),
      },
      spec: clone(c.spec ?? {}),
    };
  });
}
