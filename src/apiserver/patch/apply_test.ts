import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatusError } from '../../api/status.js';
import { applyPatch, updateManagedFields } from './index.js';
import { deployment, pod } from './fixtures_test.js';

const T0 = new Date('2024-01-01T00:00:00Z');
const T1 = new Date('2024-01-01T00:05:00Z');
const base = () => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' } });

function config(replicas = 2, extra: { labels?: Record<string, string>; containers?: any[] } = {}): any {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name: 'web', labels: extra.labels ?? { app: 'web' } },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: extra.containers ?? [{ name: 'app', image: 'nginx', ports: [{ containerPort: 80 }] }] } },
    },
  };
}

/** An apply as the server runs it: the patch computes managedFields; the store skips its update bookkeeping for applies. */
function apply(live: object | undefined, cfg: unknown, manager: string, opts: { force?: boolean; now?: Date } = {}): any {
  return applyPatch('application/apply-patch+yaml', live ?? base(), JSON.stringify(cfg), deployment,
    { fieldManager: manager, isCreate: !live, now: opts.now ?? T0, force: opts.force }) as any;
}

/** As the store stores it: with uid, after an apply or an update. */
function stored(o: any): any {
  const c = structuredClone(o);
  c.metadata.uid ??= 'uid-1';
  c.metadata.namespace ??= 'default';
  return c;
}

const entry = (o: any, manager: string, operation = 'Apply') => o.metadata.managedFields.find((e: any) => e.manager === manager && e.operation === operation);
const managers = (o: any) => (o.metadata.managedFields ?? []).map((e: any) => `${e.manager}/${e.operation}`);

function conflict409(fn: () => unknown, message: string, causes: Array<{ field: string; message: string }>) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof StatusError, String(e));
    assert.equal(e.code, 409);
    assert.equal(e.reason, 'Conflict');
    assert.equal(e.message, message);
    assert.deepEqual(e.details?.causes, causes.map((c) => ({ reason: 'FieldManagerConflict', ...c })));
    return true;
  });
}

test('apply creates the object and records an Apply entry in FieldsV1', () => {
  const out = apply(undefined, config(), 'kubectl');
  assert.equal(out.spec.replicas, 2);
  assert.equal(out.metadata.namespace, 'default');
  assert.deepEqual(out.metadata.managedFields, [{
    manager: 'kubectl', operation: 'Apply', apiVersion: 'apps/v1', time: '2024-01-01T00:00:00Z', fieldsType: 'FieldsV1',
    fieldsV1: {
      'f:metadata': { 'f:labels': { 'f:app': {} } },
      'f:spec': {
        'f:replicas': {}, 'f:selector': {},
        'f:template': {
          'f:metadata': { 'f:labels': { 'f:app': {} } },
          'f:spec': { 'f:containers': { 'k:{"name":"app"}': { '.': {}, 'f:image': {}, 'f:name': {}, 'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } } } } },
        },
      },
    },
  }]);
});

test('re-applying without a field removes it; fields owned by others stay', () => {
  const first = stored(apply(undefined, config(2, { labels: { app: 'web', tier: 'fe' }, containers: [{ name: 'app', image: 'nginx' }, { name: 'sidecar', image: 'busybox' }] }), 'kubectl'));
  // someone else adds a label with an ordinary update
  const labelled = structuredClone(first);
  labelled.metadata.labels.team = 'a';
  updateManagedFields(labelled, first, 'kubectl-label', '', { schema: deployment, now: T0 });
  const out = apply(labelled, config(2, { labels: { app: 'web' } }), 'kubectl', { now: T1 });
  assert.deepEqual(out.metadata.labels, { app: 'web', team: 'a' });
  assert.deepEqual(out.spec.template.spec.containers.map((c: any) => c.name), ['app']);
  assert.deepEqual(entry(out, 'kubectl').fieldsV1['f:metadata'], { 'f:labels': { 'f:app': {} } });
  assert.equal(entry(out, 'kubectl').time, '2024-01-01T00:05:00Z');
  assert.deepEqual(entry(out, 'kubectl-label', 'Update').fieldsV1, { 'f:metadata': { 'f:labels': { 'f:team': {} } } });
});

test('a field another applier also sets is not removed when one applier drops it', () => {
  const a = stored(apply(undefined, config(2, { labels: { app: 'web', shared: 'x' } }), 'a'));
  const b = stored(apply(a, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', labels: { shared: 'x' } } }, 'b'));
  const out = apply(b, config(2, { labels: { app: 'web' } }), 'a');
  assert.equal(out.metadata.labels.shared, 'x');
  assert.deepEqual(Object.keys(entry(out, 'b').fieldsV1['f:metadata']['f:labels']), ['f:shared']);
});

test('SSA conflict with a client-side-apply manager, then force takes ownership', () => {
  // created by kubectl client-side apply: an Update entry owning everything
  const created = stored(config(2));
  updateManagedFields(created, undefined, 'kubectl-client-side-apply', '', { schema: deployment, now: T0 });
  assert.deepEqual(managers(created), ['kubectl-client-side-apply/Update']);

  conflict409(() => apply(created, config(3), 'kubectl'),
    'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas',
    [{ message: 'conflict with "kubectl-client-side-apply" using apps/v1', field: '.spec.replicas' }]);

  // the same value is no conflict: ownership is shared
  const same = apply(created, config(2), 'kubectl');
  assert.ok(entry(same, 'kubectl').fieldsV1['f:spec']['f:replicas']);
  assert.ok(entry(same, 'kubectl-client-side-apply', 'Update').fieldsV1['f:spec']['f:replicas']);

  const forced = apply(created, config(3), 'kubectl', { force: true, now: T1 });
  assert.equal(forced.spec.replicas, 3);
  assert.ok(entry(forced, 'kubectl').fieldsV1['f:spec']['f:replicas']);
  assert.equal(entry(forced, 'kubectl-client-side-apply', 'Update').fieldsV1['f:spec']['f:replicas'], undefined);
  assert.ok(entry(forced, 'kubectl-client-side-apply', 'Update').fieldsV1['f:spec']['f:selector'], 'other fields stay owned');
  assert.deepEqual(managers(forced), ['kubectl/Apply', 'kubectl-client-side-apply/Update']);
});

test('kubectl moves an object from client-side to server-side apply without conflicts on fields last-applied still holds', () => {
  // kubectl apply (client-side): the Update entry, and the last-applied annotation
  const created = stored(config(2));
  created.metadata.annotations = { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(config(2)) };
  updateManagedFields(created, undefined, 'kubectl-client-side-apply', '', { schema: deployment, now: T0 });
  // kubectl apply --server-side with a change: allowed, as upstream's lastAppliedManager
  const moved = apply(created, config(3), 'kubectl');
  assert.equal(moved.spec.replicas, 3);
  assert.ok(entry(moved, 'kubectl').fieldsV1['f:spec']['f:replicas']);
  // another manager name gets no such pass
  assert.throws(() => apply(created, config(3), 'helm'), (e: unknown) => e instanceof StatusError && e.code === 409);
  // and a field changed since the last client-side apply (kubectl scale) still conflicts
  const scaled = structuredClone(created);
  scaled.spec.replicas = 5;
  updateManagedFields(scaled, created, 'kubectl-scale', '', { schema: deployment, now: T1 });
  assert.throws(() => apply(scaled, config(3), 'kubectl'), (e: unknown) => e instanceof StatusError && /kubectl-scale/.test(e.message));
});

test('conflicts between two appliers list every field, grouped by manager', () => {
  const a = stored(apply(undefined, config(2, { labels: { app: 'web', x: '1' } }), 'alpha'));
  conflict409(() => apply(a, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', labels: { x: '2' } }, spec: { replicas: 5 } }, 'beta'),
    'Apply failed with 2 conflicts: conflicts with "alpha":\n- .metadata.labels.x\n- .spec.replicas',
    [{ message: 'conflict with "alpha"', field: '.metadata.labels.x' }, { message: 'conflict with "alpha"', field: '.spec.replicas' }]);
});

test('an ordinary update takes fields from an applier; the applier then conflicts', () => {
  const a = stored(apply(undefined, config(2), 'kubectl'));
  const scaled = structuredClone(a);
  scaled.spec.replicas = 4;
  updateManagedFields(scaled, a, 'kube-controller-manager', 'scale', { schema: deployment, now: T1 });
  const e = entry(scaled, 'kube-controller-manager', 'Update');
  assert.deepEqual(e, { manager: 'kube-controller-manager', operation: 'Update', apiVersion: 'apps/v1', time: '2024-01-01T00:05:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {} } }, subresource: 'scale' });
  assert.equal(entry(scaled, 'kubectl').fieldsV1['f:spec']['f:replicas'], undefined);
  conflict409(() => apply(scaled, config(2), 'kubectl'),
    'Apply failed with 1 conflict: conflict with "kube-controller-manager" with subresource "scale" using apps/v1: .spec.replicas',
    [{ message: 'conflict with "kube-controller-manager" with subresource "scale" using apps/v1', field: '.spec.replicas' }]);
});

test('updates by the same manager accumulate; unchanged updates keep the old time', () => {
  const o = stored(config(2));
  updateManagedFields(o, undefined, 'm', '', { schema: deployment, now: T0 });
  const o2 = structuredClone(o);
  o2.metadata.annotations = { a: 'b' };
  updateManagedFields(o2, o, 'm', '', { schema: deployment, now: T1 });
  assert.equal(o2.metadata.managedFields.length, 1);
  assert.deepEqual(o2.metadata.managedFields[0].fieldsV1['f:metadata']['f:annotations'], { '.': {}, 'f:a': {} });
  assert.ok(o2.metadata.managedFields[0].fieldsV1['f:spec']['f:replicas']);
  assert.equal(o2.metadata.managedFields[0].time, '2024-01-01T00:05:00Z');
  const o3 = structuredClone(o2);
  updateManagedFields(o3, o2, 'other', '', { schema: deployment, now: T1 });
  assert.deepEqual(managers(o3), ['m/Update']);
  // removing a field removes it from its owner
  const o4 = structuredClone(o2);
  delete o4.metadata.annotations;
  updateManagedFields(o4, o2, 'other', '', { schema: deployment, now: T1 });
  assert.equal(o4.metadata.managedFields[0].fieldsV1['f:metadata']['f:annotations'], undefined);
});

test('managedFields reset with [{}] or [] clears them; untracked objects stay untracked', () => {
  const o = stored(config(2));
  updateManagedFields(o, undefined, 'm', '', { schema: deployment, now: T0 });
  for (const reset of [[{}], []]) {
    const r = structuredClone(o);
    r.metadata.managedFields = reset;
    updateManagedFields(r, o, 'm', '', { schema: deployment });
    assert.equal(r.metadata.managedFields, undefined);
  }
  const untracked = stored(config(2));
  const next = structuredClone(untracked);
  next.spec.replicas = 9;
  updateManagedFields(next, untracked, 'm', '', { schema: deployment });
  assert.equal(next.metadata.managedFields, undefined);
});

test('a client that drops managedFields on update keeps the stored ones', () => {
  const o = stored(config(2));
  updateManagedFields(o, undefined, 'm', '', { schema: deployment, now: T0 });
  const put = structuredClone(o);
  delete put.metadata.managedFields;
  put.spec.replicas = 3;
  updateManagedFields(put, o, 'n', '', { schema: deployment, now: T1 });
  assert.deepEqual(managers(put), ['m/Update', 'n/Update']);
});

test('the first apply to an untracked object gives existing fields to before-first-apply', () => {
  const live = stored(config(2));
  const out = apply(live, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', labels: { extra: 'y' } } }, 'kubectl');
  assert.deepEqual(managers(out), ['kubectl/Apply', 'before-first-apply/Update']);
  conflict409(() => apply(stored(out), config(7), 'kubectl'),
    'Apply failed with 1 conflict: conflict with "before-first-apply" using apps/v1: .spec.replicas',
    [{ message: 'conflict with "before-first-apply" using apps/v1', field: '.spec.replicas' }]);
});

test('an ordinary update after an apply adds an Update entry for the changed field', () => {
  const live = stored(apply(undefined, config(2), 'kubectl'));
  const out = applyPatch('application/apply-patch+yaml', live, JSON.stringify(config(3)), deployment, { fieldManager: 'kubectl', now: T0 }) as any;
  const again = structuredClone(out);
  again.spec.replicas = 4;
  updateManagedFields(again, out, 'kubectl', '', { schema: deployment, now: T1 });
  assert.deepEqual(managers(again), ['kubectl/Apply', 'kubectl/Update']);
});

test('status is not owned by an applier of the main resource', () => {
  const cfg = { ...config(2), status: { replicas: 2 } };
  const out = apply(undefined, cfg, 'kubectl');
  assert.equal(entry(out, 'kubectl').fieldsV1['f:status'], undefined);
});

test('set lists own values; associative lists keep server-only items in place', () => {
  const podCfg = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', finalizers: ['a.io/x', 'b.io/y'] }, spec: { containers: [{ name: 'c', image: 'i' }, { name: 'a', image: 'i' }] } };
  const live = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } };
  const out = applyPatch('application/apply-patch+yaml', live, JSON.stringify(podCfg), pod, { fieldManager: 'm', isCreate: true, now: T0 }) as any;
  assert.deepEqual(out.metadata.managedFields[0].fieldsV1['f:metadata'], { 'f:finalizers': { 'v:"a.io/x"': {}, 'v:"b.io/y"': {} } });
  const withB = structuredClone(out);
  withB.metadata.uid = 'u';
  withB.spec.containers = [{ name: 'a', image: 'i' }, { name: 'b', image: 'other' }, { name: 'c', image: 'i' }];
  const cfg2 = { ...podCfg, metadata: { name: 'p', finalizers: ['b.io/y'] }, spec: { containers: [{ name: 'c', image: 'i2' }, { name: 'a', image: 'i' }] } };
  const out2 = applyPatch('application/apply-patch+yaml', withB, JSON.stringify(cfg2), pod, { fieldManager: 'm', now: T0 }) as any;
  // structured-merge-diff's order: live-only items keep their place, shared items follow the config's order
  assert.deepEqual(out2.spec.containers.map((c: any) => c.name), ['b', 'c', 'a']);
  assert.equal(out2.spec.containers[1].image, 'i2');
  assert.deepEqual(out2.metadata.finalizers, ['b.io/y']);
});

test('apply accepts YAML and reports bad bodies and options as upstream does', () => {
  const yaml = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  paused: yes\n  replicas: 1\n';
  const out = applyPatch('application/apply-patch+yaml; charset=utf-8', base(), Buffer.from(yaml), deployment, { fieldManager: 'k', isCreate: true }) as any;
  assert.equal(out.spec.paused, true);
  assert.equal(out.spec.replicas, 1);
  const err = (fn: () => unknown, code: number, message: string) =>
    assert.throws(fn, (e: unknown) => e instanceof StatusError && e.code === code && e.message === message, message);
  err(() => applyPatch('application/apply-patch+yaml', base(), yaml, deployment, {}), 422,
    'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
  err(() => applyPatch('application/apply-patch+yaml', base(), '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web"}}', deployment, { fieldManager: 'k' }), 400,
    'invalid object type: /v1, Kind=Pod');
  err(() => applyPatch('application/apply-patch+yaml', base(), '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","managedFields":[]}}', deployment, { fieldManager: 'k' }), 400,
    'metadata.managedFields must be nil');
  err(() => applyPatch('application/apply-patch+yaml', base(), '- a\n- b\n', deployment, { fieldManager: 'k' }), 400,
    'error decoding YAML: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go value of type map[string]interface {}');
  assert.throws(() => applyPatch('application/apply-patch+yaml', base(), 'a: [', deployment, { fieldManager: 'k' }),
    (e: unknown) => e instanceof StatusError && e.code === 400 && e.message.startsWith('error decoding YAML: '));
});
