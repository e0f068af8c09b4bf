import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { RestClient } from '../client/index.js';
import { RestMapper, ServerDiscovery } from './discovery.js';

const legacyDocs: Record<string, object> = {
  '/api': { kind: 'APIVersions', versions: ['v1'] },
  '/api/v1': { kind: 'APIResourceList', groupVersion: 'v1', resources: [
    { name: 'configmaps', namespaced: true, kind: 'ConfigMap', verbs: ['create', 'delete', 'list', 'watch'] },
    { name: 'pods/status', namespaced: true, kind: 'Pod', verbs: ['get'] },
    { name: 'namespaces', namespaced: false, kind: 'Namespace', verbs: ['list'] },
  ] },
  '/apis': { kind: 'APIGroupList', groups: [{ name: 'example.com', versions: [{ groupVersion: 'example.com/v1beta1', version: 'v1beta1' }, { groupVersion: 'example.com/v1', version: 'v1' }], preferredVersion: { groupVersion: 'example.com/v1', version: 'v1' } },
    { name: 'broken.io', versions: [{ groupVersion: 'broken.io/v1', version: 'v1' }], preferredVersion: { version: 'v1' } }] },
  '/apis/example.com/v1': { kind: 'APIResourceList', resources: [{ name: 'widgets', namespaced: true, kind: 'Widget', verbs: ['delete'] }] },
  '/apis/example.com/v1beta1': { kind: 'APIResourceList', resources: [{ name: 'widgets', namespaced: true, kind: 'Widget', verbs: ['get'] }, { name: 'gizmos', namespaced: true, kind: 'Gizmo', verbs: ['list'] }] },
};

const aggregated = {
  '/api': { kind: 'APIGroupDiscoveryList', items: [{ metadata: { name: '' }, versions: [{ version: 'v1', resources: [
    { resource: 'configmaps', responseKind: { group: '', version: 'v1', kind: 'ConfigMap' }, scope: 'Namespaced', verbs: ['delete', 'list'] },
  ] }] }] },
  '/apis': { kind: 'APIGroupDiscoveryList', items: [{ metadata: { name: 'apps' }, versions: [
    { version: 'v1', resources: [{ resource: 'deployments', responseKind: { group: 'apps', version: 'v1', kind: 'Deployment' }, scope: 'Namespaced', verbs: ['list'] }] },
    { version: 'v1beta1', resources: [{ resource: 'deployments', responseKind: { group: 'apps', version: 'v1beta1', kind: 'Deployment' }, scope: 'Namespaced', verbs: [] }] },
  ] }] },
};

async function serve(handler: http.RequestListener): Promise<{ client: RestClient; seen: string[]; close(): Promise<void> }> {
  const seen: string[] = [];
  const srv = http.createServer((req, res) => { seen.push(`${req.url} ${req.headers.accept}`); handler(req, res); });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const client = new RestClient({ server: `http://127.0.0.1:${(srv.address() as AddressInfo).port}` });
  return { client, seen, close: async () => { client.close(); srv.closeAllConnections(); await new Promise((r) => srv.close(r)); } };
}

const send = (res: http.ServerResponse, code: number, body: object) => { res.writeHead(code, { 'Content-Type': 'application/json' }); res.end(JSON.stringify(body)); };

test('aggregated discovery: one request each for /api and /apis, preferred version first', async () => {
  const s = await serve((req, res) => {
    const doc = (aggregated as Record<string, object>)[req.url!];
    if (doc && /as=APIGroupDiscoveryList/.test(req.headers.accept ?? '')) send(res, 200, doc); else send(res, 404, {});
  });
  try {
    const { resources, failed } = await new ServerDiscovery(s.client).discover();
    assert.equal(failed.size, 0);
    assert.deepEqual(resources.map((r) => `${r.group}/${r.version}/${r.plural} ${r.namespaced} ${r.kind}`), ['/v1/configmaps true ConfigMap', 'apps/v1/deployments true Deployment']);
    assert.equal(s.seen.length, 2);
  } finally { await s.close(); }
});

test('legacy discovery fallback: subresources skipped, preferred version wins, failed groups reported', async () => {
  const s = await serve((req, res) => {
    if (/as=APIGroupDiscoveryList/.test(req.headers.accept ?? '') && !/application\/json(,|$)/.test(req.headers.accept ?? '')) return send(res, 406, {});
    if (req.url === '/apis/broken.io/v1') return send(res, 503, { kind: 'Status', code: 503, reason: 'ServiceUnavailable', message: 'the server is currently unable to handle the request' });
    const doc = legacyDocs[req.url!];
    return doc ? send(res, 200, doc) : send(res, 404, {});
  });
  try {
    const d = await new ServerDiscovery(s.client).discover();
    assert.deepEqual(d.resources.map((r) => `${r.group}/${r.version}/${r.plural} [${r.verbs}]`).sort(), [
      '/v1/configmaps [create,delete,list,watch]', '/v1/namespaces [list]', 'example.com/v1/widgets [delete]', 'example.com/v1beta1/gizmos [list]',
    ]);
    assert.deepEqual([...d.failed.keys()], ['broken.io/v1']);
    const m = new RestMapper(d.resources);
    assert.equal(m.forKind('example.com/v1beta1', 'Widget')?.version, 'v1');
    assert.equal(m.forKind('v1', 'ConfigMap')?.plural, 'configmaps');
    assert.equal(m.forKind('apps/v1', 'ConfigMap'), undefined);
  } finally { await s.close(); }
});
