// Watches are served from the resource's shared watch cache, not by a storage watch each: also the
// watch an informer opens from the version of its list when other resources were written in between
// (revisions are global, so the storage revision has moved past the list's by then).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { MemoryBackend } from '../storage/memory.js';
import type { WatchCallback, WatchOptions, Watcher } from '../storage/backend.js';
import type { ApiServer } from './server.js';
import { jsonRequest, startTestApi } from './testing/server.js';

/** a memory backend that counts the storage watches opened per key prefix */
class CountingBackend extends MemoryBackend {
  readonly watches: string[] = [];
  override watch(prefix: string, opts: WatchOptions, cb: WatchCallback): Watcher {
    this.watches.push(prefix);
    return super.watch(prefix, opts, cb);
  }
}

const backend = new CountingBackend();
let api: ApiServer;

before(async () => { api = await startTestApi(backend); });
after(async () => { await api.stop(); await backend.close(); });

const req = (method: string, path: string, body?: unknown) => jsonRequest(api, method, path, body);

/** opens a watch; resolves with the events seen until `until` says stop */
function watch(path: string, until: (events: any[]) => boolean): { events: Promise<any[]>; opened: Promise<void> } {
  let opened!: () => void;
  const o = new Promise<void>((r) => { opened = r; });
  const events = new Promise<any[]>((resolve, reject) => {
    const seen: any[] = [];
    const r = http.get(api.url() + path, (res) => {
      opened();
      let buf = '';
      res.on('data', (d) => {
        buf += d;
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          seen.push(JSON.parse(buf.slice(0, i)));
          buf = buf.slice(i + 1);
          if (until(seen)) { r.destroy(); resolve(seen); return; }
        }
      });
    });
    r.on('error', (e) => { if (!r.destroyed) reject(e); });
    setTimeout(() => { r.destroy(); reject(new Error(`no event in time on ${path}: ${JSON.stringify(seen)}`)); }, 5000).unref();
  });
  return { events, opened: o };
}

const cm = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } });
const pod = (name: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
const podWatches = () => backend.watches.filter((p) => p.includes('/pods/')).length;

test('watches from a list\'s version share the watch cache even after other resources were written', async () => {
  assert.equal(podWatches(), 0);
  for (let i = 0; i < 3; i++) assert.equal((await req('POST', '/api/v1/namespaces/default/configmaps', cm(`before-${i}`))).status, 201);
  const list = await req('GET', '/api/v1/namespaces/default/pods');
  assert.equal(list.status, 200);
  const rv = list.json.metadata.resourceVersion;
  // the global revision moves past the list's
  for (let i = 0; i < 3; i++) assert.equal((await req('POST', '/api/v1/namespaces/default/configmaps', cm(`after-${i}`))).status, 201);
  const added = (evs: any[]) => evs.some((e) => e.type === 'ADDED' && e.object.metadata.name === 'w1');
  const watchers = [0, 1, 2].map(() => watch(`/api/v1/namespaces/default/pods?watch=true&resourceVersion=${rv}`, added));
  await Promise.all(watchers.map((w) => w.opened));
  assert.equal((await req('POST', '/api/v1/namespaces/default/pods', pod('w1'))).status, 201);
  for (const w of watchers) {
    const evs = await w.events;
    assert.deepEqual(evs.map((e) => `${e.type} ${e.object.metadata.name}`), ['ADDED w1']);
  }
  assert.equal(podWatches(), 1, `storage watches on pods: ${podWatches()} (the watch cache's only)`);
});
