// apiextensions.k8s.io/v1 CustomResourceDefinition (upstream apiextensions validation/defaults/strategy).
import type { KObject } from '../../../api/types.js';
import { isDNS1035Label, isDNS1123Subdomain } from '../../../api/validation/index.js';
import { nowRFC3339 } from '../../../util/time.js';
import { makeStrategy } from './base.js';
import { arr, enumOf, fe, immutable, isObject, obj, setDefault, type Errs } from './field.js';

function storageVersion(o: KObject): string | undefined {
  return arr(o.spec?.versions).find((v: any) => v?.storage === true)?.name;
}

function defaultCRD(o: KObject): void {
  const spec = obj(o, 'spec');
  const names = obj(spec, 'names');
  if (!names.singular && names.kind) names.singular = String(names.kind).toLowerCase();
  if (!names.listKind && names.kind) names.listKind = `${names.kind}List`;
  if (!isObject(spec.conversion)) spec.conversion = { strategy: 'None' };
  const svc = spec.conversion?.webhook?.clientConfig?.service;
  if (isObject(svc)) setDefault(svc, 'port', 443);
}

function joinedLabel(path: string, v: string, prefix = ''): Errs {
  const msgs = isDNS1035Label(prefix ? v.toLowerCase() : v);
  return msgs.length ? [fe.invalid(path, v, prefix + msgs.join(','))] : [];
}

/** structural-schema basics: a type at the root and for every specified property */
function validateSchema(s: any, path: string, root: boolean): Errs {
  const errs: Errs = [];
  if (!isObject(s)) return errs;
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true || s['x-kubernetes-int-or-string'] === true;
  if (!s.type && !preserve) {
    if (root) errs.push(fe.required(`${path}.type`, 'must not be empty at the root'));
    else errs.push(fe.required(`${path}.type`, 'must not be empty for specified object fields'));
  }
  if (root && s.type && s.type !== 'object') errs.push(fe.invalid(`${path}.type`, s.type, 'must be object at the root'));
  if (s.type === 'array' && s.items == null) errs.push(fe.required(`${path}.items`, 'must be specified'));
  if (isObject(s.properties)) for (const [k, v] of Object.entries(s.properties)) errs.push(...validateSchema(v, `${path}.properties[${k}]`, false));
  if (isObject(s.items)) errs.push(...validateSchema(s.items, `${path}.items`, false));
  if (isObject(s.additionalProperties)) {
    if (isObject(s.properties)) errs.push(fe.forbidden(`${path}.additionalProperties`, 'additionalProperties and properties are mutual exclusive'));
    errs.push(...validateSchema(s.additionalProperties, `${path}.additionalProperties`, false));
  }
  return errs;
}

function validateCRD(o: KObject): Errs {
  const spec = o.spec ?? {};
  const names = spec.names ?? {};
  const errs: Errs = [];
  if (o.metadata.name !== `${names.plural}.${spec.group}`) {
    errs.push(fe.invalid('metadata.name', o.metadata.name ?? '', 'must be spec.names.plural+"."+spec.group'));
  }
  if (spec.preserveUnknownFields === true) {
    errs.push(fe.invalid('spec.preserveUnknownFields', true, 'cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead'));
  }
  if (!spec.group) errs.push(fe.required('spec.group'));
  else {
    const m = isDNS1123Subdomain(spec.group);
    if (m.length) errs.push(fe.invalid('spec.group', spec.group, m.join(',')));
    else if (spec.group.split('.').length < 2) errs.push(fe.invalid('spec.group', spec.group, 'should be a domain with at least one dot'));
  }
  if (!spec.scope) errs.push(fe.required('spec.scope'));
  else errs.push(...enumOf('spec.scope', spec.scope, ['Cluster', 'Namespaced']));
  const versions = arr(spec.versions);
  let storage = 0;
  const seen = new Set<string>();
  let unique = true;
  versions.forEach((v: any, i: number) => {
    const p = `spec.versions[${i}]`;
    if (v?.storage === true) storage++;
    if (seen.has(v?.name)) unique = false;
    seen.add(v?.name);
    errs.push(...joinedLabel(`${p}.name`, String(v?.name ?? '')));
    const schema = v?.schema?.openAPIV3Schema;
    if (!isObject(schema)) errs.push(fe.required(`${p}.schema.openAPIV3Schema`, 'schemas are required'));
    else errs.push(...validateSchema(schema, `${p}.schema.openAPIV3Schema`, true));
    const sub = v?.subresources;
    if (isObject(sub?.scale)) {
      if (!sub.scale.specReplicasPath) errs.push(fe.required(`${p}.subresources.scale.specReplicasPath`));
      if (!sub.scale.statusReplicasPath) errs.push(fe.required(`${p}.subresources.scale.statusReplicasPath`));
    }
    arr(v?.additionalPrinterColumns).forEach((c: any, j: number) => {
      const cp = `${p}.additionalPrinterColumns[${j}]`;
      if (!c?.name) errs.push(fe.required(`${cp}.name`));
      if (!c?.type) errs.push(fe.required(`${cp}.type`));
      else errs.push(...enumOf(`${cp}.type`, c.type, ['integer', 'number', 'string', 'boolean', 'date']));
      if (!c?.jsonPath) errs.push(fe.required(`${cp}.JSONPath`));
    });
  });
  if (versions.length === 0) errs.push(fe.invalid('spec.versions', versions, 'must have exactly one version marked as storage version'));
  else {
    if (!unique) errs.push(fe.invalid('spec.versions', versions, 'must contain unique version names'));
    if (storage !== 1) errs.push(fe.invalid('spec.versions', versions, 'must have exactly one version marked as storage version'));
  }
  if (!names.plural) errs.push(fe.required('spec.names.plural'));
  else errs.push(...joinedLabel('spec.names.plural', names.plural));
  if (!names.singular) errs.push(fe.required('spec.names.singular'));
  else errs.push(...joinedLabel('spec.names.singular', names.singular));
  if (!names.kind) errs.push(fe.required('spec.names.kind'));
  else errs.push(...joinedLabel('spec.names.kind', names.kind, 'may have mixed case, but should otherwise match: '));
  if (!names.listKind) errs.push(fe.required('spec.names.listKind'));
  else errs.push(...joinedLabel('spec.names.listKind', names.listKind, 'may have mixed case, but should otherwise match: '));
  if (names.kind && names.kind === names.listKind) errs.push(fe.invalid('spec.names.listKind', names.listKind, 'kind and listKind may not be the same'));
  arr(names.shortNames).forEach((s: string, i: number) => errs.push(...joinedLabel(`spec.names.shortNames[${i}]`, s)));
  arr(names.categories).forEach((s: string, i: number) => errs.push(...joinedLabel(`spec.names.categories[${i}]`, s)));
  errs.push(...enumOf('spec.conversion.strategy', spec.conversion?.strategy, ['None', 'Webhook'], true));
  if (spec.conversion?.strategy === 'Webhook' && !isObject(spec.conversion.webhook)) errs.push(fe.required('spec.conversion.webhook', 'required when strategy is set to Webhook'));
  return errs;
}

function validateStoredVersions(o: KObject): Errs {
  const stored = arr(o.status?.storedVersions);
  const versions = new Set(arr(o.spec?.versions).map((v: any) => v?.name));
  const errs: Errs = [];
  if (stored.length === 0) return [fe.invalid('status.storedVersions', stored, 'must have at least one stored version')];
  stored.forEach((v: string, i: number) => { if (!versions.has(v)) errs.push(fe.invalid(`status.storedVersions[${i}]`, v, 'must appear in spec.versions')); });
  const sv = storageVersion(o);
  if (sv && !stored.includes(sv)) errs.push(fe.invalid('status.storedVersions', stored, `must have the storage version ${sv}`));
  return errs;
}

function established(o: KObject): boolean {
  return arr(o.status?.conditions).some((c: any) => c?.type === 'Established' && c?.status === 'True');
}

/** what the API server holds a deleted CRD with until its custom resources are gone (upstream's name) */
export const crdCleanupFinalizer = 'customresourcecleanup.apiextensions.k8s.io';

export const crdStrategy = makeStrategy({
  namespaced: false, status: 'subresource', generation: 'spec',
  defaults: defaultCRD,
  initialStatus(o) {
    const sv = storageVersion(o);
    return { acceptedNames: { plural: '', kind: '' }, storedVersions: sv ? [sv] : [] };
  },
  update(o) {
    const sv = storageVersion(o);
    if (sv && isObject(o.status)) {
      const st = Array.isArray(o.status.storedVersions) ? o.status.storedVersions : (o.status.storedVersions = []);
      if (!st.includes(sv)) st.push(sv);
    }
  },
  validate: validateCRD,
  validateUpdate(o, old) {
    const errs: Errs = [];
    errs.push(...immutable('spec.group', o.spec?.group, old.spec?.group));
    errs.push(...immutable('spec.names.plural', o.spec?.names?.plural, old.spec?.names?.plural));
    if (established(old)) {
      errs.push(...immutable('spec.scope', o.spec?.scope, old.spec?.scope));
      errs.push(...immutable('spec.names.kind', o.spec?.names?.kind, old.spec?.names?.kind));
      errs.push(...immutable('spec.names.listKind', o.spec?.names?.listKind, old.spec?.names?.listKind));
    }
    errs.push(...validateStoredVersions(o));
    return errs;
  },
  validateStatusUpdate: (o) => validateStoredVersions(o),
});

// upstream's CRD registry Delete: the first delete adds the cleanup finalizer and a Terminating
// condition; the API server (crd.ts) deletes every custom resource, then drops the finalizer
crdStrategy.prepareForDelete = (o) => {
  o.metadata.finalizers = [...new Set([...(o.metadata.finalizers ?? []), crdCleanupFinalizer])];
  const conditions = (o.status?.conditions ?? []).filter((c: any) => c.type !== 'Terminating');
  conditions.push({ type: 'Terminating', status: 'True', lastTransitionTime: nowRFC3339(), reason: 'InstanceDeletionPending', message: 'CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon' });
  o.status = { ...(o.status ?? {}), conditions };
};
