// End to end, as root: a pod's hostPort (the CNI portmap plugin) answers on the node's address, and
// once the pod and the server are gone no portmap chains are left in the host's nat tables (the
// plugin leaves its CNI-HOSTPORT-* chains behind; the kubelet's cleanup removes them when idle).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { networkInterfaces } from 'node:os';
import { startK8ts, kc, type ServerHandle } from '../e2e/harness.js';
import { freePort, httpGet, kubeletPrereqs, sleep, until } from './testing/e2e.js';
import { forceCleanup } from './cleanup.js';

const skip = kubeletPrereqs();

/** the CNI-HOSTPORT chains of the host's nat tables */
function portmapChains(): string[] {
  const out: string[] = [];
  for (const family of ['ip', 'ip6']) {
    try { out.push(...(execFileSync('nft', ['list', 'table', family, 'nat'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).match(/chain CNI-[\w-]+/g) ?? [])); } catch { /* no table */ }
  }
  return out;
}

test('a hostPort answers on the node address; no portmap chains are left behind', { skip, timeout: 180_000 }, async () => {
  const before = portmapChains();
  const nodeIP = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
  assert.ok(nodeIP, 'a non-loopback IPv4 address');
  const octet = 100 + Math.floor(Math.random() * 150);
  const hostPort = await freePort();
  let srv: ServerHandle | undefined;
  try {
    srv = await startK8ts({ kubelet: true, env: { K8TS_POD_CIDR: `10.42.${octet}.0/24`, K8TS_NODE_NAME: `k8ts-hp-${octet}`, K8TS_NODE_IP: nodeIP }, timeoutMs: 60_000 });
    const kcfg = srv.kubeconfig;
    kc(kcfg, ['apply', '-f', '-'], { input: JSON.stringify({
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'hp' },
      spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'web', image: 'k8ts/busybox-httpd', imagePullPolicy: 'IfNotPresent', ports: [{ containerPort: 80, hostPort }] }] },
    }) });
    await until('pod Running', () => (JSON.parse(kc(kcfg, ['get', 'pod', 'hp', '-o', 'json'])).status?.phase === 'Running' ? true : undefined));
    let page = '';
    for (const end = Date.now() + 30_000; !page && Date.now() < end;) {
      page = await httpGet(`http://${nodeIP}:${hostPort}/`).catch(() => '');
      if (!page) await sleep(250);
    }
    assert.match(page, /k8ts busybox/);
    kc(kcfg, ['delete', 'pod', 'hp', '--grace-period=0', '--wait=true']);
  } finally {
    if (srv) { await srv.stop({ keepData: true }); forceCleanup(srv.dataDir); await srv.stop(); }
  }
  // chains someone else had before this test may stay; none of ours
  assert.deepEqual(portmapChains().filter((c) => !before.includes(c)), []);
});
