// End to end, as root, with real kubectl against a real `k8ts server` running the kubelet, the
// proxy and the network policy controller: a web pod, a client a policy allows and one it does
// not, straight to the pod IP and through the Service's ClusterIP; an egress deny; then, with the
// policies deleted, everyone through again. No nftables table of the cluster is left afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { kc, kubectl } from '../e2e/harness.js';
import { kubeletPrereqs, until, withKubeletServer } from '../kubelet/testing/e2e.js';
import { netpolTable } from './index.js';

const skip = kubeletPrereqs();

test('NetworkPolicies decide which pods may connect, to pod IPs and ClusterIPs', { skip, timeout: 300_000 }, async () => {
  let table = '';
  await withKubeletServer('np', async (srv) => {
    table = netpolTable(srv.dataDir);
    const kcfg = srv.kubeconfig;
    kc(kcfg, ['run', 'web', '--image=k8ts/busybox-httpd', '--image-pull-policy=IfNotPresent', '--labels=app=web', '--port=80']);
    kc(kcfg, ['run', 'friend', '--image=busybox', '--image-pull-policy=IfNotPresent', '--labels=role=friend', '--', 'sleep', '3600']);
    kc(kcfg, ['run', 'stranger', '--image=busybox', '--image-pull-policy=IfNotPresent', '--', 'sleep', '3600']);
    kc(kcfg, ['expose', 'pod', 'web', '--port=80']);
    for (const p of ['web', 'friend', 'stranger']) {
      await until(`${p} running`, () => JSON.parse(kc(kcfg, ['get', 'pod', p, '-o', 'json'])).status?.phase === 'Running' || undefined, 90_000);
    }
    const podIP = JSON.parse(kc(kcfg, ['get', 'pod', 'web', '-o', 'json'])).status.podIP;
    const clusterIP = JSON.parse(kc(kcfg, ['get', 'svc', 'web', '-o', 'json'])).spec.clusterIP;
    /** whether `from` gets the page from addr within 3 s */
    const reaches = (from: string, addr: string) => /k8ts busybox/.test(kubectl(kcfg, ['exec', from, '--', 'timeout', '3', 'wget', '-qO-', `http://${addr}/`], { timeoutMs: 30_000 }).stdout);
    const apply = (obj: object) => kc(kcfg, ['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', ...obj }) });

    await until('web serving', () => reaches('stranger', podIP) || undefined, 30_000);
    apply({ metadata: { name: 'web-from-friends' }, spec: { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchLabels: { role: 'friend' } } }], ports: [{ port: 80 }] }] } });
    await until('the stranger kept out', () => !reaches('stranger', podIP) || undefined, 15_000);
    assert.equal(reaches('stranger', clusterIP), false, 'not through the Service either');
    assert.equal(reaches('friend', podIP), true);
    assert.equal(reaches('friend', clusterIP), true);

    apply({ metadata: { name: 'friend-no-egress' }, spec: { podSelector: { matchLabels: { role: 'friend' } }, policyTypes: ['Egress'] } });
    await until('the friend kept in', () => !reaches('friend', clusterIP) || undefined, 15_000);

    kc(kcfg, ['delete', 'networkpolicy', '--all']);
    await until('everyone through again', () => (reaches('stranger', clusterIP) && reaches('friend', podIP)) || undefined, 15_000);
    assert.equal(kubectl(kcfg, ['delete', 'pods', '--all', '--grace-period=0', '--wait=true'], { timeoutMs: 90_000 }).code, 0);
  }, () => {
    assert.doesNotMatch(execFileSync('nft', ['list', 'tables'], { encoding: 'utf8' }), new RegExp(`table inet ${table}$`, 'm'), 'the network policy table is removed');
  });
});
