// End to end, as root: restarting `k8ts server` neither restarts nor loses running containers
// (pods keep serving while it is down and are re-adopted, same container and restart count), a pod
// deleted while the node agent was away is cleaned up when it returns, `k8ts image import` loads an
// image archive into the node's containerd, and `k8ts killall` leaves nothing behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startK8ts, kc, k8tsBin, type ServerHandle } from '../e2e/harness.js';
import { httpGet, kubeletPrereqs, until } from './testing/e2e.js';
import { CriClient } from './cri/client.js';
import { containerdPaths } from './containerd.js';
import { cniNetwork, cniResultsDir } from './cni.js';
import { forceCleanup } from './cleanup.js';
import { buildTestImages } from './testimages.js';

const skip = kubeletPrereqs();
const k8ts = (args: string[]) => execFileSync(process.execPath, [k8tsBin, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

function runningPod(kcfg: string, name: string): any {
  const p = JSON.parse(kc(kcfg, ['get', 'pod', name, '-o', 'json']));
  return p.status?.phase === 'Running' && p.status.containerStatuses?.[0]?.state?.running ? p : undefined;
}

test('server restart re-adopts running containers; killall and image import', { skip, timeout: 300_000 }, async () => {
  const octet = 100 + Math.floor(Math.random() * 150);
  const dataDir = mkdtempSync(join(tmpdir(), 'k8ts-restart-'));
  const env = { K8TS_POD_CIDR: `10.42.${octet}.0/24`, K8TS_NODE_NAME: `k8ts-restart-${octet}`, K8TS_KUBELET_CLEANUP_ON_EXIT: 'false' };
  let srv: ServerHandle | undefined;
  const cri = new CriClient(containerdPaths(dataDir).socket);
  try {
    srv = await startK8ts({ dataDir, kubelet: true, env, timeoutMs: 60_000 });
    const kcfg = srv.kubeconfig;
    for (const name of ['web', 'gone']) kc(kcfg, ['run', name, '--image=busybox', '--', 'httpd', '-f', '-p', '80', '-h', '/var/www']);
    const web = await until('web Running', () => runningPod(kcfg, 'web'));
    await until('gone Running', () => runningPod(kcfg, 'gone'));
    const ip = web.status.podIP;
    const id = web.status.containerStatuses[0].containerID;
    assert.match(await httpGet(`http://${ip}/`), /k8ts busybox/);

    // 1. the whole server stops: the pods keep serving
    await srv.stop({ keepData: true });
    srv = undefined;
    assert.match(await httpGet(`http://${ip}/`), /k8ts busybox/, 'pod stopped serving while k8ts was down');

    // 2. the control plane alone comes back (no node agent) and a pod is force-deleted meanwhile
    srv = await startK8ts({ dataDir, env, timeoutMs: 60_000 });
    kc(srv.kubeconfig, ['delete', 'pod', 'gone', '--grace-period=0', '--force']);
    await srv.stop({ keepData: true });
    srv = undefined;

    // 3. with the node agent again: same container, no restart, and the deleted pod's sandbox goes
    srv = await startK8ts({ dataDir, kubelet: true, env, timeoutMs: 60_000 });
    const again = await until('web Running after restart', () => {
      const p = runningPod(kcfg, 'web');
      return p && p.status.containerStatuses[0].ready ? p : undefined;
    });
    assert.equal(again.status.containerStatuses[0].containerID, id, 'the container was replaced');
    assert.equal(again.status.containerStatuses[0].restartCount, 0);
    assert.equal(again.status.podIP, ip);
    assert.match(await httpGet(`http://${ip}/`), /k8ts busybox/);
    const end = Date.now() + 60_000;
    let sandboxes: any[] = [];
    while (Date.now() < end) {
      sandboxes = (await cri.call('ListPodSandbox', {})).items;
      if (sandboxes.length === 1) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.deepEqual(sandboxes.map((s: any) => s.metadata.name), ['web']);

    // 4. k8ts image import loads an archive into the node's containerd
    const tar = join(dataDir, 'images.tar');
    const names = buildTestImages(tar);
    execFileSync('ctr', ['-a', containerdPaths(dataDir).socket, '-n', 'k8s.io', 'images', 'rm', 'docker.io/library/busybox:latest']);
    assert.ok(!k8ts(['image', 'ls', '--data-dir', dataDir]).split('\n').includes('docker.io/library/busybox:latest'));
    const out = k8ts(['image', 'import', tar, '--data-dir', dataDir]);
    for (const n of names) assert.ok(out.includes(`imported ${n}`), out);
    assert.ok(k8ts(['image', 'ls', '--data-dir', dataDir]).split('\n').includes('docker.io/library/busybox:latest'));

    // a sandbox another CRI client made (as crictl runp would): the kubelet leaves it alone, and
    // killall removes its network namespace too
    const foreign = (await cri.call('RunPodSandbox', { config: {
      metadata: { name: 'foreign', namespace: 'other', uid: `foreign-${octet}`, attempt: 0 }, hostname: 'foreign', logDirectory: join(dataDir, 'foreign'),
      linux: { securityContext: { namespaceOptions: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' } } },
    } })).podSandboxId;
    const spec = JSON.parse((await cri.call('PodSandboxStatus', { podSandboxId: foreign, verbose: true })).info.info).runtimeSpec;
    const foreignNetns: string = spec.linux.namespaces.find((n: any) => n.type === 'network').path;
    assert.ok(existsSync(foreignNetns), foreignNetns);

    // 5. stopping leaves the pod running, also while a pod worker waits out a container's grace
    // period (a liveness kill of a container that ignores SIGTERM): the server's own containerd
    // stops all the same; killall removes everything
    kc(kcfg, ['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'slow' },
      spec: { terminationGracePeriodSeconds: 60, containers: [{ name: 'c', image: 'busybox', imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'trap "" TERM; while true; do sleep 1; done'],
        livenessProbe: { exec: { command: ['false'] }, periodSeconds: 1, failureThreshold: 1 } }] } }) });
    await until('slow killed by its liveness probe', () => (kc(kcfg, ['get', 'events', '--field-selector', 'involvedObject.name=slow', '-o', 'jsonpath={.items[*].reason}']).split(' ').includes('Killing') ? true : undefined));
    await new Promise((r) => setTimeout(r, 1000));
    await srv.stop({ keepData: true });
    srv = undefined;
    const daemons = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(dataDir) && /^\S*containerd --config/.test(l));
    assert.deepEqual(daemons, [], 'containerd left running after the server stopped');
    assert.match(await httpGet(`http://${ip}/`), /k8ts busybox/);
    const initPid = Number(readFileSync(join(containerdPaths(dataDir).state, 'io.containerd.runtime.v2.task', 'k8s.io', id.replace('containerd://', ''), 'init.pid'), 'utf8'));
    assert.ok(existsSync(`/proc/${initPid}`));
    k8ts(['killall', '--data-dir', dataDir]);
    // (no request to the pod IP now: with the bridge gone it would leave the machine by the default route)
    for (let i = 0; i < 40 && existsSync(`/proc/${initPid}`); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(!existsSync(`/proc/${initPid}`), 'the container is still running');
    const procs = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(dataDir));
    assert.deepEqual(procs, [], 'processes left running');
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(dataDir));
    assert.deepEqual(mounts, [], 'mounts left under the data dir');
    const bridge = cniNetwork(dataDir, containerdPaths(dataDir).cniConfDir).bridge;
    assert.ok(!execFileSync('ip', ['-br', 'link'], { encoding: 'utf8' }).includes(bridge), `bridge ${bridge} left behind`);
    assert.ok(!existsSync(foreignNetns), `${foreignNetns} left behind`);
    const net = cniNetwork(dataDir, containerdPaths(dataDir).cniConfDir).name;
    const cached = existsSync(cniResultsDir) ? readdirSync(cniResultsDir).filter((f) => f.startsWith(`${net}-`)) : [];
    assert.deepEqual(cached, [], 'libcni results left in /var/lib/cni/results');
  } finally {
    cri.close();
    if (srv) await srv.stop({ keepData: true });
    forceCleanup(dataDir);
    rmSync(dataDir, { recursive: true, force: true });
  }
});
