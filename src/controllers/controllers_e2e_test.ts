// End to end: a real `k8ts server` with its controllers, driven by real kubectl.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startK8ts, kubectl, kc, type ServerHandle } from '../e2e/harness.js';
import { loadKubeconfig } from '../client/index.js';

const crd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: gadgets, singular: gadget, kind: Gadget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
`;

const deployment = (ns: string, name: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${ns}}
spec:
  replicas: 1
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec: {containers: [{name: c, image: nginx}]}
`;

/** a ConfigMap owned by the object uid (kind/apiVersion given) */
const owned = (ns: string, name: string, owner: { apiVersion: string; kind: string; name: string; uid: string }, block = false) => JSON.stringify({
  apiVersion: 'v1', kind: 'ConfigMap',
  metadata: { name, namespace: ns, ownerReferences: [{ ...owner, ...(block ? { blockOwnerDeletion: true } : {}) }] },
  data: { k: 'v' },
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually(what: string, f: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) { if (f()) return; await sleep(100); }
  assert.fail(`timed out waiting for ${what}`);
}

describe('controllers against a real server with kubectl', { timeout: 180_000 }, () => {
  let s: ServerHandle;
  let k: (args: string[], input?: string) => string;
  const exists = (args: string[]) => kubectl(s.kubeconfig, ['get', ...args]).code === 0;
  const uidOf = (args: string[]) => k(['get', ...args, '-o', 'jsonpath={.metadata.uid}']).trim();

  before(async () => {
    s = await startK8ts();
    k = (args, input) => kc(s.kubeconfig, args, { input });
  });
  after(async () => { await s?.stop(); });

  it('gives every namespace a default ServiceAccount and the kube-root-ca.crt ConfigMap', async () => {
    k(['create', 'namespace', 'fresh']);
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease', 'fresh']) {
      await eventually(`serviceaccount default in ${ns}`, () => exists(['serviceaccount', 'default', '-n', ns]));
      await eventually(`configmap kube-root-ca.crt in ${ns}`, () => exists(['configmap', 'kube-root-ca.crt', '-n', ns]));
    }
    const ca = k(['get', 'configmap', 'kube-root-ca.crt', '-n', 'fresh', '-o', 'jsonpath={.data.ca\\.crt}']);
    assert.equal(ca, loadKubeconfig(s.kubeconfig).ca!.toString());
    assert.match(ca, /-----BEGIN CERTIFICATE-----/);
    // deleted ones come back, and edits are put back
    k(['delete', 'serviceaccount', 'default', '-n', 'fresh']);
    k(['patch', 'configmap', 'kube-root-ca.crt', '-n', 'fresh', '--type=merge', '-p', '{"data":{"ca.crt":"tampered"}}']);
    await eventually('serviceaccount default recreated', () => exists(['serviceaccount', 'default', '-n', 'fresh']));
    await eventually('ca.crt restored', () => k(['get', 'configmap', 'kube-root-ca.crt', '-n', 'fresh', '-o', 'jsonpath={.data.ca\\.crt}']) === ca);
  });

  it('kubectl delete namespace removes all content, custom resources included, and the namespace', async () => {
    k(['apply', '-f', '-'], crd);
    k(['wait', '--for=condition=Established', 'crd/gadgets.example.com', '--timeout=20s']);
    k(['create', 'namespace', 'doomed']);
    k(['create', 'configmap', 'c1', '-n', 'doomed', '--from-literal=a=b']);
    k(['create', 'secret', 'generic', 's1', '-n', 'doomed', '--from-literal=a=b']);
    k(['apply', '-f', '-'], deployment('doomed', 'web'));
    k(['apply', '-f', '-'], 'apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g1, namespace: doomed}\nspec: {size: 3}\n');
    // an object held by a finalizer: the namespace waits for it, with conditions saying why
    k(['apply', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: held, namespace: doomed, finalizers: [example.com/hold]}\n');
    const r = kubectl(s.kubeconfig, ['delete', 'namespace', 'doomed', '--wait=false']);
    assert.equal(r.code, 0, r.stderr);
    await eventually('NamespaceFinalizersRemaining condition', () => {
      const ns = JSON.parse(k(['get', 'namespace', 'doomed', '-o', 'json']));
      const c = (ns.status.conditions ?? []).find((x: any) => x.type === 'NamespaceFinalizersRemaining');
      return ns.status.phase === 'Terminating' && c?.status === 'True' && c.message === 'Some finalizers are remaining: example.com/hold in 1 resource instances';
    });
    const ns = JSON.parse(k(['get', 'namespace', 'doomed', '-o', 'json']));
    const remaining = ns.status.conditions.find((x: any) => x.type === 'NamespaceContentRemaining');
    assert.equal(remaining.status, 'True');
    assert.equal(remaining.message, 'Some resources are remaining: configmaps. has 1 resource instances');
    for (const what of [['configmap', 'c1'], ['secret', 's1'], ['deployment', 'web'], ['gadget', 'g1'], ['serviceaccount', 'default']]) {
      assert.equal(exists([...what, '-n', 'doomed']), false, `${what.join('/')} should be gone`);
    }
    // creating in a terminating namespace is refused
    const refused = kubectl(s.kubeconfig, ['create', 'configmap', 'late', '-n', 'doomed']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /because it is being terminated/);
    // release the finalizer; kubectl waits until the namespace is gone
    k(['patch', 'configmap', 'held', '-n', 'doomed', '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    const t0 = Date.now();
    k(['delete', 'namespace', 'doomed', '--timeout=30s', '--ignore-not-found']);
    assert.ok(Date.now() - t0 < 15_000);
    assert.equal(exists(['namespace', 'doomed']), false);
  });

  it('kubectl delete --cascade=orphan returns and leaves dependents without the ownerReference', async () => {
    k(['apply', '-f', '-'], deployment('default', 'orphaner'));
    const uid = uidOf(['deployment', 'orphaner']);
    k(['apply', '-f', '-'], owned('default', 'orphan-dep', { apiVersion: 'apps/v1', kind: 'Deployment', name: 'orphaner', uid }));
    await sleep(300);
    const r = kubectl(s.kubeconfig, ['delete', 'deployment', 'orphaner', '--cascade=orphan', '--timeout=30s']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(exists(['deployment', 'orphaner']), false);
    const cm = JSON.parse(k(['get', 'configmap', 'orphan-dep', '-o', 'json']));
    assert.equal(cm.metadata.ownerReferences, undefined);
  });

  it('background deletion of an owner deletes its dependents, custom resources too; other owners keep an object alive', async () => {
    k(['apply', '-f', '-'], deployment('default', 'bg'));
    k(['apply', '-f', '-'], deployment('default', 'keeper'));
    const uid = uidOf(['deployment', 'bg']);
    const keeperUid = uidOf(['deployment', 'keeper']);
    const owner = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'bg', uid };
    for (let i = 0; i < 5; i++) k(['apply', '-f', '-'], owned('default', `bg-dep-${i}`, owner));
    k(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'bg-gadget', namespace: 'default', ownerReferences: [owner] } }));
    k(['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'v1', kind: 'ConfigMap',
      metadata: { name: 'shared', namespace: 'default', ownerReferences: [owner, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'keeper', uid: keeperUid }] },
    }));
    await sleep(300);
    k(['delete', 'deployment', 'bg']);
    await eventually('dependents deleted', () => {
      const left = k(['get', 'configmaps,gadgets', '-o', 'name']).split('\n').filter((l) => /bg-/.test(l));
      return left.length === 0;
    }, 5000);
    await eventually('dangling reference removed from the shared dependent', () => {
      const cm = JSON.parse(k(['get', 'configmap', 'shared', '-o', 'json']));
      return cm.metadata.ownerReferences?.length === 1 && cm.metadata.ownerReferences[0].uid === keeperUid;
    }, 5000);
  });

  it('dependents of an owner that never existed (dangling uid) are collected', async () => {
    k(['apply', '-f', '-'], owned('default', 'stray', { apiVersion: 'v1', kind: 'ConfigMap', name: 'nobody', uid: '00000000-0000-0000-0000-000000000000' }));
    await eventually('stray deleted', () => !exists(['configmap', 'stray']), 5000);
  });

  it('kubectl delete --cascade=foreground waits for blocking dependents', async () => {
    k(['apply', '-f', '-'], deployment('default', 'fg'));
    const uid = uidOf(['deployment', 'fg']);
    const owner = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'fg', uid };
    k(['apply', '-f', '-'], owned('default', 'fg-free', owner));
    // a blocking dependent held by its own finalizer keeps the owner until it is released
    k(['apply', '-f', '-'], JSON.stringify({ ...JSON.parse(owned('default', 'fg-block', owner, true)), metadata: { ...JSON.parse(owned('default', 'fg-block', owner, true)).metadata, finalizers: ['example.com/hold'] } }));
    await sleep(300);
    const r = kubectl(s.kubeconfig, ['delete', 'deployment', 'fg', '--cascade=foreground', '--wait=false']);
    assert.equal(r.code, 0, r.stderr);
    await eventually('fg-free deleted', () => !exists(['configmap', 'fg-free']), 5000);
    await eventually('fg-block being deleted', () => k(['get', 'configmap', 'fg-block', '-o', 'jsonpath={.metadata.deletionTimestamp}']).trim() !== '', 5000);
    const dep = JSON.parse(k(['get', 'deployment', 'fg', '-o', 'json']));
    assert.deepEqual(dep.metadata.finalizers, ['foregroundDeletion']);
    assert.ok(dep.metadata.deletionTimestamp);
    k(['patch', 'configmap', 'fg-block', '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    const t0 = Date.now();
    k(['delete', 'deployment', 'fg', '--cascade=foreground', '--timeout=30s', '--ignore-not-found']);
    assert.ok(Date.now() - t0 < 10_000);
    assert.equal(exists(['deployment', 'fg']), false);
    assert.equal(exists(['configmap', 'fg-block']), false);
  });

  it('kubectl delete --cascade=foreground with plain dependents returns once they are gone', async () => {
    k(['apply', '-f', '-'], deployment('default', 'fg2'));
    const uid = uidOf(['deployment', 'fg2']);
    for (let i = 0; i < 3; i++) k(['apply', '-f', '-'], owned('default', `fg2-dep-${i}`, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'fg2', uid }, true));
    await sleep(300);
    const t0 = Date.now();
    k(['delete', 'deployment', 'fg2', '--cascade=foreground', '--timeout=30s']);
    assert.ok(Date.now() - t0 < 10_000);
    assert.equal(k(['get', 'configmaps', '-o', 'name']).split('\n').filter((l) => /fg2-dep/.test(l)).length, 0);
  });

  it('collects 200 dependents within seconds of their owner going', async () => {
    k(['apply', '-f', '-'], deployment('default', 'many'));
    const uid = uidOf(['deployment', 'many']);
    const items = Array.from({ length: 200 }, (_, i) => ({
      apiVersion: 'v1', kind: 'ConfigMap',
      metadata: { name: `many-${i}`, labels: { batch: 'many' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'many', uid }] },
    }));
    k(['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
    await sleep(500);
    const t0 = Date.now();
    k(['delete', 'deployment', 'many']);
    await eventually('all 200 collected', () => k(['get', 'configmaps', '-l', 'batch=many', '-o', 'name']).trim() === '', 30_000);
    const took = Date.now() - t0;
    assert.ok(took < 15_000, `took ${took} ms`);
  });

  it('a claim used by a pod stays (Terminating, kubernetes.io/pvc-protection) until the pod is gone', async () => {
    k(['create', 'namespace', 'pvcp']);
    k(['apply', '-n', 'pvcp', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [
      { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
      { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'free' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
      // bound to a node (no kubelet here): as upstream, only a scheduled pod keeps its claim
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'user' }, spec: { nodeName: 'somewhere', containers: [{ name: 'c', image: 'busybox' }], volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'data' } }] } },
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'unscheduled' }, spec: { containers: [{ name: 'c', image: 'busybox' }], volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'free' } }] } },
    ] }));
    assert.equal(k(['get', 'pvc', 'data', '-n', 'pvcp', '-o', 'jsonpath={.metadata.finalizers}']), '["kubernetes.io/pvc-protection"]');
    k(['delete', 'pvc', 'data', 'free', '-n', 'pvcp', '--wait=false']);
    await eventually('the unused claim deleted', () => !exists(['pvc', 'free', '-n', 'pvcp']));
    await sleep(1000);
    assert.ok(exists(['pvc', 'data', '-n', 'pvcp']), 'the claim in use was deleted');
    assert.notEqual(k(['get', 'pvc', 'data', '-n', 'pvcp', '-o', 'jsonpath={.metadata.deletionTimestamp}']), '');
    k(['delete', 'pod', 'user', '-n', 'pvcp', '--grace-period=0', '--force']);
    await eventually('the claim deleted once its pod is gone', () => !exists(['pvc', 'data', '-n', 'pvcp']));
    k(['delete', 'namespace', 'pvcp', '--wait=false']);
  });

  it('a generic ephemeral volume gets its claim <pod>-<volume>, owned by the pod and deleted with it', async () => {
    k(['create', 'namespace', 'eph']);
    k(['apply', '-n', 'eph', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'scratchy' }, spec: {
      nodeName: 'somewhere', containers: [{ name: 'c', image: 'busybox' }],
      volumes: [{ name: 'scratch', ephemeral: { volumeClaimTemplate: { metadata: { labels: { kind: 'scratch' } }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Mi' } } } } } }],
    } }));
    await eventually('the claim', () => exists(['pvc', 'scratchy-scratch', '-n', 'eph']));
    const claim = JSON.parse(k(['get', 'pvc', 'scratchy-scratch', '-n', 'eph', '-o', 'json']));
    assert.deepEqual(claim.metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'Pod', name: 'scratchy', uid: uidOf(['pod', 'scratchy', '-n', 'eph']), controller: true, blockOwnerDeletion: true }]);
    assert.deepEqual(claim.metadata.labels, { kind: 'scratch' });
    assert.equal(claim.spec.storageClassName, 'local-path');
    k(['delete', 'pod', 'scratchy', '-n', 'eph', '--grace-period=0', '--force']);
    await eventually('the claim collected with its pod', () => !exists(['pvc', 'scratchy-scratch', '-n', 'eph']));
    k(['delete', 'namespace', 'eph', '--wait=false']);
  });

  it('kubectl get apiservices: every served group version is a local APIService, CRD versions come and go; one naming a Service is not available', async () => {
    await eventually('v1beta1.metrics.k8s.io', () => exists(['apiservice', 'v1beta1.metrics.k8s.io']));
    const table = k(['get', 'apiservices']);
    for (const n of ['v1.', 'v1.apps', 'v2.autoscaling', 'v1.apiregistration.k8s.io', 'v1beta1.metrics.k8s.io']) assert.match(table, new RegExp(`^${n.replace(/\./g, '\\.')}\\s+Local\\s+True\\s+`, 'm'));
    const apps = JSON.parse(k(['get', 'apiservice', 'v1.apps', '-o', 'json']));
    assert.deepEqual(apps.spec, { group: 'apps', version: 'v1', groupPriorityMinimum: 17800, versionPriority: 15 });
    assert.equal(apps.metadata.labels['kube-aggregator.kubernetes.io/automanaged'], 'onstart');
    assert.deepEqual(apps.status.conditions.map((c: any) => [c.type, c.status, c.reason, c.message]), [['Available', 'True', 'Local', 'Local APIServices are always available']]);
    k(['apply', '-f', '-'], crd.replace(/gadgets/g, 'doohickeys').replace(/gadget/g, 'doohickey').replace('Gadget', 'Doohickey').replaceAll('example.com', 'tools.example.com'));
    await eventually('v1.tools.example.com', () => exists(['apiservice', 'v1.tools.example.com']));
    assert.equal(k(['get', 'apiservice', 'v1.tools.example.com', '-o', 'jsonpath={.spec.groupPriorityMinimum}/{.spec.versionPriority}/{.metadata.labels.kube-aggregator\\.kubernetes\\.io/automanaged}']), '1000/100/true');
    k(['delete', 'crd', 'doohickeys.tools.example.com']);
    await eventually('v1.tools.example.com removed', () => !exists(['apiservice', 'v1.tools.example.com']));
    k(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'apiregistration.k8s.io/v1', kind: 'APIService', metadata: { name: 'v1alpha1.custom.example.org' }, spec: { group: 'custom.example.org', version: 'v1alpha1', groupPriorityMinimum: 1000, versionPriority: 15, service: { namespace: 'default', name: 'custom-api' }, insecureSkipTLSVerify: true } }));
    await eventually('ServiceNotFound', () => /^v1alpha1\.custom\.example\.org\s+default\/custom-api\s+False \(ServiceNotFound\)\s+/m.test(k(['get', 'apiservices'])));
    assert.equal(k(['get', 'apiservice', 'v1alpha1.custom.example.org', '-o', 'jsonpath={.spec.service.port}']), '443');
    const bad = kubectl(s.kubeconfig, ['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'apiregistration.k8s.io/v1', kind: 'APIService', metadata: { name: 'wrong' }, spec: { group: 'x.org', version: 'v1', groupPriorityMinimum: 30000, versionPriority: 10 } }) });
    assert.match(bad.stderr, /metadata.name: Invalid value: "wrong": must be `spec.version\+"."\+spec.group`: "v1.x.org"/);
    assert.match(bad.stderr, /spec.groupPriorityMinimum: Invalid value: 30000: must be positive and less than 20000/);
  });

  it('an aggregated ClusterRole follows the roles its selector matches, and loses their rules when none is left', async () => {
    const rules = () => k(['get', 'clusterrole', 'agg-e2e', '-o', 'jsonpath={.rules}']);
    k(['create', 'clusterrole', 'agg-e2e', '--aggregation-rule=e2e.example.com/agg=true']);
    k(['create', 'clusterrole', 'agg-e2e-pods', '--verb=get', '--resource=pods']);
    k(['label', 'clusterrole', 'agg-e2e-pods', 'e2e.example.com/agg=true']);
    await eventually('the pods rule aggregated', () => /"pods"/.test(rules()));
    k(['label', 'clusterrole', 'agg-e2e-pods', 'e2e.example.com/agg-']);
    await eventually('the pods rule gone once nothing matches', () => !/"pods"/.test(rules()));
    k(['label', 'clusterrole', 'agg-e2e-pods', 'e2e.example.com/agg=true']);
    await eventually('aggregated again', () => /"pods"/.test(rules()));
    k(['delete', 'clusterrole', 'agg-e2e-pods']);
    await eventually('the rules gone with the role', () => !/"pods"/.test(rules()));
    k(['delete', 'clusterrole', 'agg-e2e']);
  });

  it('mirrors the Endpoints of a Service without a selector into EndpointSlices, and follows their changes', async () => {
    k(['create', 'namespace', 'mirror']);
    k(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'db', namespace: 'mirror' }, spec: { ports: [{ name: 'pg', port: 5432 }] } },
      { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'db', namespace: 'mirror', labels: { team: 'data' } }, subsets: [{ addresses: [{ ip: '10.42.9.1', hostname: 'db-0' }], notReadyAddresses: [{ ip: '10.42.9.2' }], ports: [{ name: 'pg', port: 5432 }] }] },
    ] }));
    const slices = () => JSON.parse(k(['get', 'endpointslices', '-n', 'mirror', '-l', 'kubernetes.io/service-name=db', '-o', 'json'])).items;
    await eventually('a mirrored slice', () => slices().length === 1);
    const [s0] = slices();
    assert.equal(s0.metadata.labels['endpointslice.kubernetes.io/managed-by'], 'endpointslicemirroring-controller.k8s.io');
    assert.equal(s0.metadata.labels.team, 'data');
    assert.match(s0.metadata.name, /^db-[a-z0-9]{5}$/);
    assert.deepEqual(s0.metadata.ownerReferences.map((o: any) => [o.kind, o.name, o.controller]), [['Endpoints', 'db', true]]);
    assert.deepEqual(s0.ports, [{ name: 'pg', port: 5432, protocol: 'TCP' }]);
    assert.deepEqual(s0.endpoints, [{ addresses: ['10.42.9.1'], conditions: { ready: true }, hostname: 'db-0' }, { addresses: ['10.42.9.2'], conditions: { ready: false } }]);
    k(['patch', 'endpoints', 'db', '-n', 'mirror', '--type=merge', '-p', JSON.stringify({ subsets: [{ addresses: [{ ip: '10.42.9.3' }], ports: [{ name: 'pg', port: 5432 }] }] })]);
    await eventually('the change mirrored', () => JSON.stringify(slices()[0]?.endpoints) === JSON.stringify([{ addresses: ['10.42.9.3'], conditions: { ready: true } }]));
    // a Service that gets a selector is the EndpointSlice controller's: the mirrored slice goes
    k(['patch', 'service', 'db', '-n', 'mirror', '--type=merge', '-p', '{"spec":{"selector":{"app":"db"}}}']);
    await eventually('no mirrored slice', () => !slices().some((s: any) => s.metadata.labels['endpointslice.kubernetes.io/managed-by'] === 'endpointslicemirroring-controller.k8s.io'));
    k(['delete', 'namespace', 'mirror', '--wait=false']);
  });

  it('holds the kube-controller-manager Lease in kube-system', () => {
    const lease = JSON.parse(k(['get', 'lease', 'kube-controller-manager', '-n', 'kube-system', '-o', 'json']));
    assert.ok(lease.spec.holderIdentity);
    assert.equal(lease.spec.leaseDurationSeconds, 15);
  });
});
