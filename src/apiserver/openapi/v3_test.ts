import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { execFile } from 'node:child_process';
import { existsSync, realpathSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import { builtinResources } from '../../api/resources.js';
import type { ResourceInfo } from '../../api/types.js';
import { openapiV3Doc, openapiV3DocJSON, openapiV3Hash, openapiV3Index, registerCustomResourceDoc, removeCustomResourceDoc } from './v3.js';
import { schemaFor } from '../../api/schema.js';
import { openapiV2ContentType, openapiV2Proto } from './v2.js';

type S = Record<string, any>;
const doc = (gv: string) => openapiV3Doc(gv) as S;

test('index lists every served group-version with a hashed URL', () => {
  const idx = openapiV3Index();
  const gvs = new Set(builtinResources.map((r) => (r.group ? `apis/${r.group}/${r.version}` : `api/${r.version}`)));
  assert.deepEqual(new Set(Object.keys(idx.paths)), gvs);
  assert.match(idx.paths['api/v1'].serverRelativeURL, /^\/openapi\/v3\/api\/v1\?hash=[0-9A-F]{128}$/);
  assert.equal(idx.paths['apis/apps/v1'].serverRelativeURL, `/openapi/v3/apis/apps/v1?hash=${openapiV3Hash('apis/apps/v1')}`);
  assert.equal(openapiV3Doc('apis/nope/v1'), undefined);
});

test('core/v1 schemas use upstream names, refs, formats and merge extensions', () => {
  const s = doc('api/v1').components.schemas as S;
  const pod = s['io.k8s.api.core.v1.Pod'];
  assert.deepEqual(pod['x-kubernetes-group-version-kind'], [{ group: '', kind: 'Pod', version: 'v1' }]);
  assert.deepEqual(pod.properties.metadata.allOf, [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' }]);
  assert.match(pod.properties.spec.description, /Specification of the desired behavior of the pod/);
  const spec = s['io.k8s.api.core.v1.PodSpec'];
  assert.ok(spec.required.includes('containers'));
  assert.equal(spec.properties.containers['x-kubernetes-patch-merge-key'], 'name');
  assert.equal(spec.properties.volumes['x-kubernetes-patch-strategy'], 'merge,retainKeys');
  assert.equal(spec.properties.tolerations['x-kubernetes-list-type'], 'atomic');
  const c = s['io.k8s.api.core.v1.Container'];
  assert.deepEqual(c.required, ['name']);
  assert.deepEqual(c.properties.ports['x-kubernetes-list-map-keys'], ['containerPort', 'protocol']);
  assert.equal(c.properties.volumeMounts['x-kubernetes-patch-merge-key'], 'mountPath');
  assert.equal(s['io.k8s.api.core.v1.ContainerPort'].properties.containerPort.format, 'int32');
  assert.deepEqual(s['io.k8s.api.core.v1.ResourceRequirements'].properties.limits.additionalProperties, { $ref: '#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity' });
  assert.equal(s['io.k8s.apimachinery.pkg.util.intstr.IntOrString']['x-kubernetes-int-or-string'], true);
  assert.equal(s['io.k8s.apimachinery.pkg.apis.meta.v1.Time'].format, 'date-time');
  assert.equal(s['io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector']['x-kubernetes-map-type'], 'atomic');
  assert.equal(s['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'].properties.ownerReferences['x-kubernetes-patch-merge-key'], 'uid');
  assert.equal(s['io.k8s.api.core.v1.ServicePort'] !== undefined, true);
  assert.equal(s['io.k8s.api.core.v1.ServiceSpec'].properties.ports['x-kubernetes-patch-merge-key'], 'port');
  // core Event vs events.k8s.io Event keep their own packages
  assert.ok(s['io.k8s.api.core.v1.Event']);
  assert.ok((doc('apis/events.k8s.io/v1').components.schemas as S)['io.k8s.api.events.v1.Event']);
  // every $ref resolves
  const json = openapiV3DocJSON('api/v1')!;
  for (const m of json.matchAll(/"#\/components\/schemas\/([^"]+)"/g)) assert.ok(s[m[1]], `dangling ref ${m[1]}`);
});

test('paths carry actions, GVKs, and fieldValidation on every PATCH', () => {
  const d = doc('apis/apps/v1');
  const item = d.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'];
  for (const [verb, action] of [['get', 'get'], ['put', 'put'], ['patch', 'patch'], ['delete', 'delete']]) {
    assert.equal(item[verb]['x-kubernetes-action'], action);
    assert.deepEqual(item[verb]['x-kubernetes-group-version-kind'], { group: 'apps', version: 'v1', kind: 'Deployment' });
  }
  assert.equal(item.patch.operationId, 'patchAppsV1NamespacedDeployment');
  assert.equal(d.paths['/apis/apps/v1/deployments'].get.operationId, 'listAppsV1DeploymentForAllNamespaces');
  assert.equal(d.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'].patch['x-kubernetes-group-version-kind'].kind, 'Scale');
  for (const gv of Object.keys(openapiV3Index().paths)) {
    for (const [p, ops] of Object.entries(doc(gv).paths as S)) {
      if (!ops.patch) continue;
      assert.ok(ops.patch.parameters.some((x: S) => x.name === 'fieldValidation' && x.in === 'query'), `${p} PATCH lacks fieldValidation`);
    }
  }
  assert.equal(doc('api/v1').paths['/api/v1/nodes/{name}'].get.operationId, 'readCoreV1Node');
});

test('docs are memoized and custom resources can be added and removed', () => {
  assert.equal(openapiV3Doc('api/v1'), openapiV3Doc('api/v1'));
  const crd: ResourceInfo = { group: 'stable.example.com', version: 'v1', kind: 'CronTab', plural: 'crontabs', singular: 'crontab', namespaced: true };
  const all = [...builtinResources, crd];
  const schema = { type: 'object', properties: { spec: { type: 'object', properties: { ports: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['port'], items: { type: 'object', properties: { port: { type: 'integer' } } } } } } } };
  registerCustomResourceDoc(crd, schema);
  const h1 = openapiV3Hash('apis/stable.example.com/v1', all);
  const d = openapiV3Doc('apis/stable.example.com/v1', all) as S;
  const ct = d.components.schemas['com.example.stable.v1.CronTab'];
  assert.deepEqual(ct['x-kubernetes-group-version-kind'], [{ group: 'stable.example.com', kind: 'CronTab', version: 'v1' }]);
  assert.ok(d.components.schemas['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta']);
  assert.ok(d.paths['/apis/stable.example.com/v1/namespaces/{namespace}/crontabs/{name}'].patch.parameters.some((x: S) => x.name === 'fieldValidation'));
  const fs = schemaFor('stable.example.com/v1', 'CronTab')!;
  const ports = ((fs.fields as S).spec.fields as S).ports;
  assert.equal(ports.listType, 'map');
  assert.deepEqual(ports.listMapKeys, ['port']);
  registerCustomResourceDoc(crd, { ...schema, description: 'changed' });
  assert.notEqual(openapiV3Hash('apis/stable.example.com/v1', all), h1);
  removeCustomResourceDoc(crd);
  assert.equal(schemaFor('stable.example.com/v1', 'CronTab'), undefined);
});

// ---- real kubectl against a tiny server: discovery + these documents ----

function kubectlDir(): string | undefined {
  for (const d of (process.env.PATH ?? '').split(':')) {
    const p = join(d, 'kubectl');
    if (existsSync(p)) return dirname(realpathSync(p));
  }
  return undefined;
}

function discovery(path: string): object | undefined {
  const rs = builtinResources;
  const list = (group: string, version: string) => ({
    kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version,
    resources: rs.filter((r) => r.group === group && r.version === version).map((r) => ({
      name: r.plural, singularName: r.singular, namespaced: r.namespaced, kind: r.kind,
      verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'], shortNames: r.shortNames, categories: r.categories,
    })),
  });
  if (path === '/api') return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] };
  if (path === '/api/v1') return list('', 'v1');
  const groups = [...new Set(rs.filter((r) => r.group).map((r) => r.group))];
  if (path === '/apis') {
    return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups.map((g) => ({ name: g, versions: [{ groupVersion: `${g}/v1`, version: 'v1' }], preferredVersion: { groupVersion: `${g}/v1`, version: 'v1' } })) };
  }
  const m = path.match(/^\/apis\/([^/]+)\/([^/]+)$/);
  if (m && groups.includes(m[1])) return list(m[1], m[2]);
  if (path === '/version') return { major: '1', minor: '32', gitVersion: 'v1.32.0', platform: 'linux/amd64' };
  return undefined;
}

let server: http.Server;
let port = 0;
const seen: string[] = [];
const posts: string[] = [];
let cacheDir = '';

before(async () => {
  cacheDir = mkdtempSync(join(tmpdir(), 'k8ts-openapi-'));
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    seen.push(url.pathname);
    const send = (code: number, body: string) => { res.writeHead(code, { 'content-type': 'application/json' }); res.end(body); };
    if (url.pathname === '/openapi/v2') {
      res.writeHead(200, { 'content-type': openapiV2ContentType });
      return res.end(openapiV2Proto());
    }
    if (url.pathname === '/openapi/v3') return send(200, JSON.stringify(openapiV3Index()));
    if (url.pathname.startsWith('/openapi/v3/')) {
      const j = openapiV3DocJSON(url.pathname.slice('/openapi/v3/'.length));
      return j ? send(200, j) : send(404, '{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}');
    }
    if (req.method === 'POST') {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => { posts.push(`${url.pathname}?${url.searchParams}`); send(201, body); });
      return;
    }
    const d = discovery(url.pathname);
    if (d) return send(200, JSON.stringify(d));
    send(404, '{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as { port: number }).port;
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(cacheDir, { recursive: true, force: true });
});

function kubectl(bin: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(bin, [`--server=http://127.0.0.1:${port}`, `--cache-dir=${cacheDir}`, ...args], { timeout: 60_000, env: { ...process.env, KUBECONFIG: '/dev/null' } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

for (const v of ['1.27', '1.32']) {
  test(`kubectl ${v} explain reads the documents`, async (t) => {
    const dir = kubectlDir();
    const bin = dir && join(dir, `kubectl.${v}`);
    if (!bin || !existsSync(bin)) return t.skip(`kubectl.${v} not installed`);
    const r = await kubectl(bin, ['explain', 'pods.spec.containers']);
    assert.equal(r.code, 0, r.stderr + seen.join(' '));
    assert.match(r.stdout, /^KIND:\s+Pod$/m);
    assert.match(r.stdout, /^VERSION:\s+v1$/m);
    assert.match(r.stdout, /FIELD: containers <\[\]Container>|RESOURCE: containers <\[\]Container>/);
    assert.match(r.stdout, /A single application container that you want to run within a pod\./);
    assert.match(r.stdout, /^ {2}name\t<string> -required-$/m);
    assert.match(r.stdout, /^ {2}ports\t<\[\]ContainerPort>$/m);
    assert.match(r.stdout, /^ {2}lifecycle\t<Lifecycle>$/m);
    assert.match(r.stdout, /Actions that the management system should take in response to container/);
    assert.match(r.stdout, /^ {2}resources\t<ResourceRequirements>$/m);
    assert.ok(seen.some((p) => p === '/openapi/v3/api/v1'));

    const d = await kubectl(bin, ['explain', 'deployments.spec.strategy.rollingUpdate.maxSurge']);
    assert.equal(d.code, 0, d.stderr);
    assert.match(d.stdout, /^GROUP:\s+apps$/m);
    assert.match(d.stdout, /FIELD: maxSurge <string>/);

    const l = await kubectl(bin, ['explain', 'pods.spec.containers.resources.limits']);
    assert.equal(l.code, 0, l.stderr);
    assert.match(l.stdout, /FIELD: limits <map\[string\]Quantity>/);

    const bad = await kubectl(bin, ['explain', 'pods.spec.nope']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /field "nope" does not exist/);
  });
}

for (const v of ['1.27', '1.32']) {
  test(`kubectl ${v} --validate=strict finds fieldValidation support and leaves validation to the server`, async (t) => {
    const dir = kubectlDir();
    const bin = dir && join(dir, `kubectl.${v}`);
    if (!bin || !existsSync(bin)) return t.skip(`kubectl.${v} not installed`);
    const file = join(cacheDir, 'pod.yaml');
    writeFileSync(file, 'apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: default}\nspec:\n  containers: [{name: c, image: nginx, bogus: 1}]\n');
    posts.length = 0;
    const r = await kubectl(bin, ['create', '--validate=strict', '-f', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /pod\/p created/);
    assert.equal(posts.length, 1);
    assert.match(posts[0], /^\/api\/v1\/namespaces\/default\/pods\?.*fieldValidation=Strict/);
  });
}
