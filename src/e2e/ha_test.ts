// Two k8ts servers on one etcd (issue 3): both bootstrap the same cluster, share objects and watches
// through etcd, and leader election on coordination.k8s.io Leases keeps exactly one controller set
// and one scheduler active. SIGTERM on the leader releases its Leases so the other takes over fast
// and keeps reconciling.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../api/types.js';
import { RestClient, type ResourceRef } from '../client/index.js';
import { requirePrereq } from '../util/prereq.js';
import { etcdBinary, startEtcd, type EtcdProcess } from '../storage/testing/etcd-process.js';
import { startK8ts, type ServerHandle } from './harness.js';

const core = (plural: string): ResourceRef => ({ group: '', version: 'v1', plural, namespaced: plural !== 'namespaces' });
const configmaps = core('configmaps');
const pods = core('pods');
const leases: ResourceRef = { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', namespaced: true };
const deployments: ResourceRef = { group: 'apps', version: 'v1', plural: 'deployments', namespaced: true };
const replicasets: ResourceRef = { group: 'apps', version: 'v1', plural: 'replicasets', namespaced: true };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, f: () => T | undefined | false | Promise<T | undefined | false>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    try { const v = await f(); if (v) return v; } catch (e) { last = e; }
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ''}`);
}

interface Node { name: string; srv: ServerHandle; client: RestClient }

/** the identities a server logged as its own for a component ("<component>: became leader (<id>)") */
function ledAs(n: Node, component: string): string[] {
  return [...n.srv.output().matchAll(new RegExp(`${component}: became leader \\((\\S+)\\)`, 'g'))].map((m) => m[1]);
}

const holder = async (c: RestClient, name: string): Promise<string> =>
  ((await c.get<KObject>(leases, name, { namespace: 'kube-system' })).spec as { holderIdentity?: string }).holderIdentity ?? '';

const skip = requirePrereq(!!etcdBinary(), 'etcd (apt-get install etcd-server)');

describe('two servers on one etcd', { skip }, () => {
  let etcd: EtcdProcess | undefined;
  const nodes: Node[] = [];
  let a: Node;
  let b: Node;

  before(async () => {
    etcd = await startEtcd();
    for (const [name, extra] of [['A', []], ['B', ['--simulated-nodes', '2']]] as const) {
      const srv = await startK8ts({ args: ['--datastore-endpoint', etcd.endpoint, ...extra] });
      nodes.push({ name, srv, client: RestClient.fromKubeconfig(srv.kubeconfig) });
    }
    [a, b] = nodes;
  });

  after(async () => {
    for (const n of nodes) { n.client.close(); await n.srv.stop(); }
    await etcd?.stop();
  });

  it('the second server bootstraps over the first one\'s objects; the kubernetes Service and Endpoints agree', async () => {
    assert.notEqual(a.srv.dataDir, b.srv.dataDir);
    assert.notEqual(a.srv.kubeconfig, b.srv.kubeconfig);
    for (const n of nodes) {
      const names = (await n.client.list(core('namespaces'))).items.map((o) => o.metadata.name);
      for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) assert.ok(names.includes(ns), `${n.name} lists ${ns}`);
    }
    // the last server to start wrote the port its API is served on, in both objects
    const bPort = Number(new URL(b.srv.url).port);
    for (const n of nodes) {
      const svc = await n.client.get<KObject>(core('services'), 'kubernetes', { namespace: 'default' });
      const ep = await n.client.get<KObject>(core('endpoints'), 'kubernetes', { namespace: 'default' });
      const sp = (svc.spec as any).ports;
      assert.equal(sp.length, 1);
      assert.equal(sp[0].port, 443);
      assert.equal(sp[0].targetPort, bPort, `${n.name}: Service targetPort`);
      assert.equal((svc.spec as any).clusterIP, '10.43.0.1');
      const subsets = (ep as any).subsets;
      assert.deepEqual(subsets, [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'https', port: bPort, protocol: 'TCP' }] }]);
    }
  });

  it('exactly one holder for each Lease; the other server follows it', async () => {
    for (const [lease, component] of [['kube-controller-manager', 'controllers'], ['kube-scheduler', 'scheduler']]) {
      const id = await until(`${lease} held`, () => holder(a.client, lease));
      assert.equal(await holder(b.client, lease), id, 'both servers read the same Lease');
      const leaders = nodes.filter((n) => ledAs(n, component).length > 0);
      assert.equal(leaders.length, 1, `${component}: one server leads (${leaders.map((n) => n.name)})`);
      assert.deepEqual(ledAs(leaders[0], component), [id]);
      const follower = nodes.find((n) => n !== leaders[0])!;
      await until(`${follower.name} to see leader ${id}`, () => follower.srv.output().includes(`${component}: leader is ${id}`), 10_000);
    }
  });

  it('objects written through A are read and watched through B', async () => {
    const before = await b.client.list(configmaps, { namespace: 'default' });
    const ac = new AbortController();
    const seen: string[] = [];
    const watching = (async () => {
      for await (const ev of b.client.watch<KObject>(configmaps, { namespace: 'default', resourceVersion: before.metadata.resourceVersion, signal: ac.signal })) {
        if (ev.object.metadata?.name !== 'shared') continue;
        seen.push(`${ev.type} ${(ev.object as any).data?.v}`);
        if (seen.length === 3) return;
      }
    })();
    try {
      const made = await a.client.create<KObject>(configmaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shared', namespace: 'default' }, data: { v: '1' } });
      const got = await b.client.get<KObject>(configmaps, 'shared', { namespace: 'default' });
      assert.equal(got.metadata.uid, made.metadata.uid);
      assert.equal(got.metadata.resourceVersion, made.metadata.resourceVersion);
      await a.client.update<KObject>(configmaps, { ...made, data: { v: '2' } });
      await a.client.delete(configmaps, 'shared', { namespace: 'default' });
      await Promise.race([watching, sleep(10_000).then(() => { throw new Error(`watch through B saw only ${seen}`); })]);
      assert.deepEqual(seen, ['ADDED 1', 'MODIFIED 2', 'DELETED 2']);
    } finally { ac.abort(); }
  });

  const live = async (c: RestClient, sel: string) =>
    (await c.list(pods, { namespace: 'default', labelSelector: sel })).items.filter((p) => !p.metadata.deletionTimestamp);

  it('a Deployment created through B gets one ReplicaSet and its pods once', async () => {
    const labels = { app: 'ha' };
    await b.client.create<KObject>(deployments, {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'ha', namespace: 'default' },
      spec: { replicas: 2, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
    });
    await until('2 pods', async () => (await live(b.client, 'app=ha')).length === 2);
    const rsUids = new Set<string>();
    const podUids = new Set<string>();
    for (let i = 0; i < 15; i++) {   // ~3 s: a second controller set would add a ReplicaSet or pods
      for (const n of nodes) {
        const rss = (await n.client.list(replicasets, { namespace: 'default', labelSelector: 'app=ha' })).items;
        assert.equal(rss.length, 1, `${n.name} lists ReplicaSets ${rss.map((r) => r.metadata.name)}`);
        rsUids.add(rss[0].metadata.uid!);
        const ps = await live(n.client, 'app=ha');
        assert.equal(ps.length, 2, `${n.name} lists pods ${ps.map((p) => p.metadata.name)}`);
        for (const p of ps) podUids.add(p.metadata.uid!);
      }
      await sleep(200);
    }
    assert.equal(rsUids.size, 1);
    assert.equal(podUids.size, 2);
    const all = (await b.client.list(pods, { namespace: 'default', labelSelector: 'app=ha' })).items;
    assert.equal(all.length, 2, 'no pod was created and deleted again');
  });

  it('SIGTERM on the leader hands the Leases to the other server, which keeps reconciling', async () => {
    const cmId = await holder(b.client, 'kube-controller-manager');
    const schedId = await holder(b.client, 'kube-scheduler');
    const leader = nodes.find((n) => ledAs(n, 'controllers').includes(cmId))!;
    const other = nodes.find((n) => n !== leader)!;
    const t0 = Date.now();
    await leader.srv.stop({ keepData: true });
    const stoppedAfter = Date.now() - t0;
    assert.match(leader.srv.output(), /received SIGTERM/);
    assert.equal(leader.srv.proc.exitCode, 0, `leader exited cleanly:\n${leader.srv.output().slice(-2000)}`);
    // without a release the follower waits out leaseDurationSeconds (15 s) after the last renewal it saw
    const newCm = await until('controllers to move', async () => { const h = await holder(other.client, 'kube-controller-manager'); return h && h !== cmId && h; }, 12_000);
    const tookOver = Date.now() - t0;
    assert.ok(tookOver < 10_000, `takeover took ${tookOver} ms (stop ${stoppedAfter} ms)`);
    // the Lease changes hands before the new leader's log line reaches this process
    await until('the new leader to say so', async () => ledAs(other, 'controllers').length > 0 || undefined, 5_000);
    assert.deepEqual(ledAs(other, 'controllers'), [newCm]);
    if (ledAs(leader, 'scheduler').includes(schedId)) {
      const newSched = await until('scheduler to move', async () => { const h = await holder(other.client, 'kube-scheduler'); return h && h !== schedId && h; }, 12_000);
      await until('the new scheduler leader to say so', async () => ledAs(other, 'scheduler').length > 0 || undefined, 5_000);
      assert.deepEqual(ledAs(other, 'scheduler'), [newSched]);
    }

    await other.client.patch(deployments, 'ha', { namespace: 'default', patch: { spec: { replicas: 4 } } });
    const rs = await until('the ReplicaSet scaled to 4', async () => {
      const rss = (await other.client.list(replicasets, { namespace: 'default', labelSelector: 'app=ha' })).items;
      assert.equal(rss.length, 1);
      return (rss[0].spec as any).replicas === 4 && rss[0];
    }, 15_000);
    assert.equal(rs.metadata.annotations?.['deployment.kubernetes.io/desired-replicas'], '4');
    await until('4 pods', async () => (await live(other.client, 'app=ha')).length === 4, 15_000);
  });
});
