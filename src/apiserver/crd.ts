// Serves custom resources: each CustomResourceDefinition, once accepted, adds its versions to the
// registry (discovery, OpenAPI, schema for patch/validation, printer columns) and gets Established.
import type { KObject, ResourceInfo } from '../api/types.js';
import { registerCustomResourceDoc, removeCustomResourceDoc } from './openapi/v3.js';
import { nowRFC3339 } from '../util/time.js';
import type { Registry } from './registry/registry.js';
import type { Store } from './registry/store.js';
import { crdCleanupFinalizer } from './registry/strategies/crd.js';

/** what a CRD serves; while it is deleted (terminating) its custom resources may be read and deleted, not created */
function resourcesOf(crd: KObject, terminating = false): ResourceInfo[] {
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
      custom: { scale: v.subresources?.scale, printerColumns: v.additionalPrinterColumns, schema: v.schema?.openAPIV3Schema, deprecated: v.deprecated === true, deprecationWarning: v.deprecationWarning, terminating },
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
      const crd = obj as KObject;
      if (type === 'DELETED') this.remove(crd);
      else if (type === 'ADDED' || type === 'MODIFIED') void this.sync(crd).catch((e) => console.error('crd: sync failed:', e));
      // names another CRD of the group gave up may now be free for one that asked for them
      if (type === 'DELETED' || type === 'MODIFIED') void this.retryNames(crd).catch((e) => console.error('crd: sync failed:', e));
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

  /** the other CRDs of changed's group whose names were not all accepted are looked at again */
  private async retryNames(changed: KObject): Promise<void> {
    for (const o of (await this.crdStore().list(undefined)).items) {
      if (o.metadata.uid === changed.metadata.uid || o.spec?.group !== changed.spec?.group) continue;
      if ((o.status?.conditions ?? []).some((c: any) => c.type === 'NamesAccepted' && c.status === 'False')) await this.sync(o);
    }
  }

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
    const others = (await this.crdStore().list(undefined)).items.filter((o) => o.metadata.uid !== crd.metadata.uid && o.spec?.group === crd.spec?.group);
    const { names, accepted } = acceptNames(crd, others);
    const conds: any[] = crd.status?.conditions ?? [];
    const wasEstablished = conds.some((c) => c.type === 'Established' && c.status === 'True');
    const established = wasEstablished || accepted.status === 'True';
    if (established) {
      const rs = resourcesOf(crd, cleaning);
      for (const r of rs) {
        registerCustomResourceDoc(r, r.custom?.schema);
        this.registry.add(r);
      }
      this.served.set(crd.metadata.name!, rs);
      if (cleaning) { this.cleanup(crd, rs); return; }
    }
    if (cleaning) return;
    const now = nowRFC3339();
    /** a condition as wanted, keeping its transition time while its status stays */
    const cond = (want: { type: string; status: string; reason: string; message: string }) => {
      const old = conds.find((c) => c.type === want.type);
      return { ...want, lastTransitionTime: old && old.status === want.status ? old.lastTransitionTime : now };
    };
    const status = {
      ...(crd.status ?? {}),
      acceptedNames: names,
      storedVersions: [...new Set([...(crd.status?.storedVersions ?? []), ...(crd.spec.versions ?? []).filter((v: any) => v.storage).map((v: any) => v.name)])],
      conditions: [
        ...conds.filter((c) => c.type !== 'NamesAccepted' && c.type !== 'Established'),
        cond(accepted),
        wasEstablished ? conds.find((c) => c.type === 'Established')
          : cond(established ? { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' }
            : { type: 'Established', status: 'False', reason: 'NotAccepted', message: 'not all names are accepted' }),
      ],
    };
    if (JSON.stringify(status) === JSON.stringify(crd.status ?? {})) return;
    await this.crdStore().guaranteedUpdate(undefined, crd.metadata.name!, (cur) => {
      if (!cur || cur.metadata.uid !== crd.metadata.uid) return undefined;
      cur.status = status;
      return cur;
    }, { subresource: 'status' });
  }
}

/**
 * The names a CRD may have, as upstream's naming controller decides: each requested name is taken
 * unless another CRD of the group already accepted it (one it holds already stays its own).
 */
export function acceptNames(crd: KObject, others: KObject[]): { names: any; accepted: { type: string; status: string; reason: string; message: string } } {
  const want = crd.spec?.names ?? {};
  const had = crd.status?.acceptedNames ?? {};
  const resources = new Set<string>(), kinds = new Set<string>();
  for (const o of others) {
    const a = o.status?.acceptedNames ?? {};
    for (const n of [a.plural, a.singular, ...(a.shortNames ?? [])]) if (n) resources.add(n);
    for (const n of [a.kind, a.listKind]) if (n) kinds.add(n);
  }
  const names: any = { ...had };
  let conflict: { reason: string; message: string } | undefined;
  const free = (requested: string | undefined, accepted: string | undefined, used: Set<string>) => requested === accepted || !requested || !used.has(requested);
  const take = (key: string, used: Set<string>, reason: string) => {
    if (free(want[key], had[key], used)) names[key] = want[key];
    else conflict = { reason, message: `"${want[key]}" is already in use` };
  };
  take('plural', resources, 'PluralConflict');
  take('singular', resources, 'SingularConflict');
  if (JSON.stringify(want.shortNames ?? []) !== JSON.stringify(had.shortNames ?? [])) {
    const mine = new Set<string>(had.shortNames ?? []);
    const taken = (want.shortNames ?? []).filter((n: string) => !mine.has(n) && resources.has(n));
    if (taken.length) conflict = { reason: 'ShortNamesConflict', message: taken.map((n: string) => `"${n}" is already in use`).join(', ') };
    else names.shortNames = want.shortNames;
  }
  take('kind', kinds, 'KindConflict');
  take('listKind', kinds, 'ListKindConflict');
  names.categories = want.categories;
  for (const k of Object.keys(names)) if (names[k] === undefined) delete names[k];
  return {
    names,
    accepted: conflict ? { type: 'NamesAccepted', status: 'False', ...conflict } : { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found' },
  };
}
