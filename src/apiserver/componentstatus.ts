// v1 ComponentStatus (deprecated upstream since 1.19, still in tutorials: `kubectl get cs`): a
// read-only list the API server makes up on each request. The scheduler and controller-manager are
// healthy while their leader Lease is renewed; etcd-0 is the datastore answering a read.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StatusError } from '../api/status.js';
import type { KObject, ResourceInfo } from '../api/types.js';
import type { Registry } from './registry/registry.js';
import type { Backend } from '../storage/backend.js';
import { sendJSON } from './http.js';
import { toTable } from './table/index.js';

export const componentStatusPath = /^\/api\/v1\/componentstatuses(?:\/([^/]+))?\/?$/;

export const componentStatusResources: ResourceInfo[] = [
  { group: '', version: 'v1', kind: 'ComponentStatus', plural: 'componentstatuses', singular: 'componentstatus', namespaced: false, shortNames: ['cs'], verbs: ['get', 'list'] },
];

const status = (name: string, healthy: boolean, message: string, error?: string): KObject => ({
  kind: 'ComponentStatus', apiVersion: 'v1', metadata: { name },
  conditions: [{ type: 'Healthy', status: healthy ? 'True' : 'False', ...(healthy ? { message } : { error: error ?? message }) }],
});

async function leaseStatus(registry: Registry, component: string, lease: string): Promise<KObject> {
  const l = await registry.find('coordination.k8s.io', 'leases')?.tryGet('kube-system', lease);
  const renewed = Date.parse(l?.spec?.renewTime ?? '');
  const fresh = Number.isFinite(renewed) && Date.now() - renewed < (l?.spec?.leaseDurationSeconds ?? 15) * 1000 * 2;
  return fresh ? status(component, true, 'ok') : status(component, false, '', `no ${component} has renewed the kube-system/${lease} Lease recently`);
}

export async function handleComponentStatus(req: IncomingMessage, res: ServerResponse, m: RegExpExecArray, deps: { registry: Registry; backend: Backend }): Promise<void> {
  if ((req.method ?? 'GET') !== 'GET') throw new StatusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
  res.setHeader('Warning', '299 - "v1 ComponentStatus is deprecated in v1.19+"');
  const etcd = await Promise.race([
    deps.backend.get('/registry/health').then(() => status('etcd-0', true, 'ok'), (e: unknown) => status('etcd-0', false, '', e instanceof Error ? e.message : String(e))),
    new Promise<KObject>((r) => { setTimeout(() => r(status('etcd-0', false, '', 'timed out')), 2000).unref(); }),
  ]);
  const all = [await leaseStatus(deps.registry, 'controller-manager', 'kube-controller-manager'), await leaseStatus(deps.registry, 'scheduler', 'kube-scheduler'), etcd];
  const items = m[1] ? all.filter((c) => c.metadata.name === m[1]) : all;
  if (m[1] && !items.length) throw new StatusError(404, 'NotFound', `componentstatus "${m[1]}" not found`, { name: m[1], kind: 'componentstatus' });
  if (/as=Table/.test(req.headers.accept ?? '')) return sendJSON(res, 200, toTable(componentStatusResources[0], items), 'application/json;as=Table;v=v1;g=meta.k8s.io');
  if (m[1]) return sendJSON(res, 200, items[0]);
  sendJSON(res, 200, { kind: 'ComponentStatusList', apiVersion: 'v1', metadata: {}, items });
}
