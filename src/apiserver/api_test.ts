// API machinery over real HTTP: reads, watches, writes, subresources and errors.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBackend } from '../storage/memory.js';
import type { ApiServer } from './server.js';
import { startTestApi } from './testing/server.js';

let api: ApiServer;
let base: string;
const backend = new MemoryBackend();

async function req(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: any; text: string; headers: Headers }> {
  const init: RequestInit = { method, headers: { 'Content-Type': 'application/json', ...headers } };
  if (body !== undefined) init.body = typeof body === 'string' || body instanceof Uint8Array ? body as any : JSON.stringify(body);
  const r = await fetch(base + path, init);
  const text = await r.text();
  let json: any;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: r.status, json, text, headers: r.headers };
}

/** reads a watch stream until `n` events arrived or the stream ends */
async function watchEvents(path: string, n: number, timeoutMs = 5000): Promise<any[]> {
  const ac = new AbortController();
  const t = setTimeout(() => ac.abort(), timeoutMs);
  const out: any[] = [];
  try {
    const r = await fetch(base + path, { signal: ac.signal });
    let buf = '';
    const dec = new TextDecoder();
    for await (const chunk of r.body as any) {
      buf += dec.decode(chunk, { stream: true });
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i); buf = buf.slice(i + 1);
        if (line.trim()) out.push(JSON.parse(line));
        if (out.length >= n) { ac.abort(); return out; }
      }
    }
  } catch (e) {
    if (!ac.signal.aborted) throw e;
  } finally { clearTimeout(t); }
  return out;
}

const cm = (name: string, labels: Record<string, string> = {}, ns = 'default') => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, labels }, data: { k: name } });

before(async () => {
  api = await startTestApi(backend);
  base = api.url();
});
after(async () => { await api.stop(); await backend.close(); });

describe('reads', () => {
  it('list with equality and set-based label selectors, and field selectors', async () => {
    for (const [n, env] of [['a', 'prod'], ['b', 'dev'], ['c', 'test']]) assert.equal((await req('POST', '/api/v1/namespaces/default/configmaps', cm(n, { env, sel: 'yes' }))).status, 201);
    const names = async (q: string) => (await req('GET', `/api/v1/namespaces/default/configmaps?${q}`)).json.items.map((o: any) => o.metadata.name).sort().join(',');
    assert.equal(await names('labelSelector=env%3Dprod'), 'a');
    assert.equal(await names('labelSelector=sel%3Dyes,env!%3Dprod'), 'b,c');
    assert.equal(await names('labelSelector=' + encodeURIComponent('env in (dev,test)')), 'b,c');
    assert.equal(await names('labelSelector=' + encodeURIComponent('sel,env notin (dev)')), 'a,c');
    assert.equal(await names('labelSelector=' + encodeURIComponent('!env')), '');
    assert.equal(await names('fieldSelector=metadata.name%3Db'), 'b');
    // kinds without fields of their own answer as upstream's default conversion; pods name the field
    const bad = await req('GET', '/api/v1/namespaces/default/configmaps?fieldSelector=spec.foo%3Dx');
    assert.equal(bad.status, 400);
    assert.equal(bad.json.message, '"spec.foo" is not a known field selector: only "metadata.name", "metadata.namespace"');
    assert.equal((await req('GET', '/api/v1/namespaces/default/pods?fieldSelector=spec.foo%3Dx')).json.message, 'field label not supported: spec.foo');
    assert.equal((await req('GET', '/api/v1/persistentvolumes?fieldSelector=metadata.namespace%3D')).status, 200);
  });

  it('list options are validated (422 ListOptions), and a resourceVersion from the future waits, then 504', async () => {
    const list = (q: string) => req('GET', `/api/v1/namespaces/default/configmaps?${q}`);
    const noRV = await list('resourceVersionMatch=NotOlderThan');
    assert.equal(noRV.status, 422);
    assert.equal(noRV.json.message, 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided');
    assert.match((await list('resourceVersion=0&resourceVersionMatch=Exact')).json.message, /resourceVersionMatch "exact" is forbidden for resourceVersion "0"/);
    assert.match((await list('resourceVersion=5&resourceVersionMatch=Bogus')).json.message, /resourceVersionMatch: Unsupported value: "Bogus": supported values: "Exact", "NotOlderThan", ""/);
    assert.equal((await list('resourceVersion=abc')).status, 400);
    const cur = Number((await list('')).json.metadata.resourceVersion);
    assert.equal((await list(`resourceVersion=${cur}`)).status, 200);
    const t0 = Date.now();
    const future = await list(`resourceVersion=${cur + 1000}`);
    assert.ok(Date.now() - t0 >= 2500, 'waited for the revision');
    assert.equal(future.status, 504);
    assert.equal(future.json.message, `Timeout: Too large resource version: ${cur + 1000}, current: ${cur}`);
    assert.deepEqual(future.json.details.causes, [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }]);
    assert.equal(future.headers.get('retry-after'), '1');
  });

  it('pod field selectors: spec.nodeName and status.phase', async () => {
    const pod = (name: string, node?: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName: node, containers: [{ name: 'c', image: 'busybox' }] } });
    assert.equal((await req('POST', '/api/v1/namespaces/default/pods', pod('p1', 'n1'))).status, 201);
    assert.equal((await req('POST', '/api/v1/namespaces/default/pods', pod('p2'))).status, 201);
    const on = await req('GET', '/api/v1/pods?fieldSelector=spec.nodeName%3Dn1');
    assert.deepEqual(on.json.items.map((p: any) => p.metadata.name), ['p1']);
    const pending = await req('GET', '/api/v1/pods?fieldSelector=status.phase%3DPending');
    assert.equal(pending.json.items.length, 2);
    const unscheduled = await req('GET', '/api/v1/namespaces/default/pods?fieldSelector=spec.nodeName%3D');
    assert.deepEqual(unscheduled.json.items.map((p: any) => p.metadata.name), ['p2']);
  });

  it('limit and continue page through a consistent snapshot', async () => {
    for (let i = 0; i < 7; i++) await req('POST', '/api/v1/namespaces/default/configmaps', cm(`page-${i}`, { page: 'y' }));
    const seen: string[] = [];
    let cont = '';
    let pages = 0;
    let rv = '';
    do {
      const r = await req('GET', `/api/v1/namespaces/default/configmaps?labelSelector=page&limit=3${cont ? `&continue=${cont}` : ''}`);
      assert.equal(r.status, 200);
      if (!rv) rv = r.json.metadata.resourceVersion;
      else assert.equal(r.json.metadata.resourceVersion, rv, 'all pages come from one snapshot');
      seen.push(...r.json.items.map((o: any) => o.metadata.name));
      cont = r.json.metadata.continue ?? '';
      pages++;
      if (pages === 1) await req('POST', '/api/v1/namespaces/default/configmaps', cm('page-late', { page: 'y' }));
    } while (cont);
    assert.equal(pages, 3);
    assert.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6].map((i) => `page-${i}`));
    assert.equal((await req('GET', '/api/v1/namespaces/default/configmaps?continue=garbage')).status, 400);
  });
});

describe('watch', () => {
  it('resourceVersion=0 sends synthetic ADDED first, then later changes', async () => {
    const p = watchEvents('/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=0&labelSelector=w%3D1', 3);
    await req('POST', '/api/v1/namespaces/default/configmaps', cm('w-existing', { w: '1' }));
    await new Promise((r) => setTimeout(r, 200));
    await req('POST', '/api/v1/namespaces/default/configmaps', cm('w-new', { w: '1' }));
    await req('DELETE', '/api/v1/namespaces/default/configmaps/w-new');
    const evs = await p;
    assert.deepEqual(evs.map((e) => `${e.type} ${e.object.metadata.name}`).slice(-2), ['ADDED w-new', 'DELETED w-new']);
  });

  it('resumes from a resourceVersion with every later event in order', async () => {
    const r = await req('POST', '/api/v1/namespaces/default/configmaps', cm('resume-0'));
    const rv = r.json.metadata.resourceVersion;
    for (let i = 1; i <= 5; i++) await req('POST', '/api/v1/namespaces/default/configmaps', cm(`resume-${i}`));
    await req('PATCH', '/api/v1/namespaces/default/configmaps/resume-1', { data: { k: 'changed' } }, { 'Content-Type': 'application/merge-patch+json' });
    const evs = await watchEvents(`/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv}`, 6);
    assert.deepEqual(evs.map((e) => `${e.type} ${e.object.metadata.name}`), ['ADDED resume-1', 'ADDED resume-2', 'ADDED resume-3', 'ADDED resume-4', 'ADDED resume-5', 'MODIFIED resume-1']);
    const rvs = evs.map((e) => Number(e.object.metadata.resourceVersion));
    assert.deepEqual(rvs, [...rvs].sort((a, b) => a - b));
  });

  it('a label change out of the selector is delivered as DELETED', async () => {
    await req('POST', '/api/v1/namespaces/default/configmaps', cm('mover', { team: 'x' }));
    const p = watchEvents('/api/v1/namespaces/default/configmaps?watch=1&labelSelector=team%3Dx&resourceVersion=0', 2);
    await new Promise((r) => setTimeout(r, 200));
    await req('PATCH', '/api/v1/namespaces/default/configmaps/mover', { metadata: { labels: { team: 'y' } } }, { 'Content-Type': 'application/merge-patch+json' });
    const evs = await p;
    assert.deepEqual(evs.map((e) => `${e.type} ${e.object.metadata.name}`), ['ADDED mover', 'DELETED mover']);
  });

  it('timeoutSeconds ends the stream; bookmarks carry a resourceVersion', async () => {
    const t0 = Date.now();
    const evs = await watchEvents('/api/v1/namespaces/kube-public/configmaps?watch=1&timeoutSeconds=1&resourceVersion=1', 100, 10_000);
    assert.ok(Date.now() - t0 < 5000);
    assert.equal(evs.length, 0);
    const bm = await watchEvents('/api/v1/namespaces/kube-public/configmaps?watch=1&allowWatchBookmarks=true&timeoutSeconds=7&resourceVersion=1', 1, 10_000);
    assert.equal(bm[0]?.type, 'BOOKMARK');
    assert.ok(Number(bm[0].object.metadata.resourceVersion) > 1);
  });

  it('a compacted resourceVersion gives 410 Expired', async () => {
    await req('POST', '/api/v1/namespaces/default/configmaps', cm('before-compact'));
    const cur = await backend.currentRevision();
    await req('POST', '/api/v1/namespaces/default/configmaps', cm('after-compact'));
    await backend.compact(cur);
    const evs = await watchEvents('/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=2', 1);
    assert.equal(evs[0].type, 'ERROR');
    assert.equal(evs[0].object.code, 410);
    assert.equal(evs[0].object.reason, 'Expired');
  });
});

describe('writes', () => {
  it('generateName and dryRun=All', async () => {
    const g = await req('POST', '/api/v1/namespaces/default/configmaps', { metadata: { generateName: 'gen-' } });
    assert.equal(g.status, 201);
    assert.match(g.json.metadata.name, /^gen-[a-z0-9]{5}$/);
    const d = await req('POST', '/api/v1/namespaces/default/configmaps?dryRun=All', cm('dry'));
    assert.equal(d.status, 201);
    assert.equal((await req('GET', '/api/v1/namespaces/default/configmaps/dry')).status, 404);
  });

  it('update with a stale resourceVersion is 409 Conflict', async () => {
    const c = (await req('POST', '/api/v1/namespaces/default/configmaps', cm('cas'))).json;
    assert.equal((await req('PUT', '/api/v1/namespaces/default/configmaps/cas', { ...c, data: { k: '1' } })).status, 200);
    const stale = await req('PUT', '/api/v1/namespaces/default/configmaps/cas', { ...c, data: { k: '2' } });
    assert.equal(stale.status, 409);
    assert.equal(stale.json.reason, 'Conflict');
    assert.equal(stale.json.message, 'Operation cannot be fulfilled on configmaps "cas": the object has been modified; please apply your changes to the latest version and try again');
  });

  it('a patch carrying metadata.resourceVersion is applied only to that version (409 otherwise)', async () => {
    const c = (await req('POST', '/api/v1/namespaces/default/configmaps', cm('patchrv'))).json;
    const merge = { 'Content-Type': 'application/merge-patch+json' };
    const ok = await req('PATCH', '/api/v1/namespaces/default/configmaps/patchrv', { metadata: { resourceVersion: c.metadata.resourceVersion }, data: { k: '1' } }, merge);
    assert.equal(ok.status, 200);
    assert.notEqual(ok.json.metadata.resourceVersion, c.metadata.resourceVersion);
    for (const [type, patch] of [
      ['application/merge-patch+json', { metadata: { resourceVersion: c.metadata.resourceVersion }, data: { k: '2' } }],
      ['application/strategic-merge-patch+json', { metadata: { resourceVersion: c.metadata.resourceVersion }, data: { k: '2' } }],
      ['application/json-patch+json', [{ op: 'replace', path: '/metadata/resourceVersion', value: c.metadata.resourceVersion }, { op: 'replace', path: '/data/k', value: '2' }]],
    ] as const) {
      const stale = await req('PATCH', '/api/v1/namespaces/default/configmaps/patchrv', patch, { 'Content-Type': type });
      assert.equal(stale.status, 409, type);
      assert.equal(stale.json.reason, 'Conflict');
    }
    const now = (await req('GET', '/api/v1/namespaces/default/configmaps/patchrv')).json;
    assert.equal(now.data.k, '1');
    assert.equal(now.metadata.resourceVersion, ok.json.metadata.resourceVersion);
  });

  it('a value of the wrong JSON type is rejected as upstream\'s decoder does: 400 on create and update, 422 "patch" on patch', async () => {
    const dep = (replicas: unknown, args: unknown = ['a']) => ({
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'typed' },
      spec: { replicas, selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'x', args, resources: { limits: { cpu: 1, memory: '1Gi' } }, ports: [{ containerPort: 80 }] }] } } },
    });
    const path = '/apis/apps/v1/namespaces/default/deployments';
    const cases: [unknown, string][] = [
      [dep('two'), 'json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32'],
      [dep(1.5), 'json: cannot unmarshal number 1.5 into Go struct field DeploymentSpec.spec.replicas of type int32'],
      [dep(1, 'x'), 'json: cannot unmarshal string into Go struct field Container.spec.template.spec.containers.args of type []string'],
    ];
    for (const [body, err] of cases) {
      const r = await req('POST', path, body);
      assert.equal(r.status, 400);
      assert.equal(r.json.reason, 'BadRequest');
      assert.equal(r.json.message, `Deployment in version "v1" cannot be handled as a Deployment: ${err}`);
    }
    const cm = await req('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'typed' }, data: { port: 8080 } });
    assert.equal(cm.json.message, 'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ConfigMap.data of type string');
    // a number is a valid Quantity, a name a valid IntOrString
    assert.equal((await req('POST', path, dep(2))).status, 201);
    assert.equal((await req('POST', '/api/v1/namespaces/default/services', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'typed' }, spec: { ports: [{ port: 80, targetPort: 'http' }] } })).status, 201);
    const put = await req('PUT', `${path}/typed`, dep('x'));
    assert.equal(put.status, 400);
    for (const [type, patch] of [
      ['application/merge-patch+json', { spec: { replicas: 'abc' } }],
      ['application/strategic-merge-patch+json', { spec: { replicas: 'abc' } }],
      ['application/json-patch+json', [{ op: 'replace', path: '/spec/replicas', value: 'abc' }]],
    ] as const) {
      const r = await req('PATCH', `${path}/typed`, patch, { 'Content-Type': type });
      assert.equal(r.status, 422, type);
      assert.equal(r.json.reason, 'Invalid');
      assert.equal(r.json.details.causes[0].field, 'patch');
      assert.match(r.json.message, /^ "" is invalid: patch: Invalid value: ".*": json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32$/);
    }
    assert.equal((await req('GET', `${path}/typed`)).json.spec.replicas, 2);
  });

  it('pods/eviction deletes the pod with the Eviction\'s deleteOptions (kubectl drain)', async () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'evicted' }, spec: { containers: [{ name: 'c', image: 'x' }] } };
    assert.equal((await req('POST', '/api/v1/namespaces/default/pods', pod)).status, 201);
    const path = '/api/v1/namespaces/default/pods/evicted/eviction';
    const eviction = (n: string) => ({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: n, namespace: 'default' }, deleteOptions: { gracePeriodSeconds: 0 } });
    const wrong = await req('POST', path, eviction('other'));
    assert.equal(wrong.status, 400);
    assert.equal(wrong.json.message, 'name in URL does not match name in Eviction object');
    const ok = await req('POST', path, eviction('evicted'));
    assert.equal(ok.status, 201);
    assert.equal(ok.json.status, 'Success');
    assert.equal((await req('GET', '/api/v1/namespaces/default/pods/evicted')).status, 404);
    const gone = await req('POST', path, eviction('evicted'));
    assert.equal(gone.status, 404);
    assert.equal(gone.json.message, 'pods "evicted" not found');
  });

  it('RBAC: requests and access reviews (kubectl auth can-i) answer from Roles and bindings; system:masters may do anything', async () => {
    const ssar = await req('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { verb: 'create', resource: 'pods', namespace: 'default' } } });
    assert.equal(ssar.status, 201);
    assert.equal(ssar.json.status.allowed, true);
    assert.deepEqual(ssar.json.spec.resourceAttributes, { verb: 'create', resource: 'pods', namespace: 'default' });
    const rules = await req('POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', { spec: { namespace: 'default' } });
    assert.ok(rules.json.status.resourceRules.some((r: any) => r.verbs.includes('*') && r.resources?.includes('*')), JSON.stringify(rules.json.status));
    const local = await req('POST', '/apis/authorization.k8s.io/v1/namespaces/default/localsubjectaccessreviews', { spec: { user: 'x', resourceAttributes: { namespace: 'other', verb: 'get', resource: 'pods' } } });
    assert.equal(local.status, 422);
    // upstream's review validation: a subject, exactly one kind of attributes, the namespace of the URL
    const sarPath = '/apis/authorization.k8s.io/v1/subjectaccessreviews';
    const noSubject = await req('POST', sarPath, { spec: { resourceAttributes: { verb: 'get', resource: 'pods' } } });
    assert.equal(noSubject.status, 422);
    assert.match(noSubject.json.message, /spec.user: Invalid value: "": at least one of user or group must be specified/);
    const both = await req('POST', sarPath, { spec: { user: 'x', resourceAttributes: { verb: 'get', resource: 'pods' }, nonResourceAttributes: { verb: 'get', path: '/x' } } });
    assert.match(both.json.message, /spec.nonResourceAttributes: Invalid value: .*cannot be specified in combination with resourceAttributes/);
    const neither = await req('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { spec: {} });
    assert.match(neither.json.message, /spec.resourceAttributes: Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified/);
    const noNs = await req('POST', '/apis/authorization.k8s.io/v1/namespaces/default/localsubjectaccessreviews', { spec: { user: 'x', resourceAttributes: { verb: 'get', resource: 'pods' } } });
    assert.match(noNs.json.message, /spec.resourceAttributes.namespace: Invalid value: "": must match metadata.namespace/);
    const disc = (await req('GET', '/apis/authorization.k8s.io/v1')).json;
    assert.deepEqual(disc.resources.map((r: any) => r.name).sort(), ['localsubjectaccessreviews', 'selfsubjectaccessreviews', 'selfsubjectrulesreviews', 'subjectaccessreviews']);
    const who = await req('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }, { 'Impersonate-User': 'system:serviceaccount:team:bot', 'Impersonate-Group': 'devs' });
    assert.equal(who.json.status.userInfo.username, 'system:serviceaccount:team:bot');
    // a service account impersonated with groups gets those groups, not its own (upstream's WithImpersonation)
    assert.deepEqual(who.json.status.userInfo.groups, ['devs', 'system:authenticated']);
    const whoAs = async (h: Record<string, string>) => (await req('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }, h)).json;
    assert.deepEqual((await whoAs({ 'Impersonate-User': 'system:serviceaccount:team:bot' })).status.userInfo.groups, ['system:serviceaccounts', 'system:serviceaccounts:team', 'system:authenticated']);
    // system:unauthenticated asked for (or system:anonymous): no system:authenticated, so not even a self review
    assert.match((await whoAs({ 'Impersonate-User': 'bob', 'Impersonate-Group': 'system:unauthenticated' })).message, /User "bob" cannot create resource "selfsubjectreviews"/);
    assert.match((await whoAs({ 'Impersonate-User': 'system:anonymous' })).message, /User "system:anonymous" cannot create resource "selfsubjectreviews"/);
    const noUser = await whoAs({ 'Impersonate-Group': 'devs' });
    assert.equal(noUser.code, 500);
    assert.match(noUser.message, /^Internal error occurred: requested \[\{Group {2}devs {4}\}\] without impersonating a user$/);

    // alice has no role: denied, in a review and in fact (acting as her by impersonation)
    const sar = (user: string) => req('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', { spec: { user, groups: ['system:authenticated'], resourceAttributes: { namespace: 'default', verb: 'list', resource: 'pods' } } });
    assert.equal((await sar('alice')).json.status.allowed, false);
    const asAlice = { 'Impersonate-User': 'alice' };
    const denied = await req('GET', '/api/v1/namespaces/default/pods', undefined, asAlice);
    assert.equal(denied.status, 403);
    assert.equal(denied.json.message, 'pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "default"');
    assert.equal((await req('GET', '/version', undefined, asAlice)).status, 200, 'system:public-info-viewer');
    assert.equal((await req('GET', '/apis', undefined, asAlice)).status, 200, 'system:discovery');
    // the bootstrap policy is there, as upstream's
    assert.ok((await req('GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles/view')).json.rules.length > 5);
    // a RoleBinding to the view ClusterRole in default: reads there, not elsewhere, and no writes
    assert.equal((await req('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings', {
      metadata: { name: 'alice-view' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice' }],
    })).status, 201);
    const allowed = (await sar('alice')).json.status;
    assert.equal(allowed.allowed, true);
    assert.match(allowed.reason, /RBAC: allowed by RoleBinding "alice-view\/default" of ClusterRole "view" to User "alice"/);
    assert.equal((await req('GET', '/api/v1/namespaces/default/pods', undefined, asAlice)).status, 200);
    assert.equal((await req('GET', '/api/v1/namespaces/kube-system/pods', undefined, asAlice)).status, 403);
    assert.equal((await req('POST', '/api/v1/namespaces/default/configmaps', cm('by-alice'), asAlice)).status, 403);
    assert.equal((await req('GET', '/api/v1/namespaces/default/secrets', undefined, asAlice)).status, 403);

    // escalation prevention: as a namespace admin, alice may grant what she holds, and no more
    const rb = (name: string, role: string, user = 'bob') => ({ metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }] });
    const rbPath = '/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings';
    assert.equal((await req('POST', rbPath, rb('alice-admin', 'admin', 'alice'))).status, 201);
    assert.equal((await req('POST', rbPath, rb('bob-view', 'view'), asAlice)).status, 201);
    const esc = await req('POST', rbPath, rb('bob-all', 'cluster-admin'), asAlice);
    assert.equal(esc.status, 403);
    assert.match(esc.json.message, /^rolebindings.rbac.authorization.k8s.io "bob-all" is forbidden: user "alice" \(groups=\["system:authenticated"\]\) is attempting to grant RBAC permissions not currently held:\n\{APIGroups:\["\*"\], Resources:\["\*"\], Verbs:\["\*"\]\}/);
    const rolePath = '/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles';
    const role = (name: string, resources: string[]) => ({ metadata: { name }, rules: [{ apiGroups: [''], resources, verbs: ['get', 'list'] }] });
    assert.equal((await req('POST', rolePath, role('cm-reader', ['configmaps']), asAlice)).status, 201);
    const nodes = await req('POST', rolePath, role('node-reader', ['nodes']), asAlice);
    assert.equal(nodes.status, 403);
    // the missing rules compacted (one line per resource) and sorted, as upstream's ConfirmNoEscalation
    assert.match(nodes.json.message, /not currently held:\n\{APIGroups:\[""\], Resources:\["nodes"\], Verbs:\["get" "list"\]\}$/);
    const two = await req('POST', rolePath, role('two', ['persistentvolumes', 'nodes']), asAlice);
    assert.match(two.json.message, /not currently held:\n\{APIGroups:\[""\], Resources:\["nodes"\], Verbs:\["get" "list"\]\}\n\{APIGroups:\[""\], Resources:\["persistentvolumes"\], Verbs:\["get" "list"\]\}$/);
    // a change of finalizers or ownerReferences alone grants nothing: allowed without holding the role's rules
    assert.equal((await req('POST', rbPath, rb('bob-all', 'cluster-admin'))).status, 201);
    const gcOnly = await req('PATCH', `${rbPath}/bob-all`, { metadata: { finalizers: ['example.com/keep'] } }, { ...asAlice, 'Content-Type': 'application/merge-patch+json' });
    assert.equal(gcOnly.status, 200, JSON.stringify(gcOnly.json));
    const relabel = await req('PATCH', `${rbPath}/bob-all`, { metadata: { labels: { x: 'y' }, finalizers: null } }, { ...asAlice, 'Content-Type': 'application/merge-patch+json' });
    assert.equal(relabel.status, 403);
    assert.equal((await req('PATCH', `${rbPath}/bob-all`, { metadata: { finalizers: null } }, { 'Content-Type': 'application/merge-patch+json' })).status, 200);
    // a Role limited to one object by resourceNames allows list and watch of just that object by
    // fieldSelector=metadata.name (kubectl get -w NAME, kubectl wait), as upstream's RequestInfo
    assert.equal((await req('POST', rolePath, { metadata: { name: 'one-cm' }, rules: [{ apiGroups: [''], resources: ['configmaps'], resourceNames: ['only'], verbs: ['get', 'list', 'watch'] }] })).status, 201);
    assert.equal((await req('POST', rbPath, { metadata: { name: 'erin-one' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'one-cm' }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'erin' }] })).status, 201);
    assert.equal((await req('POST', '/api/v1/namespaces/default/configmaps', cm('only'))).status, 201);
    const asErin = { 'Impersonate-User': 'erin' };
    const cms = '/api/v1/namespaces/default/configmaps';
    assert.equal((await req('GET', `${cms}/only`, undefined, asErin)).status, 200);
    const one = await req('GET', `${cms}?fieldSelector=metadata.name%3Donly`, undefined, asErin);
    assert.equal(one.status, 200);
    assert.deepEqual(one.json.items.map((i: any) => i.metadata.name), ['only']);
    assert.equal((await req('GET', `${cms}?fieldSelector=metadata.name%3Dother`, undefined, asErin)).status, 403);
    assert.equal((await req('GET', cms, undefined, asErin)).status, 403);
    assert.equal((await req('GET', `${cms}?watch=true&fieldSelector=metadata.name%3Donly&timeoutSeconds=1`, undefined, asErin)).status, 200);
    // a binding to a Role that does not exist: the rules review says so (kubectl auth can-i --list warns)
    assert.equal((await req('POST', rbPath, { metadata: { name: 'erin-missing' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'nope' }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'erin' }] })).status, 201);
    const ssrr = (await req('POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', { spec: { namespace: 'default' } }, asErin)).json.status;
    assert.equal(ssrr.evaluationError, 'role.rbac.authorization.k8s.io "nope" not found');
    assert.ok(ssrr.resourceRules.some((r: any) => r.resourceNames?.includes('only')));
  });

  it('LimitRanger: container defaults from the namespace\'s LimitRange, and max/min/ratio refused with upstream\'s messages', async () => {
    assert.equal((await req('POST', '/api/v1/namespaces', { metadata: { name: 'limited' } })).status, 201);
    const lr = await req('POST', '/api/v1/namespaces/limited/limitranges', { apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'lr' }, spec: { limits: [
      { type: 'Container', default: { cpu: '500m', memory: '256Mi' }, defaultRequest: { cpu: '100m' }, max: { cpu: '1' } },
      { type: 'PersistentVolumeClaim', max: { storage: '2Gi' } },
    ] } });
    assert.equal(lr.status, 201);
    const pod = (name: string, resources?: object) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'x', ...(resources ? { resources } : {}) }] } });
    const ok = await req('POST', '/api/v1/namespaces/limited/pods', pod('defaulted'));
    assert.equal(ok.status, 201);
    assert.deepEqual(ok.json.spec.containers[0].resources, { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '500m', memory: '256Mi' } });
    assert.equal(ok.json.metadata.annotations['kubernetes.io/limit-ranger'], 'LimitRanger plugin set: cpu, memory request for container c; cpu, memory limit for container c');
    assert.equal(ok.json.status.qosClass, 'Burstable');
    const big = await req('POST', '/api/v1/namespaces/limited/pods', pod('big', { limits: { cpu: '2' } }));
    assert.equal(big.status, 403);
    assert.equal(big.json.message, 'pods "big" is forbidden: maximum cpu usage per Container is 1, but limit is 2');
    const claim = await req('POST', '/api/v1/namespaces/limited/persistentvolumeclaims', { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'huge' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } } } });
    assert.equal(claim.status, 403);
    assert.equal(claim.json.message, 'persistentvolumeclaims "huge" is forbidden: maximum storage usage per PersistentVolumeClaim is 2Gi, but request is 5Gi');
    // other namespaces are not limited
    assert.equal((await req('POST', '/api/v1/namespaces/default/pods', pod('free', { limits: { cpu: '2' } }))).status, 201);
    // a Pod item compares the sum over the containers, shown as a quantity
    assert.equal((await req('POST', '/api/v1/namespaces', { metadata: { name: 'podlimited' } })).status, 201);
    assert.equal((await req('POST', '/api/v1/namespaces/podlimited/limitranges', { apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'lr' }, spec: { limits: [{ type: 'Pod', max: { memory: '200Mi' } }] } })).status, 201);
    const two = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'two' }, spec: { containers: ['a', 'b'].map((n) => ({ name: n, image: 'x', resources: { limits: { memory: '120Mi' } } })) } };
    assert.equal((await req('POST', '/api/v1/namespaces/podlimited/pods', two)).json.message, 'pods "two" is forbidden: maximum memory usage per Pod is 200Mi, but limit is 240Mi');
  });

  it('Warning headers quote their text as upstream does, so kubectl can show them', async () => {
    const r = await req('POST', '/api/v1/namespaces/default/configmaps?fieldValidation=Warn', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'warned' }, foo: 1 });
    assert.equal(r.status, 201);
    assert.equal(r.headers.get('warning'), '299 - "unknown field \\"foo\\""');
    // under Strict, a create fails as upstream's decoder words it
    const strict = await req('POST', '/apis/apps/v1/namespaces/default/deployments?fieldValidation=Strict', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'strict' }, spec: { foo: 1 } });
    assert.equal(strict.status, 400);
    assert.equal(strict.json.message, 'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.foo"');
    // a strategic merge patch that does not decode: the value shown is the patch, as Go prints it
    await req('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'typed' } });
    const smp = await req('PATCH', '/api/v1/namespaces/default/configmaps/typed', { data: { a: 1 }, metadata: { labels: { x: 'y' } } }, { 'Content-Type': 'application/strategic-merge-patch+json' });
    assert.equal(smp.status, 422);
    assert.match(smp.json.message, /patch: Invalid value: "map\[data:map\[a:1\] metadata:map\[labels:map\[x:y\]\]\]": json: cannot unmarshal number into Go struct field ConfigMap.data of type string/);
  });

  it('a body of another kind, and a subresource the kind does not have, get upstream\'s errors', async () => {
    const wrong = await req('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.json.message, 'Secret in version "v1" cannot be handled as a ConfigMap: converting (v1.Secret) to (core.ConfigMap): unknown conversion');
    const sub = await req('GET', '/api/v1/namespaces/default/configmaps/x/status');
    assert.equal(sub.status, 404);
    assert.equal(sub.json.message, 'the server could not find the requested resource');
    // namespaces have no collection delete, in discovery or in fact
    assert.equal((await req('DELETE', '/api/v1/namespaces?labelSelector=x%3Dy')).status, 405);
    assert.ok(!(await req('GET', '/api/v1')).json.resources.find((r: any) => r.name === 'namespaces').verbs.includes('deletecollection'));
  });

  it('one Event, two APIs: core/v1 and events.k8s.io/v1 events are the same objects', async () => {
    const core = await req('POST', '/api/v1/namespaces/default/events', {
      metadata: { name: 'ev-core' }, involvedObject: { kind: 'Pod', name: 'p', namespace: 'default' }, reason: 'Pulled', message: 'pulled it', type: 'Normal',
      source: { component: 'kubelet' }, firstTimestamp: '2026-01-01T00:00:00Z', lastTimestamp: '2026-01-01T00:00:01Z', count: 2,
    });
    assert.equal(core.status, 201);
    const asV1 = (await req('GET', '/apis/events.k8s.io/v1/namespaces/default/events/ev-core')).json;
    assert.equal(asV1.apiVersion, 'events.k8s.io/v1');
    assert.deepEqual([asV1.note, asV1.regarding.name, asV1.deprecatedSource.component, asV1.deprecatedCount], ['pulled it', 'p', 'kubelet', 2]);
    const v1 = await req('POST', '/apis/events.k8s.io/v1/namespaces/default/events', {
      metadata: { name: 'ev-v1' }, regarding: { kind: 'Pod', name: 'q', namespace: 'default' }, reason: 'Started', note: 'started it', type: 'Normal',
      eventTime: '2026-01-01T00:00:00.000000Z', reportingController: 'example.com/op', reportingInstance: 'op-1', action: 'Start',
    });
    assert.equal(v1.status, 201, JSON.stringify(v1.json));
    const asCore = (await req('GET', '/api/v1/namespaces/default/events/ev-v1')).json;
    assert.deepEqual([asCore.apiVersion, asCore.message, asCore.involvedObject.name, asCore.reportingComponent], ['v1', 'started it', 'q', 'example.com/op']);
    const names = (await req('GET', '/apis/events.k8s.io/v1/namespaces/default/events')).json.items.map((e: any) => e.metadata.name);
    assert.ok(names.includes('ev-core') && names.includes('ev-v1'));
  });

  it('errors: 400 malformed, 404, 409 exists, 413 too large, 422 with causes, missing namespace', async () => {
    assert.equal((await req('POST', '/api/v1/namespaces/default/configmaps', '{"metadata":')).status, 400);
    assert.equal((await req('POST', '/api/v1/namespaces/default/configmaps', 'a: [b', { 'Content-Type': 'application/yaml' })).status, 400);
    const nf = await req('GET', '/apis/apps/v1/namespaces/default/deployments/nope');
    assert.equal(nf.status, 404);
    assert.equal(nf.json.message, 'deployments.apps "nope" not found');
    assert.equal((await req('POST', '/api/v1/namespaces/default/configmaps', cm('cas'))).status, 409);
    const big = await req('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'big' }, data: { k: 'x'.repeat(3 * 1024 * 1024 + 10) } });
    assert.equal(big.status, 413);
    const inv = await req('POST', '/apis/apps/v1/namespaces/default/deployments', { metadata: { name: 'd' }, spec: { replicas: -1, selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } });
    assert.equal(inv.status, 422);
    assert.equal(inv.json.reason, 'Invalid');
    assert.ok(inv.json.details.causes.some((c: any) => c.field === 'spec.replicas'));
    const nons = await req('POST', '/api/v1/namespaces/nowhere/configmaps', cm('x', {}, 'nowhere'));
    assert.equal(nons.status, 404);
    assert.equal(nons.json.message, 'namespaces "nowhere" not found');
  });

  it('finalizers keep a deleted object with deletionTimestamp until removed', async () => {
    await req('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'fin', finalizers: ['example.com/hold'] } });
    const d = await req('DELETE', '/api/v1/namespaces/default/configmaps/fin');
    assert.equal(d.status, 200);
    const held = await req('GET', '/api/v1/namespaces/default/configmaps/fin');
    assert.ok(held.json.metadata.deletionTimestamp);
    await req('PATCH', '/api/v1/namespaces/default/configmaps/fin', [{ op: 'remove', path: '/metadata/finalizers' }], { 'Content-Type': 'application/json-patch+json' });
    assert.equal((await req('GET', '/api/v1/namespaces/default/configmaps/fin')).status, 404);
  });

  it('propagationPolicy Orphan and Foreground add the GC finalizers', async () => {
    await req('POST', '/api/v1/namespaces/default/configmaps', cm('orph'));
    await req('DELETE', '/api/v1/namespaces/default/configmaps/orph', { propagationPolicy: 'Orphan' });
    assert.deepEqual((await req('GET', '/api/v1/namespaces/default/configmaps/orph')).json.metadata.finalizers, ['orphan']);
    await req('POST', '/api/v1/namespaces/default/configmaps', cm('fg'));
    await req('DELETE', '/api/v1/namespaces/default/configmaps/fg?propagationPolicy=Foreground');
    assert.deepEqual((await req('GET', '/api/v1/namespaces/default/configmaps/fg')).json.metadata.finalizers, ['foregroundDeletion']);
  });

  it('graceful pod deletion: a bound pod waits for gracePeriodSeconds=0', async () => {
    const d = await req('DELETE', '/api/v1/namespaces/default/pods/p1');
    assert.equal(d.status, 200);
    const pod = (await req('GET', '/api/v1/namespaces/default/pods/p1')).json;
    assert.ok(pod.metadata.deletionTimestamp);
    assert.equal(pod.metadata.deletionGracePeriodSeconds, 30);
    assert.equal((await req('DELETE', '/api/v1/namespaces/default/pods/p1?gracePeriodSeconds=0')).status, 200);
    assert.equal((await req('GET', '/api/v1/namespaces/default/pods/p1')).status, 404);
    // an unscheduled pod goes at once
    await req('DELETE', '/api/v1/namespaces/default/pods/p2');
    assert.equal((await req('GET', '/api/v1/namespaces/default/pods/p2')).status, 404);
  });

  it('deletecollection with a selector', async () => {
    const r = await req('DELETE', '/api/v1/namespaces/default/configmaps?labelSelector=page');
    assert.equal(r.status, 200);
    assert.equal((await req('GET', '/api/v1/namespaces/default/configmaps?labelSelector=page')).json.items.length, 0);
  });

  it('status and scale subresources', async () => {
    const dep = { metadata: { name: 'sc' }, spec: { replicas: 1, selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } };
    const created = (await req('POST', '/apis/apps/v1/namespaces/default/deployments', dep)).json;
    assert.deepEqual(created.status, {});
    // status through the main resource is ignored, through /status it sticks (and spec is kept)
    await req('PUT', '/apis/apps/v1/namespaces/default/deployments/sc', { ...created, status: { replicas: 9 } });
    assert.equal((await req('GET', '/apis/apps/v1/namespaces/default/deployments/sc')).json.status.replicas, undefined);
    const cur = (await req('GET', '/apis/apps/v1/namespaces/default/deployments/sc')).json;
    await req('PUT', '/apis/apps/v1/namespaces/default/deployments/sc/status', { ...cur, spec: { ...cur.spec, replicas: 5 }, status: { replicas: 1 } });
    const after = (await req('GET', '/apis/apps/v1/namespaces/default/deployments/sc')).json;
    assert.equal(after.status.replicas, 1);
    assert.equal(after.spec.replicas, 1);
    const scale = await req('GET', '/apis/apps/v1/namespaces/default/deployments/sc/scale');
    assert.equal(scale.json.kind, 'Scale');
    assert.equal(scale.json.status.selector, 'a=b');
    const patched = await req('PATCH', '/apis/apps/v1/namespaces/default/deployments/sc/scale', { spec: { replicas: 4 } }, { 'Content-Type': 'application/merge-patch+json' });
    assert.equal(patched.json.spec.replicas, 4);
    const d = (await req('GET', '/apis/apps/v1/namespaces/default/deployments/sc')).json;
    assert.equal(d.spec.replicas, 4);
    assert.equal(d.metadata.generation, 2);
    // managedFields say the replicas came through the scale subresource
    const byScale = d.metadata.managedFields.find((e: any) => e.subresource === 'scale');
    assert.ok(byScale?.fieldsV1?.['f:spec']?.['f:replicas'], JSON.stringify(d.metadata.managedFields));
  });

  it('quantities are stored in canonical form, and an apply of the same amount written differently changes nothing', async () => {
    const pod = (cpu: unknown) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'qty', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'i', resources: { requests: { cpu, memory: '1.5Gi', 'ephemeral-storage': 2000 }, limits: { cpu: '1000m' } } }] } });
    const created = await req('POST', '/api/v1/namespaces/default/pods', pod(0.5));
    assert.equal(created.status, 201, created.text);
    assert.deepEqual(created.json.spec.containers[0].resources, { requests: { cpu: '500m', memory: '1536Mi', 'ephemeral-storage': '2k' }, limits: { cpu: '1' } });
    const applied = await req('PATCH', '/api/v1/namespaces/default/pods/qty?fieldManager=other', JSON.stringify(pod('0.5')), { 'Content-Type': 'application/apply-patch+yaml' });
    assert.equal(applied.status, 200, applied.text); // the same values: no conflict with the creator
    assert.equal(applied.json.spec.containers[0].resources.requests.cpu, '500m');
    const again = await req('PATCH', '/api/v1/namespaces/default/pods/qty?fieldManager=other', JSON.stringify(pod('500m')), { 'Content-Type': 'application/apply-patch+yaml' });
    assert.equal(again.json.metadata.resourceVersion, applied.json.metadata.resourceVersion, 'nothing changed');
    await req('DELETE', '/api/v1/namespaces/default/pods/qty?gracePeriodSeconds=0');
  });

  it('on create the manager owns what it sent and the defaults, not what admission and the strategy add', async () => {
    const s = (await req('POST', '/api/v1/namespaces/default/services?fieldManager=maker', { metadata: { name: 'owned' }, spec: { ports: [{ port: 80 }] }, status: { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } } })).json;
    const entry = s.metadata.managedFields.find((e: any) => e.manager === 'maker');
    const spec = entry.fieldsV1['f:spec'];
    assert.ok(spec['f:ports'] && spec['f:type'] && spec['f:sessionAffinity'], JSON.stringify(entry));
    assert.equal(spec['f:clusterIP'], undefined, 'the allocated clusterIP is nobody\'s');
    assert.equal(entry.fieldsV1['f:status'], undefined, 'the status the strategy reset is nobody\'s');
    const p = (await req('POST', '/api/v1/namespaces/default/pods?fieldManager=maker', { metadata: { name: 'owned' }, spec: { containers: [{ name: 'c', image: 'i' }] } })).json;
    const pf = p.metadata.managedFields.find((e: any) => e.manager === 'maker').fieldsV1;
    assert.ok(p.spec.tolerations.length && pf['f:spec']['f:restartPolicy']);
    assert.equal(pf['f:spec']['f:tolerations'], undefined, 'tolerations from DefaultTolerationSeconds admission are nobody\'s');
    assert.equal(pf['f:status'], undefined);
    await req('DELETE', '/api/v1/namespaces/default/pods/owned?gracePeriodSeconds=0');
  });

  it('Service clusterIP is allocated and immutable', async () => {
    const s = await req('POST', '/api/v1/namespaces/default/services', { metadata: { name: 'svc' }, spec: { ports: [{ port: 80 }], selector: { a: 'b' } } });
    assert.equal(s.status, 201);
    assert.match(s.json.spec.clusterIP, /^10\.43\.\d+\.\d+$/);
    const upd = await req('PUT', '/api/v1/namespaces/default/services/svc', { ...s.json, spec: { ...s.json.spec, clusterIP: '10.43.200.200', clusterIPs: ['10.43.200.200'] } });
    assert.equal(upd.status, 422);
    const np = await req('POST', '/api/v1/namespaces/default/services', { metadata: { name: 'np' }, spec: { type: 'NodePort', ports: [{ port: 80 }] } });
    assert.ok(np.json.spec.ports[0].nodePort >= 30000 && np.json.spec.ports[0].nodePort <= 32767);
  });
});

describe('discovery and health', () => {
  it('aggregated discovery lists subresources, shortNames and categories', async () => {
    const r = await req('GET', '/apis', undefined, { Accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json' });
    assert.match(r.headers.get('content-type') ?? '', /as=APIGroupDiscoveryList/);
    const apps = r.json.items.find((g: any) => g.metadata.name === 'apps');
    const deploy = apps.versions[0].resources.find((x: any) => x.resource === 'deployments');
    assert.deepEqual(deploy.shortNames, ['deploy']);
    assert.deepEqual(deploy.categories, ['all']);
    assert.ok(deploy.subresources.some((s: any) => s.subresource === 'scale' && s.responseKind.kind === 'Scale'));
    const legacy = await req('GET', '/api/v1');
    assert.ok(legacy.json.resources.some((x: any) => x.name === 'pods/status'));
  });

  it('version, healthz, livez, readyz, metrics', async () => {
    assert.equal((await req('GET', '/version')).json.major, '1');
    for (const p of ['/healthz', '/livez', '/readyz', '/readyz/etcd', '/livez/ping']) assert.equal((await req('GET', p)).text, 'ok');
    assert.equal((await req('GET', '/readyz?verbose')).text, '[+]ping ok\n[+]log ok\n[+]etcd ok\n[+]informer-sync ok\nreadyz check passed\n');
    assert.equal((await req('GET', '/livez?verbose')).text, '[+]ping ok\n[+]log ok\n[+]etcd ok\nlivez check passed\n');
    assert.equal((await req('GET', '/readyz/nope')).status, 404);
    assert.match((await req('GET', '/metrics')).text, /apiserver_request_total\{/);
  });

  it('deleting a namespace marks it Terminating and forbids new content', async () => {
    await req('POST', '/api/v1/namespaces', { metadata: { name: 'doomed' } });
    await req('DELETE', '/api/v1/namespaces/doomed');
    const ns = (await req('GET', '/api/v1/namespaces/doomed')).json;
    assert.equal(ns.status.phase, 'Terminating');
    const c = await req('POST', '/api/v1/namespaces/doomed/configmaps', cm('x', {}, 'doomed'));
    assert.equal(c.status, 403);
    assert.equal(c.json.message, 'configmaps "x" is forbidden: unable to create new content in namespace doomed because it is being terminated');
    assert.deepEqual([c.json.details.name, c.json.details.kind, c.json.details.causes[0].reason], ['x', 'configmaps', 'NamespaceTerminating']);
    // finalize empties spec.finalizers: the namespace goes away
    await req('PUT', '/api/v1/namespaces/doomed/finalize', { ...ns, spec: { finalizers: [] } });
    assert.equal((await req('GET', '/api/v1/namespaces/doomed')).status, 404);
  });
});

describe('pods/binding', () => {
  it('binds once, sets PodScheduled, and refuses a second binding', async () => {
    await req('POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'tobind' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    const b = await req('POST', '/api/v1/namespaces/default/pods/tobind/binding', { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'tobind' }, target: { apiVersion: 'v1', kind: 'Node', name: 'node-a' } });
    assert.equal(b.status, 201);
    const pod = (await req('GET', '/api/v1/namespaces/default/pods/tobind')).json;
    assert.equal(pod.spec.nodeName, 'node-a');
    assert.ok(pod.status.conditions.some((c: any) => c.type === 'PodScheduled' && c.status === 'True'));
    const again = await req('POST', '/api/v1/namespaces/default/pods/tobind/binding', { target: { kind: 'Node', name: 'node-b' } });
    assert.equal(again.status, 409);
    assert.match(again.json.message, /already assigned to node "node-a"/);
  });
});

describe('admission and query conventions', () => {
  it('a claim without a storage class gets the default class; an explicit "" stays', async () => {
    await req('POST', '/apis/storage.k8s.io/v1/storageclasses', { metadata: { name: 'std', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }, provisioner: 'example.com/p' });
    const pvc = (name: string, extra: object = {}) => ({ metadata: { name }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...extra } });
    assert.equal((await req('POST', '/api/v1/namespaces/default/persistentvolumeclaims', pvc('c1'))).json.spec.storageClassName, 'std');
    assert.equal((await req('POST', '/api/v1/namespaces/default/persistentvolumeclaims', pvc('c2', { storageClassName: '' }))).json.spec.storageClassName, '');
    // PersistentVolumeClaimResize: only a bound claim of a class that allows expansion may grow
    const claims = '/api/v1/namespaces/default/persistentvolumeclaims';
    const grow = (name: string) => req('PATCH', `${claims}/${name}`, { spec: { resources: { requests: { storage: '2Gi' } } } }, { 'Content-Type': 'application/merge-patch+json' });
    assert.match((await grow('c1')).json.message, /spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims/);
    const bind = async (name: string) => {
      const c = (await req('GET', `${claims}/${name}`)).json;
      assert.equal((await req('PUT', `${claims}/${name}/status`, { ...c, status: { phase: 'Bound', capacity: { storage: '1Gi' } } })).status, 200);
    };
    await bind('c1');
    assert.equal((await grow('c1')).json.message, 'persistentvolumeclaims "c1" is forbidden: only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize');
    await req('POST', '/apis/storage.k8s.io/v1/storageclasses', { metadata: { name: 'growing' }, provisioner: 'example.com/p', allowVolumeExpansion: true });
    assert.equal((await req('POST', claims, pvc('c3', { storageClassName: 'growing' }))).status, 201);
    await bind('c3');
    assert.equal((await grow('c3')).status, 200);
  });

  it('an Ingress without a class gets the default IngressClass; a class by field or annotation stays', async () => {
    const ing = (name: string, extra: { spec?: object; annotations?: object } = {}) => ({
      metadata: { name, ...(extra.annotations ? { annotations: extra.annotations } : {}) },
      spec: { defaultBackend: { service: { name: 'web', port: { number: 80 } } }, ...extra.spec },
    });
    const path = '/apis/networking.k8s.io/v1/namespaces/default/ingresses';
    // no default class yet: nothing is set
    assert.equal((await req('POST', path, ing('i0'))).json.spec.ingressClassName, undefined);
    await req('POST', '/apis/networking.k8s.io/v1/ingressclasses', { metadata: { name: 'other' }, spec: { controller: 'example.com/other' } });
    await req('POST', '/apis/networking.k8s.io/v1/ingressclasses', { metadata: { name: 'main', annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } }, spec: { controller: 'example.com/main' } });
    assert.equal((await req('POST', path, ing('i1'))).json.spec.ingressClassName, 'main');
    assert.equal((await req('POST', path, ing('i2', { spec: { ingressClassName: 'other' } }))).json.spec.ingressClassName, 'other');
    const annotated = (await req('POST', path, ing('i3', { annotations: { 'kubernetes.io/ingress.class': 'other' } }))).json;
    assert.equal(annotated.spec.ingressClassName, undefined);
    // only on create: an update that drops the class does not get it back
    const i1 = (await req('GET', `${path}/i1`)).json;
    delete i1.spec.ingressClassName;
    assert.equal((await req('PUT', `${path}/i1`, i1)).json.spec.ingressClassName, undefined);
  });

  it('boolean query parameters accept any casing (watch=True as the Python client sends)', async () => {
    const rv = (await req('GET', '/api/v1/namespaces/kube-public/configmaps')).json.metadata.resourceVersion;
    const evs = await watchEvents(`/api/v1/namespaces/kube-public/configmaps?watch=True&allowWatchBookmarks=True&timeoutSeconds=7&resourceVersion=${rv}`, 1, 10_000);
    assert.equal(evs[0]?.type, 'BOOKMARK');
    const list = await req('GET', '/api/v1/namespaces/kube-public/configmaps?watch=false');
    assert.equal(list.json.kind, 'ConfigMapList');
  });
});
