// For tests of the API server over real HTTP: a server on a free port over the given backend, with
// the objects a cluster starts with, and plain JSON requests to it.
import type { Backend } from '../../storage/backend.js';
import { ApiServer, type ApiServerOptions } from '../server.js';
import { bootstrap } from '../bootstrap.js';

export async function startTestApi(backend: Backend, opts: Partial<ApiServerOptions> = {}): Promise<ApiServer> {
  const api = new ApiServer({ backend, port: 0, compactionIntervalMs: 3_600_000, ...opts });
  await api.start();
  await bootstrap(api.registry, { serviceIP: '10.43.0.1', advertiseAddress: '127.0.0.1', port: api.port });
  return api;
}

/** a JSON request; the answer's status and parsed body (undefined when empty) */
export async function jsonRequest(api: ApiServer, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const r = await fetch(api.url() + path, { method, headers: { 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, json: text ? JSON.parse(text) : undefined };
}
