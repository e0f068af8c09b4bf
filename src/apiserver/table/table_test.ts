import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinResources } from '../../api/resources.js';
import type { ResourceInfo } from '../../api/types.js';
import { printerFor, registerCustomColumns, toTable, unregisterCustomColumns } from './index.js';
import { NOW, ago, obj } from './testutil_test.js';

const res = (group: string, plural: string): ResourceInfo => builtinResources.find((r) => r.group === group && r.plural === plural)!;
const pods = res('', 'pods');

test('list table: envelope, list metadata, PartialObjectMetadata rows by default', () => {
  const p = obj('web-1', { apiVersion: 'v1', kind: 'Pod', spec: { containers: [{ name: 'c' }] }, status: { phase: 'Pending' } }, { labels: { app: 'web' } });
  const t: any = toTable(pods, [p], { listMeta: { resourceVersion: '42', continue: 'abc', remainingItemCount: 3 }, now: NOW });
  assert.equal(t.kind, 'Table');
  assert.equal(t.apiVersion, 'meta.k8s.io/v1');
  assert.deepEqual(t.metadata, { resourceVersion: '42', continue: 'abc', remainingItemCount: 3 });
  assert.deepEqual(t.columnDefinitions.map((c: any) => [c.name, c.priority]).slice(0, 6),
    [['Name', 0], ['Ready', 0], ['Status', 0], ['Restarts', 0], ['Age', 0], ['IP', 1]]);
  for (const c of t.columnDefinitions) assert.deepEqual(Object.keys(c).sort(), ['description', 'format', 'name', 'priority', 'type']);
  assert.equal(t.rows.length, 1);
  assert.deepEqual(t.rows[0].cells.slice(0, 5), ['web-1', '0/1', 'Pending', '0', '5m']);
  assert.deepEqual(t.rows[0].object, { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: p.metadata });
  assert.equal(t.rows[0].object.metadata.namespace, 'default');
  assert.deepEqual(t.rows[0].object.metadata.labels, { app: 'web' });
});

test('includeObject None/Object, single-object resourceVersion, noHeaders, v1beta1', () => {
  const p = obj('web-1', { apiVersion: 'v1', kind: 'Pod', spec: {}, status: {} }, { resourceVersion: '99' });
  const none: any = toTable(pods, [p], { includeObject: 'None', now: NOW });
  assert.equal(none.rows[0].object, null);
  assert.deepEqual(none.metadata, { resourceVersion: '99' });
  const full: any = toTable(pods, [p], { includeObject: 'Object', now: NOW });
  assert.equal(full.rows[0].object, p);
  const bare: any = toTable(pods, [], { listMeta: { resourceVersion: '5' }, noHeaders: true, apiVersion: 'meta.k8s.io/v1beta1' });
  assert.deepEqual(bare.columnDefinitions, []);
  assert.deepEqual(bare.rows, []);
  assert.equal(bare.apiVersion, 'meta.k8s.io/v1beta1');
  const meta: any = toTable(pods, [p], { includeObject: 'Metadata', apiVersion: 'meta.k8s.io/v1beta1' });
  assert.equal(meta.rows[0].object.apiVersion, 'meta.k8s.io/v1beta1');
});

test('kinds without a printer get Name + Created At (RFC3339)', () => {
  for (const [g, p] of [['rbac.authorization.k8s.io', 'roles'], ['rbac.authorization.k8s.io', 'clusterroles'], ['', 'limitranges'], ['apiextensions.k8s.io', 'customresourcedefinitions']]) {
    const t: any = toTable(res(g, p), [obj('x', {}, { creationTimestamp: '2024-05-01T10:00:00Z' })], { now: NOW });
    assert.deepEqual(t.columnDefinitions.map((c: any) => [c.name, c.type]), [['Name', 'string'], ['Created At', 'date']], p);
    assert.deepEqual(t.rows[0].cells, ['x', '2024-05-01T10:00:00Z']);
  }
});

test('every served resource renders one cell per column', () => {
  for (const r of builtinResources) {
    const printer = printerFor(r);
    const row = printer.print(obj('x'), NOW);
    assert.equal(row.cells.length, printer.columns.length, `${r.group}/${r.plural}`);
    assert.equal(printer.columns.filter((c) => c.format === 'name').length, 1, `${r.group}/${r.plural} has one name column`);
  }
});

test('custom resources: default Name + Age, registered printer columns, CRD-carried columns', () => {
  const widgets: ResourceInfo = { group: 'example.com', version: 'v1', kind: 'Widget', plural: 'widgets', singular: 'widget', namespaced: true };
  const w = obj('w1', { spec: { size: 3, ratio: 1.5, on: true, tags: ['a'], owner: { name: 'bob' } }, status: { conditions: [{ type: 'Ready', status: 'True' }] } });
  const def: any = toTable(widgets, [w], { now: NOW });
  assert.deepEqual(def.columnDefinitions.map((c: any) => [c.name, c.type]), [['Name', 'string'], ['Age', 'date']]);
  assert.deepEqual(def.rows[0].cells, ['w1', '5m']);

  registerCustomColumns('example.com', 'widgets', [
    { name: 'Size', type: 'integer', jsonPath: '.spec.size' },
    { name: 'Ratio', type: 'number', jsonPath: '.spec.ratio', priority: 1 },
    { name: 'On', type: 'boolean', jsonPath: '.spec.on' },
    { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status', description: 'ready?' },
    { name: 'Tags', type: 'string', jsonPath: '.spec.tags' },
    { name: 'Owner', type: 'string', jsonPath: '.spec.owner' },
    { name: 'Missing', type: 'string', jsonPath: '.spec.nothing' },
    { name: 'Bad', type: 'string', jsonPath: '.spec[' },
    { name: 'Created', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    { name: 'Wrong', type: 'integer', jsonPath: '.metadata.name' },
  ]);
  try {
    const t: any = toTable(widgets, [w], { now: NOW });
    assert.deepEqual(t.columnDefinitions[0], { name: 'Name', type: 'string', format: 'name', description: t.columnDefinitions[0].description, priority: 0 });
    assert.equal(t.columnDefinitions[2].priority, 1);
    assert.equal(t.columnDefinitions[4].description, 'ready?');
    assert.equal(t.columnDefinitions[1].description, 'Custom resource definition column (in JSONPath format): .spec.size');
    assert.deepEqual(t.rows[0].cells, ['w1', 3, 1.5, true, 'True', '["a"]', '{"name":"bob"}', null, null, '5m', null]);
  } finally {
    unregisterCustomColumns('example.com', 'widgets');
  }
  const carried = { ...widgets, custom: { printerColumns: [{ name: 'Size', type: 'integer', jsonPath: '.spec.size' }] } } as ResourceInfo;
  assert.deepEqual((toTable(carried, [w], { now: NOW }) as any).rows[0].cells, ['w1', 3]);
  assert.deepEqual((toTable(widgets, [w], { now: NOW, printerColumns: [{ name: 'S', type: 'string', jsonPath: '.spec.size' }] }) as any).rows[0].cells, ['w1', '3']);
});

test('events.k8s.io events use the event printer; ages use now', () => {
  const ev = obj('e', { apiVersion: 'events.k8s.io/v1', type: 'Normal', reason: 'Started', note: 'ok', regarding: { kind: 'Pod', name: 'p' }, eventTime: ago(90) });
  const t: any = toTable(res('events.k8s.io', 'events'), [ev], { now: NOW });
  assert.deepEqual(t.rows[0].cells.slice(0, 7), ['90s', 'Normal', 'Started', 'pod/p', '', '', 'ok']);
});
