// core/v1 kinds without much machinery: Namespace, ConfigMap, Secret, ServiceAccount, Node, Event,
// PodTemplate, LimitRange, ResourceQuota, Endpoints (upstream core validation and defaults).
import type { KObject } from '../../../api/types.js';
import {
  isConfigMapKey, isDNS1123Subdomain, isQualifiedName, isValidCIDR, isValidIP, isDNS1123Label, isValidPortNum, nameIsDNSLabel, parseQuantity,
} from '../../../api/validation/index.js';
import { makeStrategy } from './base.js';
import type { Strategy } from '../strategy.js';
import { eventToCore, eventToV1 } from '../../../api/events.js';
import { arr, clone, deepEqual, each, enumOf, fe, immutable, isObject, obj, setDefault, type Errs } from './field.js';
import { validatePodTemplateSpec } from './podspec_validate.js';
import { defaultTemplate } from './workloads.js';

// ---- Namespace ----

export const namespaceStrategy = makeStrategy({
  namespaced: false, status: 'subresource', nameFunc: nameIsDNSLabel,
  defaults(o) {
    // upstream SetDefaults_Namespace: the immutable name label
    const labels = obj(o.metadata, 'labels');
    labels['kubernetes.io/metadata.name'] = o.metadata.name ?? '';
  },
  initialStatus: () => ({ phase: 'Active' }),
  create(o) {
    const spec = obj(o, 'spec');
    const f: string[] = Array.isArray(spec.finalizers) ? spec.finalizers : (spec.finalizers = []);
    if (!f.includes('kubernetes')) f.push('kubernetes');
  },
  update(o, old) {
    // spec.finalizers change only through the finalize subresource
    if (old.spec === undefined) delete o.spec; else o.spec = clone(old.spec);
  },
  validate(o) {
    const errs: Errs = [];
    arr(o.spec?.finalizers).forEach((f: string) => errs.push(...validateFinalizerName(f, 'spec.finalizers')));
    return errs;
  },
  validateStatusUpdate(o, old) {
    const errs: Errs = [];
    if (!old.metadata.deletionTimestamp && o.status?.phase && o.status.phase !== 'Active') {
      errs.push(fe.invalid('status.Phase', o.status.phase, 'may only be \'Active\' if `deletionTimestamp` is empty'));
    }
    return errs;
  },
  selectableFields: (o) => ({ 'status.phase': o.status?.phase ?? '' }),
});

function validateFinalizerName(f: string, path: string): Errs {
  const errs = each(path, f, isQualifiedName(f));
  if (!errs.length && !f.includes('/') && f !== 'kubernetes') errs.push(fe.invalid(path, f, 'name is neither a standard finalizer name nor is it fully qualified'));
  return errs;
}

/** the namespace finalize subresource: only spec.finalizers may change */
export function prepareNamespaceFinalize(o: KObject, old: KObject): void {
  const fin = clone(o.spec?.finalizers);
  for (const k of Object.keys(o)) if (k !== 'metadata' && k !== 'apiVersion' && k !== 'kind') delete o[k];
  for (const [k, v] of Object.entries(old)) if (k !== 'metadata' && k !== 'apiVersion' && k !== 'kind') o[k] = clone(v);
  o.spec = { ...(o.spec ?? {}), finalizers: fin ?? [] };
}

// ---- ConfigMap / Secret data ----

const maxDataSize = 1024 * 1024;

function validateDataKeys(o: KObject, kinds: { data: string; binary?: string }): Errs {
  const errs: Errs = [];
  let size = 0;
  const keys = new Set<string>();
  for (const field of [kinds.data, kinds.binary].filter(Boolean) as string[]) {
    const m = o[field];
    if (!isObject(m)) continue;
    for (const [k, v] of Object.entries(m)) {
      errs.push(...each(`${field}[${k}]`, k, isConfigMapKey(k)));
      if (keys.has(k)) errs.push(fe.invalid(`${field}[${k}]`, k, `duplicate of key present in ${kinds.data}`));
      keys.add(k);
      if (typeof v === 'string') size += field === kinds.binary ? Buffer.from(v, 'base64').length : Buffer.byteLength(v);
    }
  }
  if (size > maxDataSize) errs.push(fe.tooLong('data', maxDataSize));
  return errs;
}

function immutableData(o: KObject, old: KObject, fields: string[]): Errs {
  if (old.immutable !== true) return [];
  const errs: Errs = [];
  if (o.immutable !== true) errs.push(fe.forbidden('immutable', 'field is immutable when `immutable` is set'));
  for (const f of fields) if (!deepEqual(o[f], old[f])) errs.push(fe.forbidden(f, 'field is immutable when `immutable` is set'));
  return errs;
}

export const configMapStrategy = makeStrategy({
  namespaced: true,
  validate: (o) => validateDataKeys(o, { data: 'data', binary: 'binaryData' }),
  validateUpdate: (o, old) => immutableData(o, old, ['data', 'binaryData']),
});

// ---- Secret ----

const base64Re = /^[A-Za-z0-9+/]*={0,2}$/;

/** the byte offset Go's base64 decoder reports for the first bad character */
function base64Error(s: string): string | undefined {
  for (let i = 0; i < s.length; i++) {
    if (!/[A-Za-z0-9+/=]/.test(s[i])) return `illegal base64 data at input byte ${i}`;
  }
  if (!base64Re.test(s) || s.length % 4 !== 0) {
    const pad = s.indexOf('=');
    return `illegal base64 data at input byte ${pad >= 0 && pad < s.length - 2 ? pad : Math.max(0, s.length - (s.length % 4 || 4))}`;
  }
  return undefined;
}

/** why Go's json.Unmarshal into a map[string]interface{} refuses text, as it words it (undefined: it does not) */
export function goJSONMapError(text: string): string | undefined {
  let v: unknown;
  try { v = JSON.parse(text); } catch {
    const t = text.trimStart();
    if (!t) return 'unexpected end of JSON input';
    for (const lit of ['null', 'true', 'false']) {
      if (t[0] !== lit[0]) continue;
      for (let i = 1; i < lit.length; i++) {
        if (i >= t.length) return 'unexpected end of JSON input';
        if (t[i] !== lit[i]) return `invalid character '${t[i]}' in literal ${lit} (expecting '${lit[i]}')`;
      }
    }
    if (!'{["-0123456789tfn'.includes(t[0])) return `invalid character '${t[0]}' looking for beginning of value`;
    return 'unexpected end of JSON input';
  }
  if (v === null || (typeof v === 'object' && !Array.isArray(v))) return undefined;
  const what = Array.isArray(v) ? 'array' : typeof v === 'boolean' ? 'bool' : typeof v;
  return `json: cannot unmarshal ${what} into Go value of type map[string]interface {}`;
}

function validateSecret(o: KObject): Errs {
  const errs: Errs = [];
  const data = isObject(o.data) ? o.data : {};
  let size = 0;
  for (const [k, v] of Object.entries(data)) {
    errs.push(...each(`data[${k}]`, k, isConfigMapKey(k)));
    size += typeof v === 'string' ? Buffer.from(v, 'base64').length : 0;
  }
  if (size > maxDataSize) errs.push(fe.tooLong('data', maxDataSize));
  const need = (k: string) => { if (data[k] === undefined) errs.push(fe.required(`data[${k}]`)); };
  switch (o.type) {
    case 'kubernetes.io/service-account-token':
      if (!o.metadata.annotations?.['kubernetes.io/service-account.name']) errs.push(fe.required('metadata.annotations[kubernetes.io/service-account.name]'));
      break;
    case 'kubernetes.io/dockercfg':
    case 'kubernetes.io/dockerconfigjson': {
      // the content must be a JSON object
      const key = o.type === 'kubernetes.io/dockercfg' ? '.dockercfg' : '.dockerconfigjson';
      need(key);
      if (typeof data[key] === 'string') {
        const why = goJSONMapError(Buffer.from(data[key], 'base64').toString());
        if (why) errs.push(fe.invalid(`data[${key}]`, '<secret contents redacted>', why));
      }
      break;
    }
    case 'kubernetes.io/basic-auth':
      // either may be empty, but one must be there
      if (data.username === undefined && data.password === undefined) errs.push(fe.required('data[username]'), fe.required('data[password]'));
      break;
    case 'kubernetes.io/ssh-auth':
      if (!data['ssh-privatekey']) errs.push(fe.required('data[ssh-privatekey]'));
      break;
    case 'kubernetes.io/tls':
      need('tls.crt'); need('tls.key');
      break;
    case '':
      errs.push(fe.required('type'));
      break;
    default:
      break;
  }
  return errs;
}

export const secretStrategy = makeStrategy({
  namespaced: true,
  decodeErrors(o) {
    const out: string[] = [];
    if (isObject(o.data)) for (const v of Object.values(o.data)) {
      if (typeof v !== 'string') continue;
      const e = base64Error(v);
      if (e) { out.push(e); break; }
    }
    return out;
  },
  defaults(o) {
    setDefault(o, 'type', 'Opaque');
    // stringData is write-only: merged into data (base64) and dropped, as upstream's conversion does
    if (isObject(o.stringData)) {
      const data = obj(o, 'data');
      for (const [k, v] of Object.entries(o.stringData)) data[k] = Buffer.from(String(v)).toString('base64');
    }
    delete o.stringData;
  },
  validate: validateSecret,
  validateUpdate(o, old) {
    return [...immutable('type', o.type, old.type), ...immutableData(o, old, ['data'])];
  },
  selectableFields: (o) => ({ type: o.type ?? '' }),
});

// ---- ServiceAccount ----

export const serviceAccountStrategy = makeStrategy({
  namespaced: true,
  validate(o) {
    const errs: Errs = [];
    arr(o.secrets).forEach((s: any, i: number) => { if (s?.name) errs.push(...each(`secrets[${i}].name`, s.name, isDNS1123Subdomain(s.name))); });
    return errs;
  },
});

// ---- Node ----

const taintEffects = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

function validateNode(o: KObject): Errs {
  const spec = o.spec ?? {};
  const errs: Errs = [];
  const cidrs = arr(spec.podCIDRs);
  cidrs.forEach((c: string, i: number) => errs.push(...each(`spec.podCIDRs[${i}]`, c, isValidCIDR(c))));
  if (spec.podCIDR && cidrs.length && spec.podCIDR !== cidrs[0]) errs.push(fe.invalid('spec.podCIDRs', cidrs, 'the first CIDR must match spec.podCIDR'));
  const seen = new Set<string>();
  arr(spec.taints).forEach((t: any, i: number) => {
    const p = `spec.taints[${i}]`;
    errs.push(...each(`${p}.key`, t?.key ?? '', isQualifiedName(String(t?.key ?? ''))));
    if (!t?.effect) errs.push(fe.required(`${p}.effect`));
    else errs.push(...enumOf(`${p}.effect`, t.effect, taintEffects));
    const k = `${t?.key}/${t?.effect}`;
    if (seen.has(k)) errs.push(fe.duplicate(p, t));
    seen.add(k);
  });
  for (const part of ['capacity', 'allocatable'] as const) {
    const m = o.status?.[part];
    if (isObject(m)) for (const [k, v] of Object.entries(m)) {
      const n = parseQuantity(v);
      if (n !== undefined && n < 0) errs.push(fe.invalid(`status.${part}[${k}]`, String(v), 'must be greater than or equal to 0'));
    }
  }
  arr(o.status?.addresses).forEach((a: any, i: number) => {
    if (!a?.type) errs.push(fe.required(`status.addresses[${i}].type`));
  });
  return errs;
}

function validateNodeUpdate(o: KObject, old: KObject): Errs {
  const a = o.spec ?? {}; const b = old.spec ?? {};
  const errs: Errs = [];
  if (b.podCIDR && a.podCIDR !== b.podCIDR) errs.push(fe.forbidden('spec.podCIDR', 'node updates may not change podCIDR except from "" to valid'));
  if (arr(b.podCIDRs).length && !deepEqual(a.podCIDRs, b.podCIDRs)) errs.push(fe.forbidden('spec.podCIDRs', 'node updates may not change podCIDR except from "" to valid'));
  if (b.providerID && a.providerID !== b.providerID) errs.push(fe.forbidden('spec.providerID', 'node updates may not change providerID except from "" to valid'));
  return errs;
}

export const nodeStrategy = makeStrategy({
  namespaced: false,
  defaults(o) {
    // SetDefaults_NodeStatus: allocatable defaults to capacity
    if (isObject(o.status?.capacity) && !isObject(o.status.allocatable)) o.status.allocatable = clone(o.status.capacity);
  },
  // nodes may set status on create; the main resource keeps the old status on update
  update(o, old) { if (old.status === undefined) delete o.status; else o.status = clone(old.status); },
  // upstream's nodeStatusStrategy keeps spec only
  statusMayChange: ['labels', 'annotations'],
  validate: validateNode,
  validateUpdate: validateNodeUpdate,
  selectableFields: (o) => ({ 'spec.unschedulable': String(o.spec?.unschedulable === true) }),
});

// ---- Event (core/v1 and events.k8s.io/v1) ----

/** upstream legacyValidateEvent for core/v1 events */
/** a required string of at most `max` characters (upstream's event field checks) */
function requiredUpTo(field: string, v: string | undefined, max = 128): Errs {
  if (!v) return [fe.required(field)];
  return v.length > max ? [fe.invalid(field, '', `can have at most ${max} characters`)] : [];
}

function validateCoreEvent(o: KObject): Errs {
  const errs: Errs = [];
  const io = o.involvedObject ?? {};
  const ns = o.metadata.namespace ?? '';
  if (!o.eventTime) {
    if (!io.namespace) {
      if (ns !== '' && ns !== 'default') errs.push(fe.invalid('involvedObject.namespace', io.namespace ?? '', 'does not match event.namespace'));
    } else if (ns !== io.namespace) {
      errs.push(fe.invalid('involvedObject.namespace', io.namespace, 'does not match event.namespace'));
    }
  } else {
    if (!io.namespace && ns !== 'default' && ns !== 'kube-system') errs.push(fe.invalid('involvedObject.namespace', io.namespace ?? '', 'does not match event.namespace'));
    if (!o.reportingComponent) errs.push(fe.required('reportingComponent'));
    else errs.push(...each('reportingComponent', o.reportingComponent, isQualifiedName(o.reportingComponent)));
    errs.push(...requiredUpTo('reportingInstance', o.reportingInstance));
    errs.push(...requiredUpTo('action', o.action));
    errs.push(...requiredUpTo('reason', o.reason));
    if (o.message && o.message.length > 1024) errs.push(fe.invalid('message', '', 'can have at most 1024 characters'));
  }
  return errs;
}

export const eventStrategy = makeStrategy({
  namespaced: true,
  validate: validateCoreEvent,
  selectableFields(o) {
    const io = o.involvedObject ?? {};
    return {
      'involvedObject.kind': io.kind ?? '', 'involvedObject.namespace': io.namespace ?? '', 'involvedObject.name': io.name ?? '',
      'involvedObject.uid': io.uid ?? '', 'involvedObject.apiVersion': io.apiVersion ?? '', 'involvedObject.resourceVersion': io.resourceVersion ?? '',
      'involvedObject.fieldPath': io.fieldPath ?? '', reason: o.reason ?? '', reportingComponent: o.reportingComponent ?? '',
      source: o.source?.component ?? '', type: o.type ?? '',
    };
  },
});

/** events.k8s.io/v1 (upstream ValidateEventCreate for new-style events) */
export const eventsV1Strategy: Strategy = makeStrategy({
  namespaced: true,
  validate(o) {
    const errs: Errs = [];
    if (!o.eventTime) errs.push(fe.required('eventTime'));
    if (o.type !== 'Normal' && o.type !== 'Warning') errs.push(fe.invalid('type', o.type ?? '', 'has invalid value: ' + (o.type ?? '')));
    if (!o.reportingController) errs.push(fe.required('reportingController'));
    else errs.push(...each('reportingController', o.reportingController, isQualifiedName(o.reportingController)));
    errs.push(...requiredUpTo('reportingInstance', o.reportingInstance));
    errs.push(...requiredUpTo('action', o.action));
    errs.push(...requiredUpTo('reason', o.reason));
    if (o.note && o.note.length > 1024) errs.push(fe.invalid('note', '', 'can have at most 1024 characters'));
    const r = o.regarding ?? {};
    if (r.namespace && o.metadata.namespace && r.namespace !== o.metadata.namespace && r.kind !== 'Node' && r.kind !== 'Namespace') {
      errs.push(fe.invalid('regarding.namespace', r.namespace, 'does not match event.namespace'));
    }
    return errs;
  },
  validateUpdate(o, old) {
    const errs: Errs = [];
    for (const f of ['regarding', 'related', 'reportingController', 'reportingInstance', 'action', 'reason', 'type', 'note', 'eventTime', 'deprecatedSource', 'deprecatedFirstTimestamp', 'deprecatedLastTimestamp', 'deprecatedCount']) {
      errs.push(...immutable(f, o[f], old[f]));
    }
    return errs;
  },
});
// one Event, two APIs: events.k8s.io/v1 is served from the core/v1 events' storage
eventsV1Strategy.storage = { group: '', plural: 'events' };
eventsV1Strategy.conversion = { toServed: eventToV1, toStored: eventToCore };

// ---- PodTemplate ----

export const podTemplateStrategy = makeStrategy({
  namespaced: true, generation: 'all-but-meta',
  defaults(o) { if (isObject(o.template)) defaultTemplate(o.template); },
  validate(o) { return validatePodTemplateSpec(o.template, 'template'); },
});

// ---- LimitRange ----

const limitTypes = ['Pod', 'Container', 'PersistentVolumeClaim'];

function defaultLimitRange(o: KObject): void {
  for (const item of arr(o.spec?.limits)) {
    if (!isObject(item) || item.type !== 'Container') continue;
    const def: Record<string, unknown> = { ...(item.default ?? {}) };
    const req: Record<string, unknown> = { ...(item.defaultRequest ?? {}) };
    for (const [k, v] of Object.entries(item.max ?? {})) if (def[k] === undefined) def[k] = v;
    for (const [k, v] of Object.entries(def)) if (req[k] === undefined) req[k] = v;
    for (const [k, v] of Object.entries(item.min ?? {})) if (req[k] === undefined) req[k] = v;
    if (Object.keys(def).length) item.default = def;
    if (Object.keys(req).length) item.defaultRequest = req;
  }
}

function validateLimitRange(o: KObject): Errs {
  const errs: Errs = [];
  const seen = new Set<string>();
  arr(o.spec?.limits).forEach((item: any, i: number) => {
    const p = `spec.limits[${i}]`;
    if (!item?.type) errs.push(fe.required(`${p}.type`));
    else {
      if (!limitTypes.includes(item.type) && !item.type.includes('/')) errs.push(fe.notSupported(`${p}.type`, item.type, limitTypes));
      if (seen.has(item.type)) errs.push(fe.duplicate(`${p}.type`, item.type));
      seen.add(item.type);
    }
    const q = (m: string, k: string) => parseQuantity(item?.[m]?.[k]);
    for (const k of Object.keys(item?.min ?? {})) {
      const min = q('min', k); const max = q('max', k);
      if (min !== undefined && max !== undefined && min > max) errs.push(fe.invalid(`${p}.min[${k}]`, String(item.min[k]), `min value ${item.min[k]} is greater than max value ${item.max[k]}`));
    }
    for (const k of Object.keys(item?.default ?? {})) {
      const d = q('default', k); const max = q('max', k); const min = q('min', k);
      if (d !== undefined && max !== undefined && d > max) errs.push(fe.invalid(`${p}.default[${k}]`, String(item.default[k]), `default value ${item.default[k]} is greater than max value ${item.max[k]}`));
      if (d !== undefined && min !== undefined && d < min) errs.push(fe.invalid(`${p}.default[${k}]`, String(item.default[k]), `min value ${item.min[k]} is greater than default value ${item.default[k]}`));
    }
    for (const k of Object.keys(item?.defaultRequest ?? {})) {
      const d = q('defaultRequest', k); const def = q('default', k);
      if (d !== undefined && def !== undefined && d > def) errs.push(fe.invalid(`${p}.defaultRequest[${k}]`, String(item.defaultRequest[k]), `default request value ${item.defaultRequest[k]} is greater than default limit value ${item.default[k]}`));
    }
    if (item?.type === 'Pod' && (item.default || item.defaultRequest)) {
      if (item.default) errs.push(fe.forbidden(`${p}.default`, 'may not be specified when `type` is \'Pod\''));
      if (item.defaultRequest) errs.push(fe.forbidden(`${p}.defaultRequest`, 'may not be specified when `type` is \'Pod\''));
    }
  });
  return errs;
}

export const limitRangeStrategy = makeStrategy({ namespaced: true, defaults: defaultLimitRange, validate: validateLimitRange });

// ---- ResourceQuota ----

const quotaScopes = ['Terminating', 'NotTerminating', 'BestEffort', 'NotBestEffort', 'PriorityClass', 'CrossNamespacePodAffinity'];
const podComputeQuota = ['cpu', 'memory', 'limits.cpu', 'limits.memory', 'requests.cpu', 'requests.memory'];
const standardQuotaResources = ['pods', 'services', 'replicationcontrollers', 'resourcequotas', 'secrets', 'configmaps', 'persistentvolumeclaims',
  'services.nodeports', 'services.loadbalancers', 'requests.storage', 'requests.ephemeral-storage', 'limits.ephemeral-storage', 'ephemeral-storage', ...podComputeQuota];
const isStandardQuotaResource = (k: string) => standardQuotaResources.includes(k) || k.startsWith('requests.hugepages-');
/** upstream's IsResourceQuotaScopeValidForResource */
function scopeAppliesTo(scope: string, resource: string): boolean {
  if (scope === 'BestEffort' || scope === 'CrossNamespacePodAffinity') return resource === 'pods';
  return resource === 'pods' || podComputeQuota.includes(resource);
}

export const resourceQuotaStrategy = makeStrategy({
  namespaced: true, status: 'subresource',
  validate(o) {
    const errs: Errs = [];
    for (const [k, v] of Object.entries(o.spec?.hard ?? {})) {
      const n = parseQuantity(v);
      if (n !== undefined && n < 0) errs.push(fe.invalid(`spec.hard[${k}]`, String(v), 'must be greater than or equal to 0'));
    }
    // upstream's validateResourceQuotaScopes / validateScopeSelector: each scope applies to some resources only, and opposite scopes conflict
    const hard = Object.keys(o.spec?.hard ?? {}).sort();
    const scopes: string[] = arr(o.spec?.scopes);
    const scopeValue = `[]core.ResourceQuotaScope{${scopes.map((x) => JSON.stringify(x)).join(', ')}}`;
    for (const sc of scopes) {
      if (!quotaScopes.includes(sc)) errs.push(fe.invalid('spec.scopes', scopeValue, 'unsupported scope'));
      for (const k of hard) if (isStandardQuotaResource(k) && !scopeAppliesTo(sc, k)) errs.push(fe.invalid('spec.scopes', scopeValue, 'unsupported scope applied to resource'));
    }
    for (const [a, b] of [['BestEffort', 'NotBestEffort'], ['Terminating', 'NotTerminating']]) {
      if (scopes.includes(a) && scopes.includes(b)) errs.push(fe.invalid('spec.scopes', scopeValue, 'conflicting scopes'));
    }
    arr(o.spec?.scopeSelector?.matchExpressions).forEach((e: any, i: number) => {
      const p = `spec.scopeSelector.matchExpressions[${i}]`;
      if (!quotaScopes.includes(e?.scopeName)) { errs.push(fe.invalid(`${p}.scopeName`, e?.scopeName ?? '', 'unsupported scope')); return; }
      for (const k of hard) if (isStandardQuotaResource(k) && !scopeAppliesTo(e.scopeName, k)) errs.push(fe.invalid(`${p}.scopeName`, e.scopeName, 'unsupported scope applied to resource'));
    });
    return errs;
  },
});

// ---- Endpoints ----

function validateEndpoints(o: KObject): Errs {
  const errs: Errs = [];
  arr(o.subsets).forEach((ss: any, i: number) => {
    const p = `subsets[${i}]`;
    if (arr(ss?.addresses).length === 0 && arr(ss?.notReadyAddresses).length === 0) {
      errs.push(fe.required(p, 'must specify `addresses` or `notReadyAddresses`'));
    }
    for (const which of ['addresses', 'notReadyAddresses']) {
      arr(ss?.[which]).forEach((a: any, j: number) => {
        const ap = `${p}.${which}[${j}]`;
        errs.push(...each(`${ap}.ip`, a?.ip ?? '', isValidIP(String(a?.ip ?? ''))));
        if (a?.hostname) errs.push(...each(`${ap}.hostname`, a.hostname, isDNS1123Subdomain(a.hostname)));
        if (a?.nodeName) errs.push(...each(`${ap}.nodeName`, a.nodeName, isDNS1123Subdomain(a.nodeName)));
      });
    }
    arr(ss?.ports).forEach((pt: any, j: number) => {
      const pp = `${p}.ports[${j}]`;
      if (arr(ss.ports).length > 1 && !pt?.name) errs.push(fe.required(`${pp}.name`));
      if (pt?.name) errs.push(...each(`${pp}.name`, pt.name, isDNS1123Label(pt.name)));
      errs.push(...each(`${pp}.port`, pt?.port ?? 0, isValidPortNum(pt?.port)));
      errs.push(...enumOf(`${pp}.protocol`, pt?.protocol, ['SCTP', 'TCP', 'UDP'], true));
    });
  });
  return errs;
}

export const endpointsStrategy = makeStrategy({
  namespaced: true,
  defaults(o) { for (const ss of arr(o.subsets)) for (const p of arr(ss?.ports)) if (isObject(p)) setDefault(p, 'protocol', 'TCP'); },
  validate: validateEndpoints,
});
