// Serves custom resources: each CustomResourceDefinition, once accepted, adds its versions to the
// registry (discovery, OpenAPI, schema for patch/validation, printer columns) and gets Established.
import type { KObject, ResourceInfo } from '../api/types.js';
import { registerCustomResourceDoc, removeCustomResourceDoc } from './openapi/v3.js';
import { nowRFC3339 } from '../util/time.js';
import type { Registry } from './registry/registry.js';
import type { Store } from './registry/store.js';
import { crdCleanupFinalizer } from './registry/strategies/crd.js';

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
      custom: { scale: v.subresources?.scale, printerColumns: v.additionalPrinterColumns, schema: v.schema?.openAPIV3Schema, deprecated: v.deprecated === true, deprecationWarning: v.deprecationWarning },
    } as ResourceInfo;
  });
}

export class CustomResources {
  private readonly ac = new AbortController();
  private readonly served = new Map<string, ResourceInfo[]>();
  /** the resourceVersion of each CRD last synced */
  private readonly versions = new Map<string, string>();
  private watching?: Promise<void>;
  /** CRDs whose custom resources are being deleted */
  private readonly cleaning = new Set<string>();

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

  /**
   * A deleted CRD (upstream's finalizer controller): every custom resource of it is deleted (their
   * own finalizers are waited for), then the cleanup finalizer goes and the CRD with it. Retried
   * every few seconds until it gets there.
   */
  private cleanup(crd: KObject, rs: ResourceInfo[]): void {
    const name = crd.metadata.name!;
    if (this.cleaning.has(name) || !rs.length) return;
    this.cleaning.add(name);
    void (async () => {
      while (!this.ac.signal.aborted) {
        // looked up each time: a sync of the CRD meanwhile replaces its stores
        const store = this.registry.get(rs[0].group, rs[0].version, rs[0].plural);
        if (!store) return;
        try {
          const left = (await store.list(undefined)).items;
          if (!left.length) break;
          await store.deleteCollection(undefined, {}, {});
        } catch (e) { console.error(`crd: deleting the custom resources of ${name}: ${e instanceof Error ? e.message : e}`); }
        await new Promise((r) => setTimeout(r, 2000));
      }
      if (this.ac.signal.aborted) return;
      await this.crdStore().guaranteedUpdate(undefined, name, (cur) => {
        if (!cur || cur.metadata.uid !== crd.metadata.uid || !(cur.metadata.finalizers ?? []).includes(crdCleanupFinalizer)) return undefined;
        cur.metadata.finalizers = (cur.metadata.finalizers ?? []).filter((f: string) => f !== crdCleanupFinalizer);
        return cur;
      }).catch((e) => console.error(`crd: finalizing ${name}: ${e instanceof Error ? e.message : e}`));
    })().finally(() => this.cleaning.delete(name));
  }

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
    const cleaning = !!crd.metadata.deletionTimestamp && (crd.metadata.finalizers ?? []).includes(crdCleanupFinalizer);
    if (crd.metadata.deletionTimestamp && !cleaning) return;
    const rs = resourcesOf(crd);
    for (const r of rs) {
      registerCustomResourceDoc(r, r.custom?.schema);
      this.registry.add(r);
    }
    this.served.set(crd.metadata.name!, rs);
    if (cleaning) { this.cleanup(crd, rs); return; }
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
