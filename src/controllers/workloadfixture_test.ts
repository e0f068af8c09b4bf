// Fixture for the DaemonSet, StatefulSet and volume controller tests: the fake API server, a
// client, an informer factory, and helpers that play the node's part on pods.
import { setMaxListeners } from 'node:events';
import { RestClient, SharedInformerFactory } from '../client/index.js';
import { FakeApiServer } from '../client/testing/fakeapi.js';
import type { KObject } from '../api/types.js';

export const coll = {
  pods: { group: '', plural: 'pods' },
  nodes: { group: '', plural: 'nodes' },
  pvcs: { group: '', plural: 'persistentvolumeclaims' },
  pvs: { group: '', plural: 'persistentvolumes' },
  classes: { group: 'storage.k8s.io', plural: 'storageclasses' },
  daemonsets: { group: 'apps', plural: 'daemonsets' },
  statefulsets: { group: 'apps', plural: 'statefulsets' },
  revisions: { group: 'apps', plural: 'controllerrevisions' },
};

export interface Fixture {
  srv: FakeApiServer; client: RestClient; factory: SharedInformerFactory; signal: AbortSignal;
  list(c: { group: string; plural: string }, ns?: string): KObject[];
  get(c: { group: string; plural: string }, ns: string, name: string): KObject | undefined;
  close(): Promise<void>;
}

export async function fixture(): Promise<Fixture> {
  const srv = new FakeApiServer();
  const client = new RestClient({ server: await srv.start() });
  const factory = new SharedInformerFactory(client, { backoffMs: [10, 50] });
  const ac = new AbortController();
  setMaxListeners(0, ac.signal);
  const list = (c: { group: string; plural: string }, ns?: string) => [...srv.objects.entries()]
    .filter(([k, o]) => k.startsWith(`${c.group}/${c.plural}|`) && (ns === undefined || o.metadata.namespace === ns)).map(([, o]) => o)
    .sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1));
  return {
    srv, client, factory, signal: ac.signal, list,
    get: (c, ns, name) => srv.objects.get(`${c.group}/${c.plural}|${ns}|${name}`),
    async close() { ac.abort(); await factory.stop(); client.close(); await srv.stop(); },
  };
}

export async function eventually(what: string, f: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) { if (f()) return; await new Promise((r) => setTimeout(r, 10)); }
  throw new Error(`timed out waiting for ${what}`);
}

/** plays the kubelet: the pod is on the node, Running and Ready */
export function runPod(srv: FakeApiServer, pod: KObject, nodeName?: string): void {
  const t = new Date(Date.now() - 60_000).toISOString();
  srv.put(coll.pods, {
    ...pod,
    spec: { ...pod.spec, nodeName: pod.spec?.nodeName ?? nodeName ?? 'node-a' },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: t }] },
  });
}

export const node = (name: string, labels: Record<string, string> = {}, taints?: unknown[]): KObject => ({
  apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } }, spec: taints ? { taints } : {},
});
