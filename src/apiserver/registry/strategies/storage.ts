// PersistentVolume, PersistentVolumeClaim (core/v1) and StorageClass (storage.k8s.io/v1).
import type { KObject } from '../../../api/types.js';
import { isDNS1123Subdomain, isQualifiedName, parseQuantity } from '../../../api/validation/index.js';
import { makeStrategy } from './base.js';
import { clone, deepEqual, each, enumOf, fe, immutable, isObject, obj, setDefault, arr, type Errs } from './field.js';
import { validateLabelSelector } from './meta.js';
import { defaultPVCSpec } from './storage_defaults.js';

const accessModes = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
const volumeModes = ['Block', 'Filesystem'];
const pvSources = ['gcePersistentDisk', 'awsElasticBlockStore', 'hostPath', 'glusterfs', 'nfs', 'rbd', 'iscsi', 'cinder', 'cephfs', 'fc',
  'flocker', 'flexVolume', 'azureFile', 'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'portworxVolume', 'scaleIO', 'local',
  'storageos', 'csi'];

function validateAccessModes(modes: unknown, path: string, requiredDetail: string): Errs {
  const list = arr(modes);
  if (list.length === 0) return [fe.required(path, requiredDetail)];
  const errs: Errs = [];
  for (const m of list) if (!accessModes.includes(m)) errs.push(fe.notSupported(path, m, accessModes));
  if (list.includes('ReadWriteOncePod') && list.length > 1) errs.push(fe.forbidden(path, 'may not use ReadWriteOncePod with other access modes'));
  return errs;
}

// ---- PersistentVolume ----

function validatePV(o: KObject): Errs {
  const spec = o.spec ?? {};
  const errs: Errs = [];
  errs.push(...validateAccessModes(spec.accessModes, 'spec.accessModes', ''));
  const cap = spec.capacity;
  if (!isObject(cap) || Object.keys(cap).length === 0) errs.push(fe.required('spec.capacity'));
  else {
    for (const k of Object.keys(cap)) if (k !== 'storage') errs.push(fe.notSupported('spec.capacity', k, ['storage']));
    const n = parseQuantity(cap.storage);
    if (cap.storage !== undefined && n !== undefined && n <= 0) errs.push(fe.invalid('spec.capacity[storage]', String(cap.storage), 'must be greater than zero'));
  }
  errs.push(...enumOf('spec.persistentVolumeReclaimPolicy', spec.persistentVolumeReclaimPolicy, ['Delete', 'Recycle', 'Retain']));
  errs.push(...enumOf('spec.volumeMode', spec.volumeMode, volumeModes));
  const srcs = pvSources.filter((s) => spec[s] != null);
  if (srcs.length === 0) errs.push(fe.required('spec', 'must specify a volume type'));
  else if (srcs.length > 1) errs.push(fe.forbidden(`spec.${srcs[1]}`, 'may not specify more than 1 volume type'));
  if (isObject(spec.hostPath) && !spec.hostPath.path) errs.push(fe.required('spec.hostPath.path'));
  if (isObject(spec.local) && !spec.local.path) errs.push(fe.required('spec.local.path'));
  if (isObject(spec.csi)) {
    if (!spec.csi.driver) errs.push(fe.required('spec.csi.driver'));
    if (!spec.csi.volumeHandle) errs.push(fe.required('spec.csi.volumeHandle'));
  }
  if (spec.local != null && !isObject(spec.nodeAffinity)) errs.push(fe.required('spec.nodeAffinity', 'Local volume requires node affinity'));
  if (spec.storageClassName) errs.push(...each('spec.storageClassName', spec.storageClassName, isDNS1123Subdomain(spec.storageClassName)));
  return errs;
}

function validatePVUpdate(o: KObject, old: KObject): Errs {
  const a = o.spec ?? {}; const b = old.spec ?? {};
  const errs: Errs = [];
  const pick = (s: any) => Object.fromEntries(pvSources.filter((k) => s[k] != null).map((k) => [k, s[k]]));
  if (!deepEqual(pick(a), pick(b))) errs.push(fe.forbidden('spec.persistentvolumesource', 'spec.persistentvolumesource is immutable after creation'));
  errs.push(...immutable('spec.volumeMode', a.volumeMode, b.volumeMode));
  if (b.nodeAffinity != null) errs.push(...immutable('spec.nodeAffinity', a.nodeAffinity, b.nodeAffinity));
  return errs;
}

export const persistentVolumeStrategy = makeStrategy({
  namespaced: false, status: 'subresource',
  defaults(o) {
    const spec = obj(o, 'spec');
    setDefault(spec, 'persistentVolumeReclaimPolicy', 'Retain');
    setDefault(spec, 'volumeMode', 'Filesystem');
  },
  initialStatus: () => ({ phase: 'Pending', lastPhaseTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }),
  validate: validatePV,
  validateUpdate: validatePVUpdate,
  statusUpdate(o, old) {
    if (o.status?.phase && o.status.phase !== old.status?.phase) o.status.lastPhaseTransitionTime = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  },
});

// ---- PersistentVolumeClaim ----

function validatePVC(o: KObject): Errs {
  const spec = o.spec ?? {};
  const errs: Errs = [];
  errs.push(...validateAccessModes(spec.accessModes, 'spec.accessModes', 'at least 1 access mode is required'));
  if (spec.selector != null) errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  const req = spec.resources?.requests;
  const storage = isObject(req) ? req.storage : undefined;
  if (storage === undefined) errs.push(fe.required('spec.resources[storage]'));
  else {
    const n = parseQuantity(storage);
    if (n !== undefined && n <= 0) errs.push(fe.invalid('spec.resources[storage]', String(storage), 'must be greater than zero'));
  }
  errs.push(...enumOf('spec.volumeMode', spec.volumeMode, volumeModes));
  if (spec.storageClassName) errs.push(...each('spec.storageClassName', spec.storageClassName, isDNS1123Subdomain(spec.storageClassName)));
  return errs;
}

function validatePVCUpdate(o: KObject, old: KObject): Errs {
  const a = clone(o.spec ?? {}); const b = old.spec ?? {};
  const errs: Errs = [];
  // binding may fill in volumeName; the resize path may change requests
  if (!b.volumeName) a.volumeName = b.volumeName;
  const bound = old.status?.phase === 'Bound';
  if (bound) {
    const now = parseQuantity(o.spec?.resources?.requests?.storage);
    const before = parseQuantity(b.resources?.requests?.storage);
    if (now !== undefined && before !== undefined && now < before) {
      errs.push(fe.forbidden('spec.resources.requests.storage', 'field can not be less than status.capacity'));
    }
    a.resources = { ...(a.resources ?? {}), requests: b.resources?.requests };
    if (a.resources.requests === undefined) delete a.resources.requests;
    a.volumeAttributesClassName = b.volumeAttributesClassName;
  }
  if (!deepEqual(a, b)) errs.push(fe.forbidden('spec', 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims'));
  return errs;
}

export const persistentVolumeClaimStrategy = makeStrategy({
  namespaced: true, status: 'subresource',
  defaults(o) { defaultPVCSpec(obj(o, 'spec')); },
  initialStatus: () => ({ phase: 'Pending' }),
  validate: validatePVC,
  validateUpdate: validatePVCUpdate,
});

// ---- StorageClass ----

function validateStorageClass(o: KObject): Errs {
  const errs: Errs = [];
  if (!o.provisioner) errs.push(fe.required('provisioner'));
  else {
    if (o.provisioner.length > 253) errs.push(fe.tooLong('provisioner', 253));
    errs.push(...each('provisioner', o.provisioner, isQualifiedName(String(o.provisioner).toLowerCase())));
  }
  errs.push(...enumOf('reclaimPolicy', o.reclaimPolicy, ['Delete', 'Retain']));
  errs.push(...enumOf('volumeBindingMode', o.volumeBindingMode, ['Immediate', 'WaitForFirstConsumer'], true));
  if (isObject(o.parameters)) {
    let size = 0;
    for (const [k, v] of Object.entries(o.parameters)) {
      if (k === '') errs.push(fe.invalid('parameters', o.parameters, 'field can not be empty.'));
      size += k.length + String(v).length;
    }
    if (size > 256 * 1024) errs.push(fe.tooLong('parameters', 256 * 1024));
  }
  return errs;
}

function validateStorageClassUpdate(o: KObject, old: KObject): Errs {
  const errs: Errs = [];
  if (!deepEqual(o.parameters, old.parameters)) errs.push(fe.forbidden('parameters', 'updates to parameters are forbidden.'));
  if (o.provisioner !== old.provisioner) errs.push(fe.forbidden('provisioner', 'updates to provisioner are forbidden.'));
  if (o.reclaimPolicy !== old.reclaimPolicy) errs.push(fe.forbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.'));
  errs.push(...immutable('volumeBindingMode', o.volumeBindingMode, old.volumeBindingMode));
  return errs;
}

export const storageClassStrategy = makeStrategy({
  namespaced: false,
  defaults(o) {
    setDefault(o, 'reclaimPolicy', 'Delete');
    setDefault(o, 'volumeBindingMode', 'Immediate');
  },
  validate: validateStorageClass,
  validateUpdate: validateStorageClassUpdate,
});
