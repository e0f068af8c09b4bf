// Shared fixture for controller unit tests: the fake API server, a client and a static discovery.
import { setMaxListeners } from 'node:events';
import { RestClient, SharedInformerFactory } from '../client/index.js';
import { FakeApiServer } from '../client/testing/fakeapi.js';
import type { APIResource } from './discovery.js';

const all = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
export const res = {
  namespaces: { group: '', version: 'v1', plural: 'namespaces', namespaced: false, kind: 'Namespace', verbs: all },
  configmaps: { group: '', version: 'v1', plural: 'configmaps', namespaced: true, kind: 'ConfigMap', verbs: all },
  secrets: { group: '', version: 'v1', plural: 'secrets', namespaced: true, kind: 'Secret', verbs: all },
  pods: { group: '', version: 'v1', plural: 'pods', namespaced: true, kind: 'Pod', verbs: all },
  serviceaccounts: { group: '', version: 'v1', plural: 'serviceaccounts', namespaced: true, kind: 'ServiceAccount', verbs: all },
  deployments: { group: 'apps', version: 'v1', plural: 'deployments', namespaced: true, kind: 'Deployment', verbs: all },
  widgets: { group: 'example.com', version: 'v1', plural: 'widgets', namespaced: true, kind: 'Widget', verbs: all },
  nodes: { group: '', version: 'v1', plural: 'nodes', namespaced: false, kind: 'Node', verbs: all },
  bindings: { group: '', version: 'v1', plural: 'bindings', namespaced: true, kind: 'Binding', verbs: ['create'] },
} satisfies Record<string, APIResource>;

export interface Fixture { srv: FakeApiServer; client: RestClient; informers: SharedInformerFactory; ac: AbortController; close(): Promise<void> }

export async function fixture(): Promise<Fixture> {
  const srv = new FakeApiServer();
  const client = new RestClient({ server: await srv.start() });
  const informers = new SharedInformerFactory(client, { backoffMs: [10, 50] });
  const ac = new AbortController();
  setMaxListeners(0, ac.signal);
  return { srv, client, informers, ac, async close() { ac.abort(); await informers.stop(); client.close(); await srv.stop(); } };
}

export async function eventually(what: string, f: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) { if (f()) return; await new Promise((r) => setTimeout(r, 10)); }
  throw new Error(`timed out waiting for ${what}`);
}
