// Pod spec defaulting (upstream core/v1 SetDefaults_PodSpec, SetDefaults_Container, probes, volumes),
// shared by Pods and every pod template.
import { arr, isObject, obj, setDefault } from './field.js';

/** Always for ':latest' or no tag, IfNotPresent otherwise (digests count as a tag) */
export function defaultPullPolicy(image: string): string {
  if (image.includes('@')) return 'IfNotPresent';
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  const tag = colon > slash ? image.slice(colon + 1) : '';
  return tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultProbe(p: any): void {
  if (!isObject(p)) return;
  setDefault(p, 'timeoutSeconds', 1);
  setDefault(p, 'periodSeconds', 10);
  setDefault(p, 'successThreshold', 1);
  setDefault(p, 'failureThreshold', 3);
  defaultHandler(p);
}

function defaultHandler(h: any): void {
  if (isObject(h?.httpGet)) { setDefault(h.httpGet, 'path', '/'); setDefault(h.httpGet, 'scheme', 'HTTP'); }
}

function defaultContainer(c: any, hostNetwork: boolean): void {
  if (!isObject(c)) return;
  setDefault(c, 'imagePullPolicy', typeof c.image === 'string' && c.image ? defaultPullPolicy(c.image) : 'IfNotPresent');
  setDefault(c, 'terminationMessagePath', '/dev/termination-log');
  setDefault(c, 'terminationMessagePolicy', 'File');
  if (c.resources === undefined || c.resources === null) c.resources = {};
  for (const p of arr(c.ports)) {
    if (!isObject(p)) continue;
    setDefault(p, 'protocol', 'TCP');
    if (hostNetwork && (p.hostPort === undefined || p.hostPort === 0)) p.hostPort = p.containerPort;
  }
  for (const e of arr(c.env)) {
    if (isObject(e?.valueFrom?.fieldRef)) setDefault(e.valueFrom.fieldRef, 'apiVersion', 'v1');
  }
  defaultProbe(c.livenessProbe); defaultProbe(c.readinessProbe); defaultProbe(c.startupProbe);
  if (isObject(c.lifecycle)) { defaultHandler(c.lifecycle.postStart); defaultHandler(c.lifecycle.preStop); }
}

function defaultVolume(v: any): void {
  if (!isObject(v)) return;
  const vs = Object.keys(v).filter((k) => k !== 'name');
  if (vs.length === 0) v.emptyDir = {};
  if (isObject(v.secret)) setDefault(v.secret, 'defaultMode', 420);
  if (isObject(v.configMap)) setDefault(v.configMap, 'defaultMode', 420);
  if (isObject(v.downwardAPI)) {
    setDefault(v.downwardAPI, 'defaultMode', 420);
    for (const i of arr(v.downwardAPI.items)) if (isObject(i?.fieldRef)) setDefault(i.fieldRef, 'apiVersion', 'v1');
  }
  if (isObject(v.projected)) {
    setDefault(v.projected, 'defaultMode', 420);
    for (const s of arr(v.projected.sources)) {
      if (isObject(s?.serviceAccountToken)) setDefault(s.serviceAccountToken, 'expirationSeconds', 3600);
      for (const i of arr(s?.downwardAPI?.items)) if (isObject(i?.fieldRef)) setDefault(i.fieldRef, 'apiVersion', 'v1');
    }
  }
  if (isObject(v.hostPath) && v.hostPath.type === undefined) v.hostPath.type = '';
  if (isObject(v.iscsi)) setDefault(v.iscsi, 'iscsiInterface', 'default');
  if (isObject(v.rbd)) { setDefault(v.rbd, 'pool', 'rbd'); setDefault(v.rbd, 'user', 'admin'); setDefault(v.rbd, 'keyring', '/etc/ceph/keyring'); }
  if (isObject(v.azureDisk)) { setDefault(v.azureDisk, 'cachingMode', 'ReadWrite'); setDefault(v.azureDisk, 'fsType', 'ext4'); setDefault(v.azureDisk, 'readOnly', false); setDefault(v.azureDisk, 'kind', 'Shared'); }
}

/** SetDefaults_PodSpec and everything under it (containers, volumes, probes) */
export function defaultPodSpec(spec: any): void {
  if (!isObject(spec)) return;
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'restartPolicy', 'Always');
  if (!isObject(spec.securityContext)) spec.securityContext = {};
  if (spec.terminationGracePeriodSeconds === undefined || spec.terminationGracePeriodSeconds === null) spec.terminationGracePeriodSeconds = 30;
  setDefault(spec, 'schedulerName', 'default-scheduler');
  const hostNetwork = spec.hostNetwork === true;
  for (const c of arr(spec.containers)) defaultContainer(c, hostNetwork);
  for (const c of arr(spec.initContainers)) defaultContainer(c, hostNetwork);
  for (const c of arr(spec.ephemeralContainers)) defaultContainer(c, hostNetwork);
  for (const v of arr(spec.volumes)) defaultVolume(v);
}

/** defaults only real Pods get (SetDefaults_Pod + the admission plugins upstream runs on every pod create) */
export function defaultPodOnly(spec: any): void {
  if (!isObject(spec)) return;
  if (spec.enableServiceLinks === undefined || spec.enableServiceLinks === null) spec.enableServiceLinks = true;
  // requests default to limits (SetDefaults_Pod)
  for (const c of [...arr(spec.containers), ...arr(spec.initContainers)]) {
    const r = c?.resources;
    if (!isObject(r) || !isObject(r.limits)) continue;
    const req = obj(r, 'requests');
    for (const [k, v] of Object.entries(r.limits)) if (req[k] === undefined) req[k] = v;
  }
}

/** ServiceAccount and DefaultTolerationSeconds admission, applied on Pod create (Priority admission is the API server's: it reads PriorityClasses) */
export function admitPodCreate(spec: any): void {
  if (!isObject(spec)) return;
  setDefault(spec, 'serviceAccountName', spec.serviceAccount || 'default');
  spec.serviceAccount = spec.serviceAccountName;
  const tol = Array.isArray(spec.tolerations) ? spec.tolerations : (spec.tolerations = []);
  for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
    const has = tol.some((t: any) => (t?.operator === 'Exists' && !t?.key) || (t?.key === key && (!t?.effect || t.effect === 'NoExecute')));
    if (!has) tol.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
  }
}
