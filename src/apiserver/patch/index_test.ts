import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatusError } from '../../api/status.js';
import { applyPatch } from './index.js';
import { deployment, liveDeployment } from './fixtures_test.js';

test('dispatches on content type (parameters ignored) and leaves the input alone', () => {
  const live = liveDeployment();
  const j = applyPatch('application/json-patch+json', live, '[{"op":"replace","path":"/spec/replicas","value":3}]', deployment) as any;
  const m = applyPatch('application/merge-patch+json; charset=utf-8', live, Buffer.from('{"spec":{"replicas":4}}'), deployment) as any;
  const s = applyPatch('application/strategic-merge-patch+json', live, '{"spec":{"template":{"spec":{"containers":[{"name":"app","image":"x"}]}}}}', deployment) as any;
  assert.equal(j.spec.replicas, 3);
  assert.equal(m.spec.replicas, 4);
  assert.deepEqual(s.spec.template.spec.containers.map((c: any) => c.image), ['x', 'busybox']);
  // the same body as a merge patch replaces the whole list
  const m2 = applyPatch('application/merge-patch+json', live, '{"spec":{"template":{"spec":{"containers":[{"name":"app","image":"x"}]}}}}', deployment) as any;
  assert.deepEqual(m2.spec.template.spec.containers, [{ name: 'app', image: 'x' }]);
  assert.deepEqual(live, liveDeployment());
});

test('unsupported content types are 415 listing the accepted patch types', () => {
  const is415 = (ct: string, list: string, opts = {}) => assert.throws(() => applyPatch(ct, {}, '{}', undefined, opts), (e: unknown) =>
    e instanceof StatusError && e.code === 415 && e.reason === 'UnsupportedMediaType' &&
    e.message === `the body of the request was in an unknown format - accepted media types include: ${list}`);
  is415('application/json', 'application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml');
  is415('application/strategic-merge-patch+json', 'application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml', { noStrategic: true });
});

test('a JSON patch that turns the object into a non-object is invalid', () => {
  assert.throws(() => applyPatch('application/json-patch+json', { a: 1 }, '[{"op":"replace","path":"","value":[1]}]', undefined),
    (e: unknown) => e instanceof StatusError && e.code === 422);
});
