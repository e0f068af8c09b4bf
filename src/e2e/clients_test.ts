// Acceptance with the official clients: @kubernetes/client-node (JSON bodies) and the Python
// `kubernetes` package (Debian python3-kubernetes) against a real `k8ts server` process.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import {
  AppsV1Api, CoreV1Api, KubeConfig, PatchStrategy, Watch, setHeaderOptions,
  type V1ConfigMap, type V1Deployment,
} from '@kubernetes/client-node';
import { startK8ts, type ServerHandle } from './harness.js';
import { requirePrereq } from '../util/prereq.js';

const NS = 'clients';

function deployment(name: string): V1Deployment {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, labels: { app: name } },
    spec: {
      replicas: 1, selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'busybox:1.36', ports: [{ containerPort: 80 }] }] } },
    },
  };
}

/** resolves with the first event list for which `until` holds, or rejects after ms */
function collect<T>(events: T[], until: (evs: T[]) => boolean, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const tick = setInterval(() => {
      if (until(events)) { clearInterval(tick); resolve(); } else if (Date.now() - t0 > ms) {
        clearInterval(tick);
        reject(new Error(`timed out; saw ${JSON.stringify(events)}`));
      }
    }, 20);
  });
}

describe('@kubernetes/client-node against k8ts', () => {
  let srv: ServerHandle;
  let core: CoreV1Api;
  let apps: AppsV1Api;
  let kc: KubeConfig;

  before(async () => {
    srv = await startK8ts();
    kc = new KubeConfig();
    kc.loadFromFile(srv.kubeconfig);
    core = kc.makeApiClient(CoreV1Api);
    apps = kc.makeApiClient(AppsV1Api);
    await core.createNamespace({ body: { metadata: { name: NS } } });
  });
  after(async () => { await srv?.stop(); });

  it('lists namespaces', async () => {
    const list = await core.listNamespace();
    const names = list.items.map((n) => n.metadata?.name);
    for (const n of ['default', 'kube-system', 'kube-public', 'kube-node-lease', NS]) assert.ok(names.includes(n), `${n} in ${names}`);
    assert.match(list.metadata?.resourceVersion ?? '', /^\d+$/);
  });

  it('creates a configmap, then merge-patches and strategic-merge-patches it', async () => {
    const created = await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'cfg', labels: { a: '1' } }, data: { color: 'blue' } } });
    assert.equal(created.metadata?.namespace, NS);
    assert.ok(created.metadata?.uid);
    const merged = await core.patchNamespacedConfigMap(
      { name: 'cfg', namespace: NS, body: { data: { size: 'xl', color: null } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    assert.deepEqual(merged.data, { size: 'xl' });
    assert.equal(merged.metadata?.uid, created.metadata?.uid);
    assert.notEqual(merged.metadata?.resourceVersion, created.metadata?.resourceVersion);
    const strategic = await core.patchNamespacedConfigMap(
      { name: 'cfg', namespace: NS, body: { metadata: { labels: { b: '2' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    assert.deepEqual(strategic.metadata?.labels, { a: '1', b: '2' });
    const json = await core.patchNamespacedConfigMap(
      { name: 'cfg', namespace: NS, body: [{ op: 'replace', path: '/data/size', value: 's' }] },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
    assert.deepEqual(json.data, { size: 's' });
    const read = await core.readNamespacedConfigMap({ name: 'cfg', namespace: NS });
    assert.deepEqual(read.data, { size: 's' });
  });

  it('strategic merge patch merges containers by name (merge patch replaces the list)', async () => {
    await apps.createNamespacedDeployment({ namespace: NS, body: deployment('smp') });
    const smp = await apps.patchNamespacedDeployment(
      { name: 'smp', namespace: NS, body: { spec: { template: { spec: { containers: [{ name: 'app', image: 'busybox:1.37' }] } } } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    const c = smp.spec?.template.spec?.containers ?? [];
    assert.equal(c.length, 1);
    assert.equal(c[0].image, 'busybox:1.37');
    assert.equal(c[0].ports?.[0].containerPort, 80, 'strategic merge keeps the ports of the container');
    const mp = await apps.patchNamespacedDeployment(
      { name: 'smp', namespace: NS, body: { spec: { template: { spec: { containers: [{ name: 'app', image: 'busybox:1.38' }] } } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const m = mp.spec?.template.spec?.containers ?? [];
    assert.equal(m[0].image, 'busybox:1.38');
    assert.equal(m[0].ports, undefined, 'merge patch replaces the whole list');
  });

  it('listNamespacedPod with a labelSelector', async () => {
    const pod = (name: string, tier: string) => ({
      metadata: { name, labels: { tier } }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] },
    });
    const ns = 'clients-pods'; // no controller-made pods here
    await core.createNamespace({ body: { metadata: { name: ns } } });
    await core.createNamespacedPod({ namespace: ns, body: pod('front-1', 'front') });
    await core.createNamespacedPod({ namespace: ns, body: pod('front-2', 'front') });
    await core.createNamespacedPod({ namespace: ns, body: pod('back-1', 'back') });
    const front = await core.listNamespacedPod({ namespace: ns, labelSelector: 'tier=front' });
    assert.deepEqual(front.items.map((p) => p.metadata?.name).sort(), ['front-1', 'front-2']);
    const notFront = await core.listNamespacedPod({ namespace: ns, labelSelector: 'tier!=front' });
    assert.deepEqual(notFront.items.map((p) => p.metadata?.name), ['back-1']);
    const all = await core.listNamespacedPod({ namespace: ns });
    assert.equal(all.items.length, 3);
    const set = await core.listNamespacedPod({ namespace: ns, labelSelector: 'tier in (back,other)' });
    assert.deepEqual(set.items.map((p) => p.metadata?.name), ['back-1']);
  });

  it('AppsV1Api create/read/replace; a stale resourceVersion is a 409', async () => {
    const created = await apps.createNamespacedDeployment({ namespace: NS, body: deployment('web') });
    assert.equal(created.metadata?.generation, 1);
    const read = await apps.readNamespacedDeployment({ name: 'web', namespace: NS });
    assert.equal(read.metadata?.uid, created.metadata?.uid);
    assert.equal(read.spec?.replicas, 1);
    // read-modify-write, retried on conflict as clients do: the deployment controller writes status meanwhile
    let replaced: V1Deployment | undefined;
    let before = 0;
    for (let attempt = 0; !replaced && attempt < 10; attempt++) {
      const cur = await apps.readNamespacedDeployment({ name: 'web', namespace: NS });
      before = cur.metadata!.generation!;
      cur.spec!.replicas = 3;
      replaced = await apps.replaceNamespacedDeployment({ name: 'web', namespace: NS, body: cur })
        .catch((err: any) => { if (err.code === 409) return undefined; throw err; });
    }
    assert.ok(replaced, 'replace succeeded within 10 attempts');
    assert.equal(replaced.spec?.replicas, 3);
    // a spec change bumps generation (so does the controller's revision annotation, as upstream)
    assert.equal(replaced.metadata?.generation, before + 1);
    assert.ok(Number(replaced.metadata?.resourceVersion) > Number(created.metadata?.resourceVersion));
    const stale = structuredClone(created); // its resourceVersion is older than the replaced object's
    stale.spec!.replicas = 5;
    await assert.rejects(
      apps.replaceNamespacedDeployment({ name: 'web', namespace: NS, body: stale }),
      (err: any) => {
        assert.equal(err.code, 409);
        const body = typeof err.body === 'string' ? JSON.parse(err.body) : err.body;
        assert.equal(body.reason, 'Conflict');
        assert.match(body.message, /Operation cannot be fulfilled on deployments.apps "web": the object has been modified/);
        return true;
      },
    );
    assert.equal((await apps.readNamespacedDeployment({ name: 'web', namespace: NS })).spec?.replicas, 3);
    await assert.rejects(apps.readNamespacedDeployment({ name: 'nope', namespace: NS }), (err: any) => err.code === 404);
  });

  it('Watch sees ADDED, MODIFIED and DELETED for later changes', async () => {
    const start = await core.listNamespacedConfigMap({ namespace: NS });
    const events: { type: string; name?: string; data?: Record<string, string> }[] = [];
    let doneErr: unknown = 'not done';
    const ctl = await new Watch(kc).watch(`/api/v1/namespaces/${NS}/configmaps`, { resourceVersion: start.metadata?.resourceVersion },
      (type, obj: V1ConfigMap) => { if (obj.metadata?.name === 'w') events.push({ type, name: obj.metadata?.name, data: obj.data }); },
      (err) => { doneErr = err; });
    try {
      await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'w' }, data: { v: '1' } } });
      await core.patchNamespacedConfigMap({ name: 'w', namespace: NS, body: { data: { v: '2' } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
      await core.deleteNamespacedConfigMap({ name: 'w', namespace: NS });
      await collect(events, (e) => e.length >= 3, 10_000);
      assert.deepEqual(events, [
        { type: 'ADDED', name: 'w', data: { v: '1' } },
        { type: 'MODIFIED', name: 'w', data: { v: '2' } },
        { type: 'DELETED', name: 'w', data: { v: '2' } },
      ]);
      assert.equal(doneErr, 'not done', 'the watch is still open');
    } finally {
      ctl.abort();
    }
  });
});

describe('python kubernetes client against k8ts', () => {
  const python = '/usr/bin/python3';
  const hasPy = existsSync(python) && spawnSync(python, ['-c', 'import kubernetes'], { encoding: 'utf8' }).status === 0;
  const skip = requirePrereq(hasPy, 'python3-kubernetes (apt-get install python3-kubernetes)');
  let srv: ServerHandle;

  const py = (script: string): any => {
    const r = spawnSync(python, ['-c', script], { encoding: 'utf8', env: { ...process.env, KUBECONFIG: srv.kubeconfig }, timeout: 60_000 });
    if (r.status !== 0) throw new Error(`python failed (${r.status}):\n${r.stderr}\n${r.stdout}`);
    return JSON.parse(r.stdout);
  };
  const prelude = 'import json, threading, time\nfrom kubernetes import client, config, watch\nconfig.load_kube_config()\nv1 = client.CoreV1Api()\n';

  before(async () => { if (!skip) srv = await startK8ts(); });
  after(async () => { await srv?.stop(); });

  it('lists namespaces', { skip }, () => {
    const names: string[] = py(`${prelude}print(json.dumps([n.metadata.name for n in v1.list_namespace().items]))`);
    for (const n of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) assert.ok(names.includes(n), `${n} in ${names}`);
  });

  it('creates a configmap and reads it back', { skip }, () => {
    const out = py(`${prelude}
cm = client.V1ConfigMap(metadata=client.V1ObjectMeta(name='py-cm', labels={'from': 'python'}), data={'k': 'v'})
c = v1.create_namespaced_config_map('default', cm)
r = v1.read_namespaced_config_map('py-cm', 'default')
try:
    v1.create_namespaced_config_map('default', cm)
    dup = None
except client.exceptions.ApiException as e:
    dup = [e.status, json.loads(e.body)['reason']]
print(json.dumps({'uid': c.metadata.uid, 'ruid': r.metadata.uid, 'data': r.data, 'labels': r.metadata.labels, 'dup': dup}))`);
    assert.ok(out.uid);
    assert.equal(out.ruid, out.uid);
    assert.deepEqual(out.data, { k: 'v' });
    assert.deepEqual(out.labels, { from: 'python' });
    assert.deepEqual(out.dup, [409, 'AlreadyExists']);
  });

  it('watch.Watch().stream with timeout_seconds sees later changes and ends', { skip }, () => {
    const out = py(`${prelude}
rv = v1.list_namespaced_config_map('default').metadata.resource_version
def writer():
    time.sleep(0.5)
    v1.create_namespaced_config_map('default', client.V1ConfigMap(metadata=client.V1ObjectMeta(name='py-w'), data={'v': '1'}))
    v1.patch_namespaced_config_map('py-w', 'default', {'data': {'v': '2'}})
    v1.delete_namespaced_config_map('py-w', 'default')
threading.Thread(target=writer).start()
seen = []
t0 = time.time()
for ev in watch.Watch().stream(v1.list_namespaced_config_map, 'default', resource_version=rv, timeout_seconds=3):
    if ev['object'].metadata.name == 'py-w':
        seen.append([ev['type'], ev['object'].metadata.name, ev['object'].data])
print(json.dumps({'seen': seen, 'elapsed': time.time() - t0}))`);
    assert.deepEqual(out.seen, [['ADDED', 'py-w', { v: '1' }], ['MODIFIED', 'py-w', { v: '2' }], ['DELETED', 'py-w', { v: '2' }]]);
    assert.ok(out.elapsed >= 2 && out.elapsed < 15, `the stream ended after timeout_seconds (took ${out.elapsed}s)`);
  });
});
