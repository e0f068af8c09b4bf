// PodConfig against a fake API server: informer-backed lookups, the CRI ContainerConfig it builds
// (env, command expansion, mounts), volume failures holding containers in ContainerCreating with a
// FailedMount event, missing ConfigMaps as CreateContainerConfigError, and projected token sources
// skipped (asked once) when the server has no serviceaccounts/token.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StatusError } from '../api/status.js';
import type { KObject } from '../api/types.js';
import { RestClient } from '../client/index.js';
import { FakeApiServer } from '../client/testing/fakeapi.js';
import { isMountPoint } from './hostmount.js';
import { ContainerConfigError, PodConfig } from './podconfig.js';

const core = (plural: string) => ({ group: '', plural });
const root = process.getuid?.() === 0;

test('PodConfig builds env, args and mounts from the API and reports what is missing', async () => {
  const api = new FakeApiServer();
  await api.start();
  const client = new RestClient({ server: api.url });
  const podsDir = mkdtempSync(join(tmpdir(), 'pods-'));
  const ac = new AbortController();
  const pc = new PodConfig(client, { podsDir, clusterDNS: '10.43.0.10', clusterDomain: 'cluster.local' });
  try {
    api.put(core('configmaps'), { metadata: { namespace: 'ns', name: 'cfg' }, data: { color: 'blue' } });
    api.put(core('secrets'), { metadata: { namespace: 'ns', name: 'sec' }, data: { pw: Buffer.from('pw1').toString('base64') } });
    api.put(core('services'), { metadata: { namespace: 'default', name: 'kubernetes' }, spec: { clusterIP: '10.43.0.1', ports: [{ name: 'https', port: 443 }] } });
    api.put(core('nodes'), { metadata: { name: 'n1' }, status: { allocatable: { cpu: '3', memory: '2Gi' }, addresses: [{ type: 'InternalIP', address: '192.168.5.5' }] } });
    api.intercept = (r) => (r.path.endsWith('/token') ? new StatusError(501, 'NotImplemented', 'serviceaccounts/token is not implemented yet') : undefined);
    await pc.start(ac.signal);

    const pod: KObject = {
      metadata: { namespace: 'ns', name: 'p', uid: 'uid-p', labels: { app: 'x' } },
      spec: {
        nodeName: 'n1', enableServiceLinks: true,
        volumes: [
          { name: 'cfg', configMap: { name: 'cfg' } }, { name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
          ...(root ? [{ name: 'proj', projected: { sources: [{ secret: { name: 'sec' } }, { serviceAccountToken: { path: 'token' } }] } }] : []),
        ],
        containers: [{
          name: 'c', image: 'busybox', command: ['echo', '$(COLOR)'], args: ['$(HOST_IP)', '$(CPU)', '$(KUBERNETES_SERVICE_HOST)'],
          env: [
            { name: 'COLOR', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'color' } } },
            { name: 'HOST_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
            { name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
          ],
          volumeMounts: [{ name: 'cfg', mountPath: '/cfg' }, { name: 'info', mountPath: '/info', readOnly: false }],
        }],
      },
    };
    await pc.prepare(pod);
    await pc.prepare(pod);
    const dir = join(podsDir, 'uid-p');
    assert.equal(readFileSync(join(dir, 'volumes/kubernetes.io~configmap/cfg/color'), 'utf8'), 'blue');
    assert.equal(readFileSync(join(dir, 'volumes/kubernetes.io~downward-api/info/labels'), 'utf8'), 'app="x"');
    if (root) {
      assert.equal(readFileSync(join(dir, 'volumes/kubernetes.io~projected/proj/pw'), 'utf8'), 'pw1');
      assert.ok(!existsSync(join(dir, 'volumes/kubernetes.io~projected/proj/token')));
      assert.equal(api.requests.filter((r) => r.path.endsWith('/token')).length, 1, 'an unsupported token API is not asked again at once');
    }
    const cfg = await pc.containerConfig(pod, pod.spec.containers[0], 0, '10.42.0.9');
    assert.deepEqual(cfg.command, ['echo', 'blue']);
    assert.deepEqual(cfg.args, ['192.168.5.5', '3', '10.43.0.1']);
    const env = Object.fromEntries(cfg.envs.map((e: any) => [e.key, e.value]));
    assert.equal(env.COLOR, 'blue');
    assert.equal(env.KUBERNETES_PORT_443_TCP, 'tcp://10.43.0.1:443');
    assert.deepEqual(cfg.mounts.map((m: any) => [m.containerPath, m.hostPath.slice(dir.length), m.readonly]), [
      ['/cfg', '/volumes/kubernetes.io~configmap/cfg', true], ['/info', '/volumes/kubernetes.io~downward-api/info', true],
      ['/etc/hosts', '/etc-hosts', false], ['/dev/termination-log', cfg.mounts[3].hostPath.slice(dir.length), false],
    ]);
    assert.match(readFileSync(join(dir, 'etc-hosts'), 'utf8'), /\n10\.42\.0\.9\tp\n$/);

    // a missing ConfigMap in env: CreateContainerConfigError with upstream's message
    const bad = { ...pod.spec.containers[0], env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'gone', key: 'k' } } }] };
    await assert.rejects(pc.containerConfig(pod, bad, 0, '10.42.0.9'), (e: unknown) => e instanceof ContainerConfigError && e.reason === 'CreateContainerConfigError' && e.message === 'configmap "gone" not found');

    // a volume that cannot be set up: containers wait in ContainerCreating, a FailedMount event says why
    const pod2: KObject = { ...pod, metadata: { ...pod.metadata, name: 'p2', uid: 'uid-p2' }, spec: { ...pod.spec, volumes: [{ name: 'v', configMap: { name: 'missing' } }], containers: [{ name: 'c', image: 'busybox' }] } };
    await pc.prepare(pod2);
    await assert.rejects(pc.containerConfig(pod2, pod2.spec.containers[0], 0, '10.42.0.10'), (e: unknown) => e instanceof ContainerConfigError && e.reason === 'ContainerCreating');
    await pc.prepare(pod2);
    const deadline = Date.now() + 5000;
    let events: KObject[] = [];
    while (Date.now() < deadline) {
      events = [...api.objects.values()].filter((o) => o.kind === 'Event' && o.reason === 'FailedMount');
      if (events.length) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(events.length, 1);
    assert.equal(events[0].message, 'MountVolume.SetUp failed for volume "v" : configmap "missing" not found');
    assert.equal(events[0].count, 1, 'a retry right after does not repeat the event');
    // once the ConfigMap exists the volume is set up and containers may start
    api.put(core('configmaps'), { metadata: { namespace: 'ns', name: 'missing' }, data: { a: '1' } });
    await pc.prepare(pod2);
    assert.ok((await pc.containerConfig(pod2, pod2.spec.containers[0], 0, '10.42.0.10')).mounts);
    // deleted again: the volume keeps its files and a restarted container is not held back
    api.remove(core('configmaps'), 'ns', 'missing');
    await new Promise((r) => setTimeout(r, 300));
    await pc.prepare(pod2);
    assert.equal(readFileSync(join(podsDir, 'uid-p2/volumes/kubernetes.io~configmap/v/a'), 'utf8'), '1');
    assert.ok((await pc.containerConfig(pod2, pod2.spec.containers[0], 1, '10.42.0.10')).mounts);

    await pc.release('uid-p');
    if (root) assert.ok(!isMountPoint(join(dir, 'volumes/kubernetes.io~projected/proj')));
  } finally {
    ac.abort();
    await pc.release('uid-p');
    rmSync(podsDir, { recursive: true, force: true });
    client.close();
    await api.stop();
  }
});
