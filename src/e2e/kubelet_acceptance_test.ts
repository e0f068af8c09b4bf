// Issue 4's "Deployment of busybox httpd" acceptance, as a new user would try it with the real
// kubectl against `k8ts server` running its kubelet (root): 3 pods Running with distinct pod IPs,
// each answering HTTP from the host, `kubectl logs`, `kubectl exec -- cat /etc/hostname`, and
// `kubectl port-forward pod/X PORT:80` serving the page on localhost; deleting a pod frees its IP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startK8ts, kc, kubectlPath, type ServerHandle } from './harness.js';
import { freePort, httpGet, kubeletPrereqs, until } from '../kubelet/testing/e2e.js';
import { forceCleanup } from '../kubelet/cleanup.js';
import { cniNetwork } from '../kubelet/cni.js';
import { containerdPaths } from '../kubelet/containerd.js';

const skip = kubeletPrereqs();

const deployment = {
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' },
  spec: {
    replicas: 3, selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'httpd', image: 'busybox', command: ['sh', '-c', 'echo serving on $(hostname); exec httpd -f -v -p 80 -h /var/www'], ports: [{ containerPort: 80 }] }] },
    },
  },
};

test('a busybox httpd Deployment: pod IPs, curl, logs, exec, port-forward, delete frees the IP', { skip, timeout: 300_000 }, async () => {
  const octet = 100 + Math.floor(Math.random() * 150);
  let srv: ServerHandle | undefined;
  let pf: ReturnType<typeof spawn> | undefined;
  try {
    srv = await startK8ts({ kubelet: true, env: { K8TS_POD_CIDR: `10.42.${octet}.0/24`, K8TS_NODE_NAME: `k8ts-accept-${octet}` }, timeoutMs: 60_000 });
    const kcfg = srv.kubeconfig;
    kc(kcfg, ['apply', '-f', '-'], { input: JSON.stringify(deployment) });
    const pods = await until('3 pods Running', () => {
      const items = JSON.parse(kc(kcfg, ['get', 'pods', '-l', 'app=web', '-o', 'json'])).items;
      return items.length === 3 && items.every((p: any) => p.status?.phase === 'Running' && p.status.podIP) ? items : undefined;
    }, 120_000);
    const ips = pods.map((p: any) => p.status.podIP);
    assert.equal(new Set(ips).size, 3, `pod IPs not distinct: ${ips}`);
    const wide = kc(kcfg, ['get', 'pods', '-o', 'wide']);
    for (const ip of ips) assert.ok(wide.includes(ip), wide);
    for (const ip of ips) assert.match(await httpGet(`http://${ip}/`), /k8ts busybox/);

    const name = pods[0].metadata.name;
    assert.match(kc(kcfg, ['logs', name]), new RegExp(`serving on ${name}`));
    assert.equal(kc(kcfg, ['exec', name, '--', 'cat', '/etc/hostname']).trim(), name);

    const port = await freePort();
    pf = spawn(kubectlPath(), ['--kubeconfig', kcfg, 'port-forward', `pod/${name}`, `${port}:80`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let pfOut = '';
    pf.stdout!.on('data', (d) => { pfOut += d; });
    pf.stderr!.on('data', (d) => { pfOut += d; });
    await until('port-forward listening', () => (pfOut.includes('Forwarding from') ? true : undefined), 30_000);
    assert.match(await httpGet(`http://127.0.0.1:${port}/`), /k8ts busybox/);
    pf.kill('SIGKILL');
    pf = undefined;

    // deleting a pod stops its container and frees its IP (the Deployment makes a new one)
    const net = cniNetwork(srv.dataDir, containerdPaths(srv.dataDir).cniConfDir);
    const reserved = join(net.ipamDir, net.name, ips[0]);
    assert.ok(existsSync(reserved), `${reserved} not reserved`);
    kc(kcfg, ['delete', 'pod', name, '--grace-period=3', '--wait=true']);
    assert.ok(!existsSync(reserved), 'the deleted pod\'s IP is still reserved');
    await until('a replacement Running', () => {
      const items = JSON.parse(kc(kcfg, ['get', 'pods', '-l', 'app=web', '-o', 'json'])).items;
      return items.filter((p: any) => p.status?.phase === 'Running' && p.metadata.name !== name).length === 3 ? true : undefined;
    }, 60_000);
  } finally {
    pf?.kill('SIGKILL');
    if (srv) { await srv.stop({ keepData: true }); forceCleanup(srv.dataDir); await srv.stop(); }
  }
});
