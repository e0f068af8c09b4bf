// End to end, as root: a real `k8ts server` runs a busybox pod through our containerd; the pod
// becomes Running with an IP that answers HTTP from the host, its log holds its output, and
// deleting it removes its containers, sandbox, netns and IP. Everything is torn down even on failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startK8ts, kc, type ServerHandle } from '../e2e/harness.js';
import { httpGet, kubeletPrereqs, until } from './testing/e2e.js';
import { CriClient } from './cri/client.js';
import { containerdPaths } from './containerd.js';
import { cniNetwork } from './cni.js';
import { forceCleanup } from './cleanup.js';

const skip = kubeletPrereqs();

test('kubelet runs a busybox pod on containerd and removes it on delete', { skip, timeout: 180_000 }, async () => {
  const octet = 100 + Math.floor(Math.random() * 150);
  let srv: ServerHandle | undefined;
  let dataDir = '';
  try {
    srv = await startK8ts({ kubelet: true, env: { K8TS_POD_CIDR: `10.42.${octet}.0/24`, K8TS_NODE_NAME: `k8ts-e2e-${octet}` }, timeoutMs: 60_000 });
    dataDir = srv.dataDir;
    const kcfg = srv.kubeconfig;
    const node = await until('node Ready', () => {
      const r = JSON.parse(kc(kcfg, ['get', 'nodes', '-o', 'json'])).items[0];
      return r?.status?.conditions?.find((c: any) => c.type === 'Ready')?.status === 'True' ? r : undefined;
    });
    assert.equal(node.metadata.name, `k8ts-e2e-${octet}`);
    assert.match(node.status.nodeInfo.containerRuntimeVersion, /^containerd:\/\/\d/);
    assert.ok(Number(node.status.capacity.cpu) >= 1);
    assert.ok(parseInt(node.status.allocatable.memory, 10) < parseInt(node.status.capacity.memory, 10));
    assert.ok(node.status.images.some((i: any) => i.names.includes('docker.io/library/busybox:latest')), JSON.stringify(node.status.images));
    assert.equal(node.status.conditions.find((c: any) => c.type === 'MemoryPressure').status, 'False');
    assert.ok(kc(kcfg, ['get', 'lease', '-n', 'kube-node-lease', node.metadata.name, '-o', 'name']).includes(node.metadata.name));

    kc(kcfg, ['run', 'web', '--image=busybox', '--', 'sh', '-c', 'echo hello; hostname; httpd -p 80 -h /var/www; sleep 3600']);
    const pod = await until('pod Running', () => {
      const p = JSON.parse(kc(kcfg, ['get', 'pod', 'web', '-o', 'json']));
      return p.status?.phase === 'Running' && p.status.podIP ? p : undefined;
    });
    assert.match(pod.status.podIP, new RegExp(`^10\\.42\\.${octet}\\.\\d+$`));
    const cs = pod.status.containerStatuses[0];
    assert.ok(cs.state.running && cs.ready && cs.containerID.startsWith('containerd://'));
    assert.equal(pod.status.conditions.find((c: any) => c.type === 'Ready').status, 'True');
    const uid = pod.metadata.uid;
    const log = join(dataDir, 'agent', 'pods', uid, 'web', '0.log');
    await until('log written', () => (existsSync(log) && readFileSync(log, 'utf8').includes('web') ? true : undefined), 10_000);
    assert.match(readFileSync(log, 'utf8'), /stdout F hello\n.*stdout F web\n/);
    assert.match(await httpGet(`http://${pod.status.podIP}/`), /k8ts busybox/);

    const cri = new CriClient(containerdPaths(dataDir).socket);
    try {
      const sbs = (await cri.call('ListPodSandbox', {})).items;
      assert.equal(sbs.length, 1);
      const netns = readFileSync(join(dataDir, 'agent', 'pods', uid, `netns-${sbs[0].id.slice(0, 12)}`), 'utf8');
      assert.ok(existsSync(netns), netns);
      kc(kcfg, ['delete', 'pod', 'web', '--grace-period=1', '--wait=true']);
      assert.equal((await cri.call('ListPodSandbox', {})).items.length, 0);
      assert.equal((await cri.call('ListContainers', {})).containers.length, 0);
      assert.ok(!existsSync(netns), `${netns} left behind`);
      const net = cniNetwork(dataDir, containerdPaths(dataDir).cniConfDir);
      const ipam = join(net.ipamDir, net.name);
      assert.ok(!existsSync(join(ipam, pod.status.podIP)), 'pod IP still reserved');
    } finally { cri.close(); }
  } finally {
    if (srv) await srv.stop({ keepData: true });
    if (dataDir) {
      forceCleanup(dataDir);
      const bridge = cniNetwork(dataDir, containerdPaths(dataDir).cniConfDir).bridge;
      const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(dataDir));
      const links = execFileSync('ip', ['-br', 'link'], { encoding: 'utf8' });
      rmSync(dataDir, { recursive: true, force: true });
      assert.deepEqual(mounts, [], 'mounts left under the data dir');
      assert.ok(!links.includes(bridge), `bridge ${bridge} left behind`);
    }
  }
});
