// End to end, as root, with real containers: `kubectl top` reads metrics.k8s.io (served from the
// kubelet's Summary API), and the autoscaler scales a Deployment whose pods burn CPU up to
// maxReplicas, then back down to minReplicas once they go idle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startK8ts, kc, kubectl, type ServerHandle } from '../e2e/harness.js';
import { kubeletPrereqs, until } from '../kubelet/testing/e2e.js';
import { forceCleanup } from '../kubelet/cleanup.js';

const skip = kubeletPrereqs();

const manifests = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: burn}
spec:
  replicas: 1
  selector: {matchLabels: {app: burn}}
  template:
    metadata: {labels: {app: burn}}
    spec:
      terminationGracePeriodSeconds: 0
      containers:
      - name: c
        image: busybox
        command: [sh, -c, 'while true; do :; done']
        resources: {requests: {cpu: 100m}, limits: {cpu: 200m}}
---
apiVersion: v1
kind: Pod
metadata: {name: idle, labels: {app: idle}}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - {name: c, image: busybox, command: [sleep, '3600']}
`;

/** "NAME CPU MEMORY" rows of `kubectl top pod` as name -> millicores */
function topPods(kcfg: string, args: string[] = []): Map<string, number> {
  const out = new Map<string, number>();
  const r = kubectl(kcfg, ['top', 'pod', '--no-headers', ...args]);
  for (const line of r.stdout.trim().split('\n')) {
    const m = /^(\S+)\s+(\d+)m\s+(\d+)(Ki|Mi|Gi)?\s*$/.exec(line.trim());
    if (m) out.set(m[1], Number(m[2]));
  }
  return out;
}

test('kubectl top and the autoscaler on real CPU usage', { skip, timeout: 300_000 }, async () => {
  const octet = 100 + Math.floor(Math.random() * 150);
  const node = `k8ts-top-${octet}`;
  let srv: ServerHandle | undefined;
  try {
    srv = await startK8ts({ kubelet: true, env: { K8TS_POD_CIDR: `10.42.${octet}.0/24`, K8TS_NODE_NAME: node }, timeoutMs: 60_000 });
    const kcfg = srv.kubeconfig;
    assert.match(kc(kcfg, ['api-resources', '--api-group=metrics.k8s.io']), /^pods\s+metrics\.k8s\.io\/v1beta1\s+true\s+PodMetrics$/m);
    kc(kcfg, ['apply', '-f', '-'], { input: manifests });

    // a busy loop under a 200m limit shows about 200m; a sleeping pod about nothing
    const top = await until('kubectl top pod', () => {
      const t = topPods(kcfg);
      const burn = [...t].find(([n]) => n.startsWith('burn-'));
      return burn && t.has('idle') && burn[1] >= 100 ? { burn: burn[1], idle: t.get('idle')! } : undefined;
    }, 120_000);
    assert.ok(top.burn <= 260, `burn ${top.burn}m`);
    assert.ok(top.idle < 50, `idle ${top.idle}m`);
    assert.deepEqual([...topPods(kcfg, ['-l', 'app=idle']).keys()], ['idle'], 'label selector');
    const containers = kc(kcfg, ['top', 'pod', 'idle', '--containers', '--no-headers']);
    assert.match(containers, /^idle\s+c\s+\d+m\s+\d+(Ki|Mi)?\s*$/m);
    assert.match(kc(kcfg, ['top', 'node', '--no-headers']), new RegExp(`^${node}\\s+\\d+m\\s+\\d+%\\s+\\d+Mi\\s+\\d+%\\s*$`, 'm'));
    const missing = kubectl(kcfg, ['top', 'pod', 'nope']);
    assert.match(missing.stderr, /NotFound.*podmetrics\.metrics\.k8s\.io "default\/nope" not found/);
    assert.match(kc(kcfg, ['explain', 'podmetrics.containers']), /ContainerMetrics sets resource usage metrics of a container/);
    const pm = JSON.parse(kc(kcfg, ['get', '--raw', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/idle']));
    assert.equal(pm.kind, 'PodMetrics');
    assert.deepEqual(pm.containers.map((c: any) => c.name), ['c']);
    assert.match(pm.containers[0].usage.cpu, /^\d+[num]?$/);
    assert.match(kc(kcfg, ['get', 'podmetrics', 'idle']), /^NAME\s+CPU\s+MEMORY\s+WINDOW\nidle\s+\d+[num]?\s+\d+(Ki|Mi)?\s+10s\n$/);
    assert.deepEqual(kc(kcfg, ['get', 'podmetrics', '--field-selector', 'metadata.name=idle', '-o', 'name']).trim(), 'podmetrics.metrics.k8s.io/idle');
    assert.match(kubectl(kcfg, ['get', 'podmetrics', '--field-selector', 'spec.nodeName=x']).stderr, /"spec.nodeName" is not a known field selector: only "metadata.name", "metadata.namespace"/);

    // 200m used of 100m requested is 200% against a 50% target: up to the maximum of 3
    kc(kcfg, ['autoscale', 'deployment', 'burn', '--cpu-percent=50', '--min=1', '--max=3']);
    await until('scaled up to 3', () => JSON.parse(kc(kcfg, ['get', 'deployment', 'burn', '-o', 'json'])).spec.replicas === 3 || undefined, 90_000);
    const events = kc(kcfg, ['get', 'events', '--field-selector', 'involvedObject.kind=HorizontalPodAutoscaler,reason=SuccessfulRescale', '-o', 'jsonpath={.items[*].message}']);
    assert.match(events, /New size: 3; reason: cpu resource utilization \(percentage of request\) above target/);
    const hpa = await until('current metrics', () => {
      const h = JSON.parse(kc(kcfg, ['get', 'hpa', 'burn', '-o', 'json']));
      return h.status?.currentMetrics?.[0]?.resource?.current?.averageUtilization > 50 ? h : undefined;
    }, 60_000);
    assert.equal(hpa.status.conditions.find((c: any) => c.type === 'ScalingActive').reason, 'ValidMetricFound');
    assert.match(kc(kcfg, ['get', 'hpa', 'burn', '--no-headers']), /^burn\s+Deployment\/burn\s+cpu: \d+%\/50%\s+1\s+3\s+\d+/);

    // idle pods, and no scale-down stabilization window: back to the minimum
    kc(kcfg, ['patch', 'hpa', 'burn', '--type=merge', '-p', JSON.stringify({ spec: { behavior: { scaleDown: { stabilizationWindowSeconds: 0 } } } })]);
    kc(kcfg, ['patch', 'deployment', 'burn', '--type=json', '-p', JSON.stringify([{ op: 'replace', path: '/spec/template/spec/containers/0/command', value: ['sleep', '3600'] }])]);
    await until('scaled down to 1', () => JSON.parse(kc(kcfg, ['get', 'deployment', 'burn', '-o', 'json'])).spec.replicas === 1 || undefined, 120_000);
    assert.match(kc(kcfg, ['get', 'events', '--field-selector', 'involvedObject.kind=HorizontalPodAutoscaler,reason=SuccessfulRescale', '-o', 'jsonpath={.items[*].message}']),
      /New size: 1; reason: All metrics below target/);
  } finally {
    if (srv) { await srv.stop({ keepData: true }); forceCleanup(srv.dataDir); await srv.stop(); }
  }
});
