// End to end: DaemonSets and StatefulSets (with local-path volumes) on `k8ts server --simulated-nodes 3`,
// driven by real kubectl; pod creation order is observed through a watch.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startK8ts, kc, type ServerHandle } from './harness.js';
import { RestClient } from '../client/index.js';
import type { KObject } from '../api/types.js';

const pods = { group: '', version: 'v1', plural: 'pods', namespaced: true, kind: 'Pod' };

async function until<T>(what: string, f: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try { const v = f(); if (v) return v; } catch (e) { last = e; }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ''}`);
}

const ds = (name: string, extra = '') => `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: ${name}, namespace: ds-e2e}
spec:
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers: [{name: c, image: busybox}]
${extra}`;

const sts = `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: sts-e2e}
spec:
  replicas: 3
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: c, image: postgres}]}
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
`;

const isReady = (p: KObject) => (p.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True');

describe('DaemonSet and StatefulSet on simulated nodes', () => {
  let srv: ServerHandle;
  let nodes: string[] = [];
  before(async () => {
    srv = await startK8ts({ args: ['--simulated-nodes', '3'], env: { K8TS_SIM_GRACE_SECONDS: '0' } });
    nodes = await until('3 nodes', () => {
      const n = kc(srv.kubeconfig, ['get', 'nodes', '-o', 'jsonpath={.items[*].metadata.name}']).trim().split(/\s+/).filter(Boolean);
      return n.length === 3 && n.sort();
    });
  });
  after(async () => { await srv?.stop(); });

  const dsPods = (app: string) => JSON.parse(kc(srv.kubeconfig, ['get', 'pods', '-n', 'ds-e2e', '-l', `app=${app}`, '-o', 'json'])).items as KObject[];
  const nodesOf = (ps: KObject[]) => ps.filter((p) => !p.metadata.deletionTimestamp).map((p) => p.spec.nodeName).sort();

  it('runs exactly one pod per node, skips a tainted node unless tolerated, follows node labels', async () => {
    kc(srv.kubeconfig, ['create', 'namespace', 'ds-e2e']);
    kc(srv.kubeconfig, ['taint', 'node', nodes[2], 'gpu=true:NoSchedule']);
    kc(srv.kubeconfig, ['apply', '-f', '-'], { input: ds('agent') });
    kc(srv.kubeconfig, ['rollout', 'status', 'ds/agent', '-n', 'ds-e2e', '--timeout=60s']);
    assert.deepEqual(nodesOf(dsPods('agent')), [nodes[0], nodes[1]]);
    const st = JSON.parse(kc(srv.kubeconfig, ['get', 'ds', 'agent', '-n', 'ds-e2e', '-o', 'json'])).status;
    assert.equal(st.desiredNumberScheduled, 2);
    assert.equal(st.numberReady, 2);
    assert.equal(st.updatedNumberScheduled, 2);

    kc(srv.kubeconfig, ['apply', '-f', '-'], { input: ds('tolerant', '      tolerations: [{key: gpu, operator: Exists, effect: NoSchedule}]\n') });
    kc(srv.kubeconfig, ['rollout', 'status', 'ds/tolerant', '-n', 'ds-e2e', '--timeout=60s']);
    assert.deepEqual(nodesOf(dsPods('tolerant')), nodes);

    kc(srv.kubeconfig, ['apply', '-f', '-'], { input: ds('edge', '      nodeSelector: {role: edge}\n') });
    kc(srv.kubeconfig, ['rollout', 'status', 'ds/edge', '-n', 'ds-e2e', '--timeout=60s']);
    assert.deepEqual(nodesOf(dsPods('edge')), []);
    kc(srv.kubeconfig, ['label', 'node', nodes[1], 'role=edge']);
    await until('edge pod on the labelled node', () => nodesOf(dsPods('edge')).join() === nodes[1]);
    kc(srv.kubeconfig, ['rollout', 'status', 'ds/edge', '-n', 'ds-e2e', '--timeout=60s']);

    // a rolling update that rollout status follows, recorded as a second ControllerRevision
    kc(srv.kubeconfig, ['set', 'image', 'ds/agent', '-n', 'ds-e2e', 'c=busybox:2']);
    kc(srv.kubeconfig, ['rollout', 'status', 'ds/agent', '-n', 'ds-e2e', '--timeout=60s']);
    const imgs = dsPods('agent').filter((p) => !p.metadata.deletionTimestamp).map((p) => p.spec.containers[0].image);
    assert.deepEqual(imgs, ['busybox:2', 'busybox:2']);
    assert.match(kc(srv.kubeconfig, ['rollout', 'history', 'ds/agent', '-n', 'ds-e2e']), /1\s+<none>\s*\n2\s+<none>/);
  });

  it('creates db-0, db-1, db-2 in order with their own bound claims, and scales down in reverse', async () => {
    kc(srv.kubeconfig, ['create', 'namespace', 'sts-e2e']);
    const client = RestClient.fromKubeconfig(srv.kubeconfig);
    const ac = new AbortController();
    const seen: string[] = [];
    const state = new Map<string, KObject>();
    const watching = (async () => {
      for await (const ev of client.watch<KObject>(pods, { namespace: 'sts-e2e', signal: ac.signal })) {
        const p = ev.object, name = p.metadata.name!;
        if (ev.type === 'ADDED') {
          // the previous ordinal must be Running and Ready before the next is created
          const prev = `db-${Number(name.slice(3)) - 1}`;
          seen.push(`+${name}${name === 'db-0' || (state.get(prev) && isReady(state.get(prev)!)) ? '' : '(early)'}`);
        }
        if (ev.type === 'DELETED') { seen.push(`-${name}`); state.delete(name); } else state.set(name, p);
      }
    })();
    try {
      kc(srv.kubeconfig, ['apply', '-f', '-'], { input: sts });
      kc(srv.kubeconfig, ['rollout', 'status', 'sts/db', '-n', 'sts-e2e', '--timeout=90s']);
      await until('3 pods seen', () => seen.length >= 3);
      assert.deepEqual(seen, ['+db-0', '+db-1', '+db-2']);
      const pvcs = JSON.parse(kc(srv.kubeconfig, ['get', 'pvc', '-n', 'sts-e2e', '-o', 'json'])).items as KObject[];
      assert.deepEqual(pvcs.map((c) => `${c.metadata.name}:${c.status.phase}`).sort(), ['data-db-0:Bound', 'data-db-1:Bound', 'data-db-2:Bound']);
      const pvNames = new Set(pvcs.map((c) => c.spec.volumeName));
      assert.equal(pvNames.size, 3, 'each pod has its own volume');
      const pv = JSON.parse(kc(srv.kubeconfig, ['get', 'pv', pvcs[0].spec.volumeName, '-o', 'json']));
      assert.equal(pv.spec.storageClassName, 'local-path');
      // <dataDir>/storage/<pv> once the controller context carries the data dir; /var/lib/k8ts/storage/<pv> until then
      assert.ok(pv.spec.hostPath.path.endsWith(`/storage/${pv.metadata.name}`), pv.spec.hostPath.path);
      assert.deepEqual(pv.spec.claimRef.name, pvcs[0].metadata.name);
      assert.match(kc(srv.kubeconfig, ['get', 'storageclass']), /local-path \(default\)\s+k8ts\.io\/local-path\s+Delete\s+WaitForFirstConsumer/);
      const p1 = JSON.parse(kc(srv.kubeconfig, ['get', 'pod', 'db-1', '-n', 'sts-e2e', '-o', 'json']));
      assert.equal(p1.spec.hostname, 'db-1');
      assert.equal(p1.spec.subdomain, 'db');

      kc(srv.kubeconfig, ['scale', 'sts/db', '-n', 'sts-e2e', '--replicas=1']);
      await until('scaled down', () => seen.filter((s) => s.startsWith('-')).length >= 2, 60_000);
      assert.deepEqual(seen.slice(3), ['-db-2', '-db-1']);
      await until('status', () => JSON.parse(kc(srv.kubeconfig, ['get', 'sts', 'db', '-n', 'sts-e2e', '-o', 'json'])).status.replicas === 1);
    } finally {
      ac.abort();
      await watching.catch(() => {});
      client.close();
    }
  });
});
