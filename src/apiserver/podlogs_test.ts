import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatusError } from '../api/status.js';
import { kubeletLogQuery, logContainer } from './podlogs.js';

const pod = (containers: string[], init: string[] = []) => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' },
  spec: { containers: containers.map((name) => ({ name })), initContainers: init.map((name) => ({ name })) },
});

function status(fn: () => unknown): StatusError {
  try { fn(); } catch (e) { if (e instanceof StatusError) return e; throw e; }
  assert.fail('no error');
}

test('logContainer: the only container by default; upstream messages otherwise', () => {
  assert.equal(logContainer(pod(['a']), null), 'a');
  assert.equal(logContainer(pod(['a', 'b']), 'b'), 'b');
  assert.equal(logContainer(pod(['a'], ['i']), 'i'), 'i');
  let e = status(() => logContainer(pod(['a', 'b'], ['i']), null));
  assert.equal(e.code, 400);
  assert.equal(e.message, 'a container name must be specified for pod p, choose one of: [i a b]');
  e = status(() => logContainer(pod(['a']), 'x'));
  assert.equal(e.code, 400);
  assert.equal(e.message, 'container x is not valid for pod p');
});

test('kubeletLogQuery passes the options on and validates them as upstream', () => {
  const q = kubeletLogQuery('p', new URLSearchParams('container=a&follow=true&timestamps=true&tailLines=2&limitBytes=10&sinceSeconds=5&previous=false'));
  assert.equal(q.toString(), 'follow=true&timestamps=true&tailLines=2&limitBytes=10&sinceSeconds=5');
  assert.equal(kubeletLogQuery('p', new URLSearchParams('tailLines=0')).toString(), 'tailLines=0');
  let e = status(() => kubeletLogQuery('p', new URLSearchParams('tailLines=-1')));
  assert.equal(e.code, 422);
  assert.equal(e.message, 'PodLogOptions "p" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0');
  e = status(() => kubeletLogQuery('p', new URLSearchParams('limitBytes=0&sinceSeconds=0')));
  assert.match(e.message, /limitBytes: Invalid value: 0: must be greater than 0, sinceSeconds: Invalid value: 0: must be greater than 0/);
  e = status(() => kubeletLogQuery('p', new URLSearchParams('sinceSeconds=3&sinceTime=2024-01-01T00:00:00Z')));
  assert.match(e.message, /sinceSeconds: Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified/);
  assert.equal(status(() => kubeletLogQuery('p', new URLSearchParams('tailLines=x'))).code, 400);
});
