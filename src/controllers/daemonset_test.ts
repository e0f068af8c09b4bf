import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../api/types.js';
import { DaemonSetController } from './daemonset.js';
import { nodeShouldRunDaemonPod, targetNodeName, withDaemonTolerations } from './daemonset_nodes.js';
import { coll, eventually, fixture, node, runPod, type Fixture } from './workloadfixture_test.js';

const ds = (extra: Record<string, unknown> = {}, spec: Record<string, unknown> = {}): KObject => ({
  apiVersion: 'apps/v1', kind: 'DaemonSet',
  metadata: { name: 'agent', namespace: 'default', generation: 1 },
  spec: {
    selector: { matchLabels: { app: 'agent' } },
    template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'c', image: 'busybox:1' }], ...spec } },
    updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
    revisionHistoryLimit: 10,
    ...extra,
  },
});

async function start(f: Fixture): Promise<DaemonSetController> {
  const c = new DaemonSetController({ client: f.client, factory: f.factory });
  f.factory.start(f.signal);
  void c.run(2, f.signal);
  return c;
}

const pods = (f: Fixture) => f.list(coll.pods, 'default').filter((p) => !p.metadata.deletionTimestamp);
const nodesOf = (ps: KObject[]) => ps.map((p) => targetNodeName(p)).sort();

test('node eligibility: selector, affinity, taints and the automatic daemon tolerations', () => {
  const d = ds({}, { nodeSelector: { disk: 'ssd' } });
  assert.deepEqual(nodeShouldRunDaemonPod(node('a'), d), { shouldRun: false, shouldContinueRunning: false });
  assert.deepEqual(nodeShouldRunDaemonPod(node('a', { disk: 'ssd' }), d), { shouldRun: true, shouldContinueRunning: true });
  const plain = ds();
  assert.equal(nodeShouldRunDaemonPod(node('a', {}, [{ key: 'gpu', value: 'true', effect: 'NoSchedule' }]), plain).shouldRun, false);
  assert.equal(nodeShouldRunDaemonPod(node('a', {}, [{ key: 'gpu', value: 'true', effect: 'NoSchedule' }]), plain).shouldContinueRunning, true);
  assert.deepEqual(nodeShouldRunDaemonPod(node('a', {}, [{ key: 'gpu', effect: 'NoExecute' }]), plain), { shouldRun: false, shouldContinueRunning: false });
  const tolerant = ds({}, { tolerations: [{ key: 'gpu', operator: 'Equal', value: 'true', effect: 'NoSchedule' }] });
  assert.equal(nodeShouldRunDaemonPod(node('a', {}, [{ key: 'gpu', value: 'true', effect: 'NoSchedule' }]), tolerant).shouldRun, true);
  // unschedulable / not-ready taints are tolerated by every daemon pod
  assert.equal(nodeShouldRunDaemonPod(node('a', {}, [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }, { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }]), plain).shouldRun, true);
  const aff = ds({}, { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['z1'] }] }] } } } });
  assert.equal(nodeShouldRunDaemonPod(node('a', { zone: 'z2' }), aff).shouldRun, false);
  assert.equal(nodeShouldRunDaemonPod(node('a', { zone: 'z1' }), aff).shouldRun, true);
  const t = withDaemonTolerations([{ key: 'x', operator: 'Exists' }], true);
  assert.equal(t.length, 8);
  assert.ok(t.some((x) => x.key === 'node.kubernetes.io/network-unavailable'));
});

test('one pod per eligible node, pinned by matchFields; tainted nodes skipped; labelled nodes gain and lose pods', async (t) => {
  const f = await fixture();
  t.after(() => f.close());
  f.srv.put(coll.nodes, node('node-a'));
  f.srv.put(coll.nodes, node('node-b'));
  f.srv.put(coll.nodes, node('node-c', {}, [{ key: 'gpu', value: 'true', effect: 'NoSchedule' }]));
  f.srv.put(coll.daemonsets, ds());
  await start(f);
  await eventually('2 pods', () => pods(f).length === 2);
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(nodesOf(pods(f)), ['node-a', 'node-b']);
  const p = pods(f)[0];
  assert.match(p.metadata.name!, /^agent-/);
  assert.deepEqual(p.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms,
    [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [targetNodeName(p)] }] }]);
  assert.ok(p.spec.tolerations.some((x: any) => x.key === 'node.kubernetes.io/unschedulable' && x.effect === 'NoSchedule'));
  assert.equal(p.metadata.labels!['pod-template-generation'], '1');
  assert.equal(p.metadata.ownerReferences![0].kind, 'DaemonSet');
  const revs = f.list(coll.revisions, 'default');
  assert.equal(revs.length, 1);
  assert.equal(revs[0].metadata.name, `agent-${p.metadata.labels!['controller-revision-hash']}`);
  assert.equal(revs[0].revision, 1);
  assert.equal(revs[0].data.spec.template.$patch, 'replace');
  await eventually('status', () => f.get(coll.daemonsets, 'default', 'agent')?.status?.currentNumberScheduled === 2);
  const st = f.get(coll.daemonsets, 'default', 'agent')!.status;
  assert.equal(st.desiredNumberScheduled, 2);
  assert.equal(st.numberMisscheduled, 0);
  assert.equal(st.numberReady, 0);
  assert.equal(st.observedGeneration, 1);

  // tolerating the taint: node-c gets its pod
  const tolerant = ds({}, { tolerations: [{ key: 'gpu', operator: 'Exists', effect: 'NoSchedule' }] });
  f.srv.put(coll.daemonsets, { ...tolerant, metadata: { ...tolerant.metadata, name: 'tolerant' }, spec: { ...tolerant.spec, selector: { matchLabels: { app: 'tolerant' } }, template: { ...tolerant.spec.template, metadata: { labels: { app: 'tolerant' } } } } });
  await eventually('tolerant pods on 3 nodes', () => pods(f).filter((x) => x.metadata.labels?.app === 'tolerant').length === 3);

  // a node selector: a node labelled later gets its pod, and loses it when the label goes
  const sel = ds({}, { nodeSelector: { role: 'edge' } });
  f.srv.put(coll.daemonsets, { ...sel, metadata: { ...sel.metadata, name: 'edge' }, spec: { ...sel.spec, selector: { matchLabels: { app: 'edge' } }, template: { ...sel.spec.template, metadata: { labels: { app: 'edge' } } } } });
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(pods(f).filter((x) => x.metadata.labels?.app === 'edge').length, 0);
  f.srv.put(coll.nodes, { ...f.get(coll.nodes, '', 'node-b')!, metadata: { ...f.get(coll.nodes, '', 'node-b')!.metadata, labels: { role: 'edge' } } });
  await eventually('edge pod on node-b', () => nodesOf(pods(f).filter((x) => x.metadata.labels?.app === 'edge')).join() === 'node-b');
  f.srv.put(coll.nodes, { ...f.get(coll.nodes, '', 'node-b')!, metadata: { ...f.get(coll.nodes, '', 'node-b')!.metadata, labels: {} } });
  await eventually('edge pod gone', () => pods(f).filter((x) => x.metadata.labels?.app === 'edge').length === 0);
});

test('rolling update replaces at most maxUnavailable pods at a time and reports progress', async (t) => {
  const f = await fixture();
  t.after(() => f.close());
  for (const n of ['node-a', 'node-b', 'node-c']) f.srv.put(coll.nodes, node(n));
  f.srv.put(coll.daemonsets, ds());
  await start(f);
  await eventually('3 pods', () => pods(f).length === 3);
  for (const p of pods(f)) runPod(f.srv, p, targetNodeName(p));
  await eventually('all available', () => f.get(coll.daemonsets, 'default', 'agent')?.status?.numberAvailable === 3);
  const oldHash = pods(f)[0].metadata.labels!['controller-revision-hash'];
  const cur = f.get(coll.daemonsets, 'default', 'agent')!;
  const next = structuredClone(cur);
  next.metadata.generation = 2;
  next.spec.template.spec.containers[0].image = 'busybox:2';
  f.srv.put(coll.daemonsets, next);
  let maxMissing = 0;
  const seen = new Set<string>();
  for (let i = 0; i < 500; i++) {
    const live = pods(f);
    maxMissing = Math.max(maxMissing, 3 - live.filter((p) => p.status?.phase === 'Running').length);
    for (const p of live) {
      if (p.metadata.labels!['controller-revision-hash'] !== oldHash && !p.status && !seen.has(p.metadata.name!)) {
        seen.add(p.metadata.name!);
        runPod(f.srv, p, targetNodeName(p));
      }
    }
    const st = f.get(coll.daemonsets, 'default', 'agent')!.status;
    if (st.updatedNumberScheduled === 3 && st.numberAvailable === 3 && st.observedGeneration === 2) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  const st = f.get(coll.daemonsets, 'default', 'agent')!.status;
  assert.equal(st.updatedNumberScheduled, 3);
  assert.equal(st.numberAvailable, 3);
  assert.ok(maxMissing <= 1, `at most one pod unavailable at a time, saw ${maxMissing}`);
  assert.equal(pods(f).length, 3);
  assert.ok(pods(f).every((p) => p.spec.containers[0].image === 'busybox:2'));
  const revs = f.list(coll.revisions, 'default').sort((a, b) => a.revision - b.revision);
  assert.deepEqual(revs.map((r) => r.revision), [1, 2]);
});
