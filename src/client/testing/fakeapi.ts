// A small in-memory Kubernetes-shaped REST server over plain HTTP, for tests of clients,
// informers and controllers. It implements just the REST contract they rely on: CRUD with
// resourceVersion compare-and-swap, list with limit/continue, watch streams from a
// resourceVersion (410 Expired once compacted), bookmarks, status subresource, merge patch.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { errors, StatusError } from '../../api/status.js';
import type { KObject } from '../../api/types.js';

interface Loc { group: string; plural: string; namespace?: string; name?: string; sub?: string }
interface LogEntry { rv: number; type: 'ADDED' | 'MODIFIED' | 'DELETED'; coll: string; obj: KObject }
interface Watcher { coll: string; ns?: string; sel: Record<string, string | undefined>; res: http.ServerResponse; bookmarks: boolean }
export interface Recorded { method: string; path: string; query: URLSearchParams; contentType?: string; body?: any; headers: http.IncomingHttpHeaders }

function parsePath(p: string): Loc | undefined {
  const m = /^\/(?:api\/v1|apis\/([^/]+)\/[^/]+)\/(.*)$/.exec(p);
  if (!m) return undefined;
  let segs = m[2].split('/').filter(Boolean).map(decodeURIComponent);
  let namespace: string | undefined;
  if (segs[0] === 'namespaces' && segs.length >= 3 && !['status', 'finalize'].includes(segs[2])) {
    namespace = segs[1]; segs = segs.slice(2);
  }
  return { group: m[1] ?? '', plural: segs[0], namespace, name: segs[1], sub: segs[2] };
}

/** equality (k=v, k==v) and existence (k) requirements; undefined: the label must exist */
function parseSelector(s: string | null): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const part of (s ?? '').split(',').filter(Boolean)) { const [k, v] = part.split(/==?/); out[k] = v; }
  return out;
}

const matches = (o: KObject, ns: string | undefined, sel: Record<string, string | undefined>) =>
  (!ns || o.metadata.namespace === ns) && Object.entries(sel).every(([k, v]) => (v === undefined ? o.metadata.labels?.[k] !== undefined : o.metadata.labels?.[k] === v));

function mergePatch(target: any, patch: any): any {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out = target && typeof target === 'object' && !Array.isArray(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) { if (v === null) delete out[k]; else out[k] = mergePatch(out[k], v); }
  return out;
}

export class FakeApiServer {
  readonly objects = new Map<string, KObject>();   // "<coll>|<ns>|<name>" -> object
  readonly requests: Recorded[] = [];
  /** return a StatusError to fail a request before it is served */
  intercept?: (r: Recorded) => StatusError | undefined;
  private log: LogEntry[] = [];
  private rv = 100;
  private compactedRV = 0;
  private watchers = new Set<Watcher>();
  private server = http.createServer((req, res) => { this.handle(req, res).catch((e) => this.fail(res, e)); });
  private uid = 0;
  url = '';

  async start(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.closeWatches();
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }

  get resourceVersion(): string { return String(this.rv); }
  get watchCount(): number { return this.watchers.size; }

  /** ends every open watch stream (as the server's watch timeout does) */
  closeWatches(): void { for (const w of this.watchers) w.res.end(); this.watchers.clear(); }

  /** forgets history: watches from before now get 410 Expired */
  compact(): void { this.compactedRV = this.rv; this.log = []; }

  /** sends a BOOKMARK with the current resourceVersion to watchers that asked for them */
  bookmark(): void {
    for (const w of this.watchers) if (w.bookmarks) this.send(w, 'BOOKMARK', { kind: '', apiVersion: '', metadata: { resourceVersion: String(this.rv) } });
  }

  /** direct write (as another client would do), emitting watch events */
  put(coll: { group: string; plural: string }, obj: KObject): KObject {
    const c = `${coll.group}/${coll.plural}`;
    const k = `${c}|${obj.metadata.namespace ?? ''}|${obj.metadata.name}`;
    const existed = this.objects.has(k);
    return this.store(c, k, { ...obj, metadata: { uid: `uid-${++this.uid}`, ...obj.metadata } }, existed ? 'MODIFIED' : 'ADDED');
  }

  remove(coll: { group: string; plural: string }, namespace: string | undefined, name: string): void {
    const c = `${coll.group}/${coll.plural}`, k = `${c}|${namespace ?? ''}|${name}`;
    const o = this.objects.get(k);
    if (o) { this.objects.delete(k); this.emit(c, 'DELETED', { ...o, metadata: { ...o.metadata, resourceVersion: String(++this.rv) } }); }
  }

  private store(c: string, k: string, obj: KObject, type: 'ADDED' | 'MODIFIED'): KObject {
    const o = structuredClone(obj);
    o.metadata.resourceVersion = String(++this.rv);
    this.objects.set(k, o);
    this.emit(c, type, o);
    return o;
  }

  private emit(coll: string, type: LogEntry['type'], obj: KObject): void {
    this.log.push({ rv: Number(obj.metadata.resourceVersion), type, coll, obj });
    for (const w of this.watchers) if (w.coll === coll && matches(obj, w.ns, w.sel)) this.send(w, type, obj);
  }

  private send(w: Watcher, type: string, object: unknown): void { w.res.write(JSON.stringify({ type, object }) + '\n'); }

  private fail(res: http.ServerResponse, e: unknown): void {
    const se = e instanceof StatusError ? e : errors.internal(String(e));
    if (!res.headersSent) res.writeHead(se.code, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(se.toStatus()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url!, 'http://x');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c);
    const text = Buffer.concat(chunks).toString();
    const rec: Recorded = { method: req.method!, path: url.pathname, query: url.searchParams, contentType: req.headers['content-type'], headers: req.headers, body: text ? JSON.parse(text) : undefined };
    this.requests.push(rec);
    const injected = this.intercept?.(rec);
    if (injected) throw injected;
    const loc = parsePath(url.pathname);
    if (!loc) throw errors.notFound({ group: '', resource: '' }, url.pathname);
    const coll = `${loc.group}/${loc.plural}`;
    const gr = { group: loc.group, resource: loc.plural };
    const key = (name: string, ns = loc.namespace) => `${coll}|${ns ?? ''}|${name}`;
    const reply = (code: number, body: unknown) => { res.writeHead(code, { 'Content-Type': 'application/json' }); res.end(JSON.stringify(body)); };

    if (req.method === 'GET' && !loc.name) {
      if (url.searchParams.get('watch') === 'true') return this.watch(coll, loc.namespace, url.searchParams, res);
      const sel = parseSelector(url.searchParams.get('labelSelector'));
      let items = [...this.objects.entries()].filter(([k, o]) => k.startsWith(coll + '|') && matches(o, loc.namespace, sel)).sort(([a], [b]) => a < b ? -1 : 1);
      const cont = url.searchParams.get('continue');
      if (cont) items = items.filter(([k]) => k > Buffer.from(cont, 'base64').toString());
      const limit = Number(url.searchParams.get('limit') ?? 0);
      let next: string | undefined;
      if (limit && items.length > limit) { items = items.slice(0, limit); next = Buffer.from(items[items.length - 1][0]).toString('base64'); }
      return reply(200, { kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: String(this.rv), ...(next ? { continue: next } : {}) }, items: items.map(([, o]) => o) });
    }
    if (req.method === 'POST' && !loc.name) {
      const obj = rec.body as KObject;
      obj.metadata ??= {};
      if (!obj.metadata.name && obj.metadata.generateName) obj.metadata.name = obj.metadata.generateName + (++this.uid).toString(36);
      if (loc.namespace) obj.metadata.namespace = loc.namespace;
      const k = key(obj.metadata.name!);
      if (this.objects.has(k)) throw errors.alreadyExists(gr, obj.metadata.name!);
      obj.metadata.uid = `uid-${++this.uid}`;
      obj.metadata.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      return reply(201, this.store(coll, k, obj, 'ADDED'));
    }
    if (!loc.name) throw errors.methodNotAllowed(`method ${req.method} not allowed`);
    const k = key(loc.name);
    const cur = this.objects.get(k);
    if (!cur) throw errors.notFound(gr, loc.name);
    if (req.method === 'GET') return reply(200, cur);
    if (req.method === 'PUT') {
      const obj = rec.body as KObject;
      const want = obj.metadata?.resourceVersion;
      if (want && want !== cur.metadata.resourceVersion) throw errors.conflict(gr, loc.name, 'the object has been modified; please apply your changes to the latest version and try again');
      const next = loc.sub === 'status' ? { ...cur, status: obj.status } : { ...obj, status: cur.status, metadata: { ...obj.metadata, uid: cur.metadata.uid, namespace: cur.metadata.namespace, creationTimestamp: cur.metadata.creationTimestamp } };
      return reply(200, this.store(coll, k, next, 'MODIFIED'));
    }
    if (req.method === 'PATCH') {
      const next = mergePatch(cur, rec.body);
      next.metadata.resourceVersion = cur.metadata.resourceVersion;
      return reply(200, this.store(coll, k, next, 'MODIFIED'));
    }
    if (req.method === 'DELETE') {
      const pre = rec.body?.preconditions;
      if (pre?.resourceVersion && pre.resourceVersion !== cur.metadata.resourceVersion) throw errors.conflict(gr, loc.name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${cur.metadata.resourceVersion}`);
      this.objects.delete(k);
      const gone = { ...cur, metadata: { ...cur.metadata, resourceVersion: String(++this.rv) } };
      this.emit(coll, 'DELETED', gone);
      return reply(200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name: loc.name, group: loc.group, kind: loc.plural, uid: cur.metadata.uid } });
    }
    throw errors.methodNotAllowed(`method ${req.method} not allowed`);
  }

  private watch(coll: string, ns: string | undefined, q: URLSearchParams, res: http.ServerResponse): void {
    const rvParam = q.get('resourceVersion') ?? '';
    const sel = parseSelector(q.get('labelSelector'));
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    const w: Watcher = { coll, ns, sel, res, bookmarks: q.get('allowWatchBookmarks') === 'true' };
    if (rvParam === '' || rvParam === '0') {
      for (const [k, o] of this.objects) if (k.startsWith(coll + '|') && matches(o, ns, sel)) this.send(w, 'ADDED', o);
    } else {
      const from = Number(rvParam);
      if (from < this.compactedRV) {
        this.send(w, 'ERROR', errors.gone(`too old resource version: ${from} (${this.compactedRV})`).toStatus());
        res.end();
        return;
      }
      for (const e of this.log) if (e.rv > from && e.coll === coll && matches(e.obj, ns, sel)) this.send(w, e.type, e.obj);
    }
    this.watchers.add(w);
    const t = q.get('timeoutSeconds') ? setTimeout(() => { this.watchers.delete(w); res.end(); }, Number(q.get('timeoutSeconds')) * 1000) : undefined;
    res.on('close', () => { clearTimeout(t); this.watchers.delete(w); });
  }
}
