// Decodes protobuf bodies sent by a real kubectl 1.32 and compares them with the JSON
// kubectl would have sent (`--dry-run=client -o json` prints the same object).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { decodeK8sProtobuf, isProtobuf } from './decode.js';

function findKubectl(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const p = join(dir, 'kubectl');
    if (!existsSync(p)) continue;
    const v = join(dirname(realpathSync(p)), 'kubectl.1.32');
    if (existsSync(v)) return v;
  }
  return undefined;
}
const kubectl = findKubectl();

interface Recorded { method: string; url: string; contentType: string; body: Buffer; decoded?: Record<string, unknown> }

const resources = (groupVersion: string, list: [name: string, kind: string, namespaced: boolean][]) => ({
  kind: 'APIResourceList', apiVersion: 'v1', groupVersion,
  resources: list.map(([name, kind, namespaced]) => ({
    name, singularName: kind.toLowerCase(), namespaced, kind, verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  })),
});
const group = (name: string) => ({ name, versions: [{ groupVersion: `${name}/v1`, version: 'v1' }], preferredVersion: { groupVersion: `${name}/v1`, version: 'v1' } });
const discovery: Record<string, unknown> = {
  '/api': { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1:0' }] },
  '/apis': { kind: 'APIGroupList', apiVersion: 'v1', groups: [group('apps'), group('batch')] },
  '/api/v1': resources('v1', [['namespaces', 'Namespace', false], ['configmaps', 'ConfigMap', true], ['secrets', 'Secret', true],
    ['services', 'Service', true], ['pods', 'Pod', true], ['serviceaccounts', 'ServiceAccount', true], ['serviceaccounts/token', 'TokenRequest', true]]),
  '/apis/apps/v1': resources('apps/v1', [['deployments', 'Deployment', true]]),
  '/apis/batch/v1': resources('batch/v1', [['jobs', 'Job', true]]),
};

let server: Server;
let base = '';
let cacheDir = '';
const recorded: Recorded[] = [];

function handle(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  const path = (req.url ?? '').split('?')[0];
  const send = (code: number, obj: unknown) => {
    const s = JSON.stringify(obj);
    res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(s) });
    res.end(s);
  };
  if (req.method === 'GET' && discovery[path]) return send(200, discovery[path]);
  if (req.method === 'POST') {
    const rec: Recorded = { method: 'POST', url: req.url ?? '', contentType: req.headers['content-type'] ?? '', body };
    recorded.push(rec);
    try {
      rec.decoded = isProtobuf(rec.contentType) ? decodeK8sProtobuf(body).object : JSON.parse(body.toString('utf8'));
    } catch (e) {
      return send(400, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 400, reason: 'BadRequest', message: (e as Error).message });
    }
    const out = structuredClone(rec.decoded!) as Record<string, any>;
    if (out.kind === 'TokenRequest') out.status = { token: 'the-token', expirationTimestamp: '2030-01-01T00:00:00Z' };
    return send(201, out);
  }
  send(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 404, reason: 'NotFound', message: 'the server could not find the requested resource' });
}

before(async () => {
  if (!kubectl) return;
  cacheDir = mkdtempSync(join(tmpdir(), 'k8ts-proto-'));
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
});

after(async () => {
  if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
});

function run(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(kubectl!, [`--server=${base}`, `--cache-dir=${cacheDir}`, '--namespace=default', ...args],
      { timeout: 30_000, env: { ...process.env, KUBECONFIG: join(cacheDir, 'none.yaml'), HOME: cacheDir } },
      (err, stdout, stderr) => (err ? reject(new Error(`kubectl ${args.join(' ')}: ${err.message}\n${stderr}`)) : resolve(stdout)));
  });
}

/** The JSON object without nulls (creationTimestamp: null, containers: null, ...). */
function withoutNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutNulls);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null).map(([k, x]) => [k, withoutNulls(x)]));
  }
  return v;
}

/** Runs the command for real, then with --dry-run=client -o json, and compares the two objects. */
async function sameAsJSON(args: string[], path: string, contentType = 'application/vnd.kubernetes.protobuf'): Promise<Record<string, unknown>> {
  const n = recorded.length;
  await run(args);
  const posts = recorded.slice(n);
  assert.equal(posts.length, 1, `one POST for ${args.join(' ')}`);
  const rec = posts[0];
  assert.equal(rec.url.split('?')[0], path);
  assert.equal(rec.contentType, contentType);
  if (isProtobuf(contentType)) assert.deepEqual(rec.body.subarray(0, 4), Buffer.from('k8s\0', 'latin1'));
  const dd = args.indexOf('--');
  const dryRun = ['--dry-run=client', '-o', 'json'];
  const expected = JSON.parse(await run(dd < 0 ? [...args, ...dryRun] : [...args.slice(0, dd), ...dryRun, ...args.slice(dd)]));
  assert.deepEqual(rec.decoded, withoutNulls(expected));
  return rec.decoded!;
}

const skip = kubectl ? false : 'kubectl 1.32 not installed';

test('kubectl create deployment', { skip }, async () => {
  const obj = await sameAsJSON(['create', 'deployment', 'web', '--image=busybox', '--replicas=2', '--port=8080'], '/apis/apps/v1/namespaces/default/deployments');
  assert.equal((obj.spec as any).replicas, 2);
  assert.deepEqual((obj.spec as any).template.spec.containers[0].ports, [{ containerPort: 8080 }]);
});

test('kubectl create deployment with replicas=0 keeps the explicit zero', { skip }, async () => {
  const obj = await sameAsJSON(['create', 'deployment', 'zero', '--image=busybox', '--replicas=0'], '/apis/apps/v1/namespaces/default/deployments');
  assert.equal((obj.spec as any).replicas, 0);
});

test('kubectl create configmap', { skip }, async () => {
  const obj = await sameAsJSON(['create', 'configmap', 'cm', '--from-literal=a=1', '--from-literal=empty=', '--from-literal=b=two words'], '/api/v1/namespaces/default/configmaps');
  assert.deepEqual(obj.data, { a: '1', empty: '', b: 'two words' });
});

test('kubectl create secret generic (bytes as base64)', { skip }, async () => {
  const obj = await sameAsJSON(['create', 'secret', 'generic', 's', '--from-literal=user=admin', '--from-literal=pw=p@ss\u00e9'], '/api/v1/namespaces/default/secrets');
  assert.equal((obj.data as any).user, Buffer.from('admin').toString('base64'));
  assert.equal((obj.data as any).pw, Buffer.from('p@ss\u00e9', 'utf8').toString('base64'));
});

test('kubectl create namespace', { skip }, async () => {
  await sameAsJSON(['create', 'namespace', 'team-a'], '/api/v1/namespaces');
});

test('kubectl create service clusterip (IntOrString)', { skip }, async () => {
  const obj = await sameAsJSON(['create', 'service', 'clusterip', 'svc', '--tcp=80:8080', '--tcp=443:https'], '/api/v1/namespaces/default/services');
  assert.deepEqual((obj.spec as any).ports.map((p: any) => p.targetPort), [8080, 'https']);
});

test('kubectl create job', { skip }, async () => {
  await sameAsJSON(['create', 'job', 'j', '--image=busybox', '--', 'echo', 'hi'], '/apis/batch/v1/namespaces/default/jobs');
});

test('kubectl create job (args after --)', { skip }, async () => {
  const obj = await sameAsJSON(['create', 'job', 'j2', '--image=busybox', '--', 'sh', '-c', ''], '/apis/batch/v1/namespaces/default/jobs');
  assert.deepEqual((obj.spec as any).template.spec.containers[0].command, ['sh', '-c', ''], 'empty strings inside lists are kept');
});

// kubectl run creates through the unstructured helper: in 1.32 it still sends JSON
test('kubectl run sends JSON', { skip }, async () => {
  const n = recorded.length;
  await run(['run', 'pod1', '--image=busybox', '--labels=a=b', '--env=X=1', '--port=80']);
  const rec = recorded[n];
  assert.equal(rec.url.split('?')[0], '/api/v1/namespaces/default/pods');
  assert.equal(rec.contentType, 'application/json');
  assert.equal(isProtobuf(rec.contentType), false);
});

test('kubectl create token (TokenRequest subresource body)', { skip }, async () => {
  const n = recorded.length;
  const out = await run(['create', 'token', 'default', '--duration=1h', '--audience=api']);
  assert.equal(out.trim(), 'the-token');
  const rec = recorded[n];
  assert.equal(rec.url.split('?')[0], '/api/v1/namespaces/default/serviceaccounts/default/token');
  assert.ok(isProtobuf(rec.contentType));
  assert.equal(rec.decoded!.kind, 'TokenRequest');
  assert.deepEqual(rec.decoded!.spec, { audiences: ['api'], expirationSeconds: 3600 });
});
