// End to end, as root: kubectl exec, attach, run -it --rm and cp against a real `k8ts server` whose
// kubelet runs busybox pods on our containerd. kubectl 1.32 speaks websocket v5 to the API server,
// which proxies the upgrade to the kubelet, which serves it from a SPDY session with containerd's
// stream server; kubectl 1.27 speaks SPDY, passed through to containerd. Everything is torn down
// even on failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startK8ts, kc, kubectl, kubectlPath, type ServerHandle } from '../e2e/harness.js';
import { interactive, kubeletPrereqs, until } from './testing/e2e.js';
import { forceCleanup } from './cleanup.js';

const skip = kubeletPrereqs() || (spawnSync('script', ['--version']).status !== 0 && 'script (util-linux) not found');

const podYaml = `
apiVersion: v1
kind: Pod
metadata: {name: box}
spec:
  containers:
  - {name: main, image: busybox, command: [sleep, '3600']}
  - {name: side, image: busybox, command: [sleep, '3600']}
---
apiVersion: v1
kind: Pod
metadata: {name: reader}
spec:
  containers:
  - name: c
    image: busybox
    stdin: true
    command: [sh, -c, 'echo started; while read l; do echo "got $l"; done; echo bye; sleep 3600']
`;

/** a shell command line under a pseudo-terminal (script), fed `input` after a pause */
function withTty(kubeconfig: string, cmd: string, input: string, pauseSec = 2): { code: number; out: string } {
  const line = `(sleep ${pauseSec}; printf '%s' "$INPUT"; sleep 2) | script -qec "$CMD" /dev/null`;
  const r = spawnSync('sh', ['-c', line], {
    encoding: 'utf8', timeout: 90_000, env: { ...process.env, KUBECONFIG: kubeconfig, INPUT: input, CMD: cmd },
  });
  return { code: r.status ?? -1, out: (r.stdout ?? '').replace(/\r/g, '') };
}

test('kubectl exec, attach, run -it --rm and cp on real containers', { skip, timeout: 300_000 }, async () => {
  const octet = 100 + Math.floor(Math.random() * 150);
  let srv: ServerHandle | undefined;
  let dataDir = '';
  try {
    srv = await startK8ts({ kubelet: true, env: { K8TS_POD_CIDR: `10.42.${octet}.0/24`, K8TS_NODE_NAME: `k8ts-exec-${octet}` }, timeoutMs: 60_000 });
    dataDir = srv.dataDir;
    const kcfg = srv.kubeconfig;
    await until('node Ready', () => {
      const r = JSON.parse(kc(kcfg, ['get', 'nodes', '-o', 'json'])).items[0];
      return r?.status?.conditions?.find((c: any) => c.type === 'Ready')?.status === 'True' ? true : undefined;
    });
    kc(kcfg, ['apply', '-f', '-'], { input: podYaml });
    await until('pods Running', () => {
      const items = JSON.parse(kc(kcfg, ['get', 'pods', '-o', 'json'])).items;
      return items.length === 2 && items.every((p: any) => p.status?.phase === 'Running'
        && (p.status.containerStatuses ?? []).every((c: any) => c.state?.running)) ? true : undefined;
    }, 90_000);

    // stdout and stderr apart; the exit code becomes kubectl's
    let r = kubectl(kcfg, ['exec', 'box', '-c', 'main', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stdout, 'out\n');
    assert.match(r.stderr, /^err\n/);
    assert.match(r.stderr, /command terminated with exit code 3/);
    assert.equal(kc(kcfg, ['exec', 'box', '--', 'cat', '/etc/hostname']), 'box\n');
    // kubectl 1.32 used the websocket (v5), with no fall back to SPDY
    r = kubectl(kcfg, ['exec', '-v=6', 'box', '--', 'true']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /The subprotocol is v5\.channel\.k8s\.io/);
    assert.doesNotMatch(r.stderr, /fallback/i);
    // -c picks the container (its own pid namespace is not shared: its sleep is pid 1 too)
    assert.equal(kc(kcfg, ['exec', 'box', '-c', 'side', '--', 'sh', '-c', 'cat /proc/1/cmdline | tr "\\0" " "']), 'sleep 3600 ');
    // stdin until EOF (v5's close signal)
    assert.equal(kc(kcfg, ['exec', '-i', 'box', '--', 'cat'], { input: 'data\nmore\n' }), 'data\nmore\n');
    assert.equal(kc(kcfg, ['exec', '-i', 'box', '--', 'wc', '-c'], { input: 'x'.repeat(200_000) }).trim(), '200000');
    // the runtime's errors and upstream's messages
    r = kubectl(kcfg, ['exec', 'box', '--', 'nosuchcmd']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /executable file not found in \$PATH/);
    const raw = kubectl(kcfg, ['get', '--raw', '/api/v1/namespaces/default/pods/box/exec?command=ls']);
    assert.match(raw.stderr, /a container name must be specified for pod box, choose one of: \[main side\]/);

    // kubectl 1.27: SPDY, passed through to containerd
    const old = kubectlPath('1.27');
    r = kubectl(kcfg, ['exec', 'box', '--', 'sh', '-c', 'echo old; exit 4'], { version: '1.27' });
    assert.equal(r.code, 4, `${old}: ${r.stderr}`);
    assert.equal(r.stdout, 'old\n');
    assert.equal(kc(kcfg, ['exec', '-i', 'box', '--', 'cat'], { version: '1.27', input: 'spdy in\n' }), 'spdy in\n');

    // a terminal: size from kubectl's terminal and its resizes, exit code through
    let t = withTty(kcfg, "stty rows 33 cols 101; kubectl exec -it box -- sh", 'stty size; tty; exit 5\n');
    assert.equal(t.code, 5, t.out);
    assert.match(t.out, /^33 101$/m);
    assert.match(t.out, /^\/dev\/pts\/\d+$/m);

    // cp both ways (tar over exec; into the pod needs stdin's EOF)
    const local = join(dataDir, 'payload.bin');
    const payload = randomBytes(1_500_000);
    writeFileSync(local, payload);
    kc(kcfg, ['cp', local, 'box:/tmp/payload.bin', '-c', 'main']);
    assert.equal(kc(kcfg, ['exec', 'box', '--', 'sh', '-c', 'wc -c < /tmp/payload.bin']).trim(), String(payload.length));
    const back = join(dataDir, 'back.bin');
    kc(kcfg, ['cp', 'box:/tmp/payload.bin', back, '-c', 'main']);
    assert.ok(readFileSync(back).equals(payload), 'copied back unchanged');

    // attach to a running container's stdin and output; stdin's EOF ends the attach (containerd, as
    // for upstream), so it ends only once the answers came back
    const att = await interactive(kcfg, ['attach', '-i', 'reader'], [['hello', /got hello\n/], ['world', /got hello\n(got hello\n)*got world\n/]]);
    assert.equal(att.code, 0, att.stderr);
    assert.match(att.stdout, /got hello\n(got hello\n)*got world\n/);

    // run -i --rm: the pod's stdin, its output, then the pod is gone
    r = kubectl(kcfg, ['run', '-i', '--rm', 'probe', '--image=busybox', '--restart=Never', '--', 'sh', '-c', 'read x; echo "hi $x"; hostname'], { input: 'there\n', timeoutMs: 90_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^hi there\nprobe\n/);
    assert.match(r.stdout, /pod "probe" deleted/);
    // run -it --rm on a terminal, the command as it is: the output comes through the attach
    // (whose first use replays what the command wrote before it) or, once the container has exited,
    // from kubectl's fallback to the logs; tried a few times, as the two race
    for (const name of ['probe2', 'probe3', 'probe4']) {
      t = withTty(kcfg, `kubectl run -it --rm ${name} --image=busybox --restart=Never -- sh -c 'echo hi; hostname'`, '');
      assert.equal(t.code, 0, t.out);
      assert.match(t.out, new RegExp(`^hi\\n${name}\\n`, 'm'));
      assert.match(t.out, new RegExp(`pod "${name}" deleted`));
    }
    assert.equal(kubectl(kcfg, ['get', 'pod', 'probe', 'probe2', 'probe3', 'probe4']).code, 1);
    // an interactive shell: the attach's first output is what the shell wrote before it
    t = withTty(kcfg, 'kubectl run -it --rm shell --image=busybox --restart=Never -- sh', 'echo hello-$((1+2))\nexit\n', 4);
    assert.equal(t.code, 0, t.out);
    assert.match(t.out, /BusyBox v[\d.]+/);
    assert.match(t.out, /^hello-3$/m);
    assert.match(t.out, /pod "shell" deleted/);

    // a completed pod: the API server's 400
    kc(kcfg, ['run', 'done', '--image=busybox', '--restart=Never', '--', 'true']);
    await until('done Succeeded', () => (kc(kcfg, ['get', 'pod', 'done', '-o', 'jsonpath={.status.phase}']) === 'Succeeded' ? true : undefined));
    const done = kubectl(kcfg, ['get', '--raw', '/api/v1/namespaces/default/pods/done/exec?command=true']);
    assert.match(done.stderr, /cannot exec into a container in a completed pod; current phase is Succeeded/);

    kc(kcfg, ['delete', 'pod', 'box', 'reader', 'done', '--grace-period=1', '--wait=true'], { timeoutMs: 90_000 });
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
