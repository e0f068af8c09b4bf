// Serves custom resources: each CustomResourceDefinition, once accepted, adds its versions to the
// registry (discovery, OpenAPI, schema for patch/validation, printer columns) and gets Established.
import type { KObject, ResourceInfo } from '../api/types.js';
import { registerCustomResourceDoc, removeCustomResourceDoc } from './openapi/v3.js';
import { nowRFC3339 } from '../util/time.js';
import type { Registry } from './registry/registry.js';
import type { Store } from './registry/store.js';

function resourcesOf(crd: KObject): ResourceInfo[] {
  const spec = crd.spec ?? {};
  const names = spec.names ?? {};
  return (spec.versions ?? []).filter((v: any) => v.served !== false).map((v: any) => {
    const subs: string[] = [];
    if (v.subresources?.status) subs.push('status');
    if (v.subresources?.scale) subs.push('scale');
    return {
      group: spec.group, version: v.name, kind: names.kind, plural: names.plural,
      singular: names.singular || String(names.kind ?? '').toLowerCase(), namespaced: spec.scope !== 'Cluster',
      shortNames: names.shortNames, categories: names.categories, subresources: subs, listKind: names.listKind,
      custom: { scale: v.subresources?.scale, printerColumns: v.additionalPrinterColumns, schema: v.schema?.openAPIV3Schema },
    } as ResourceInfo;
  });
}

export class CustomResources {
  private readonly ac = new AbortController();
  private readonly served = new Map<string, ResourceInfo[]>();
  /** the resourceVersion of each CRD last synced */
  private readonly versions = new Map<string, string>();
  private watching?: Promise<void>;

  constructor(private readonly registry: Registry) {}

  private crdStore(): Store { return this.registry.find('apiextensions.k8s.io', 'customresourcedefinitions')!; }

  async start(): Promise<void> {
    const listed = await this.resync();
    this.watching = this.crdStore().keepWatching(() => this.resync(), (type, obj) => {
      if (type === 'DELETED') this.remove(obj as KObject);
      else if (type === 'ADDED' || type === 'MODIFIED') void this.sync(obj as KObject).catch((e) => console.error('crd: sync failed:', e));
    }, this.ac.signal, { listed, log: (m) => console.error(`crd: ${m}`) });
  }

  /** lists the CRDs: serves new and changed ones, stops serving those gone; returns the list's resourceVersion */
  private async resync(): Promise<string> {
    const { items, resourceVersion } = await this.crdStore().list(undefined);
    const names = new Set(items.map((c) => c.metadata.name!));
    for (const name of [...this.served.keys()]) if (!names.has(name)) this.remove({ metadata: { name } } as KObject);
    for (const crd of items) if (this.versions.get(crd.metadata.name!) !== crd.metadata.resourceVersion) await this.sync(crd);
    return resourceVersion;
  }

  stop(): void { this.ac.abort(); }

  private remove(crd: KObject): void {
    for (const r of this.served.get(crd.metadata.name!) ?? []) {
      this.registry.remove(r.group, r.version, r.plural);
      removeCustomResourceDoc(r);
    }
    this.served.delete(crd.metadata.name!);
    this.versions.delete(crd.metadata.name!);
  }

  private async sync(crd: KObject): Promise<void> {
    this.remove(crd);
    this.versions.set(crd.metadata.name!, crd.metadata.resourceVersion ?? '');
    if (crd.metadata.deletionTimestamp) return;
    const rs = resourcesOf(crd);
    for (const r of rs) {
      registerCustomResourceDoc(r, (r as any).custom?.schema);
      this.registry.add(r);
    }
    this.served.set(crd.metadata.name!, rs);
    const established = (crd.status?.conditions ?? []).some((c: any) => c.type === 'Established' && c.status === 'True');
    if (established) return;
    const now = nowRFC3339();
    await this.crdStore().guaranteedUpdate(undefined, crd.metadata.name!, (cur) => {
      if (!cur || cur.metadata.uid !== crd.metadata.uid) return undefined;
      cur.status = {
        ...(cur.status ?? {}),
        acceptedNames: { ...cur.spec.names, singular: cur.spec.names.singular || String(cur.spec.names.kind).toLowerCase(), listKind: cur.spec.names.listKind || `${cur.spec.names.kind}List` },
        storedVersions: [...new Set([...(cur.status?.storedVersions ?? []), ...(cur.spec.versions ?? []).filter((v: any) => v.storage).map((v: any) => v.name)])],
        conditions: [
          { type: 'NamesAccepted', status: 'True', lastTransitionTime: now, reason: 'NoConflicts', message: 'no conflicts found' },
          { type: 'Established', status: 'True', lastTransitionTime: now, reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' },
        ],
      };
      return cur;
    }, { subresource: 'status' });
  }
}
