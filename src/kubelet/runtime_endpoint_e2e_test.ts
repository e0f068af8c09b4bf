// End to end, as root: `k8ts server --container-runtime-endpoint SOCKET` runs its pods on a
// containerd someone else started (here: one the test starts, with its own CNI config), and
// leaves that containerd running when it stops.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startK8ts, kc, type ServerHandle } from '../e2e/harness.js';
import { kubeletPrereqs, until } from './testing/e2e.js';
import { startContainerd, type Containerd } from './containerd.js';
import { cniNetwork, writeCniConfig } from './cni.js';
import { forceCleanup } from './cleanup.js';

const skip = kubeletPrereqs();

test('--container-runtime-endpoint: pods on an existing containerd', { skip, timeout: 180_000 }, async () => {
  const octet = 100 + Math.floor(Math.random() * 150);
  const extDir = mkdtempSync(join(tmpdir(), 'k8ts-extcri-'));
  let ext: Containerd | undefined;
  let srv: ServerHandle | undefined;
  try {
    ext = await startContainerd(extDir);
    writeCniConfig(cniNetwork(extDir, ext.paths.cniConfDir, `10.42.${octet}.0/24`));
    srv = await startK8ts({
      kubelet: true, args: ['--container-runtime-endpoint', `unix://${ext.paths.socket}`],
      env: { K8TS_POD_CIDR: `10.42.${octet}.0/24`, K8TS_NODE_NAME: `k8ts-extcri-${octet}` }, timeoutMs: 60_000,
    });
    const kcfg = srv.kubeconfig;
    kc(kcfg, ['run', 'web', '--image=busybox', '--', 'sleep', '3600']);
    const ip = await until('pod Running', () => {
      const p = JSON.parse(kc(kcfg, ['get', 'pod', 'web', '-o', 'json']));
      return p.status?.phase === 'Running' ? p.status.podIP : undefined;
    }, 90_000);
    assert.match(ip, new RegExp(`^10\\.42\\.${octet}\\.`));
    const sandboxes = (await ext.cri.call('ListPodSandbox', {})).items;
    assert.deepEqual(sandboxes.map((s: any) => s.metadata.name), ['web'], 'the pod runs on the given runtime');
    await srv.stop();
    srv = undefined;
    assert.ok((await ext.cri.version()).runtimeVersion, 'the external containerd was stopped');
  } finally {
    if (srv) await srv.stop();
    await ext?.stop();
    forceCleanup(extDir);
    rmSync(extDir, { recursive: true, force: true });
  }
});
