// End to end, as root: container resources become cgroup limits (the container reads its own
// memory limit and CFS quota), and a container that outgrows its memory limit is OOM-killed and
// shows reason OOMKilled with exit code 137; termination messages from the file or the log tail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startK8ts, kc, type ServerHandle } from '../e2e/harness.js';
import { kubeletPrereqs, until } from './testing/e2e.js';
import { forceCleanup } from './cleanup.js';

const skip = kubeletPrereqs();

const pods = `
apiVersion: v1
kind: Pod
metadata: {name: limited}
spec:
  containers:
  - name: c
    image: busybox
    resources: {requests: {cpu: 50m, memory: 16Mi}, limits: {cpu: 100m, memory: 32Mi}}
    command: [sh, -c, 'echo "mem $(cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max)"; echo "cpu $(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null || cut -d" " -f1 /sys/fs/cgroup/cpu.max)"; exec sleep 3600']
---
apiVersion: v1
kind: Pod
metadata: {name: hog}
spec:
  restartPolicy: Never
  containers:
  - name: c
    image: busybox
    resources: {limits: {memory: 20Mi}}
    command: [sh, -c, 'a=$(head -c 200000000 /dev/zero | tr "\\\\0" x); echo survived']
---
apiVersion: v1
kind: Pod
metadata: {name: msg}
spec:
  restartPolicy: Never
  containers:
  - {name: file, image: busybox, command: [sh, -c, 'echo "bye now" > /dev/termination-log; exit 2']}
  - {name: logs, image: busybox, terminationMessagePolicy: FallbackToLogsOnError, command: [sh, -c, 'echo from-log; exit 1']}
`;

test('cgroup limits from resources; OOMKilled', { skip, timeout: 180_000 }, async () => {
  const octet = 100 + Math.floor(Math.random() * 150);
  let srv: ServerHandle | undefined;
  try {
    srv = await startK8ts({ kubelet: true, env: { K8TS_POD_CIDR: `10.42.${octet}.0/24`, K8TS_NODE_NAME: `k8ts-res-${octet}` }, timeoutMs: 60_000 });
    const kcfg = srv.kubeconfig;
    kc(kcfg, ['apply', '-f', '-'], { input: pods });
    const log = await until('limits logged', () => {
      const r = kc(kcfg, ['get', 'pod', 'limited', '-o', 'jsonpath={.status.phase}']) === 'Running' ? kc(kcfg, ['logs', 'limited']) : '';
      return /cpu \S+/.test(r) ? r : undefined;
    }, 90_000);
    assert.match(log, new RegExp(`mem ${32 * 1024 * 1024}\\n`));
    assert.match(log, /cpu 10000\n/);
    assert.equal(kc(kcfg, ['get', 'pod', 'limited', '-o', 'jsonpath={.status.qosClass}']), 'Burstable');

    const term = await until('hog terminated', () => {
      const p = JSON.parse(kc(kcfg, ['get', 'pod', 'hog', '-o', 'json']));
      return p.status?.containerStatuses?.[0]?.state?.terminated;
    }, 90_000);
    assert.equal(term.reason, 'OOMKilled', JSON.stringify(term));
    assert.equal(term.exitCode, 137);
    assert.equal(kc(kcfg, ['get', 'pod', 'hog', '-o', 'jsonpath={.status.phase}']), 'Failed');
    assert.match(kc(kcfg, ['get', 'pod', 'hog']), /OOMKilled/);

    // termination messages: the file at terminationMessagePath, or the log tail on error
    const msgs = await until('msg terminated', () => {
      const p = JSON.parse(kc(kcfg, ['get', 'pod', 'msg', '-o', 'json']));
      const t = Object.fromEntries((p.status?.containerStatuses ?? []).map((c: any) => [c.name, c.state?.terminated]));
      return t.file && t.logs ? t : undefined;
    }, 60_000);
    assert.equal(msgs.file.message, 'bye now\n');
    assert.equal(msgs.file.exitCode, 2);
    assert.equal(msgs.logs.message, 'from-log\n');
  } finally {
    if (srv) { await srv.stop({ keepData: true }); forceCleanup(srv.dataDir); await srv.stop(); }
  }
});
