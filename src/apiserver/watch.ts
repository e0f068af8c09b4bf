// Streams a watch as newline-delimited JSON events, with bookmarks and timeoutSeconds.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StatusError } from '../api/status.js';
import type { KObject } from '../api/types.js';
import type { Store, WatchEventType } from './registry/store.js';
import { toTable } from './table/index.js';
import { queryBool } from './http.js';

const bookmarkEveryMs = 5000;

/** event objects are shared by all watchers of a resource: serialize each once */
const serialized = new WeakMap<object, string>();
function jsonOf(o: object): string {
  let s = serialized.get(o);
  if (s === undefined) { s = JSON.stringify(o); serialized.set(o, s); }
  return s;
}
const defaultTimeoutSeconds = 1800;

export async function serveWatch(req: IncomingMessage, res: ServerResponse, store: Store, ns: string | undefined, q: URLSearchParams, asTable: boolean): Promise<void> {
  const ac = new AbortController();
  const end = () => ac.abort();
  req.on('close', end);
  res.on('close', end);
  const t = Number(q.get('timeoutSeconds') ?? 0);
  const timeout = setTimeout(end, (t > 0 ? t : defaultTimeoutSeconds * (1 + Math.random())) * 1000);
  const bookmarks = queryBool(q, 'allowWatchBookmarks');
  let lastRV = 0;
  let started = false;
  const start = () => {
    if (started) return;
    started = true;
    res.writeHead(200, { 'Content-Type': asTable ? 'application/json;as=Table;v=v1;g=meta.k8s.io' : 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
    res.flushHeaders();
  };
  let firstTable = true;
  const write = (type: WatchEventType, obj: KObject | object, rv: number) => {
    start();
    if (rv > lastRV) lastRV = rv;
    let out: object = obj;
    if (asTable && type !== 'BOOKMARK' && type !== 'ERROR') {
      out = toTable(store.resource, [obj as KObject], { includeObject: (q.get('includeObject') as any) || 'Metadata', omitHeaders: !firstTable } as any);
      firstTable = false;
    }
    res.write(`{"type":"${type}","object":${out === obj ? jsonOf(out) : JSON.stringify(out)}}\n`);
  };
  const timer = bookmarks ? setInterval(() => {
    if (!lastRV) return;
    write('BOOKMARK', { kind: store.resource.kind, apiVersion: store.apiVersion, metadata: { resourceVersion: String(lastRV) } }, lastRV);
  }, bookmarkEveryMs) : undefined;
  try {
    const sendInitial = queryBool(q, 'sendInitialEvents') ? 'true' : '';
    if (sendInitial === 'true' && q.get('resourceVersionMatch') !== 'NotOlderThan') {
      throw new StatusError(422, 'Invalid', 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan');
    }
    store.checkSelectors(q.get('labelSelector') ?? undefined, q.get('fieldSelector') ?? undefined);
    // a watch starting "now" still needs a resourceVersion to bookmark from
    lastRV = await store.currentRevision();
    start();
    await store.watch(ns, {
      labelSelector: q.get('labelSelector') ?? undefined,
      fieldSelector: q.get('fieldSelector') ?? undefined,
      resourceVersion: sendInitial === 'true' ? '' : (q.get('resourceVersion') ?? ''),
      sendInitialEvents: sendInitial === 'true',
      signal: ac.signal,
    }, write);
  } catch (e) {
    if (e instanceof StatusError) {
      if (!res.headersSent && e.code !== 410) {
        clearTimeout(timeout); if (timer) clearInterval(timer);
        res.writeHead(e.code, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(e.toStatus()));
        return;
      }
      start();
      res.write(JSON.stringify({ type: 'ERROR', object: e.toStatus() }) + '\n');
    } else if (!ac.signal.aborted) {
      console.error('apiserver: watch error:', e);
    }
  } finally {
    clearTimeout(timeout);
    if (timer) clearInterval(timer);
    req.off('close', end);
    if (!res.writableEnded) res.end();
  }
}
