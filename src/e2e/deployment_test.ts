// Deployments, ReplicaSets and their pods against a real server with 3 simulated nodes (the real
// scheduler places the pods; the simulated kubelets run them), driven by real kubectl.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../api/types.js';
import { startK8ts, kc, kubectl, type ServerHandle } from './harness.js';

let srv: ServerHandle;
async function until<T>(what: string, f: () => T | undefined | false | Promise<T | undefined | false>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    try { const v = await f(); if (v) return v; } catch (e) { last = e; }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ''}`);
}

const k = (...args: string[]) => kc(srv.kubeconfig, args);
const json = (...args: string[]) => JSON.parse(k(...args, '-o', 'json'));
const livePods = (sel: string) => (json('get', 'pods', '-l', sel).items as KObject[]).filter((p) => !p.metadata.deletionTimestamp);

before(async () => {
  srv = await startK8ts({ args: ['--simulated-nodes', '3'] });
});

after(async () => {
  await srv?.stop();
});

test('create, rollout status, set image, history, undo, pause/resume, restart', async () => {
  k('create', 'deployment', 'web', '--image=busybox', '--replicas=3');
  const st = k('rollout', 'status', 'deployment/web', '--timeout=60s');
  assert.match(st, /deployment "web" successfully rolled out/);
  const d1 = json('get', 'deployment', 'web');
  assert.equal(d1.status.replicas, 3);
  assert.equal(d1.status.availableReplicas, 3);
  assert.equal(d1.status.updatedReplicas, 3);
  assert.equal(d1.metadata.annotations['deployment.kubernetes.io/revision'], '1');
  assert.deepEqual(d1.status.conditions.map((c: any) => `${c.type}=${c.status}/${c.reason}`).sort(),
    ['Available=True/MinimumReplicasAvailable', 'Progressing=True/NewReplicaSetAvailable']);
  const rs1 = json('get', 'rs', '-l', 'app=web').items as KObject[];
  assert.equal(rs1.length, 1);
  const hash = rs1[0].metadata.labels!['pod-template-hash'];
  assert.match(hash, /^[bcdfghjklmnpqrstvwxz2456789]+$/);
  assert.equal(rs1[0].metadata.name, `web-${hash}`);
  assert.equal(rs1[0].metadata.ownerReferences![0].kind, 'Deployment');
  const ps = livePods('app=web');
  assert.equal(ps.length, 3);
  for (const p of ps) assert.ok(p.metadata.name!.startsWith(`web-${hash}-`));
  const events = k('get', 'events', '--field-selector', 'involvedObject.name=web', '-o', 'custom-columns=R:.reason,M:.message', '--no-headers');
  assert.match(events, /ScalingReplicaSet\s+Scaled up replica set web-\S+ to 3/);
  const rsEvents = k('get', 'events', '--field-selector', `involvedObject.name=web-${hash}`, '-o', 'custom-columns=R:.reason,M:.message', '--no-headers');
  assert.match(rsEvents, new RegExp(`SuccessfulCreate\\s+Created pod: web-${hash}-`));

  k('set', 'image', 'deployment/web', 'busybox=busybox:1.37');
  assert.match(k('rollout', 'status', 'deployment/web', '--timeout=60s'), /successfully rolled out/);
  await until('old pods gone', () => livePods('app=web').every((p) => p.spec.containers[0].image === 'busybox:1.37') && livePods('app=web').length === 3);
  const hist = k('rollout', 'history', 'deployment/web');
  assert.match(hist, /^1\s/m);
  assert.match(hist, /^2\s/m);
  const rss = json('get', 'rs', '-l', 'app=web').items as KObject[];
  assert.equal(rss.length, 2);
  assert.deepEqual(rss.map((r) => r.spec.replicas).sort(), [0, 3]);
  const evs = k('get', 'events', '--field-selector', 'involvedObject.name=web', '-o', 'custom-columns=M:.message', '--no-headers');
  assert.match(evs, /Scaled down replica set web-\S+ to \d+ from \d+/);

  k('rollout', 'undo', 'deployment/web');
  assert.match(k('rollout', 'status', 'deployment/web', '--timeout=60s'), /successfully rolled out/);
  await until('pods back on busybox', () => { const l = livePods('app=web'); return l.length === 3 && l.every((p) => p.spec.containers[0].image === 'busybox'); });
  const d3 = json('get', 'deployment', 'web');
  assert.equal(d3.metadata.annotations['deployment.kubernetes.io/revision'], '3');
  const back = (json('get', 'rs', `web-${hash}`)).metadata.annotations;
  assert.equal(back['deployment.kubernetes.io/revision'], '3');
  assert.equal(back['deployment.kubernetes.io/revision-history'], '1');
  assert.equal((json('get', 'rs', '-l', 'app=web').items as KObject[]).length, 2);

  k('rollout', 'pause', 'deployment/web');
  const before = livePods('app=web').map((p) => p.metadata.name).sort();
  k('set', 'image', 'deployment/web', 'busybox=busybox:1.36');
  await until('paused condition', () => json('get', 'deployment', 'web').status.conditions.some((c: any) => c.reason === 'DeploymentPaused'));
  await new Promise((r) => setTimeout(r, 1000));
  assert.deepEqual(livePods('app=web').map((p) => p.metadata.name).sort(), before);
  assert.equal((json('get', 'rs', '-l', 'app=web').items as KObject[]).length, 2);
  k('rollout', 'resume', 'deployment/web');
  assert.match(k('rollout', 'status', 'deployment/web', '--timeout=60s'), /successfully rolled out/);
  await until('pods on 1.36', () => { const l = livePods('app=web'); return l.length === 3 && l.every((p) => p.spec.containers[0].image === 'busybox:1.36'); });

  k('rollout', 'restart', 'deployment/web');
  assert.match(k('rollout', 'status', 'deployment/web', '--timeout=60s'), /successfully rolled out/);
  const d5 = json('get', 'deployment', 'web');
  assert.ok(d5.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt']);
  assert.equal(d5.metadata.annotations['deployment.kubernetes.io/revision'], '5');
});

test('scale, replace a deleted pod, relabel releases a pod', async () => {
  k('create', 'deployment', 'api', '--image=nginx', '--replicas=2');
  k('rollout', 'status', 'deployment/api', '--timeout=60s');
  k('scale', 'deployment/api', '--replicas=5');
  k('rollout', 'status', 'deployment/api', '--timeout=60s');
  await until('5 pods', () => livePods('app=api').length === 5);
  k('scale', 'deployment/api', '--replicas=1');
  await until('1 pod', () => livePods('app=api').length === 1);
  const [victim] = livePods('app=api');
  k('delete', 'pod', victim.metadata.name!, '--wait=false');
  await until('replacement', () => { const l = livePods('app=api'); return l.length === 1 && l[0].metadata.name !== victim.metadata.name; });
  const [p] = livePods('app=api');
  k('label', 'pod', p.metadata.name!, 'app=released', '--overwrite');
  await until('released and replaced', () => livePods('app=api').length === 1);
  const released = json('get', 'pod', p.metadata.name!);
  assert.equal(released.metadata.ownerReferences, undefined);
});

test('a ReplicaSet adopts a matching orphan pod and scales down by rank', async () => {
  k('run', 'orphan', '--image=busybox', '--labels=tier=cache');
  const rs = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'cache' }, spec: { replicas: 2, selector: { matchLabels: { tier: 'cache' } }, template: { metadata: { labels: { tier: 'cache' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } } };
  kc(srv.kubeconfig, ['apply', '-f', '-'], { input: JSON.stringify(rs) });
  await until('orphan adopted', () => json('get', 'pod', 'orphan').metadata.ownerReferences?.[0]?.name === 'cache');
  await until('2 pods', () => livePods('tier=cache').length === 2);
  await until('status', () => { const s = json('get', 'rs', 'cache').status; return s.replicas === 2 && s.readyReplicas === 2 && s.availableReplicas === 2 && s.fullyLabeledReplicas === 2; });
  const rc = { apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'legacy' }, spec: { replicas: 2, selector: { app: 'legacy' }, template: { metadata: { labels: { app: 'legacy' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } } };
  kc(srv.kubeconfig, ['apply', '-f', '-'], { input: JSON.stringify(rc) });
  await until('rc pods', () => livePods('app=legacy').length === 2 && json('get', 'rc', 'legacy').status.readyReplicas === 2);
});

test('delete deployment cascades; --cascade=orphan leaves RS and pods', async () => {
  k('create', 'deployment', 'keep', '--image=busybox', '--replicas=2');
  k('rollout', 'status', 'deployment/keep', '--timeout=60s');
  k('delete', 'deployment', 'keep', '--cascade=orphan');
  await new Promise((r) => setTimeout(r, 1000));
  const rss = json('get', 'rs', '-l', 'app=keep').items as KObject[];
  assert.equal(rss.length, 1);
  assert.equal(rss[0].metadata.ownerReferences, undefined);
  assert.equal(livePods('app=keep').length, 2);

  k('create', 'deployment', 'gone', '--image=busybox', '--replicas=2');
  k('rollout', 'status', 'deployment/gone', '--timeout=60s');
  k('delete', 'deployment', 'gone');
  await until('rs and pods removed', () => (json('get', 'rs', '-l', 'app=gone').items.length === 0 && livePods('app=gone').length === 0), 60_000);
  assert.equal(kubectl(srv.kubeconfig, ['get', 'deployment', 'gone']).code, 1);
});
