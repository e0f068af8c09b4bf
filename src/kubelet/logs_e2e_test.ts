// End to end, as root: `kubectl logs` against a real `k8ts server` whose kubelet runs busybox pods on
// our containerd. The API server proxies pods/log to the kubelet's HTTPS API (client certificate),
// which reads the CRI log files: plain, --tail, --timestamps, --limit-bytes, -c, -f, --previous,
// and upstream's errors. Everything is torn down even on failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { startK8ts, kc, kubectl, kubectlPath, type ServerHandle } from '../e2e/harness.js';
import { kubeletPrereqs, until } from './testing/e2e.js';
import { forceCleanup } from './cleanup.js';

const skip = kubeletPrereqs();

const podYaml = `
apiVersion: v1
kind: Pod
metadata: {name: counter}
spec:
  containers:
  - name: count
    image: busybox
    command: [sh, -c, 'i=1; while true; do echo "line $i"; i=$((i+1)); sleep 0.5; done']
  - name: side
    image: busybox
    command: [sh, -c, 'echo side-out; echo side-err >&2; sleep 3600']
---
apiVersion: v1
kind: Pod
metadata: {name: crash}
spec:
  containers:
  - name: c
    image: busybox
    # the first run crashes; the restarted one stays up (the kubelet restarts the first crash at once)
    command: [sh, -c, 'echo "run $(cat /proc/sys/kernel/random/uuid)"; if [ -e /d/ran ]; then exec sleep 3600; fi; touch /d/ran; sleep 1; exit 3']
    volumeMounts: [{name: d, mountPath: /d}]
  volumes: [{name: d, emptyDir: {}}]
---
apiVersion: v1
kind: Pod
metadata: {name: noimage}
spec:
  containers:
  - name: c
    image: example.invalid/none:1
    imagePullPolicy: Never
`;

/** a GET to the kubelet's API, optionally with a client certificate */
function kubeletGet(port: number, path: string, cert?: { cert: string; key: string }): Promise<{ code: number; body: string }> {
  return new Promise((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port, path, rejectUnauthorized: false, ...cert, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
    });
    r.on('error', reject);
    r.end();
  });
}

test('kubectl logs reads real container logs through the kubelet', { skip, timeout: 240_000 }, async () => {
  const octet = 100 + Math.floor(Math.random() * 150);
  let srv: ServerHandle | undefined;
  let dataDir = '';
  try {
    srv = await startK8ts({ kubelet: true, env: { K8TS_POD_CIDR: `10.42.${octet}.0/24`, K8TS_NODE_NAME: `k8ts-logs-${octet}` }, timeoutMs: 60_000 });
    dataDir = srv.dataDir;
    const kcfg = srv.kubeconfig;
    const node = await until('node Ready', () => {
      const r = JSON.parse(kc(kcfg, ['get', 'nodes', '-o', 'json'])).items[0];
      return r?.status?.conditions?.find((c: any) => c.type === 'Ready')?.status === 'True' ? r : undefined;
    });
    const port: number = node.status.daemonEndpoints.kubeletEndpoint.Port;
    assert.ok(port > 0 && port !== 10250, `random kubelet port reported, got ${port}`);
    assert.deepEqual(node.status.addresses.find((a: any) => a.type === 'InternalIP'), { type: 'InternalIP', address: '127.0.0.1' });

    // the kubelet API: no client certificate -> 401; the admin's (system:masters, client CA) -> served
    assert.equal((await kubeletGet(port, '/healthz')).code, 401);
    const admin = { cert: readFileSync(join(dataDir, 'tls', 'client-admin.crt'), 'utf8'), key: readFileSync(join(dataDir, 'tls', 'client-admin.key'), 'utf8') };
    assert.deepEqual(await kubeletGet(port, '/healthz', admin), { code: 200, body: 'ok' });

    kc(kcfg, ['apply', '-f', '-'], { input: podYaml });
    await until('counter Running with 3 lines', () => {
      const p = JSON.parse(kc(kcfg, ['get', 'pod', 'counter', '-o', 'json']));
      if (p.status?.phase !== 'Running') return undefined;
      const r = kubectl(kcfg, ['logs', 'counter', '-c', 'count']);
      return r.code === 0 && /line 3\n/.test(r.stdout) ? true : undefined;
    });

    // plain: numbered lines from 1, in order
    const all = kc(kcfg, ['logs', 'counter', '-c', 'count']).trimEnd().split('\n');
    assert.deepEqual(all, all.map((_, i) => `line ${i + 1}`));
    // -c picks the container; stdout and stderr both
    assert.deepEqual(kc(kcfg, ['logs', 'counter', '-c', 'side']).trimEnd().split('\n').sort(), ['side-err', 'side-out']);
    // no -c: kubectl 1.32 defaults to the first container; the API itself answers upstream's 400
    const def = kubectl(kcfg, ['logs', 'counter']);
    assert.equal(def.code, 0);
    assert.match(def.stdout, /^line 1\n/);
    const raw = kubectl(kcfg, ['get', '--raw', '/api/v1/namespaces/default/pods/counter/log']);
    assert.notEqual(raw.code, 0);
    assert.match(raw.stderr, /a container name must be specified for pod counter, choose one of: \[count side\]/);
    assert.match(kubectl(kcfg, ['logs', 'counter', '-c', 'nope']).stderr, /container nope is not valid for pod counter/);

    // --tail=2: the last two lines, consecutive
    const tail = kc(kcfg, ['logs', 'counter', '-c', 'count', '--tail=2']).trimEnd().split('\n');
    assert.equal(tail.length, 2);
    const [a, b] = tail.map((l) => Number(/^line (\d+)$/.exec(l)?.[1]));
    // the last two lines now: no older than the last two read above (a new line may have come since)
    assert.ok(a >= all.length - 1 && b === a + 1, `${tail.join('|')} after ${all.length} lines`);
    // --timestamps: RFC3339Nano prefix
    const ts = kc(kcfg, ['logs', 'counter', '-c', 'count', '--timestamps', '--tail=3']).trimEnd().split('\n');
    assert.equal(ts.length, 3);
    for (const l of ts) assert.match(l, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d) line \d+$/);
    assert.ok(Math.abs(Date.parse(ts[2].split(' ')[0]) - Date.now()) < 60_000);
    // --limit-bytes and --since
    assert.equal(kc(kcfg, ['logs', 'counter', '-c', 'count', '--limit-bytes=8']), 'line 1\nl');
    assert.match(kc(kcfg, ['logs', 'counter', '-c', 'count', '--since=1h']), /^line 1\n/);

    // -f: sees lines printed after it started, then is stopped
    const before = kc(kcfg, ['logs', 'counter', '-c', 'count']).trimEnd().split('\n').length;
    const f = spawn(kubectlPath(), ['--kubeconfig', kcfg, 'logs', '-f', 'counter', '-c', 'count'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let followed = '';
    f.stdout.on('data', (d) => { followed += d; });
    try {
      await until('follow sees a new line', () => (followed.includes(`line ${before + 3}\n`) ? true : undefined), 20_000);
      assert.equal(f.exitCode, null, 'kubectl logs -f still running');
      const lines = followed.trimEnd().split('\n');
      assert.deepEqual(lines.slice(0, before + 3), Array.from({ length: before + 3 }, (_, i) => `line ${i + 1}`));
    } finally {
      f.kill('SIGKILL');
    }

    // a container that has not started: upstream's message from the kubelet
    await until('noimage waiting', () => {
      const p = JSON.parse(kc(kcfg, ['get', 'pod', 'noimage', '-o', 'json']));
      return p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ErrImageNeverPull' ? true : undefined;
    });
    const waiting = kubectl(kcfg, ['logs', 'noimage']);
    assert.notEqual(waiting.code, 0);
    assert.match(waiting.stderr, /Error from server \(BadRequest\): container "c" in pod "noimage" is waiting to start: ErrImageNeverPull/);

    // --previous after a restart: the earlier run's output, different from the current one
    const noPrev = kubectl(kcfg, ['logs', 'counter', '-c', 'count', '--previous']);
    assert.match(noPrev.stderr, /previous terminated container "count" in pod "counter" not found/);
    await until('crash restarted', () => {
      const p = JSON.parse(kc(kcfg, ['get', 'pod', 'crash', '-o', 'json']));
      const cs = p.status?.containerStatuses?.[0];
      return cs?.restartCount >= 1 && cs.lastState?.terminated?.exitCode === 3 ? true : undefined;
    }, 60_000);
    const cur = await until('current run logged', () => {
      const r = kubectl(kcfg, ['logs', 'crash']);
      return r.code === 0 && /^run \S+\n$/.test(r.stdout) ? r.stdout : undefined;
    }, 20_000);
    const prev = kc(kcfg, ['logs', 'crash', '--previous']);
    assert.match(prev, /^run \S+\n$/);
    assert.notEqual(prev, cur);

    kc(kcfg, ['delete', 'pod', 'counter', 'crash', 'noimage', '--grace-period=1', '--wait=true'], { timeoutMs: 90_000 });
  } finally {
    if (srv) await srv.stop({ keepData: true });
    if (dataDir) {
      forceCleanup(dataDir);
      const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(dataDir));
      rmSync(dataDir, { recursive: true, force: true });
      assert.deepEqual(mounts, [], 'mounts left under the data dir');
    }
  }
});
