// End to end, as root: images pulled through the CRI from a local docker-registry that requires
// basic auth. Without credentials the container shows ErrImagePull, then ImagePullBackOff; with a
// kubernetes.io/dockerconfigjson pull secret (made by `kubectl create secret docker-registry`)
// the pull succeeds and the pod runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startK8ts, kc, type ServerHandle } from '../e2e/harness.js';
import { requirePrereq } from '../util/prereq.js';
import { kubeletPrereqs, until } from './testing/e2e.js';
import { pushImage, registryAvailable, startRegistry, type Registry } from './testing/registry.js';
import { containerdPaths } from './containerd.js';
import { forceCleanup } from './cleanup.js';

const skip = kubeletPrereqs() || requirePrereq(registryAvailable(), 'docker-registry and apache2-utils (scripts/install-prereqs.sh)');

function waitingReason(kcfg: string, pod: string): string | undefined {
  const p = JSON.parse(kc(kcfg, ['get', 'pod', pod, '-o', 'json']));
  return p.status?.containerStatuses?.[0]?.state?.waiting?.reason;
}

test('image pulls: ErrImagePull, ImagePullBackOff, then imagePullSecrets against a registry with auth', { skip, timeout: 240_000 }, async () => {
  const octet = 100 + Math.floor(Math.random() * 150);
  let srv: ServerHandle | undefined;
  let reg: Registry | undefined;
  try {
    reg = await startRegistry({ alice: 's3cret' });
    srv = await startK8ts({ kubelet: true, env: { K8TS_POD_CIDR: `10.42.${octet}.0/24`, K8TS_NODE_NAME: `k8ts-pull-${octet}` }, timeoutMs: 60_000 });
    const kcfg = srv.kubeconfig;
    await until('node Ready', () => (kc(kcfg, ['get', 'nodes', '-o', 'jsonpath={.items[0].status.conditions[?(@.type=="Ready")].status}']) === 'True' ? true : undefined));
    const image = `${reg.host}/k8ts/busybox:1`;
    pushImage(containerdPaths(srv.dataDir).socket, 'docker.io/library/busybox:latest', image, 'alice:s3cret');

    kc(kcfg, ['run', 'anon', `--image=${image}`, '--', 'sleep', '3600']);
    await until('ErrImagePull', () => (waitingReason(kcfg, 'anon') === 'ErrImagePull' ? true : undefined));
    await until('ImagePullBackOff', () => (waitingReason(kcfg, 'anon') === 'ImagePullBackOff' ? true : undefined), 30_000);
    const events = kc(kcfg, ['get', 'events', '--field-selector', 'involvedObject.name=anon', '-o', 'jsonpath={range .items[*]}{.reason}: {.message}{"\\n"}{end}']);
    assert.match(events, /Failed: Failed to pull image .*401 Unauthorized/);
    assert.match(events, /^Failed: Error: ErrImagePull$/m);
    assert.match(events, /^Failed: Error: ImagePullBackOff$/m);
    assert.match(events, /BackOff: Back-off pulling image/);
    assert.match(kc(kcfg, ['get', 'pod', 'anon']), /ErrImagePull|ImagePullBackOff/);

    kc(kcfg, ['create', 'secret', 'docker-registry', 'regcred', `--docker-server=${reg.host}`, '--docker-username=alice', '--docker-password=s3cret']);
    kc(kcfg, ['run', 'authed', `--image=${image}`, '--overrides', JSON.stringify({ apiVersion: 'v1', spec: { imagePullSecrets: [{ name: 'regcred' }] } }), '--', 'sleep', '3600']);
    await until('authed Running', () => (kc(kcfg, ['get', 'pod', 'authed', '-o', 'jsonpath={.status.phase}']) === 'Running' ? true : undefined), 60_000);
    const ev = kc(kcfg, ['get', 'events', '--field-selector', 'involvedObject.name=authed', '-o', 'jsonpath={range .items[*]}{.reason}: {.message}{"\\n"}{end}']);
    assert.match(ev, new RegExp(`Pulled: Successfully pulled image "${image.replace(/[.]/g, '\\.')}"`));
  } finally {
    if (srv) { await srv.stop({ keepData: true }); forceCleanup(srv.dataDir); await srv.stop(); }
    await reg?.stop();
  }
});
