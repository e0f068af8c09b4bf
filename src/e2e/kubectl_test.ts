// The kubectl acceptance suite: real kubectl (1.32 and 1.27) against a real `k8ts server`,
// on the embedded default (SQLite) and on a real etcd.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { startK8ts, kubectl, kc, kubectlPath, type ServerHandle } from './harness.js';
import { requirePrereq, which } from '../util/prereq.js';
import { startEtcd } from '../storage/testing/etcd-process.js';

const multiDoc = (image: string, replicas: number) => `apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: shop
data:
  color: blue
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {app: web}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: app
        image: ${image}
        ports:
        - containerPort: 80
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  selector: {app: web}
  ports:
  - port: 80
    targetPort: 80
`;

const crd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wg]}
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
      scale: {specReplicasPath: .spec.size, statusReplicasPath: .status.count, labelSelectorPath: .status.selector}
    additionalPrinterColumns:
    - {name: Size, type: integer, jsonPath: .spec.size}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer}
          status:
            type: object
            properties:
              ready: {type: boolean}
              count: {type: integer}
              selector: {type: string}
`;

function suite(label: string, opts: { version?: string; etcd?: boolean }) {
  describe(`kubectl ${opts.version ?? 'default'} against k8ts (${label})`, () => {
    let srv: ServerHandle;
    let etcd: { endpoint: string; stop(): Promise<void> } | undefined;
    let dir: string;
    const k = (args: string[], o: Parameters<typeof kc>[2] = {}) => kc(srv.kubeconfig, args, { version: opts.version, ...o });
    const kr = (args: string[], o: Parameters<typeof kubectl>[2] = {}) => kubectl(srv.kubeconfig, args, { version: opts.version, ...o });

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'k8ts-kubectl-'));
      const args: string[] = [];
      if (opts.etcd) {
        etcd = await startEtcd();
        args.push('--datastore-endpoint', etcd.endpoint);
      }
      srv = await startK8ts({ args });
    });
    after(async () => {
      await srv?.stop();
      await etcd?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('apply -f of a multi-document YAML: created, then configured, then unchanged', () => {
      const f = join(dir, 'app.yaml');
      writeFileSync(f, multiDoc('busybox:1.36', 2));
      const first = k(['apply', '-f', f]);
      assert.match(first, /namespace\/shop created/);
      assert.match(first, /configmap\/settings created/);
      assert.match(first, /deployment.apps\/web created/);
      assert.match(first, /service\/web created/);
      writeFileSync(f, multiDoc('busybox:1.37', 3));
      const second = k(['apply', '-f', f]);
      assert.match(second, /namespace\/shop unchanged/);
      assert.match(second, /deployment.apps\/web configured/);
      const third = k(['apply', '-f', f]);
      assert.match(third, /deployment.apps\/web unchanged/);
      assert.equal(k(['get', 'deploy', 'web', '-n', 'shop', '-o', 'jsonpath={.spec.replicas} {.spec.template.spec.containers[0].image}']), '3 busybox:1.37');
    });

    it('apply --server-side', () => {
      const f = join(dir, 'ssa.yaml');
      writeFileSync(f, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\n  namespace: shop\ndata:\n  a: "1"\n');
      assert.match(k(['apply', '--server-side', '-f', f]), /configmap\/ssa serverside-applied/);
      const mf = JSON.parse(k(['get', 'cm', 'ssa', '-n', 'shop', '-o', 'json', '--show-managed-fields'])).metadata.managedFields;
      assert.ok(mf.some((e: any) => e.manager === 'kubectl' && e.operation === 'Apply'), JSON.stringify(mf));
      // another manager changing the same field conflicts
      const r = kr(['apply', '--server-side', '--field-manager', 'other', '-f', '-'], { input: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\n  namespace: shop\ndata:\n  a: "2"\n' });
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /conflict/i);
      assert.match(k(['apply', '--server-side', '--force-conflicts', '--field-manager', 'other', '-f', '-'], { input: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\n  namespace: shop\ndata:\n  a: "2"\n' }), /serverside-applied/);
    });

    it('get: -o wide, yaml, json, jsonpath, -A, -l, --field-selector, --show-labels, --chunk-size', () => {
      const wide = k(['get', 'deploy', '-n', 'shop', '-o', 'wide']);
      assert.match(wide.split('\n')[0], /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR/);
      assert.match(wide, /web\s+\d+\/3\s+\d+\s+\d+\s+\S+\s+app\s+busybox:1.37\s+app=web/);
      assert.match(k(['get', 'cm', 'settings', '-n', 'shop', '-o', 'yaml']), /color: blue/);
      assert.equal(JSON.parse(k(['get', 'ns', 'shop', '-o', 'json'])).status.phase, 'Active');
      assert.equal(k(['get', 'svc', 'web', '-n', 'shop', '-o', 'jsonpath={.spec.ports[0].port}']), '80');
      const all = k(['get', 'configmaps', '-A']);
      assert.match(all.split('\n')[0], /^NAMESPACE\s+NAME\s+DATA\s+AGE/);
      assert.match(all, /shop\s+settings\s+1/);
      assert.match(k(['get', 'deploy', '-A', '-l', 'app=web']), /web/);
      assert.match(k(['get', 'deploy', '-A', '-l', 'app in (web,api)']), /web/);
      assert.doesNotMatch(k(['get', 'deploy', '-A', '-l', 'app notin (web)']), /web/);
      assert.match(k(['get', 'ns', '--field-selector', 'metadata.name=shop']), /shop\s+Active/);
      assert.doesNotMatch(k(['get', 'ns', '--field-selector', 'metadata.name!=shop']), /shop/);
      assert.match(k(['get', 'deploy', 'web', '-n', 'shop', '--show-labels']), /LABELS[\s\S]*app=web/);
      for (let i = 0; i < 5; i++) k(['create', 'configmap', `chunk-${i}`, '-n', 'shop', '--from-literal', `i=${i}`]);
      const chunked = k(['get', 'cm', '-n', 'shop', '--chunk-size=2', '-o', 'name']);
      for (let i = 0; i < 5; i++) assert.match(chunked, new RegExp(`configmap/chunk-${i}`));
    });

    it('get pods,deployments and get all', () => {
      const out = k(['get', 'pods,deployments', '-n', 'shop']);
      assert.match(out, /deployment.apps\/web/);
      const all = k(['get', 'all', '-n', 'shop']);
      assert.match(all, /service\/web\s+ClusterIP\s+10\.43\.\d+\.\d+\s+<none>\s+80\/TCP/);
      assert.match(all, /deployment.apps\/web/);
    });

    it('describe shows the events section', () => {
      k(['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'Event', metadata: { name: 'web.ev1', namespace: 'shop' }, involvedObject: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'shop', uid: JSON.parse(k(['get', 'deploy', 'web', '-n', 'shop', '-o', 'json'])).metadata.uid }, reason: 'ScalingReplicaSet', message: 'Scaled up replica set web-abc to 3', type: 'Normal', source: { component: 'deployment-controller' }, firstTimestamp: new Date().toISOString().replace(/\.\d+Z/, 'Z'), lastTimestamp: new Date().toISOString().replace(/\.\d+Z/, 'Z'), count: 1 }) });
      const d = k(['describe', 'deployment', 'web', '-n', 'shop']);
      assert.match(d, /^Name:\s+web$/m);
      assert.match(d, /Selector:\s+app=web/);
      assert.match(d, /Events:[\s\S]*ScalingReplicaSet[\s\S]*Scaled up replica set web-abc to 3/);
    });

    it('edit with KUBE_EDITOR', () => {
      const ed = join(dir, 'editor.sh');
      writeFileSync(ed, '#!/bin/sh\nsed -i "s/color: blue/color: green/" "$1"\n');
      chmodSync(ed, 0o755);
      assert.match(k(['edit', 'cm', 'settings', '-n', 'shop'], { env: { KUBE_EDITOR: ed } }), /configmap\/settings edited/);
      assert.equal(k(['get', 'cm', 'settings', '-n', 'shop', '-o', 'jsonpath={.data.color}']), 'green');
    });

    it('patch: strategic, merge and json', () => {
      k(['patch', 'deploy', 'web', '-n', 'shop', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"app","image":"busybox:patched"}]}}}}']);
      const d = JSON.parse(k(['get', 'deploy', 'web', '-n', 'shop', '-o', 'json']));
      assert.equal(d.spec.template.spec.containers.length, 1);
      assert.equal(d.spec.template.spec.containers[0].image, 'busybox:patched');
      assert.equal(d.spec.template.spec.containers[0].ports[0].containerPort, 80);
      k(['patch', 'cm', 'settings', '-n', 'shop', '--type', 'merge', '-p', '{"data":{"size":"xl"}}']);
      k(['patch', 'cm', 'settings', '-n', 'shop', '--type', 'json', '-p', '[{"op":"replace","path":"/data/color","value":"red"}]']);
      assert.equal(k(['get', 'cm', 'settings', '-n', 'shop', '-o', 'jsonpath={.data.color}/{.data.size}']), 'red/xl');
    });

    it('label, annotate, scale, create configmap|secret|namespace|deployment', () => {
      assert.match(k(['label', 'cm', 'settings', '-n', 'shop', 'tier=front']), /configmap\/settings labeled/);
      assert.match(k(['annotate', 'cm', 'settings', '-n', 'shop', 'note=hi']), /configmap\/settings annotate/);
      assert.match(k(['scale', 'deploy', 'web', '-n', 'shop', '--replicas=5']), /deployment.apps\/web scaled/);
      assert.equal(k(['get', 'deploy', 'web', '-n', 'shop', '-o', 'jsonpath={.spec.replicas}']), '5');
      assert.match(k(['create', 'namespace', 'extra']), /namespace\/extra created/);
      assert.match(k(['create', 'configmap', 'cfg', '-n', 'extra', '--from-literal', 'k=v']), /configmap\/cfg created/);
      assert.match(k(['create', 'secret', 'generic', 'pw', '-n', 'extra', '--from-literal', 'p=s3cret']), /secret\/pw created/);
      assert.equal(Buffer.from(k(['get', 'secret', 'pw', '-n', 'extra', '-o', 'jsonpath={.data.p}']), 'base64').toString(), 's3cret');
      assert.match(k(['create', 'deployment', 'api', '-n', 'extra', '--image', 'busybox', '--replicas', '2']), /deployment.apps\/api created/);
      const dup = kr(['create', 'namespace', 'extra']);
      assert.notEqual(dup.code, 0);
      assert.match(dup.stderr, /namespaces "extra" already exists/);
    });

    it('replace with a stale resourceVersion is a Conflict', () => {
      const cm = JSON.parse(k(['get', 'cm', 'settings', '-n', 'shop', '-o', 'json']));
      k(['patch', 'cm', 'settings', '-n', 'shop', '--type', 'merge', '-p', '{"data":{"x":"1"}}']);
      cm.data.color = 'stale';
      const r = kr(['replace', '-f', '-'], { input: JSON.stringify(cm) });
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /Operation cannot be fulfilled on configmaps "settings": the object has been modified; please apply your changes to the latest version and try again/);
    });

    it('validation errors are 422 with upstream messages; missing namespace is rejected', () => {
      const bad = kr(['create', 'configmap', 'Bad_Name', '-n', 'shop']);
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /is invalid: metadata.name: Invalid value: "Bad_Name"/);
      const nons = kr(['create', 'configmap', 'x', '-n', 'does-not-exist']);
      assert.match(nons.stderr, /namespaces "does-not-exist" not found/);
      const unknown = kr(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: u\n  namespace: shop\nbogus: 1\n' });
      assert.notEqual(unknown.code, 0);
      assert.match(unknown.stderr, /unknown field "bogus"/);
    });

    it('get -w sees later changes', async () => {
      const proc = spawn(kubectlPath(opts.version), ['--kubeconfig', srv.kubeconfig, 'get', 'cm', '-n', 'shop', '-w', '--output-watch-events'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      proc.stdout.on('data', (d) => { out += d; });
      try {
        await waitFor(() => /settings/.test(out));
        k(['create', 'configmap', 'watched', '-n', 'shop']);
        await waitFor(() => /ADDED\s+watched/.test(out));
        k(['delete', 'configmap', 'watched', '-n', 'shop']);
        await waitFor(() => /DELETED\s+watched/.test(out));
      } finally {
        proc.kill();
      }
    });

    it('explain, api-resources, api-versions', () => {
      const ex = k(['explain', 'pods.spec.containers']);
      assert.match(ex, /KIND:\s+Pod/);
      assert.match(ex, /image\s+<string>/);
      assert.match(ex, /name\s+<string> -required-/);
      const ar = k(['api-resources']);
      assert.match(ar, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
      assert.match(ar, /^pods\s+po\s+v1\s+true\s+Pod$/m);
      const av = k(['api-versions']);
      for (const gv of ['apps/v1', 'batch/v1', 'v1', 'networking.k8s.io/v1', 'rbac.authorization.k8s.io/v1', 'apiextensions.k8s.io/v1']) {
        assert.ok(av.split('\n').includes(gv), `${gv} in ${av}`);
      }
    });

    it('CRD create, then get of its custom resource', async () => {
      k(['apply', '-f', '-'], { input: crd });
      k(['wait', '--for=condition=Established', 'crd/widgets.example.com', '--timeout=20s']);
      await waitFor(() => kr(['get', 'widgets', '-n', 'shop']).code === 0);
      k(['apply', '-f', '-'], { input: 'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w1\n  namespace: shop\nspec:\n  size: 3\n' });
      const out = k(['get', 'wg', '-n', 'shop']);
      assert.match(out.split('\n')[0], /^NAME\s+SIZE\s*$/m);
      assert.match(out, /w1\s+3/);
      k(['patch', 'widget', 'w1', '-n', 'shop', '--subresource=status', '--type=merge', '-p', '{"status":{"ready":true}}'], {});
      assert.equal(k(['get', 'widget', 'w1', '-n', 'shop', '-o', 'jsonpath={.status.ready}']), 'true');
    });

    it('a custom resource scales through the CRD\'s paths and takes no strategic merge patch', () => {
      k(['scale', 'widget', 'w1', '-n', 'shop', '--replicas=5']);
      assert.equal(k(['get', 'widget', 'w1', '-n', 'shop', '-o', 'jsonpath={.spec.size}']), '5');
      k(['patch', 'widget', 'w1', '-n', 'shop', '--subresource=status', '--type=merge', '-p', '{"status":{"count":2,"selector":"app=w"}}']);
      const scale = JSON.parse(k(['get', '--raw', '/apis/example.com/v1/namespaces/shop/widgets/w1/scale']));
      assert.deepEqual([scale.spec.replicas, scale.status.replicas, scale.status.selector], [5, 2, 'app=w']);
      const smp = kr(['patch', 'widget', 'w1', '-n', 'shop', '--type=strategic', '-p', '{"spec":{"size":1}}']);
      assert.notEqual(smp.code, 0);
      assert.match(smp.stderr, /UnsupportedMediaType|unknown format/);
      assert.equal(k(['get', 'widget', 'w1', '-n', 'shop', '-o', 'jsonpath={.spec.size}']), '5');
      // so kubectl apply of a changed custom resource sends a merge patch (the OpenAPI says no strategic one)
      const w2 = 'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w2\n  namespace: shop\nspec:\n  size: 1\n';
      assert.match(k(['apply', '-f', '-'], { input: w2 }), /widget.example.com\/w2 created/);
      assert.match(k(['apply', '-f', '-'], { input: w2.replace('size: 1', 'size: 2') }), /widget.example.com\/w2 configured/);
      assert.equal(k(['get', 'widget', 'w2', '-n', 'shop', '-o', 'jsonpath={.spec.size}']), '2');
      k(['delete', 'widget', 'w2', '-n', 'shop']);
    });

    it('delete waits for deletion; --cascade=orphan leaves dependents', () => {
      assert.match(k(['delete', 'cm', 'settings', '-n', 'shop']), /configmap "settings" deleted/);
      assert.notEqual(kr(['get', 'cm', 'settings', '-n', 'shop']).code, 0);
      const owner = JSON.parse(k(['get', 'deploy', 'api', '-n', 'extra', '-o', 'json']));
      k(['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dependent', namespace: 'extra', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'api', uid: owner.metadata.uid, controller: true }] } }) });
      assert.match(k(['delete', 'deploy', 'api', '-n', 'extra', '--cascade=orphan', '--timeout=30s']), /deployment.apps "api" deleted/);
      const dep = JSON.parse(k(['get', 'cm', 'dependent', '-n', 'extra', '-o', 'json']));
      assert.equal(dep.metadata.ownerReferences, undefined);
    });

    it('deleting a CRD deletes its custom resources first; a new CRD of that name starts empty', async () => {
      const gadgets = crd.replaceAll('widgets', 'gadgets').replaceAll('widget', 'gadget').replaceAll('Widget', 'Gadget').replace('shortNames: [wg]', 'shortNames: [gd]');
      k(['apply', '-f', '-'], { input: gadgets });
      k(['wait', '--for=condition=Established', 'crd/gadgets.example.com', '--timeout=20s']);
      await waitFor(() => kr(['get', 'gadgets', '-n', 'shop']).code === 0);
      k(['apply', '-f', '-'], { input: 'apiVersion: example.com/v1\nkind: Gadget\nmetadata:\n  name: g1\n  namespace: shop\nspec:\n  size: 1\n' });
      assert.match(k(['delete', 'crd', 'gadgets.example.com', '--timeout=30s']), /deleted/);
      assert.notEqual(kr(['get', 'crd', 'gadgets.example.com']).code, 0);
      k(['apply', '-f', '-'], { input: gadgets });
      k(['wait', '--for=condition=Established', 'crd/gadgets.example.com', '--timeout=20s']);
      await waitFor(() => kr(['get', 'gadgets', '-n', 'shop']).code === 0);
      assert.doesNotMatch(k(['get', 'gadgets', '-A', '-o', 'name']), /g1/);
      k(['delete', 'crd', 'gadgets.example.com', '--timeout=30s']);
    });

    it('a deprecated version of a CRD warns on every request', async () => {
      k(['apply', '-f', '-'], { input: `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: things.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: things, singular: thing, kind: Thing}
  versions:
  - {name: v1beta1, served: true, storage: true, deprecated: true, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}
` });
      k(['wait', '--for=condition=Established', 'crd/things.example.com', '--timeout=20s']);
      await waitFor(() => kr(['get', 'things', '-n', 'shop']).code === 0);
      assert.match(kr(['get', 'things.v1beta1.example.com', '-n', 'shop']).stderr, /Warning: example\.com\/v1beta1 Thing is deprecated/);
      k(['delete', 'crd', 'things.example.com', '--timeout=30s']);
    });

    it('the kubernetes Service comes back after it is deleted', async () => {
      const ip = k(['get', 'svc', 'kubernetes', '-o', 'jsonpath={.spec.clusterIP}']);
      k(['delete', 'svc', 'kubernetes']);
      await waitFor(() => kr(['get', 'svc', 'kubernetes']).code === 0, 20_000);
      assert.equal(k(['get', 'svc', 'kubernetes', '-o', 'jsonpath={.spec.clusterIP}']), ip);
    });

    it('deleting a namespace deletes everything in it', async () => {
      assert.match(k(['delete', 'namespace', 'extra', '--timeout=60s']), /namespace "extra" deleted/);
      assert.notEqual(kr(['get', 'ns', 'extra']).code, 0);
      k(['create', 'namespace', 'extra']);
      assert.doesNotMatch(k(['get', 'cm,secret,deploy', '-n', 'extra', '-o', 'name']), /cfg|pw|deployment/);
    });
  });
}

async function waitFor(cond: () => boolean, timeoutMs = 15_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}

const skipKubectl = requirePrereq(!!which('kubectl'), 'kubectl on PATH');
const skipOld = requirePrereq(!skipKubectl && existsSync(kubectlPath('1.27')), 'kubectl.1.27 beside kubectl');
const skipEtcd = requirePrereq(!!which('etcd'), 'etcd (Debian package etcd-server)');

if (skipKubectl) describe('kubectl suite', () => { it('needs kubectl', { skip: skipKubectl }, () => {}); });
else {
  suite('sqlite', { version: '1.32' });
  if (skipOld) describe('kubectl 1.27 suite', () => { it('needs kubectl 1.27', { skip: skipOld }, () => {}); });
  else suite('sqlite', { version: '1.27' });
  if (skipEtcd) describe('kubectl etcd suite', () => { it('needs etcd', { skip: skipEtcd }, () => {}); });
  else suite('etcd', { version: '1.32', etcd: true });
}
