import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectorMatches, selectorToString } from './selector.js';

test('matchLabels and matchExpressions', () => {
  const sel = { matchLabels: { app: 'web' }, matchExpressions: [
    { key: 'tier', operator: 'In' as const, values: ['fe', 'be'] },
    { key: 'env', operator: 'NotIn' as const, values: ['prod'] },
    { key: 'team', operator: 'Exists' as const },
    { key: 'legacy', operator: 'DoesNotExist' as const },
  ] };
  const base = { app: 'web', tier: 'fe', team: 'a' };
  assert.equal(selectorMatches(sel, base), true);
  assert.equal(selectorMatches(sel, { ...base, env: 'dev' }), true);
  assert.equal(selectorMatches(sel, { ...base, env: 'prod' }), false);
  assert.equal(selectorMatches(sel, { ...base, app: 'db' }), false);
  assert.equal(selectorMatches(sel, { ...base, tier: 'x' }), false);
  assert.equal(selectorMatches(sel, { app: 'web', tier: 'fe' }), false);
  assert.equal(selectorMatches(sel, { ...base, legacy: '' }), false);
  assert.equal(selectorMatches({}, undefined), true);
  assert.equal(selectorMatches(undefined, { a: 'b' }), false);
  assert.equal(selectorToString(sel), 'app=web,tier in (be,fe),env notin (prod),team,!legacy');
});
