// ServiceAccount admission on pod create.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../api/types.js';
import { StatusError } from '../../api/status.js';
import { admitServiceAccount, serviceAccountVolume, SERVICE_ACCOUNT_MOUNT_PATH } from './serviceaccount.js';

const MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

function accounts(list: KObject[]) {
  const calls: string[] = [];
  const sleeps: number[] = [];
  return {
    calls, sleeps,
    getServiceAccount: async (ns: string, name: string) => { calls.push(`${ns}/${name}`); return list.find((s) => s.metadata.namespace === ns && s.metadata.name === name); },
    sleep: async (ms: number) => { sleeps.push(ms); },
    random: () => 0,
  };
}

const sa = (name: string, extra: Record<string, unknown> = {}): KObject => ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: 'ns' }, ...extra } as KObject);
const pod = (spec: any): KObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' }, spec } as KObject);

test('defaults the service account and mounts kube-api-access in every container', async () => {
  const p = pod({
    initContainers: [{ name: 'init', image: 'busybox' }],
    containers: [{ name: 'a', image: 'busybox', volumeMounts: [{ name: 'data', mountPath: '/data' }] }, { name: 'b', image: 'busybox' }],
    volumes: [{ name: 'data', emptyDir: {} }],
  });
  await admitServiceAccount(p, accounts([sa('default')]));
  assert.equal(p.spec.serviceAccountName, 'default');
  assert.equal(p.spec.serviceAccount, 'default');
  assert.equal(p.spec.volumes.length, 2);
  const vol = p.spec.volumes[1];
  assert.equal(vol.name, 'kube-api-access-bbbbb', 'kube-api-access- and 5 characters of upstream\'s alphabet');
  assert.deepEqual(vol, {
    name: 'kube-api-access-bbbbb',
    projected: {
      defaultMode: 420,
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ],
    },
  });
  const want = { name: 'kube-api-access-bbbbb', readOnly: true, mountPath: MOUNT };
  assert.deepEqual(p.spec.initContainers[0].volumeMounts, [want]);
  assert.deepEqual(p.spec.containers[0].volumeMounts, [{ name: 'data', mountPath: '/data' }, want]);
  assert.deepEqual(p.spec.containers[1].volumeMounts, [want]);
  assert.equal(SERVICE_ACCOUNT_MOUNT_PATH, MOUNT);
});

test('random volume names differ between pods', async () => {
  const names = new Set<string>();
  for (let i = 0; i < 5; i++) {
    const p = pod({ containers: [{ name: 'a', image: 'x' }] });
    await admitServiceAccount(p, { getServiceAccount: async () => sa('default') });
    assert.match(p.spec.volumes[0].name, /^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    names.add(p.spec.volumes[0].name);
  }
  assert.ok(names.size > 1);
});

test('automountServiceAccountToken: false on the pod or the account; the pod wins', async () => {
  let p = pod({ automountServiceAccountToken: false, containers: [{ name: 'a', image: 'x' }] });
  await admitServiceAccount(p, accounts([sa('default')]));
  assert.equal(p.spec.volumes, undefined);
  assert.equal(p.spec.containers[0].volumeMounts, undefined);

  p = pod({ serviceAccountName: 'quiet', containers: [{ name: 'a', image: 'x' }] });
  await admitServiceAccount(p, accounts([sa('quiet', { automountServiceAccountToken: false })]));
  assert.equal(p.spec.volumes, undefined);

  p = pod({ serviceAccountName: 'quiet', automountServiceAccountToken: true, containers: [{ name: 'a', image: 'x' }] });
  await admitServiceAccount(p, accounts([sa('quiet', { automountServiceAccountToken: false })]));
  assert.equal(p.spec.volumes.length, 1);
});

test('containers that mount the path already are left alone; an existing kube-api-access volume is reused', async () => {
  let p = pod({ containers: [{ name: 'a', image: 'x', volumeMounts: [{ name: 'mine', mountPath: MOUNT }] }], volumes: [{ name: 'mine', emptyDir: {} }] });
  await admitServiceAccount(p, accounts([sa('default')]));
  assert.deepEqual(p.spec.volumes, [{ name: 'mine', emptyDir: {} }]);
  assert.deepEqual(p.spec.containers[0].volumeMounts, [{ name: 'mine', mountPath: MOUNT }]);

  p = pod({ containers: [{ name: 'a', image: 'x' }], volumes: [serviceAccountVolume('kube-api-access-zzzzz')] });
  await admitServiceAccount(p, accounts([sa('default')]));
  assert.equal(p.spec.volumes.length, 1);
  assert.deepEqual(p.spec.containers[0].volumeMounts, [{ name: 'kube-api-access-zzzzz', readOnly: true, mountPath: MOUNT }]);
});

test('image pull secrets come from the account when the pod has none', async () => {
  let p = pod({ serviceAccountName: 'puller', containers: [{ name: 'a', image: 'x' }] });
  await admitServiceAccount(p, accounts([sa('puller', { imagePullSecrets: [{ name: 'reg' }] })]));
  assert.deepEqual(p.spec.imagePullSecrets, [{ name: 'reg' }]);
  p = pod({ serviceAccountName: 'puller', imagePullSecrets: [{ name: 'own' }], containers: [{ name: 'a', image: 'x' }] });
  await admitServiceAccount(p, accounts([sa('puller', { imagePullSecrets: [{ name: 'reg' }] })]));
  assert.deepEqual(p.spec.imagePullSecrets, [{ name: 'own' }]);
});

test('a missing service account is forbidden; default is waited for', async () => {
  const a = accounts([]);
  await assert.rejects(admitServiceAccount(pod({ serviceAccountName: 'ghost', containers: [{ name: 'a', image: 'x' }] }), a), (e: unknown) => {
    assert.ok(e instanceof StatusError);
    assert.equal(e.code, 403);
    assert.equal(e.message, 'pods "p" is forbidden: error looking up service account ns/ghost: serviceaccount "ghost" not found');
    return true;
  });
  assert.deepEqual(a.calls, ['ns/ghost'], 'one lookup for a named account');

  const b = accounts([]);
  await assert.rejects(admitServiceAccount(pod({ containers: [{ name: 'a', image: 'x' }] }), b), /serviceaccount "default" not found/);
  assert.equal(b.calls.length, 10);
  assert.deepEqual(b.sleeps, Array(9).fill(100));

  // default appears while waiting
  let n = 0;
  const p = pod({ containers: [{ name: 'a', image: 'x' }] });
  await admitServiceAccount(p, { getServiceAccount: async () => (++n >= 3 ? sa('default') : undefined), sleep: async () => {} });
  assert.equal(n, 3);
  assert.equal(p.spec.volumes.length, 1);
});

test('mirror pods are not admitted', async () => {
  const p = pod({ containers: [{ name: 'a', image: 'x' }] });
  p.metadata.annotations = { 'kubernetes.io/config.mirror': 'abc' };
  const a = accounts([]);
  await admitServiceAccount(p, a);
  assert.deepEqual(a.calls, []);
  assert.equal(p.spec.volumes, undefined);
});
