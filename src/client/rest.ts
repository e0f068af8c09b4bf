// RestClient: the Kubernetes REST API over HTTP(S), as client-go's rest + dynamic clients.
import http from 'node:http';
import https from 'node:https';
import { createSecureContext } from 'node:tls';
import type { KObject } from '../api/types.js';
import { statusErrorFromResponse } from './errors.js';
import { jsonObjects } from './jsonstream.js';
import { inClusterConfig, loadKubeconfig, type ClientConfig } from './kubeconfig.js';
import { resourcePath, type ResourceRef } from './resource.js';

export type { ClientConfig } from './kubeconfig.js';
export type { ResourceRef } from './resource.js';

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  contentType?: string;
  accept?: string;
  query?: Query;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface ClientOptions extends ClientConfig {
  userAgent?: string;
  /** sockets per host for ordinary requests (watches get their own connections) */
  maxSockets?: number;
}

export interface KList<T = KObject> {
  apiVersion?: string; kind?: string;
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  items: T[];
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
export interface WatchEvent<T = KObject> { type: WatchEventType; object: T }

export interface ListOptions {
  namespace?: string; labelSelector?: string; fieldSelector?: string;
  limit?: number; continue?: string; resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan'; signal?: AbortSignal;
}
export interface WatchOptions {
  namespace?: string; resourceVersion?: string; labelSelector?: string; fieldSelector?: string;
  allowWatchBookmarks?: boolean; timeoutSeconds?: number; signal?: AbortSignal;
}
export interface WriteOptions { namespace?: string; fieldManager?: string; dryRun?: boolean; signal?: AbortSignal }
export type PatchType = 'merge' | 'strategic' | 'json' | 'apply';
export interface PatchOptions extends WriteOptions {
  patch: unknown;
  /** default 'merge' */
  type?: PatchType;
  /** server-side apply only: take ownership of conflicting fields */
  force?: boolean;
  subresource?: string;
}
export interface DeleteOptions {
  namespace?: string;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean; signal?: AbortSignal;
}

export const patchContentTypes: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
  apply: 'application/apply-patch+yaml',
};

interface RawResponse { status: number; headers: http.IncomingHttpHeaders; body: string }

export class RestClient {
  readonly server: URL;
  /** the kubeconfig context's namespace, if any */
  readonly namespace?: string;
  private readonly mod: typeof http | typeof https;
  private readonly agent: http.Agent;
  private readonly watchAgent: http.Agent;
  private readonly headers: Record<string, string>;

  constructor(opts: ClientOptions) {
    this.server = new URL(opts.server);
    this.namespace = opts.namespace;
    const secure = this.server.protocol === 'https:';
    if (!secure && this.server.protocol !== 'http:') throw new Error(`unsupported server URL ${opts.server}`);
    this.mod = secure ? https : http;
    // one TLS context for every connection (given only ca/cert/key, each connection parses them anew)
    const tls = secure ? {
      ca: opts.ca, cert: opts.cert, key: opts.key,
      secureContext: createSecureContext({ ca: opts.ca, cert: opts.cert, key: opts.key }),
      rejectUnauthorized: !opts.insecureSkipTLSVerify,
      servername: opts.tlsServerName,
    } : {};
    const Agent = secure ? https.Agent : http.Agent;
    this.agent = new Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 100, ...tls });
    // a watch holds its connection for minutes: separate pool, no keep-alive, no socket limit
    this.watchAgent = new Agent({ keepAlive: false, ...tls });
    this.headers = { 'User-Agent': opts.userAgent ?? `k8ts/0.1.0 (${process.platform}/${process.arch})` };
    if (opts.token) this.headers.Authorization = `Bearer ${opts.token}`;
  }

  static fromKubeconfig(path: string, opts: { context?: string; userAgent?: string; maxSockets?: number } = {}): RestClient {
    return new RestClient({ ...loadKubeconfig(path, opts), userAgent: opts.userAgent, maxSockets: opts.maxSockets });
  }

  static inCluster(opts: { userAgent?: string } = {}): RestClient {
    return new RestClient({ ...inClusterConfig(), ...opts });
  }

  /** closes idle keep-alive sockets */
  close(): void { this.agent.destroy(); this.watchAgent.destroy(); }

  // ---- generic ----

  /** A request; the JSON (or text) body of a 2xx response, else throws StatusError. */
  async request<T = any>(method: string, path: string, body?: unknown, opts: RequestOptions = {}): Promise<T> {
    const res = await this.raw(method, path, body, opts);
    if (res.status < 200 || res.status > 299) throw statusErrorFromResponse(res.status, res.body);
    const ct = String(res.headers['content-type'] ?? '');
    if (!res.body) return undefined as T;
    return (ct.includes('json') || (!ct && /^\s*[[{]/.test(res.body)) ? JSON.parse(res.body) : res.body) as T;
  }

  /** Opens a streaming response (watch, logs). Non-2xx responses throw StatusError. */
  async stream(method: string, path: string, opts: RequestOptions = {}): Promise<http.IncomingMessage> {
    const req = this.start(method, path, undefined, opts, this.watchAgent);
    const res = await response(req);
    if (res.statusCode! < 200 || res.statusCode! > 299) throw statusErrorFromResponse(res.statusCode!, await readBody(res));
    return res;
  }

  private async raw(method: string, path: string, body: unknown, opts: RequestOptions): Promise<RawResponse> {
    const req = this.start(method, path, body, opts, this.agent);
    const res = await response(req);
    return { status: res.statusCode!, headers: res.headers, body: await readBody(res) };
  }

  private start(method: string, path: string, body: unknown, opts: RequestOptions, agent: http.Agent): http.ClientRequest {
    const url = new URL(path, this.server);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { Accept: opts.accept ?? 'application/json', ...this.headers, ...opts.headers };
    let data: string | Buffer | undefined;
    if (body !== undefined) {
      data = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
      headers['Content-Type'] = opts.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(data));
    }
    const req = this.mod.request(url, { method, headers, agent, signal: opts.signal });
    req.end(data);
    return req;
  }

  // ---- typed helpers over a resource ----

  get<T = KObject>(r: ResourceRef, name: string, opts: { namespace?: string; signal?: AbortSignal } = {}): Promise<T> {
    return this.request<T>('GET', resourcePath(r, { namespace: opts.namespace, name }), undefined, { signal: opts.signal });
  }

  list<T = KObject>(r: ResourceRef, opts: ListOptions = {}): Promise<KList<T>> {
    const { namespace, signal, ...q } = opts;
    return this.request<KList<T>>('GET', resourcePath(r, { namespace }), undefined, { query: q as Query, signal });
  }

  create<T extends KObject = KObject>(r: ResourceRef, obj: NoInfer<T>, opts: WriteOptions = {}): Promise<T> {
    const namespace = opts.namespace ?? obj.metadata?.namespace;
    return this.request<T>('POST', resourcePath(r, { namespace }), obj, writeOpts(opts));
  }

  /** PUT; send metadata.resourceVersion for an optimistic-concurrency update (409 Conflict if stale) */
  update<T extends KObject = KObject>(r: ResourceRef, obj: NoInfer<T>, opts: WriteOptions = {}): Promise<T> {
    return this.put(r, obj, undefined, opts);
  }

  updateStatus<T extends KObject = KObject>(r: ResourceRef, obj: NoInfer<T>, opts: WriteOptions = {}): Promise<T> {
    return this.put(r, obj, 'status', opts);
  }

  private put<T extends KObject>(r: ResourceRef, obj: T, subresource: string | undefined, opts: WriteOptions): Promise<T> {
    const namespace = opts.namespace ?? obj.metadata?.namespace;
    const path = resourcePath(r, { namespace, name: obj.metadata?.name ?? '', subresource });
    return this.request<T>('PUT', path, obj, writeOpts(opts));
  }

  patch<T = KObject>(r: ResourceRef, name: string, opts: PatchOptions): Promise<T> {
    const type = opts.type ?? 'merge';
    const ro = writeOpts(opts);
    ro.contentType = patchContentTypes[type];
    if (type === 'apply') {
      if (!opts.fieldManager) throw new Error('fieldManager is required for apply patches');
      if (opts.force) ro.query!.force = true;
    }
    const path = resourcePath(r, { namespace: opts.namespace, name, subresource: opts.subresource });
    return this.request<T>('PATCH', path, opts.patch, ro);
  }

  /** DELETE; returns the object (graceful or finalizer-held deletion) or a Success Status */
  delete<T = KObject>(r: ResourceRef, name: string, opts: DeleteOptions = {}): Promise<T> {
    return this.request<T>('DELETE', resourcePath(r, { namespace: opts.namespace, name }), deleteBody(opts),
      { query: { dryRun: opts.dryRun ? 'All' : undefined }, signal: opts.signal });
  }

  deleteCollection<T = KObject>(r: ResourceRef, opts: DeleteOptions & { labelSelector?: string; fieldSelector?: string } = {}): Promise<KList<T>> {
    return this.request('DELETE', resourcePath(r, { namespace: opts.namespace }), deleteBody(opts), {
      query: { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector, dryRun: opts.dryRun ? 'All' : undefined },
      signal: opts.signal,
    });
  }

  /**
   * Watch events, parsed from the chunked JSON stream. Iteration throws StatusError when the server
   * refuses the watch (e.g. 410 Expired), ends when the server closes the stream or the signal aborts.
   * ERROR events (a Status object, e.g. 410 "too old resource version") are yielded as they come.
   */
  async *watch<T = KObject>(r: ResourceRef, opts: WatchOptions = {}): AsyncGenerator<WatchEvent<T>> {
    const { namespace, signal, allowWatchBookmarks, ...q } = opts;
    const query: Query = { ...q, watch: true, allowWatchBookmarks: allowWatchBookmarks || undefined };
    if (signal?.aborted) return;
    let res: http.IncomingMessage;
    try {
      res = await this.stream('GET', resourcePath(r, { namespace }), { query, signal });
    } catch (e) {
      if (signal?.aborted) return;
      throw e;
    }
    try {
      for await (const ev of jsonObjects(res)) yield ev as WatchEvent<T>;
    } catch (e) {
      if (signal?.aborted) return;
      throw e;
    } finally {
      res.destroy();
    }
  }
}

function writeOpts(o: WriteOptions): RequestOptions & { query: Query } {
  return { query: { fieldManager: o.fieldManager, dryRun: o.dryRun ? 'All' : undefined }, signal: o.signal };
}

function deleteBody(o: DeleteOptions): Record<string, unknown> | undefined {
  const b: Record<string, unknown> = {};
  if (o.propagationPolicy) b.propagationPolicy = o.propagationPolicy;
  if (o.gracePeriodSeconds !== undefined) b.gracePeriodSeconds = o.gracePeriodSeconds;
  if (o.preconditions) b.preconditions = o.preconditions;
  return Object.keys(b).length ? { kind: 'DeleteOptions', apiVersion: 'v1', ...b } : undefined;
}

function response(req: http.ClientRequest): Promise<http.IncomingMessage> {
  // the error listener stays: a late error (abort mid-body) must not become an uncaught exception
  return new Promise((resolve, reject) => { req.once('response', resolve); req.on('error', reject); });
}

async function readBody(res: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
