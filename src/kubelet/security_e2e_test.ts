// End to end, as root, with real kubectl against a real `k8ts server` running the kubelet: what a
// container's securityContext and the pod's DNS and sysctls give it, read from inside the container.
// A privileged container (in a sandbox the kubelet marks privileged) may mount, one with NET_ADMIN
// may add an address; capabilities.drop ALL empties the bounding set; allowPrivilegeEscalation false sets
// no_new_privs; runAsNonRoot on a root image is CreateContainerConfigError; a safe sysctl applies,
// an unsafe one gets the pod refused (SysctlForbidden);
// dnsConfig options replace the defaults of the same name. kubectl debug runs an ephemeral
// container in the target container's process namespace, also interactively. A deleted pod that a
// finalizer keeps ends in a terminal phase once its containers are down.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kc, kubectl } from '../e2e/harness.js';
import { interactive, kubeletPrereqs, until, withKubeletServer } from './testing/e2e.js';

const skip = kubeletPrereqs();

test('kubelet applies the securityContext, sysctls and dnsConfig of a pod, and runs kubectl debug\'s ephemeral containers', { skip, timeout: 300_000 }, async () => {
  await withKubeletServer('sec', async (srv) => {
    const kcfg = srv.kubeconfig;
    const pod = (name: string, script: string, sc: object = {}, podSpec: object = {}) => kc(kcfg, ['apply', '-f', '-'], { input: JSON.stringify({
      apiVersion: 'v1', kind: 'Pod', metadata: { name },
      spec: { restartPolicy: 'Never', terminationGracePeriodSeconds: 0, ...podSpec, containers: [{ name: 'c', image: 'busybox', imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', script], securityContext: sc }] },
    }) });
    const finished = (name: string) => until(`${name} finished`, () => {
      const p = JSON.parse(kc(kcfg, ['get', 'pod', name, '-o', 'json']));
      return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed' ? p : undefined;
    }, 90_000);
    const output = async (name: string) => { const p = await finished(name); return { phase: p.status.phase, log: kc(kcfg, ['logs', name]) }; };

    const link = 'ip addr add 192.0.2.200/32 dev lo && echo link-ok';
    pod('priv', 'mkdir -p /tmp/m && mount -t tmpfs none /tmp/m && echo mount-ok', { privileged: true });
    pod('netadmin', link, { capabilities: { add: ['NET_ADMIN'] } });
    pod('plain', `${link} || echo link-refused`);
    pod('dropall', 'grep CapBnd /proc/self/status', { capabilities: { drop: ['ALL'] } });
    pod('nnp', 'grep NoNewPrivs /proc/self/status', { allowPrivilegeEscalation: false });
    pod('sysctl', 'cat /proc/sys/net/ipv4/ip_local_port_range', {}, { securityContext: { sysctls: [{ name: 'net.ipv4.ip_local_port_range', value: '20000 30000' }] } });
    pod('dns', 'cat /etc/resolv.conf', {}, { dnsConfig: { options: [{ name: 'ndots', value: '1' }, { name: 'edns0' }] } });
    pod('nonroot', 'id', { runAsNonRoot: true });

    assert.deepEqual(await output('priv'), { phase: 'Succeeded', log: 'mount-ok\n' });
    assert.deepEqual(await output('netadmin'), { phase: 'Succeeded', log: 'link-ok\n' });
    assert.match((await output('plain')).log, /link-refused/);
    assert.match((await output('dropall')).log, /^CapBnd:\s+0000000000000000$/m);
    assert.match((await output('nnp')).log, /^NoNewPrivs:\s+1$/m);
    assert.equal((await output('sysctl')).log.trim().split(/\s+/).join(' '), '20000 30000');
    // an unsafe sysctl: the kubelet refuses the pod, as upstream's allowlist
    pod('unsafe', 'true', {}, { securityContext: { sysctls: [{ name: 'kernel.msgmax', value: '65536' }] } });
    const refused = await finished('unsafe');
    assert.deepEqual([refused.status.phase, refused.status.reason, refused.status.message], ['Failed', 'SysctlForbidden', 'forbidden sysctl: "kernel.msgmax" not allowlisted']);
    const resolv = (await output('dns')).log;
    assert.match(resolv, /^options ndots:1 edns0$/m);
    assert.doesNotMatch(resolv, /ndots:5/);

    const waiting = await until('nonroot refused', () => {
      const p = JSON.parse(kc(kcfg, ['get', 'pod', 'nonroot', '-o', 'json']));
      return p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CreateContainerConfigError' ? p.status.containerStatuses[0].state.waiting : undefined;
    }, 60_000);
    assert.match(waiting.message, /^container has runAsNonRoot and image will run as root \(pod: "nonroot_default\([0-9a-f-]+\)", container: c\)$/);

    // kubectl debug: an ephemeral container in the target's process namespace, its logs, and -i
    kc(kcfg, ['run', 'tgt', '--image=busybox', '--image-pull-policy=IfNotPresent', '--', 'sleep', '3600']);
    await until('tgt running', () => JSON.parse(kc(kcfg, ['get', 'pod', 'tgt', '-o', 'json'])).status?.phase === 'Running' || undefined, 60_000);
    const dbg = kubectl(kcfg, ['debug', 'tgt', '--image=busybox', '--image-pull-policy=IfNotPresent', '--target=tgt', '-c', 'dbg', '--', 'sh', '-c', 'ps; echo debug-ok']);
    assert.equal(dbg.code, 0, dbg.stderr);
    await until('dbg done', () => JSON.parse(kc(kcfg, ['get', 'pod', 'tgt', '-o', 'json'])).status?.ephemeralContainerStatuses?.find((c: any) => c.name === 'dbg')?.state?.terminated, 60_000);
    const dbgLog = kc(kcfg, ['logs', 'tgt', '-c', 'dbg']);
    assert.match(dbgLog, /sleep 3600/, 'the target container\'s processes are visible');
    assert.match(dbgLog, /debug-ok/);
    // -i: lines sh reads before the runtime has joined the attach's output to the container are
    // answered into the log only (containerd starts copying stdin first, for upstream too), so the
    // line is repeated until its answer comes through the attach, then sh is told to exit
    const inter = await interactive(kcfg, ['debug', '-i', 'tgt', '--image=busybox', '--image-pull-policy=IfNotPresent', '-c', 'dbg2', '--', 'sh'], [['echo via-attach', /via-attach/]], 'exit\n');
    assert.equal(inter.code, 0, inter.stderr);
    assert.match(inter.stdout, /via-attach/, inter.stderr);
    const bad = kubectl(kcfg, ['patch', 'pod', 'tgt', '--subresource=ephemeralcontainers', '--type=strategic', '-p', JSON.stringify({ spec: { ephemeralContainers: [{ name: 'bad', image: 'busybox', ports: [{ containerPort: 80 }], targetContainerName: 'nope' }] } })]);
    assert.match(bad.stderr, /spec.ephemeralContainers\[\d\].ports: Forbidden: cannot be set for an Ephemeral Container/);
    assert.match(bad.stderr, /spec.ephemeralContainers\[\d\].targetContainerName: Not found: "nope"/);

    // a deleted pod a finalizer keeps: once its containers are down it shows a terminal phase
    kc(kcfg, ['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'held', finalizers: ['example.com/hold'] },
      spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox', imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }] } }) });
    await until('held running', () => JSON.parse(kc(kcfg, ['get', 'pod', 'held', '-o', 'json'])).status?.phase === 'Running' || undefined, 60_000);
    kc(kcfg, ['delete', 'pod', 'held', '--wait=false']);
    const held = await until('held terminal', () => { const p = JSON.parse(kc(kcfg, ['get', 'pod', 'held', '-o', 'json'])); return p.status?.phase === 'Failed' ? p : undefined; }, 60_000);
    assert.ok(held.status.containerStatuses[0].state.terminated, JSON.stringify(held.status.containerStatuses));
    assert.equal(held.status.conditions.find((c: any) => c.type === 'Ready').status, 'False');
    kc(kcfg, ['patch', 'pod', 'held', '--type=json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]']);

    assert.equal(kubectl(kcfg, ['delete', 'pods', '--all', '--grace-period=0', '--wait=true'], { timeoutMs: 90_000 }).code, 0);
  });
});

