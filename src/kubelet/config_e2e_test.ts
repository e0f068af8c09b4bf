// End to end, as root, with real kubectl against a real `k8ts server` running the kubelet: what a
// container is given from its pod. A ConfigMap as env (envFrom with a prefix, configMapKeyRef) and
// as files, a Secret as a file (on a tmpfs), the downward API (env and volume), an emptyDir shared by
// two containers, a memory-backed emptyDir, projected and hostPath volumes, Service variables,
// $(VAR) in args; a ConfigMap edit reaching the mounted file (not a subPath); a claim's local-path
// volume; a missing ConfigMap (CreateContainerConfigError) and a missing hostPath (FailedMount);
// no mount left once the pods are deleted or the server stops. Values are read from the logs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startK8ts, kc, kubectl, type ServerHandle } from '../e2e/harness.js';
import { kubeletPrereqs, until } from './testing/e2e.js';
import { forceCleanup } from './cleanup.js';

const skip = kubeletPrereqs();
const mountsUnder = (dir: string) => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.split(' ')[4]?.startsWith(`${dir}/`));

test('kubelet gives containers their env and volumes as upstream', { skip, timeout: 300_000 }, async (t) => {
  const octet = 100 + Math.floor(Math.random() * 150);
  let srv: ServerHandle | undefined;
  let dataDir = '';
  let pvDir = '';
  try {
    srv = await startK8ts({ kubelet: true, env: { K8TS_POD_CIDR: `10.42.${octet}.0/24`, K8TS_NODE_NAME: `k8ts-cfg-${octet}` }, timeoutMs: 60_000 });
    dataDir = srv.dataDir;
    const kcfg = srv.kubeconfig;
    const ns = 'cfg-e2e';
    const apply = (obj: object) => kc(kcfg, ['apply', '-n', ns, '-f', '-'], { input: JSON.stringify(obj) });
    const getPod = (name: string) => JSON.parse(kc(kcfg, ['get', 'pod', '-n', ns, name, '-o', 'json']));
    const logs = (pod: string, c: string) => { const r = kubectl(kcfg, ['logs', '-n', ns, pod, '-c', c]); return r.code === 0 ? r.stdout : ''; };
    await until('node Ready', () => {
      const r = JSON.parse(kc(kcfg, ['get', 'nodes', '-o', 'json'])).items[0];
      return r?.status?.conditions?.find((c: any) => c.type === 'Ready')?.status === 'True' ? r : undefined;
    });
    kc(kcfg, ['create', 'namespace', ns]);
    apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app-config' }, data: { color: 'blue', greeting: 'hello' } });
    kc(kcfg, ['create', 'secret', 'generic', 'app-secret', '-n', ns, '--from-literal=password=s3cret']);
    apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'backend' }, spec: { selector: { app: 'none' }, ports: [{ name: 'http', port: 8080, targetPort: 80 }] } });
    const svc = JSON.parse(kc(kcfg, ['get', 'svc', '-n', ns, 'backend', '-o', 'json']));
    const kube = JSON.parse(kc(kcfg, ['get', 'svc', '-n', 'default', 'kubernetes', '-o', 'json']));

    const hostDir = join(dataDir, 'hostvol', 'made');
    // the projected token is there when the server issues tokens (kubectl create token uses the same API)
    const tokens = kubectl(kcfg, ['create', 'token', 'default', '-n', ns]).code === 0;
    const mount = (name: string, mountPath: string) => ({ name, mountPath });
    apply({
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'cfg', labels: { app: 'cfg', tier: 'test' } },
      spec: {
        volumes: [
          { name: 'config', configMap: { name: 'app-config' } },
          { name: 'secret', secret: { secretName: 'app-secret', items: [{ key: 'password', path: 'pw/password', mode: 0o400 }] } },
          { name: 'podinfo', downwardAPI: { items: [{ path: 'namespace', fieldRef: { fieldPath: 'metadata.namespace' } }, { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
          { name: 'shared', emptyDir: {} },
          { name: 'mem', emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } },
          {
            name: 'proj', projected: {
              sources: [
                { configMap: { name: 'app-config', items: [{ key: 'color', path: 'cfg/color' }] } },
                { downwardAPI: { items: [{ path: 'name', fieldRef: { fieldPath: 'metadata.name' } }] } },
                { serviceAccountToken: { path: 'token', expirationSeconds: 3600 } },
              ],
            },
          },
          { name: 'host', hostPath: { path: hostDir, type: 'DirectoryOrCreate' } },
        ],
        containers: [
          {
            name: 'main', image: 'busybox', imagePullPolicy: 'IfNotPresent',
            envFrom: [{ configMapRef: { name: 'app-config' }, prefix: 'CFG_' }],
            env: [
              { name: 'MY_NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
              { name: 'MY_POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
              { name: 'TIER', valueFrom: { fieldRef: { fieldPath: "metadata.labels['tier']" } } },
              { name: 'GREETING', valueFrom: { configMapKeyRef: { name: 'app-config', key: 'greeting' } } },
              { name: 'COMPOSED', value: '$(GREETING)-$(MY_NS)-$$(MY_NS)' },
            ],
            command: ['sh', '-c'],
            args: [[
              'echo "CFG_color=$CFG_color CFG_greeting=$CFG_greeting"',
              'echo "MY_NS=$MY_NS TIER=$TIER COMPOSED=$COMPOSED ARG=$(MY_NS) POD_IP=$MY_POD_IP"',
              'echo "BACKEND=$BACKEND_SERVICE_HOST:$BACKEND_SERVICE_PORT_HTTP $BACKEND_PORT KUBE=$KUBERNETES_SERVICE_HOST"',
              'echo "FILE_GREETING=`cat /etc/config/greeting`"',
              'echo "SECRET=`cat /etc/secret/pw/password`"',
              'echo "PODINFO_NS=`cat /etc/podinfo/namespace` LABELS=`cat /etc/podinfo/labels | tr \'\\n\' \',\'`"',
              'echo "MEM=`grep \' /mem \' /proc/mounts | cut -d\' \' -f3`"',
              'echo "PROJ=`cat /proj/cfg/color`/`cat /proj/name` TOKEN=`test -s /proj/token && echo yes || echo no`"',
              'echo from-pod > /host/out',
              'echo "HOSTS=`grep -v ^# /etc/hosts | grep cfg`"',
              'for i in `seq 1 30`; do test -f /shared/msg && break; sleep 1; done; echo "SHARED=`cat /shared/msg`"',
              'while true; do echo "FILE_COLOR=`cat /etc/config/color` SUB_GREETING=`cat /etc/greeting`"; sleep 2; done',
            ].join('; ')],
            volumeMounts: [mount('config', '/etc/config'), mount('secret', '/etc/secret'), mount('podinfo', '/etc/podinfo'), mount('shared', '/shared'), mount('mem', '/mem'), mount('proj', '/proj'), mount('host', '/host'),
              { name: 'config', mountPath: '/etc/greeting', subPath: 'greeting' }],
          },
          {
            name: 'writer', image: 'busybox', imagePullPolicy: 'IfNotPresent',
            command: ['sh', '-c', 'echo from-writer > /shared/msg; echo wrote; sleep 3600'], volumeMounts: [mount('shared', '/shared')],
          },
        ],
      },
    });
    apply({
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'missing' },
      spec: { containers: [{ name: 'main', image: 'busybox', imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'], envFrom: [{ configMapRef: { name: 'nope' } }] }] },
    });

    apply({
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'badhost' },
      spec: {
        volumes: [{ name: 'h', hostPath: { path: join(dataDir, 'nonexistent'), type: 'Directory' } }],
        containers: [{ name: 'main', image: 'busybox', imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'], volumeMounts: [{ name: 'h', mountPath: '/h' }] }],
      },
    });

    apply({
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'nonroot' },
      spec: {
        securityContext: { runAsUser: 1000, fsGroup: 2000 },
        volumes: [{ name: 's', secret: { secretName: 'app-secret', defaultMode: 0o400 } }, { name: 'e', emptyDir: {} }],
        containers: [{
          name: 'main', image: 'busybox', imagePullPolicy: 'IfNotPresent',
          command: ['sh', '-c', 'echo "ID=`id -u` GROUPS=`id -G`"; echo "SECRET=`cat /s/password`"; echo "MODE=`stat -L -c %a:%g /s/password` DIR=`stat -c %a:%g /e`"; echo "TOKEN=`stat -L -c %a:%u:%g /var/run/secrets/kubernetes.io/serviceaccount/token`"; touch /e/f && echo WROTE; sleep 3600'],
          volumeMounts: [{ name: 's', mountPath: '/s' }, { name: 'e', mountPath: '/e' }],
        }],
      },
    });

    const pod = await until('pod cfg Running', () => { const p = getPod('cfg'); return p.status?.phase === 'Running' && p.status.podIP ? p : undefined; }, 90_000);
    const out = await until('main printed everything', () => { const l = logs('cfg', 'main'); return /FILE_COLOR=/.test(l) ? l : undefined; }, 60_000);

    await t.test('env: envFrom with prefix, fieldRef, configMapKeyRef, $(VAR) in env and args', () => {
      assert.match(out, /^CFG_color=blue CFG_greeting=hello$/m);
      assert.match(out, new RegExp(`^MY_NS=${ns} TIER=test COMPOSED=hello-${ns}-\\$\\(MY_NS\\) ARG=${ns} POD_IP=${pod.status.podIP.replace(/\./g, '\\.')}$`, 'm'));
    });
    await t.test('Service variables for the namespace and the kubernetes Service', () => {
      assert.match(out, new RegExp(`^BACKEND=${svc.spec.clusterIP}:8080 tcp://${svc.spec.clusterIP}:8080 KUBE=${kube.spec.clusterIP}$`, 'm'));
    });
    await t.test('volumes: configMap and secret files, downward API, shared emptyDir, tmpfs emptyDir', () => {
      assert.match(out, /^FILE_GREETING=hello$/m);
      assert.match(out, new RegExp(`^HOSTS=${pod.status.podIP.replace(/\./g, '\\.')}\tcfg$`, 'm'));
      assert.match(out, /^SECRET=s3cret$/m);
      assert.match(out, new RegExp(`^PODINFO_NS=${ns} LABELS=app="cfg",tier="test",?$`, 'm'));
      assert.match(out, /^MEM=tmpfs$/m);
      assert.match(out, /^SHARED=from-writer$/m);
      assert.match(out, /^FILE_COLOR=blue SUB_GREETING=hello$/m);
      assert.match(out, new RegExp(`^PROJ=blue/cfg TOKEN=${tokens ? 'yes' : 'no'}$`, 'm'));
      assert.equal(readFileSync(join(hostDir, 'out'), 'utf8'), 'from-pod\n');
      // on the host: the AtomicWriter layout; the secret, projected and memory emptyDir volumes are tmpfs mounts
      const vols = join(dataDir, 'agent', 'pods', pod.metadata.uid, 'volumes');
      // (kube-api-access-*: the service account token volume admission adds to every pod)
      const mounts = mountsUnder(vols).map((l) => l.split(' ')[4].slice(vols.length + 1)).filter((m) => !m.includes('/kube-api-access-')).sort();
      assert.deepEqual(mounts, ['kubernetes.io~empty-dir/mem', 'kubernetes.io~projected/proj', 'kubernetes.io~secret/secret']);
    });
    await t.test('a ConfigMap edit reaches the mounted file', async () => {
      kc(kcfg, ['patch', 'configmap', '-n', ns, 'app-config', '--type', 'merge', '-p', '{"data":{"color":"green","greeting":"bye"}}']);
      // the subPath mount keeps the content it started with, as upstream
      await until('FILE_COLOR=green in the log', () => (/^FILE_COLOR=green SUB_GREETING=hello$/m.test(logs('cfg', 'main')) ? true : undefined), 60_000);
    });
    await t.test('a missing ConfigMap: CreateContainerConfigError with upstream message', async () => {
      const st = await until('CreateContainerConfigError', () => {
        const s = getPod('missing').status?.containerStatuses?.[0];
        return s?.state?.waiting?.reason === 'CreateContainerConfigError' ? s : undefined;
      }, 30_000);
      assert.equal(st.state.waiting.message, 'configmap "nope" not found');
      // creating it lets the container start
      apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'nope' }, data: { X: '1' } });
      await until('missing pod Running', () => (getPod('missing').status?.phase === 'Running' ? true : undefined), 60_000);
    });
    await t.test('fsGroup: a non-root container reads a 0400 secret through its group and writes the emptyDir', async () => {
      const l = await until('nonroot output', () => { const x = logs('nonroot', 'main'); return /WROTE|DIR=/.test(x) ? x : undefined; }, 60_000);
      assert.match(l, /^ID=1000 GROUPS=.*\b2000\b/m);
      assert.match(l, /^SECRET=s3cret$/m);
      assert.match(l, /^MODE=440:2000 DIR=2777:2000$/m);
      // the service account token is the pod user's, readable by its group only (upstream's projected volume)
      assert.match(l, /^TOKEN=640:1000:2000$/m);
      assert.match(l, /^WROTE$/m);
    });
    await t.test('a failing volume: ContainerCreating and a FailedMount event', async () => {
      const ev = await until('FailedMount event', () => (JSON.parse(kc(kcfg, ['get', 'events', '-n', ns, '-o', 'json'])).items as any[])
        .find((e) => e.involvedObject?.name === 'badhost' && e.reason === 'FailedMount'), 30_000);
      assert.equal(ev.type, 'Warning');
      assert.equal(ev.message, `MountVolume.SetUp failed for volume "h" : hostPath ${join(dataDir, 'nonexistent')} doesn't exist`);
      const p = getPod('badhost');
      assert.equal(p.status.phase, 'Pending');
      assert.equal(p.status.containerStatuses?.[0]?.state?.waiting?.reason ?? 'ContainerCreating', 'ContainerCreating');
      // no image work for a pod whose volumes are not set up
      const imageEvents = (JSON.parse(kc(kcfg, ['get', 'events', '-n', ns, '-o', 'json'])).items as any[])
        .filter((e) => e.involvedObject?.name === 'badhost' && ['Pulling', 'Pulled', 'Created'].includes(e.reason));
      assert.deepEqual(imageEvents, []);
    });
    await t.test('a persistentVolumeClaim: the local-path volume is mounted', async () => {
      apply({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });
      apply({
        apiVersion: 'v1', kind: 'Pod', metadata: { name: 'pvc' },
        spec: {
          volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }],
          containers: [{ name: 'main', image: 'busybox', imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'echo persisted > /data/f; sleep 3600'], volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
        },
      });
      await until('pvc pod Running', () => (getPod('pvc').status?.phase === 'Running' ? true : undefined), 90_000);
      const claim = JSON.parse(kc(kcfg, ['get', 'pvc', '-n', ns, 'data', '-o', 'json']));
      assert.equal(claim.status.phase, 'Bound');
      const pv = JSON.parse(kc(kcfg, ['get', 'pv', claim.spec.volumeName, '-o', 'json']));
      await until('file in the volume', () => { try { return readFileSync(join(pv.spec.hostPath.path, 'f'), 'utf8'); } catch { return undefined; } }, 20_000);
      assert.equal(readFileSync(join(pv.spec.hostPath.path, 'f'), 'utf8'), 'persisted\n');
      // made by the provisioner's helper pod world-writable, as k3s's, so pods of any user can write
      assert.equal(statSync(pv.spec.hostPath.path).mode & 0o777, 0o777);
      pvDir = pv.spec.hostPath.path;
    });
    await t.test('deleting the pods leaves no mount behind', () => {
      kc(kcfg, ['delete', 'pod', '-n', ns, 'cfg', 'missing', 'badhost', 'pvc', 'nonroot', '--grace-period=1', '--wait=true'], { timeoutMs: 90_000 });
      assert.deepEqual(mountsUnder(join(dataDir, 'agent', 'pods')), []);
    });
    await t.test('an emptyDir over its sizeLimit gets its pod evicted', async () => {
      apply({
        apiVersion: 'v1', kind: 'Pod', metadata: { name: 'hog' },
        spec: {
          restartPolicy: 'Never',
          volumes: [{ name: 'scratch', emptyDir: { sizeLimit: '1Mi' } }],
          containers: [{ name: 'main', image: 'busybox', imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'dd if=/dev/zero of=/scratch/fill bs=1M count=3; sleep 3600'], volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }] }],
        },
      });
      const p = await until('hog evicted', () => { const x = getPod('hog'); return x.status?.phase === 'Failed' ? x : undefined; }, 60_000);
      assert.equal(p.status.reason, 'Evicted');
      assert.equal(p.status.message, 'Usage of EmptyDir volume "scratch" exceeds the limit "1Mi". ');
      assert.equal(p.status.conditions.find((c: any) => c.type === 'DisruptionTarget')?.reason, 'TerminationByKubelet');
      assert.equal(p.status.containerStatuses[0].state.terminated?.exitCode !== undefined, true);
      kc(kcfg, ['delete', 'pod', '-n', ns, 'hog', '--grace-period=0', '--force']);
    });
    await t.test('deleting the claim removes its volume and the data on disk (reclaim policy Delete)', async () => {
      kc(kcfg, ['delete', 'pvc', '-n', ns, 'data', '--wait=true'], { timeoutMs: 90_000 });
      await until('the volume directory removed', () => (existsSync(pvDir) ? undefined : true), 60_000);
      await until('the helper pods removed', () => (kc(kcfg, ['get', 'pods', '-n', 'kube-system', '-l', 'k8ts.io/local-path-helper', '-o', 'name']).trim() === '' ? true : undefined), 30_000);
    });
    await t.test('stopping the server unmounts the volumes of the pods still running', async () => {
      apply({
        apiVersion: 'v1', kind: 'Pod', metadata: { name: 'atstop' },
        spec: {
          volumes: [{ name: 'mem', emptyDir: { medium: 'Memory' } }, { name: 's', secret: { secretName: 'app-secret' } }],
          containers: [{ name: 'main', image: 'busybox', imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'], volumeMounts: [{ name: 'mem', mountPath: '/mem' }, { name: 's', mountPath: '/s' }] }],
        },
      });
      await until('atstop Running', () => (getPod('atstop').status?.phase === 'Running' ? true : undefined), 60_000);
      assert.equal(mountsUnder(join(dataDir, 'agent', 'pods')).filter((l) => !l.includes('/kube-api-access-')).length, 2);
      await srv!.stop({ keepData: true });
      assert.deepEqual(mountsUnder(join(dataDir, 'agent', 'pods')), []);
    });
  } finally {
    if (srv) await srv.stop({ keepData: true });
    if (dataDir) {
      const left = mountsUnder(dataDir);
      forceCleanup(dataDir);
      rmSync(dataDir, { recursive: true, force: true });
      assert.deepEqual(left.filter((l) => l.includes('/agent/pods/')), [], 'pod mounts left after the server stopped');
    }
  }
});
