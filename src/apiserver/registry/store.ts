// The one generic store: CRUD, optimistic concurrency, finalizers, graceful delete and watch
// for every resource, over the etcd-shaped Backend. Each resource adds only its Strategy.
import { randomUUID } from 'node:crypto';
import type { Backend, KeyValue, WatchEvent } from '../../storage/backend.js';
import { CompactedError, KeyExistsError } from '../../storage/backend.js';
import { errors, StatusError, type FieldError } from '../../api/status.js';
import type { KObject, ResourceInfo } from '../../api/types.js';
import { apiVersionOf } from '../../api/types.js';
import { matches, matchesFields, parseFieldSelector, parseLabelSelector, type FieldRequirement, type Selector } from '../../api/labels.js';
import { clone, deepEqual } from '../../util/deep.js';
import { nowRFC3339 } from '../../util/time.js';
import { randomString } from '../../util/rand.js';
import type { Strategy } from './strategy.js';
import { WatchCache, type CachedEvent } from './watchcache.js';

export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
  subresource?: string;
  /** who asks (admission that depends on the requester: RBAC escalation checks) */
  user?: { name: string; groups: string[] };
  /** the subresource managedFields record, when it differs from how the write is stored (pods/scale writes the main resource) */
  managedSubresource?: string;
  /** the object's managedFields were already computed (server-side apply) */
  skipManagedFields?: boolean;
  /** the input was just decoded from JSON and nothing else holds it: create may use it without a copy */
  owned?: boolean;
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
}

export interface ListResult { items: KObject[]; resourceVersion: string; continue?: string; remainingItemCount?: number }

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

export interface WatchOptions {
  labelSelector?: string;
  fieldSelector?: string;
  /** '' = now with initial ADDED events, '0' = same, N = events after N */
  resourceVersion?: string;
  sendInitialEvents?: boolean;
  signal: AbortSignal;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
export type WatchSink = (type: WatchEventType, obj: KObject | object, rv: number) => void;

/** Hooks the registry wires in: namespace existence, allocators, managedFields. */
export interface StoreHooks {
  /** throws when objects may not be created in ns (missing or terminating) */
  checkNamespace?(ns: string, gr: { group: string; resource: string }, name: string): Promise<void>;
  /** runs after validation on create (e.g. allocate a Service clusterIP) */
  beforeCreate?(r: ResourceInfo, obj: KObject, opts: WriteOptions): Promise<void>;
  beforeUpdate?(r: ResourceInfo, obj: KObject, old: KObject, opts: WriteOptions): Promise<void>;
  afterDelete?(r: ResourceInfo, obj: KObject): Promise<void>;
  /** every write that reached storage (create, update, delete), with its revision */
  afterWrite?(r: ResourceInfo, rev: number): void;
  /** record managedFields for a non-apply write */
  manageFields?(obj: KObject, old: KObject | undefined, manager: string, subresource: string): void;
}

function continueToken(rv: number, startKey: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start: startKey })).toString('base64url');
}
function parseContinue(tok: string): { rv: number; start: string } {
  try {
    const o = JSON.parse(Buffer.from(tok, 'base64url').toString('utf8'));
    if (typeof o.rv === 'number' && typeof o.start === 'string') return o;
  } catch { /* fallthrough */ }
  throw errors.badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
}

export class Store {
  readonly gr: { group: string; resource: string };
  readonly apiVersion: string;
  private readonly prefixRoot: string;
  private readonly cache: WatchCache;

  constructor(
    private readonly backend: Backend,
    readonly resource: ResourceInfo,
    readonly strategy: Strategy,
    private readonly hooks: StoreHooks = {},
  ) {
    this.gr = { group: resource.group, resource: resource.plural };
    this.apiVersion = apiVersionOf(resource);
    const stored = strategy.storage ?? resource;
    this.prefixRoot = `/registry/${stored.group || 'core'}/${stored.plural}/`;
    this.cache = new WatchCache(backend, this.prefixRoot, (kv, rev) => this.decode(kv, rev));
  }

  /** stops the watch cache (watchers end and reconnect) */
  close(): void { this.cache.close(); }

  key(ns: string | undefined, name: string): string {
    return this.resource.namespaced ? `${this.prefixRoot}${ns}/${name}` : `${this.prefixRoot}${name}`;
  }
  prefix(ns?: string): string {
    return this.resource.namespaced && ns ? `${this.prefixRoot}${ns}/` : this.prefixRoot;
  }

  decode(kv: KeyValue, rev = kv.modRevision): KObject {
    const parsed = JSON.parse(kv.value) as KObject;
    const o = this.strategy.conversion ? this.strategy.conversion.toServed(parsed) : parsed;
    this.strategy.readDefaults?.(o);
    o.metadata.resourceVersion = String(rev);
    // all versions of a resource share storage; objects read through a version carry it
    o.apiVersion = this.apiVersion;
    return o;
  }
  private encode(obj: KObject): string {
    const o = this.strategy.conversion ? this.strategy.conversion.toStored(obj) : obj;
    const { resourceVersion: _rv, ...meta } = o.metadata;
    return JSON.stringify({ ...o, metadata: meta });
  }

  /**
   * For reads at a resourceVersion newer than storage has (upstream's watch cache
   * waitUntilFreshAndBlock): wait up to 3 s for it, then 504 "Too large resource version", which
   * clients such as client-go's reflector recognise by its ResourceVersionTooLarge cause.
   */
  async waitForRevision(rv: number, timeoutMs = 3000): Promise<void> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const cur = await this.backend.currentRevision();
      if (rv <= cur) return;
      if (Date.now() >= end) {
        throw new StatusError(504, 'Timeout', `Timeout: Too large resource version: ${rv}, current: ${cur}`,
          { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 });
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async get(ns: string | undefined, name: string): Promise<KObject> {
    const kv = await this.backend.get(this.key(ns, name));
    if (!kv) throw errors.notFound(this.gr, name);
    return this.decode(kv);
  }

  async tryGet(ns: string | undefined, name: string): Promise<KObject | undefined> {
    const kv = await this.backend.get(this.key(ns, name));
    return kv ? this.decode(kv) : undefined;
  }

  /** field values usable in field selectors */
  fieldsOf(o: KObject): Record<string, string> {
    const f: Record<string, string> = { 'metadata.name': o.metadata.name ?? '', 'metadata.namespace': o.metadata.namespace ?? '' };
    return { ...f, ...(this.strategy.selectableFields?.(o) ?? {}) };
  }

  private filter(labelSel: Selector, fieldSel: FieldRequirement[]): (o: KObject) => boolean {
    if (!labelSel.length && !fieldSel.length) return () => true;
    return (o) => matches(labelSel, o.metadata.labels) && matchesFields(fieldSel, this.fieldsOf(o));
  }

  /** throws 400 for selectors that cannot be parsed or name unsupported fields */
  checkSelectors(labelSelector?: string, fieldSelector?: string): void {
    parseLabelSelector(labelSelector);
    this.checkFieldSelector(parseFieldSelector(fieldSelector));
  }

  private checkFieldSelector(reqs: FieldRequirement[]): void {
    for (const r of reqs) {
      const known = r.field === 'metadata.name' || (this.resource.namespaced && r.field === 'metadata.namespace');
      if (known) continue;
      // probe the strategy with an empty object to learn its selectable fields
      let fields: Record<string, string> = {};
      try { fields = this.strategy.selectableFields?.({ metadata: {}, spec: {}, status: {} } as KObject) ?? {}; } catch { fields = {}; }
      // kinds without fields of their own answer as upstream's DefaultMetaV1FieldSelectorConversion
      if (!this.strategy.selectableFields) {
        if (r.field === 'metadata.namespace') continue;
        throw errors.badRequest(`"${r.field}" is not a known field selector: only "metadata.name", "metadata.namespace"`);
      }
      if (!(r.field in fields)) {
        throw errors.badRequest(`field label not supported: ${r.field}`);
      }
    }
  }

  async list(ns: string | undefined, opts: ListOptions = {}): Promise<ListResult> {
    const labelSel = parseLabelSelector(opts.labelSelector);
    const fieldSel = parseFieldSelector(opts.fieldSelector);
    this.checkFieldSelector(fieldSel);
    const keep = this.filter(labelSel, fieldSel);
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
    let revision = 0;
    let startKey = this.prefix(ns);
    if (opts.continue) {
      const c = parseContinue(opts.continue);
      revision = c.rv;
      startKey = this.prefix(ns) + c.start;
    } else if (opts.resourceVersion && opts.resourceVersion !== '0' && opts.resourceVersionMatch === 'Exact') {
      revision = Number(opts.resourceVersion);
    }
    // informers list, then watch from the list's version: with the watch cache running before the
    // list is read, that watch is served from the cache, not by a storage watch of its own
    await this.cache.start().catch(() => {});
    const items: KObject[] = [];
    let readRev = revision;
    let more = false;
    let lastKey = '';
    try {
      // read pages from the backend until `limit` matching items are found
      for (;;) {
        const page = await this.backend.list(this.prefix(ns), { revision: readRev || undefined, limit: limit ? Math.max(limit - items.length, limit) + 1 : 0, startKey });
        readRev = page.revision;
        let stopped = false;
        for (const kv of page.kvs) {
          if (limit && items.length === limit) { more = true; stopped = true; break; }
          lastKey = kv.key;
          const o = this.decode(kv);
          if (keep(o)) items.push(o);
        }
        if (stopped || !page.more || !page.kvs.length) break;
        startKey = lastKey + '\0';
      }
    } catch (e) {
      if (e instanceof CompactedError) {
        throw new StatusError(410, 'Expired', 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.');
      }
      throw e;
    }
    const res: ListResult = { items, resourceVersion: String(readRev) };
    if (more) res.continue = continueToken(readRev, lastKey.slice(this.prefix(ns).length) + '\0');
    return res;
  }

  private finishCreate(obj: KObject, ns: string | undefined): void {
    const m = obj.metadata;
    if (this.resource.namespaced) m.namespace = ns;
    else delete m.namespace;
    m.uid = randomUUID();
    m.creationTimestamp = nowRFC3339();
    delete m.resourceVersion;
    delete m.deletionTimestamp;
    delete m.deletionGracePeriodSeconds;
    obj.apiVersion = this.apiVersion;
    obj.kind = this.resource.kind;
  }

  /** body problems upstream reports while decoding (400), e.g. bad base64 in a Secret */
  private checkDecode(obj: KObject): void {
    const msgs = this.strategy.decodeErrors?.(obj) ?? [];
    if (msgs.length) {
      const k = this.resource.kind;
      throw errors.badRequest(`${k} in version "${this.resource.version}" cannot be handled as a ${k}: ${msgs.join(', ')}`);
    }
  }

  private invalid(name: string, errs: FieldError[]): StatusError {
    return errors.invalid(this.resource.group, this.resource.kind, name, errs);
  }

  private nameErrors(obj: KObject): FieldError[] {
    const m = obj.metadata ?? {};
    if (!m.name && !m.generateName) return [{ type: 'FieldValueRequired', field: 'metadata.name', detail: 'name or generateName is required' }];
    return [];
  }

  async create(ns: string | undefined, input: KObject, opts: WriteOptions = {}): Promise<KObject> {
    const obj = opts.owned ? input : clone(input);
    obj.metadata ??= {};
    if (this.resource.namespaced) {
      if (!ns) ns = obj.metadata.namespace || 'default';
      if (obj.metadata.namespace && obj.metadata.namespace !== ns) {
        throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
    }
    const nameErrs = this.nameErrors(obj);
    if (nameErrs.length) throw this.invalid(obj.metadata.name ?? '', nameErrs);
    if (!obj.metadata.name && obj.metadata.generateName) {
      obj.metadata.name = obj.metadata.generateName + randomString(5);
    }
    const name = obj.metadata.name!;
    if (this.resource.namespaced && this.hooks.checkNamespace) await this.hooks.checkNamespace(ns!, this.gr, name);
    this.finishCreate(obj, ns);
    this.checkDecode(obj);
    this.strategy.defaults?.(obj);
    if (!opts.skipManagedFields && this.hooks.manageFields) {
      // as upstream, the manager owns the object as it was sent and defaulted: what the strategy and
      // admission add afterwards (a Pod's tolerations, priority and status, a Service's clusterIP)
      // belongs to no one, and neither does a status the strategy resets
      const sent = this.resource.subresources?.includes('status') && obj.status !== undefined ? { ...obj } : obj;
      if (sent !== obj) delete sent.status;
      this.hooks.manageFields(sent, undefined, opts.fieldManager ?? '', opts.subresource ?? '');
    }
    this.strategy.prepareForCreate?.(obj);
    if (obj.metadata.generation === undefined && (obj.spec !== undefined)) obj.metadata.generation = 1;
    const errs = this.strategy.validate?.(obj) ?? [];
    if (errs.length) throw this.invalid(name, errs);
    if (this.hooks.beforeCreate) await this.hooks.beforeCreate(this.resource, obj, opts);
    if (opts.dryRun) {
      if (await this.tryGet(ns, name)) throw errors.alreadyExists(this.gr, name);
      return obj;
    }
    try {
      const rev = await this.backend.create(this.key(ns, name), this.encode(obj));
      this.hooks.afterWrite?.(this.resource, rev);
      obj.metadata.resourceVersion = String(rev);
      return obj;
    } catch (e) {
      if (e instanceof KeyExistsError) throw errors.alreadyExists(this.gr, name);
      throw e;
    }
  }

  /**
   * Read-modify-write with retries on revision conflicts. `mutate` receives a clone of the current
   * object (undefined when absent) and returns the new object, or undefined for no change.
   */
  async guaranteedUpdate(ns: string | undefined, name: string, mutate: (cur: KObject | undefined) => Promise<KObject | undefined> | KObject | undefined,
    opts: WriteOptions & { allowCreate?: boolean } = {}): Promise<{ obj: KObject; created: boolean }> {
    for (let attempt = 0; ; attempt++) {
      const kv = await this.backend.get(this.key(ns, name));
      const cur = kv ? this.decode(kv) : undefined;
      // mutate gets a copy of its own (decoding again is cheaper than a deep copy)
      const next = await mutate(kv ? this.decode(kv) : undefined);
      if (!cur) {
        if (!next) throw errors.notFound(this.gr, name);
        if (!opts.allowCreate) throw errors.notFound(this.gr, name);
        try {
          return { obj: await this.create(ns, next, opts), created: true };
        } catch (e) {
          if (e instanceof StatusError && e.reason === 'AlreadyExists' && attempt < 5) continue;
          throw e;
        }
      }
      if (!next) return { obj: cur, created: false };
      const res = await this.writeUpdate(ns, name, next, cur, kv!, opts);
      if (res) return { obj: res, created: false };
      if (attempt > 50) throw errors.conflict(this.gr, name, 'too many retries');
    }
  }

  /** PUT: optimistic concurrency on metadata.resourceVersion when given. */
  async update(ns: string | undefined, name: string, input: KObject, opts: WriteOptions & { allowCreate?: boolean } = {}): Promise<{ obj: KObject; created: boolean }> {
    const obj = clone(input);
    obj.metadata ??= {};
    if (obj.metadata.name && obj.metadata.name !== name) {
      throw errors.badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`);
    }
    if (this.resource.namespaced && obj.metadata.namespace && obj.metadata.namespace !== ns) {
      throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    obj.metadata.name = name;
    const wantRV = obj.metadata.resourceVersion;
    for (;;) {
      const kv = await this.backend.get(this.key(ns, name));
      if (!kv) {
        if (!opts.allowCreate || opts.subresource) throw errors.notFound(this.gr, name);
        return { obj: await this.create(ns, obj, opts), created: true };
      }
      const cur = this.decode(kv);
      if (wantRV && wantRV !== String(kv.modRevision)) {
        throw errors.conflict(this.gr, name, 'the object has been modified; please apply your changes to the latest version and try again');
      }
      const res = await this.writeUpdate(ns, name, clone(obj), cur, kv, opts);
      if (res) return { obj: res, created: false };
      if (wantRV) throw errors.conflict(this.gr, name, 'the object has been modified; please apply your changes to the latest version and try again');
    }
  }

  /** returns undefined when the CAS lost a race */
  private async writeUpdate(ns: string | undefined, name: string, obj: KObject, cur: KObject, kv: KeyValue, opts: WriteOptions): Promise<KObject | undefined> {
    const sub = opts.subresource ?? '';
    obj.metadata ??= {};
    obj.apiVersion = this.apiVersion;
    obj.kind = this.resource.kind;
    // metadata the client cannot change
    const m = obj.metadata;
    m.name = name;
    if (this.resource.namespaced) m.namespace = ns; else delete m.namespace;
    m.uid = cur.metadata.uid;
    m.creationTimestamp = cur.metadata.creationTimestamp;
    if (cur.metadata.deletionTimestamp) {
      m.deletionTimestamp = cur.metadata.deletionTimestamp;
      m.deletionGracePeriodSeconds = cur.metadata.deletionGracePeriodSeconds;
    } else {
      delete m.deletionTimestamp; delete m.deletionGracePeriodSeconds;
    }
    if (cur.metadata.generation !== undefined) m.generation = cur.metadata.generation; else delete m.generation;
    if (sub === 'binding') {
      // pods/binding: the handler changed spec.nodeName and the PodScheduled condition only
    } else if (sub === 'finalize') {
      // namespaces/finalize: only spec.finalizers changes
      const next = clone(cur);
      next.spec = { ...(next.spec ?? {}), finalizers: obj.spec?.finalizers ?? [] };
      obj = next;
    } else if (this.strategy.subresources?.[sub]) {
      obj = this.strategy.subresources[sub].prepare(obj, cur);
    } else if (sub === 'status') {
      // status strategy: only status changes
      if (this.strategy.prepareForStatusUpdate) {
        this.strategy.prepareForStatusUpdate(obj, cur);
      } else {
        const next: KObject = { ...clone(cur), status: obj.status };
        next.metadata = cur.metadata;
        obj = next;
      }
    } else {
      this.checkDecode(obj);
      this.strategy.defaults?.(obj);
      if (this.resource.subresources?.includes('status') && this.strategy.resetStatusOnUpdate !== false && cur.status !== undefined) {
        obj.status = clone(cur.status);
      }
      this.strategy.prepareForUpdate?.(obj, cur);
      // generation counts spec changes; bump unless the strategy already did
      if (obj.metadata.generation === cur.metadata.generation && cur.metadata.generation !== undefined && !deepEqual(cur.spec, obj.spec)) {
        obj.metadata.generation = cur.metadata.generation + 1;
      }
    }
    const errs = sub === 'finalize' || sub === 'binding' ? [] : this.strategy.subresources?.[sub] ? this.strategy.subresources[sub].validate(obj, cur) : sub === 'status'
      ? (this.strategy.validateStatusUpdate?.(obj, cur) ?? [])
      : [...(this.strategy.validate?.(obj) ?? []), ...(this.strategy.validateUpdate?.(obj, cur) ?? [])];
    if (errs.length) throw this.invalid(name, errs);
    if (this.hooks.beforeUpdate) await this.hooks.beforeUpdate(this.resource, obj, cur, opts);
    if (!opts.skipManagedFields) this.hooks.manageFields?.(obj, cur, opts.fieldManager ?? '', opts.managedSubresource ?? sub);
    delete obj.metadata.resourceVersion;
    const curNoRV = { ...cur, metadata: { ...cur.metadata } }; delete curNoRV.metadata.resourceVersion;
    if (deepEqual(curNoRV, obj)) {
      // no-op update: nothing written, resourceVersion unchanged (as upstream)
      return cur;
    }
    // an object being deleted whose finalizers are all gone is removed
    if (obj.metadata.deletionTimestamp && !(obj.metadata.finalizers?.length) && !this.pendingGrace(obj)) {
      if (opts.dryRun) return obj;
      const r = await this.backend.delete(this.key(ns, name), kv.modRevision);
      if (!r.ok) return undefined;
      this.hooks.afterWrite?.(this.resource, r.revision);
      obj.metadata.resourceVersion = String(r.revision);
      await this.hooks.afterDelete?.(this.resource, obj);
      return obj;
    }
    if (opts.dryRun) { obj.metadata.resourceVersion = cur.metadata.resourceVersion; return obj; }
    const r = await this.backend.update(this.key(ns, name), this.encode(obj), kv.modRevision);
    if (!r.ok) return undefined;
    this.hooks.afterWrite?.(this.resource, r.revision);
    obj.metadata.resourceVersion = String(r.revision);
    return obj;
  }

  /** namespaces wait for spec.finalizers; pods bound to a node wait for the kubelet */
  private pendingGrace(o: KObject): boolean {
    if (this.resource.group === '' && this.resource.plural === 'namespaces') return (o.spec?.finalizers?.length ?? 0) > 0;
    if (this.resource.group === '' && this.resource.plural === 'pods') return (o.metadata.deletionGracePeriodSeconds ?? 0) > 0;
    return false;
  }

  async delete(ns: string | undefined, name: string, opts: DeleteOptions = {}): Promise<{ obj: KObject; deleted: boolean }> {
    const forbidden = this.strategy.deleteForbidden?.(name);
    if (forbidden) throw errors.forbidden(this.gr, name, forbidden);
    for (;;) {
      const kv = await this.backend.get(this.key(ns, name));
      if (!kv) throw errors.notFound(this.gr, name);
      const cur = this.decode(kv);
      const pre = opts.preconditions;
      if (pre?.uid && pre.uid !== cur.metadata.uid) {
        throw errors.conflict(this.gr, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${cur.metadata.uid}`);
      }
      if (pre?.resourceVersion && pre.resourceVersion !== cur.metadata.resourceVersion) {
        throw errors.conflict(this.gr, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${cur.metadata.resourceVersion}`);
      }
      const next = clone(cur);
      const m = next.metadata;
      let fin = [...(m.finalizers ?? [])];
      const policy = opts.propagationPolicy;
      if (policy === 'Orphan') { fin = fin.filter((f) => f !== 'foregroundDeletion'); if (!fin.includes('orphan')) fin.push('orphan'); }
      if (policy === 'Foreground') { fin = fin.filter((f) => f !== 'orphan'); if (!fin.includes('foregroundDeletion')) fin.push('foregroundDeletion'); }
      if (policy === 'Background') fin = fin.filter((f) => f !== 'orphan' && f !== 'foregroundDeletion');
      // only add GC finalizers when there is something to orphan or wait for: upstream always adds them
      m.finalizers = fin.length ? fin : undefined;
      if (!m.finalizers) delete m.finalizers;
      // graceful deletion (pods): the period may only shrink; 0 means now
      const grace = this.graceSeconds(cur, opts.gracePeriodSeconds) ?? 0;
      const alreadyDeleting = !!cur.metadata.deletionTimestamp;
      if (!alreadyDeleting) {
        m.deletionTimestamp = nowRFC3339(new Date(Date.now() + grace * 1000));
        m.deletionGracePeriodSeconds = grace;
      } else if (grace < (cur.metadata.deletionGracePeriodSeconds ?? 0)) {
        m.deletionTimestamp = nowRFC3339(new Date(Date.now() + grace * 1000));
        m.deletionGracePeriodSeconds = grace;
      }
      if (this.resource.group === '' && this.resource.plural === 'namespaces') {
        next.status = { ...(next.status ?? {}), phase: 'Terminating' };
      }
      if (!alreadyDeleting) this.strategy.prepareForDelete?.(next);
      const mustWait = (m.finalizers?.length ?? 0) > 0 || this.pendingGrace(next);
      if (mustWait) {
        if (opts.dryRun) return { obj: next, deleted: false };
        if (deepEqual(next, cur)) return { obj: cur, deleted: false };
        const copy = clone(next); delete copy.metadata.resourceVersion;
        const r = await this.backend.update(this.key(ns, name), this.encode(copy), kv.modRevision);
        if (!r.ok) continue;
        this.hooks.afterWrite?.(this.resource, r.revision);
        copy.metadata.resourceVersion = String(r.revision);
        return { obj: copy, deleted: false };
      }
      if (opts.dryRun) return { obj: cur, deleted: true };
      const r = await this.backend.delete(this.key(ns, name), kv.modRevision);
      if (!r.ok) continue;
      this.hooks.afterWrite?.(this.resource, r.revision);
      cur.metadata.resourceVersion = String(r.revision);
      await this.hooks.afterDelete?.(this.resource, cur);
      return { obj: cur, deleted: true };
    }
  }

  /** grace period for graceful deletion (pods only); undefined = immediate */
  private graceSeconds(o: KObject, requested: number | undefined): number | undefined {
    if (!(this.resource.group === '' && this.resource.plural === 'pods')) return undefined;
    if (!o.spec?.nodeName) return undefined; // never scheduled: delete at once
    if (o.status?.phase === 'Succeeded' || o.status?.phase === 'Failed') return undefined;
    const g = requested ?? o.spec?.terminationGracePeriodSeconds ?? 30;
    return g > 0 ? g : undefined;
  }

  async deleteCollection(ns: string | undefined, listOpts: ListOptions, opts: DeleteOptions): Promise<KObject[]> {
    const { items } = await this.list(ns, { labelSelector: listOpts.labelSelector, fieldSelector: listOpts.fieldSelector });
    const out: KObject[] = [];
    for (const o of items) {
      try {
        out.push((await this.delete(o.metadata.namespace, o.metadata.name!, opts)).obj);
      } catch (e) {
        if (!(e instanceof StatusError && e.code === 404)) throw e;
      }
    }
    return out;
  }

  /**
   * Watch: initial ADDED events (for resourceVersion '' / '0' or sendInitialEvents), then every change after.
   * Resolves when the watch ends. Throws a 410 StatusError when the resourceVersion was compacted.
   */
  async watch(ns: string | undefined, opts: WatchOptions, sink: WatchSink): Promise<void> {
    const labelSel = parseLabelSelector(opts.labelSelector);
    const fieldSel = parseFieldSelector(opts.fieldSelector);
    this.checkFieldSelector(fieldSel);
    const keep = this.filter(labelSel, fieldSel);
    const rvStr = opts.resourceVersion ?? '';
    let start: number;
    await this.cache.start();
    const initial = rvStr === '' || rvStr === '0' || opts.sendInitialEvents === true;
    if (initial) {
      const page = await this.backend.list(this.prefix(ns), {});
      for (const kv of page.kvs) {
        const o = this.decode(kv);
        if (keep(o)) sink('ADDED', o, kv.modRevision);
      }
      start = page.revision + 1;
      if (opts.sendInitialEvents) {
        sink('BOOKMARK', { kind: this.resource.kind, apiVersion: this.apiVersion, metadata: { resourceVersion: String(page.revision), annotations: { 'k8s.io/initial-events-end': 'true' } } }, page.revision);
      }
    } else {
      const rv = Number(rvStr);
      if (!Number.isInteger(rv) || rv < 0) throw errors.badRequest(`invalid resource version: ${rvStr}`);
      start = rv + 1;
    }
    const prefix = this.prefix(ns);
    if (start >= this.cache.servableFrom()) {
      // served from the shared watch cache
      await new Promise<void>((resolve, reject) => {
        if (opts.signal.aborted) return resolve();
        const unsubscribe = this.cache.subscribe(prefix, start, (ev) => this.deliverCached(ev, keep, sink), (err) => {
          opts.signal.removeEventListener('abort', onAbort);
          if (err) reject(err); else resolve();
        });
        const onAbort = () => { unsubscribe(); resolve(); };
        opts.signal.addEventListener('abort', onAbort, { once: true });
      });
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const w = this.backend.watch(prefix, { startRevision: start, signal: opts.signal }, (evs: WatchEvent[]) => {
        for (const ev of evs) this.deliver(ev, keep, sink);
      });
      w.done.then(resolve, (e) => {
        if (e instanceof CompactedError) reject(new StatusError(410, 'Expired', `too old resource version: ${start - 1} (${e.compacted})`));
        else reject(e);
      });
    });
  }

  /**
   * For the API server's own views of its objects: lists (`relist` returns the list's
   * resourceVersion) and watches from there until `signal` aborts. When the watch ends (storage
   * restarted, watch cache reset, version expired) it lists and watches again, after a pause of
   * 100 ms doubling to 5 s. `listed`: the version of a list the caller already made.
   */
  async keepWatching(relist: () => Promise<string>, sink: WatchSink, signal: AbortSignal, opts: { listed?: string; log?: (m: string) => void } = {}): Promise<void> {
    let rv = opts.listed;
    let delay = 100;
    while (!signal.aborted) {
      try {
        rv ??= await relist();
        await this.watch(undefined, { resourceVersion: rv, signal }, sink);
        delay = 100;
      } catch (e) {
        if (!signal.aborted) opts.log?.(`${this.resource.plural}: watch ended: ${(e as Error)?.message ?? e}`);
      }
      rv = undefined;
      if (signal.aborted) return;
      await new Promise((r) => setTimeout(r, delay).unref());
      delay = Math.min(delay * 2, 5000);
    }
  }

  private deliverCached(ev: CachedEvent, keep: (o: KObject) => boolean, sink: WatchSink): void {
    if (ev.type === 'DELETE') { if (keep(ev.obj)) sink('DELETED', ev.obj, ev.rev); return; }
    const isNew = keep(ev.obj);
    if (!ev.prev) { if (isNew) sink('ADDED', ev.obj, ev.rev); return; }
    const wasOld = keep(ev.prev);
    if (isNew && wasOld) sink('MODIFIED', ev.obj, ev.rev);
    else if (isNew) sink('ADDED', ev.obj, ev.rev);
    else if (wasOld) sink('DELETED', ev.obj, ev.rev);
  }

  private deliver(ev: WatchEvent, keep: (o: KObject) => boolean, sink: WatchSink): void {
    const rev = ev.kv.modRevision;
    if (ev.type === 'DELETE') {
      const last = ev.prevKv ?? ev.kv;
      if (!last.value) return;
      const o = this.decode(last, rev);
      if (keep(o)) sink('DELETED', o, rev);
      return;
    }
    const o = this.decode(ev.kv);
    const isNew = keep(o);
    const prev = ev.prevKv?.value ? this.decode(ev.prevKv) : undefined;
    const wasOld = prev ? keep(prev) : false;
    if (!prev) { if (isNew) sink('ADDED', o, rev); return; }
    if (isNew && wasOld) sink('MODIFIED', o, rev);
    else if (isNew) sink('ADDED', o, rev);
    else if (wasOld) sink('DELETED', o, rev);
  }

  async currentRevision(): Promise<number> {
    return this.backend.currentRevision();
  }
}
