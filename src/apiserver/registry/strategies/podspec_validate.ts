// Pod spec validation (upstream core validation ValidatePodSpec and friends), shared by Pods and templates.
import {
  isDNS1123Label, isDNS1123Subdomain, isEnvVarName, isQualifiedName, isValidPortName, isValidPortNum, isConfigMapKey,
  parseQuantity, isValidLabelValue,
} from '../../../api/validation/index.js';
import { fe, each, enumOf, arr, isObject, type Errs } from './field.js';
import { validateAnnotations, validateLabels } from './meta.js';

const protocols = ['SCTP', 'TCP', 'UDP'];
const pullPolicies = ['Always', 'IfNotPresent', 'Never'];
const restartPolicies = ['Always', 'OnFailure', 'Never'];
const dnsPolicies = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const volumeSources = ['hostPath', 'emptyDir', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'secret', 'nfs', 'iscsi', 'glusterfs',
  'persistentVolumeClaim', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker', 'downwardAPI', 'fc', 'azureFile', 'configMap', 'vsphereVolume',
  'quobyte', 'azureDisk', 'photonPersistentDisk', 'projected', 'portworxVolume', 'scaleIO', 'storageos', 'csi', 'ephemeral', 'image'];
const standardContainerResources = ['cpu', 'memory', 'ephemeral-storage'];

function validateResourceName(name: string, path: string): Errs {
  if (standardContainerResources.includes(name) || name.startsWith('hugepages-')) return [];
  const errs = each(path, name, isQualifiedName(name));
  if (errs.length) return errs;
  if (!name.includes('/')) return [fe.invalid(path, name, 'must be a standard resource type or fully qualified')];
  return [];
}

/** native resources (no domain, or kubernetes.io/) other than hugepages may be overcommitted */
const overcommittable = (name: string) => (!name.includes('/') || name.startsWith('kubernetes.io/')) && !name.startsWith('hugepages-');
/** extended resources (a domain other than kubernetes.io) come in whole units */
const integerResource = (name: string) => name.includes('/') && !name.startsWith('kubernetes.io/') && !name.startsWith('requests.');

/** upstream's ValidateResourceRequirements */
export function validateResources(r: any, path: string): Errs {
  const errs: Errs = [];
  if (!isObject(r)) return errs;
  let cpuOrMemory = false, hugePages = false;
  for (const part of ['limits', 'requests'] as const) {
    const m = r[part];
    if (!isObject(m)) continue;
    for (const [k, v] of Object.entries(m)) {
      const p = `${path}.${part}[${k}]`;
      errs.push(...validateResourceName(k, p));
      const n = parseQuantity(v);
      if (n !== undefined && n < 0) errs.push(fe.invalid(p, String(v), 'must be greater than or equal to 0'));
      else if (n !== undefined && integerResource(k) && Math.round(n * 1000) % 1000 !== 0) errs.push(fe.invalid(p, String(v), 'must be an integer'));
      if (k === 'cpu' || k === 'memory') cpuOrMemory = true;
      if (k.startsWith('hugepages-')) hugePages = true;
    }
  }
  if (isObject(r.requests)) {
    const limits = isObject(r.limits) ? r.limits : {};
    for (const [k, v] of Object.entries(r.requests)) {
      const lim = limits[k];
      if (lim === undefined) {
        if (!overcommittable(k)) errs.push(fe.required(`${path}.limits`, 'Limit must be set for non overcommitable resources'));
        continue;
      }
      const a = parseQuantity(v); const b = parseQuantity(lim);
      if (a === undefined || b === undefined) continue;
      if (a !== b && !overcommittable(k)) errs.push(fe.invalid(`${path}.requests`, String(v), `must be equal to ${k} limit of ${lim}`));
      else if (a > b) errs.push(fe.invalid(`${path}.requests`, String(v), `must be less than or equal to ${k} limit of ${lim}`));
    }
  }
  if (hugePages && !cpuOrMemory) errs.push(fe.forbidden(path, 'HugePages require cpu or memory'));
  return errs;
}

function validateProbe(p: any, path: string): Errs {
  const errs: Errs = [];
  if (!isObject(p)) return errs;
  const handlers = ['exec', 'httpGet', 'tcpSocket', 'grpc'].filter((h) => p[h] !== undefined && p[h] !== null);
  if (handlers.length === 0) errs.push(fe.required(path, 'must specify a handler type'));
  else if (handlers.length > 1) errs.push(fe.forbidden(`${path}.${handlers[1]}`, 'may not specify more than 1 handler type'));
  for (const f of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold']) {
    if (typeof p[f] === 'number' && p[f] < 0) errs.push(fe.invalid(`${path}.${f}`, p[f], 'must be greater than or equal to 0'));
  }
  return errs;
}

function validateEnv(env: unknown, path: string): Errs {
  const errs: Errs = [];
  arr(env).forEach((e: any, i: number) => {
    const p = `${path}[${i}]`;
    if (!e?.name) errs.push(fe.required(`${p}.name`));
    else errs.push(...each(`${p}.name`, e.name, isEnvVarName(e.name)));
    const vf = e?.valueFrom;
    if (isObject(vf)) {
      const n = ['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef', 'fileKeyRef'].filter((k) => vf[k] != null).length;
      if (e.value) errs.push(fe.invalid(`${p}.valueFrom`, '', 'may not be specified when `value` is not empty'));
      if (n === 0) errs.push(fe.invalid(`${p}.valueFrom`, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
      else if (n > 1) errs.push(fe.invalid(`${p}.valueFrom`, '', 'may not have more than one field specified at a time'));
      for (const k of ['configMapKeyRef', 'secretKeyRef']) {
        const r = vf[k];
        if (!isObject(r)) continue;
        if (!r.key) errs.push(fe.required(`${p}.valueFrom.${k}.key`));
        else errs.push(...each(`${p}.valueFrom.${k}.key`, r.key, isConfigMapKey(r.key)));
        if (!r.name) errs.push(fe.required(`${p}.valueFrom.${k}.name`));
      }
      if (isObject(vf.fieldRef)) errs.push(...validateFieldRef(vf.fieldRef, envFieldPaths, `${p}.valueFrom.fieldRef`));
    }
  });
  return errs;
}

function validateContainer(c: any, path: string, volumes: Set<string>, isInit: boolean): Errs {
  const errs: Errs = [];
  if (!isObject(c)) return [fe.required(path)];
  if (!c.name) errs.push(fe.required(`${path}.name`));
  else errs.push(...each(`${path}.name`, c.name, isDNS1123Label(c.name)));
  if (!c.image || (typeof c.image === 'string' && c.image.trim() === '')) errs.push(fe.required(`${path}.image`));
  else if (c.image !== c.image.trim()) errs.push(fe.invalid(`${path}.image`, c.image, 'must not have leading or trailing whitespace'));
  errs.push(...enumOf(`${path}.imagePullPolicy`, c.imagePullPolicy, pullPolicies, true));
  errs.push(...enumOf(`${path}.terminationMessagePolicy`, c.terminationMessagePolicy, ['File', 'FallbackToLogsOnError'], true));
  if (isInit && c.restartPolicy !== undefined) errs.push(...enumOf(`${path}.restartPolicy`, c.restartPolicy, ['Always']));
  else if (!isInit && c.restartPolicy !== undefined) errs.push(fe.forbidden(`${path}.restartPolicy`, 'may not be set for non-init containers'));
  const portNames = new Set<string>();
  arr(c.ports).forEach((p: any, i: number) => {
    const pp = `${path}.ports[${i}]`;
    if (p?.name) {
      errs.push(...each(`${pp}.name`, p.name, isValidPortName(p.name)));
      if (portNames.has(p.name)) errs.push(fe.duplicate(`${pp}.name`, p.name));
      portNames.add(p.name);
    }
    if (!p?.containerPort) errs.push(fe.required(`${pp}.containerPort`));
    else errs.push(...each(`${pp}.containerPort`, p.containerPort, isValidPortNum(p.containerPort)));
    if (p?.hostPort) errs.push(...each(`${pp}.hostPort`, p.hostPort, isValidPortNum(p.hostPort)));
    errs.push(...enumOf(`${pp}.protocol`, p?.protocol, protocols, true));
  });
  errs.push(...validateEnv(c.env, `${path}.env`));
  arr(c.envFrom).forEach((e: any, i: number) => {
    if (e?.prefix) errs.push(...each(`${path}.envFrom[${i}].prefix`, e.prefix, isEnvVarName(e.prefix)));
    const n = (e?.configMapRef ? 1 : 0) + (e?.secretRef ? 1 : 0);
    if (n === 0) errs.push(fe.invalid(`${path}.envFrom[${i}]`, '', 'must specify one of: `configMapRef` or `secretRef`'));
    else if (n > 1) errs.push(fe.invalid(`${path}.envFrom[${i}]`, '', 'may not have more than one field specified at a time'));
  });
  const mountPaths = new Set<string>();
  arr(c.volumeMounts).forEach((m: any, i: number) => {
    const mp = `${path}.volumeMounts[${i}]`;
    if (!m?.name) errs.push(fe.required(`${mp}.name`));
    else if (!volumes.has(m.name)) errs.push(fe.notFound(`${mp}.name`, m.name));
    if (!m?.mountPath) errs.push(fe.required(`${mp}.mountPath`));
    else {
      if (mountPaths.has(m.mountPath)) errs.push(fe.invalid(`${mp}.mountPath`, m.mountPath, 'must be unique'));
      mountPaths.add(m.mountPath);
    }
    if (m?.subPath) errs.push(...localDescendingPath(m.subPath, `${mp}.subPath`));
    if (m?.subPath && m?.subPathExpr) errs.push(fe.invalid(`${mp}.subPathExpr`, m.subPathExpr, 'subPathExpr and subPath are mutually exclusive'));
    if (m?.mountPropagation !== undefined && m?.mountPropagation !== null) {
      errs.push(...enumOf(`${mp}.mountPropagation`, m.mountPropagation, ['Bidirectional', 'HostToContainer', 'None']));
      if (m.mountPropagation === 'Bidirectional' && c.securityContext?.privileged !== true) errs.push(fe.forbidden(`${mp}.mountPropagation`, 'Bidirectional mount propagation is available only to privileged containers'));
    }
    if (m?.recursiveReadOnly !== undefined && m?.recursiveReadOnly !== null) {
      errs.push(...enumOf(`${mp}.recursiveReadOnly`, m.recursiveReadOnly, ['Disabled', 'Enabled', 'IfPossible']));
      if (m.recursiveReadOnly !== 'Disabled' && !m.readOnly) errs.push(fe.forbidden(`${mp}.recursiveReadOnly`, 'may only be specified when readOnly is true'));
    }
  });
  if (!isInit) {
    errs.push(...validateProbe(c.livenessProbe, `${path}.livenessProbe`));
    errs.push(...validateProbe(c.readinessProbe, `${path}.readinessProbe`));
    errs.push(...validateProbe(c.startupProbe, `${path}.startupProbe`));
    if (isObject(c.livenessProbe) && typeof c.livenessProbe.successThreshold === 'number' && c.livenessProbe.successThreshold !== 1) {
      errs.push(fe.invalid(`${path}.livenessProbe.successThreshold`, c.livenessProbe.successThreshold, 'must be 1'));
    }
  }
  errs.push(...validateResources(c.resources, `${path}.resources`));
  return errs;
}

const hostPathTypes = ['', 'BlockDevice', 'CharDevice', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate', 'Socket'];
const fileModeMessage = 'must be a number between 0 and 0777 (octal), both inclusive';
/** the fields a downwardAPI volume file may name (metadata.labels and annotations also with a subscript) */
const volumeFieldPaths = ['metadata.annotations', 'metadata.labels', 'metadata.name', 'metadata.namespace', 'metadata.uid'];
/** what an env var's fieldRef may name */
const envFieldPaths = ['metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName', 'spec.serviceAccountName', 'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs'];
/** the field labels the downward API knows at all (upstream's ConvertDownwardAPIFieldLabel) */
const downwardLabels = ['metadata.annotations', 'metadata.labels', 'metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName', 'spec.restartPolicy',
  'spec.serviceAccountName', 'spec.schedulerName', 'status.phase', 'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs', 'spec.host'];

function fileMode(mode: unknown, path: string): Errs {
  return typeof mode === 'number' && (mode > 0o777 || mode < 0) ? [fe.invalid(path, mode, fileModeMessage)] : [];
}

/** upstream's validatePathNoBacksteps */
function noBacksteps(p: string, path: string): Errs {
  return String(p).split('/').includes('..') ? [fe.invalid(path, p, "must not contain '..'")] : [];
}

/** upstream's validateLocalDescendingPath: relative, no backsteps */
function localDescendingPath(p: string, path: string): Errs {
  return [...(p.startsWith('/') ? [fe.invalid(path, p, 'must be a relative path')] : []), ...noBacksteps(p, path)];
}

/** upstream's ValidateLocalNonReservedPath: a local descending path not starting with '..' */
function localNonReservedPath(p: string, path: string): Errs {
  const errs = localDescendingPath(p, path);
  if (p.startsWith('..') && !p.startsWith('../')) errs.push(fe.invalid(path, p, "must not start with '..'"));
  return errs;
}

function validateKeyToPaths(items: unknown, path: string): Errs {
  const errs: Errs = [];
  arr(items).forEach((kp: any, i: number) => {
    const p = `${path}[${i}]`;
    if (!kp?.key) errs.push(fe.required(`${p}.key`));
    if (!kp?.path) errs.push(fe.required(`${p}.path`));
    else errs.push(...localNonReservedPath(kp.path, `${p}.path`));
    errs.push(...fileMode(kp?.mode, `${p}.mode`));
  });
  return errs;
}

/** a secret or configMap volume (or projection): its name, default mode and items */
function validateKeysSource(src: any, nameField: 'secretName' | 'name', path: string, projected = false): Errs {
  const errs: Errs = [];
  const name = src[nameField];
  if (!name) { if (!projected) errs.push(fe.required(`${path}.${nameField}`)); }
  else errs.push(...each(`${path}.${nameField}`, name, isDNS1123Subdomain(name)));
  if (!projected) errs.push(...fileMode(src.defaultMode, `${path}.defaultMode`));
  errs.push(...validateKeyToPaths(src.items, `${path}.items`));
  return errs;
}

/** upstream's validateObjectFieldSelector */
function validateFieldRef(ref: any, allowed: string[], path: string): Errs {
  const fp = ref?.fieldPath;
  if (!fp) return [fe.required(`${path}.fieldPath`)];
  const sub = /^([^[]+)\['(.*)'\]$/.exec(fp);
  if (sub) {
    if (sub[1] !== 'metadata.annotations' && sub[1] !== 'metadata.labels') return [fe.invalid(`${path}.fieldPath`, fp, `error converting fieldPath: field label does not support subscript: ${fp}`)];
    return each(path, sub[1] === 'metadata.annotations' ? sub[2].toLowerCase() : sub[2], isQualifiedName(sub[1] === 'metadata.annotations' ? sub[2].toLowerCase() : sub[2]));
  }
  if (!downwardLabels.includes(fp)) return [fe.invalid(`${path}.fieldPath`, fp, `error converting fieldPath: field label not supported: ${fp}`)];
  const internal = fp === 'spec.host' ? 'spec.nodeName' : fp;
  return allowed.includes(internal) ? [] : [fe.notSupported(`${path}.fieldPath`, internal, allowed)];
}

function validateDownwardAPIFile(f: any, path: string): Errs {
  const errs: Errs = [];
  if (!f?.path) errs.push(fe.required(`${path}.path`));
  else errs.push(...localNonReservedPath(f.path, `${path}.path`));
  if (isObject(f?.fieldRef)) {
    errs.push(...validateFieldRef(f.fieldRef, volumeFieldPaths, `${path}.fieldRef`));
    if (isObject(f.resourceFieldRef)) errs.push(fe.invalid(path, 'resource', 'fieldRef and resourceFieldRef can not be specified simultaneously'));
  } else if (!isObject(f?.resourceFieldRef)) errs.push(fe.required(path, 'one of fieldRef and resourceFieldRef is required'));
  errs.push(...fileMode(f?.mode, `${path}.mode`));
  return errs;
}

/** upstream's validateProjectedVolumeSource: sources, modes, token expiry, and no two files at one path */
function validateProjected(pr: any, path: string): Errs {
  const errs: Errs = [];
  errs.push(...fileMode(pr.defaultMode, `${path}.defaultMode`));
  const paths = new Set<string>();
  const claim = (p: string, at: string) => {
    if (paths.has(p)) errs.push(fe.invalid(at, p, 'conflicting duplicate paths'));
    paths.add(p);
  };
  arr(pr.sources).forEach((src: any, i: number) => {
    const sp = `${path}.sources[${i}]`;
    const kinds = ['secret', 'configMap', 'downwardAPI', 'serviceAccountToken', 'clusterTrustBundle'].filter((k) => isObject(src?.[k]));
    if (kinds.length > 1) errs.push(fe.forbidden(`${sp}.${kinds[1]}`, 'may not specify more than 1 volume type per source'));
    if (isObject(src?.secret)) {
      errs.push(...validateKeysSource(src.secret, 'name', `${sp}.secret`, true));
      arr(src.secret.items).forEach((it: any, j: number) => { if (it?.path) claim(it.path, `${sp}.secret.items[${j}].path`); });
    }
    if (isObject(src?.configMap)) {
      errs.push(...validateKeysSource(src.configMap, 'name', `${sp}.configMap`, true));
      arr(src.configMap.items).forEach((it: any, j: number) => { if (it?.path) claim(it.path, `${sp}.configMap.items[${j}].path`); });
    }
    if (isObject(src?.downwardAPI)) {
      arr(src.downwardAPI.items).forEach((f: any, j: number) => {
        errs.push(...validateDownwardAPIFile(f, `${sp}.downwardAPI.items[${j}]`));
        if (f?.path) claim(f.path, `${sp}.downwardAPI.items[${j}].path`);
      });
    }
    const t = src?.serviceAccountToken;
    if (isObject(t)) {
      const tp = `${sp}.serviceAccountToken`;
      if (typeof t.expirationSeconds === 'number') {
        if (t.expirationSeconds < 600) errs.push(fe.invalid(`${tp}.expirationSeconds`, t.expirationSeconds, 'may not specify a duration less than 10 minutes'));
        else if (t.expirationSeconds > 2 ** 32) errs.push(fe.invalid(`${tp}.expirationSeconds`, t.expirationSeconds, 'may not specify a duration larger than 2^32 seconds'));
      }
      if (!t.path) errs.push(fe.required(`${tp}.path`));
      else { errs.push(...localNonReservedPath(t.path, `${tp}.path`)); claim(t.path, `${tp}.path`); }
    }
  });
  return errs;
}

function validateVolumes(vols: unknown, path: string): { errs: Errs; names: Set<string> } {
  const errs: Errs = [];
  const names = new Set<string>();
  arr(vols).forEach((v: any, i: number) => {
    const p = `${path}[${i}]`;
    if (!v?.name) errs.push(fe.required(`${p}.name`));
    else {
      errs.push(...each(`${p}.name`, v.name, isDNS1123Label(v.name)));
      if (names.has(v.name)) errs.push(fe.duplicate(`${p}.name`, v.name));
      names.add(v.name);
    }
    const srcs = volumeSources.filter((s) => v?.[s] !== undefined && v?.[s] !== null);
    if (srcs.length === 0) errs.push(fe.required(p, 'must specify a volume type'));
    else if (srcs.length > 1) errs.push(fe.forbidden(`${p}.${srcs[1]}`, 'may not specify more than 1 volume type'));
    if (isObject(v?.hostPath)) {
      if (!v.hostPath.path) errs.push(fe.required(`${p}.hostPath.path`));
      else errs.push(...noBacksteps(v.hostPath.path, `${p}.hostPath.path`));
      if (v.hostPath.type !== undefined && v.hostPath.type !== null) errs.push(...enumOf(`${p}.hostPath.type`, v.hostPath.type, hostPathTypes));
    }
    if (isObject(v?.persistentVolumeClaim) && !v.persistentVolumeClaim.claimName) errs.push(fe.required(`${p}.persistentVolumeClaim.claimName`));
    if (isObject(v?.secret)) errs.push(...validateKeysSource(v.secret, 'secretName', `${p}.secret`));
    if (isObject(v?.configMap)) errs.push(...validateKeysSource(v.configMap, 'name', `${p}.configMap`));
    if (isObject(v?.downwardAPI)) {
      errs.push(...fileMode(v.downwardAPI.defaultMode, `${p}.downwardAPI.defaultMode`));
      arr(v.downwardAPI.items).forEach((f: any, j: number) => errs.push(...validateDownwardAPIFile(f, `${p}.downwardAPI.items[${j}]`)));
    }
    if (isObject(v?.projected)) errs.push(...validateProjected(v.projected, `${p}.projected`));
    if (isObject(v?.emptyDir) && v.emptyDir.sizeLimit !== undefined && v.emptyDir.sizeLimit !== null && (parseQuantity(v.emptyDir.sizeLimit) ?? 0) < 0) {
      errs.push(fe.forbidden(`${p}.emptyDir.sizeLimit`, 'SizeLimit field must be a valid resource quantity'));
    }
    if (isObject(v?.nfs)) {
      if (!v.nfs.server) errs.push(fe.required(`${p}.nfs.server`));
      if (!v.nfs.path) errs.push(fe.required(`${p}.nfs.path`));
    }
  });
  return { errs, names };
}

function validateTolerations(tols: unknown, path: string): Errs {
  const errs: Errs = [];
  arr(tols).forEach((t: any, i: number) => {
    const p = `${path}[${i}]`;
    if (t?.key) errs.push(...each(`${p}.key`, t.key, isQualifiedName(t.key)));
    if (!t?.key && t?.operator !== 'Exists') errs.push(fe.invalid(`${p}.operator`, t?.operator ?? '', 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    if (t?.tolerationSeconds !== undefined && t?.tolerationSeconds !== null && t?.effect !== 'NoExecute') {
      errs.push(fe.invalid(`${p}.effect`, t?.effect ?? '', 'effect must be \'NoExecute\' when `tolerationSeconds` is set'));
    }
    switch (t?.operator) {
      case undefined: case '': case 'Equal':
        if (t?.value) errs.push(...each(`${p}.operator`, t.value, isValidLabelValue(String(t.value))));
        break;
      case 'Exists':
        if (t?.value) errs.push(fe.invalid(`${p}.operator`, t.value, 'value must be empty when `operator` is \'Exists\''));
        break;
      default:
        errs.push(fe.notSupported(`${p}.operator`, t.operator, ['Equal', 'Exists']));
    }
    if (t?.effect) errs.push(...enumOf(`${p}.effect`, t.effect, ['NoSchedule', 'PreferNoSchedule', 'NoExecute']));
  });
  return errs;
}

/** upstream ValidatePodSpec (path e.g. "spec" or "spec.template.spec") */
export function validatePodSpec(spec: any, path: string): Errs {
  const errs: Errs = [];
  if (!isObject(spec)) return [fe.required(path)];
  const { errs: volErrs, names: volumes } = validateVolumes(spec.volumes, `${path}.volumes`);
  errs.push(...volErrs);
  const containers = arr(spec.containers);
  if (containers.length === 0) errs.push(fe.required(`${path}.containers`));
  const allNames = new Set<string>();
  arr(spec.initContainers).forEach((c: any, i: number) => {
    const p = `${path}.initContainers[${i}]`;
    errs.push(...validateContainer(c, p, volumes, true));
    if (c?.name) {
      if (allNames.has(c.name)) errs.push(fe.duplicate(`${p}.name`, c.name));
      allNames.add(c.name);
    }
  });
  containers.forEach((c: any, i: number) => {
    const p = `${path}.containers[${i}]`;
    errs.push(...validateContainer(c, p, volumes, false));
    if (c?.name) {
      if (allNames.has(c.name)) errs.push(fe.duplicate(`${p}.name`, c.name));
      allNames.add(c.name);
    }
  });
  errs.push(...enumOf(`${path}.restartPolicy`, spec.restartPolicy, restartPolicies, true));
  errs.push(...enumOf(`${path}.dnsPolicy`, spec.dnsPolicy, dnsPolicies, true));
  if (spec.dnsPolicy === 'None' && !isObject(spec.dnsConfig)) errs.push(fe.required(`${path}.dnsConfig`, "must provide `dnsConfig` when `dnsPolicy` is None"));
  errs.push(...validateLabels(spec.nodeSelector, `${path}.nodeSelector`));
  if (spec.serviceAccountName) errs.push(...each(`${path}.serviceAccountName`, spec.serviceAccountName, isDNS1123Subdomain(spec.serviceAccountName)));
  if (spec.nodeName) errs.push(...each(`${path}.nodeName`, spec.nodeName, isDNS1123Subdomain(spec.nodeName)));
  if (spec.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds !== null) {
    const v = spec.activeDeadlineSeconds;
    if (!(v >= 1 && v <= 2147483647)) errs.push(fe.invalid(`${path}.activeDeadlineSeconds`, v, 'must be between 1 and 2147483647, inclusive'));
  }
  if (spec.hostname) errs.push(...each(`${path}.hostname`, spec.hostname, isDNS1123Label(spec.hostname)));
  if (spec.subdomain) errs.push(...each(`${path}.subdomain`, spec.subdomain, isDNS1123Label(spec.subdomain)));
  errs.push(...validateTolerations(spec.tolerations, `${path}.tolerations`));
  if (spec.priorityClassName) errs.push(...each(`${path}.priorityClassName`, spec.priorityClassName, isDNS1123Subdomain(spec.priorityClassName)));
  if (spec.preemptionPolicy !== undefined) errs.push(...enumOf(`${path}.preemptionPolicy`, spec.preemptionPolicy, ['Never', 'PreemptLowerPriority']));
  arr(spec.hostAliases).forEach((h: any, i: number) => {
    if (!h?.ip) errs.push(fe.required(`${path}.hostAliases[${i}].ip`));
  });
  arr(spec.imagePullSecrets).forEach((s: any, i: number) => {
    if (!s?.name) errs.push(fe.required(`${path}.imagePullSecrets[${i}].name`));
  });
  if (isObject(spec.securityContext)) {
    for (const f of ['runAsUser', 'runAsGroup', 'fsGroup']) {
      const v = spec.securityContext[f];
      if (typeof v === 'number' && (v < 0 || v > 2147483647)) errs.push(fe.invalid(`${path}.securityContext.${f}`, v, 'must be between 0 and 2147483647, inclusive'));
    }
  }
  return errs;
}

/** upstream ValidatePodTemplateSpec (labels and annotations at "<path>.labels", spec at "<path>.spec") */
export function validatePodTemplateSpec(t: any, path: string): Errs {
  if (!isObject(t)) return [fe.required(path)];
  const m = isObject(t.metadata) ? t.metadata : {};
  return [
    ...validateLabels(m.labels, `${path}.labels`),
    ...validateAnnotations(m.annotations, `${path}.annotations`),
    ...validatePodSpec(t.spec, `${path}.spec`),
  ];
}

/** fields an ephemeral container may not set (upstream validateEphemeralContainers) */
const ephemeralForbidden = ['ports', 'livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle', 'resources', 'resizePolicy', 'restartPolicy'];

/**
 * pods/ephemeralcontainers (upstream ValidatePodEphemeralContainersUpdate): ephemeral containers are
 * only added, each a valid container with a unique name and none of the fields that make sense for
 * long-running containers, its targetContainerName naming a container of the pod
 */
export function validateEphemeralContainersUpdate(spec: any, oldSpec: any): Errs {
  const errs: Errs = [];
  const path = 'spec.ephemeralContainers';
  const eph = arr(spec?.ephemeralContainers);
  const old = arr(oldSpec?.ephemeralContainers);
  for (const o of old) {
    const now = eph.find((c: any) => c?.name === o?.name);
    if (!now || JSON.stringify(now) !== JSON.stringify(o)) errs.push(fe.forbidden(path, `existing ephemeral containers "${o?.name}" may not be changed`));
  }
  const regular = [...arr(spec?.containers), ...arr(spec?.initContainers)].map((c: any) => c?.name);
  const vols = new Set<string>(arr(spec?.volumes).map((v: any) => v?.name));
  const seen = new Set<string>(regular);
  eph.forEach((c: any, i: number) => {
    const p = `${path}[${i}]`;
    if (old.some((o: any) => o?.name === c?.name)) { seen.add(c.name); return; }
    errs.push(...validateContainer(c, p, vols, false));
    if (c?.name && seen.has(c.name)) errs.push(fe.duplicate(`${p}.name`, c.name));
    if (c?.name) seen.add(c.name);
    for (const f of ephemeralForbidden) if (c?.[f] != null && !(Array.isArray(c[f]) && !c[f].length) && !(isObject(c[f]) && !Object.keys(c[f]).length)) errs.push(fe.forbidden(`${p}.${f}`, 'cannot be set for an Ephemeral Container'));
    if (c?.targetContainerName && !regular.includes(c.targetContainerName)) errs.push(fe.notFound(`${p}.targetContainerName`, c.targetContainerName));
  });
  return errs;
}
