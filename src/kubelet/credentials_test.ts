import { test } from 'node:test';
import assert from 'node:assert/strict';
import { imageLocation, matchingAuths, secretEntries } from './credentials.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const cfgjson = (auths: object) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': b64(JSON.stringify({ auths })) } });

test('image locations apply the docker.io defaults', () => {
  assert.deepEqual(imageLocation('busybox'), { host: 'docker.io', path: 'library/busybox' });
  assert.deepEqual(imageLocation('busybox:1.36'), { host: 'docker.io', path: 'library/busybox' });
  assert.deepEqual(imageLocation('team/app:v1'), { host: 'docker.io', path: 'team/app' });
  assert.deepEqual(imageLocation('127.0.0.1:5000/k8ts/busybox:1'), { host: '127.0.0.1:5000', path: 'k8ts/busybox' });
  assert.deepEqual(imageLocation('localhost/x@sha256:abc'), { host: 'localhost', path: 'x' });
  assert.deepEqual(imageLocation('reg.example.com/a/b'), { host: 'reg.example.com', path: 'a/b' });
});

test('keyring matching: host, port, path prefix, globs, docker hub aliases, auth field', () => {
  const s = cfgjson({
    'https://index.docker.io/v1/': { auth: b64('hub:pw') },
    '127.0.0.1:5000': { username: 'alice', password: 's3cret' },
    '127.0.0.1:5000/k8ts': { username: 'team', password: 'x' },
    '*.example.com': { username: 'glob', password: 'g' },
    'other.io': { username: 'o', password: 'o' },
  });
  assert.deepEqual(matchingAuths('busybox', [s]).map((a) => [a.username, a.password]), [['hub', 'pw']]);
  assert.deepEqual(matchingAuths('127.0.0.1:5000/k8ts/busybox:1', [s]).map((a) => a.username), ['team', 'alice']);
  assert.deepEqual(matchingAuths('127.0.0.1:5000/other/x', [s]).map((a) => a.username), ['alice']);
  assert.deepEqual(matchingAuths('127.0.0.1:5001/k8ts/x', [s]), []);
  assert.deepEqual(matchingAuths('reg.example.com/x', [s]).map((a) => a.username), ['glob']);
  assert.deepEqual(matchingAuths('a.b.example.com/x', [s]), []);
  assert.deepEqual(matchingAuths('127.0.0.1:5000/k8tsx/y', [s]).map((a) => a.username), ['alice'], 'path prefix is per segment');
});

test('dockercfg secrets and malformed data', () => {
  const old = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'o' }, type: 'kubernetes.io/dockercfg', data: { '.dockercfg': b64(JSON.stringify({ 'reg.io': { username: 'u', password: 'p' } })) } };
  assert.deepEqual(matchingAuths('reg.io/x', [old]).map((a) => a.username), ['u']);
  const bad = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'b' }, type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': b64('{not json') } };
  assert.deepEqual(secretEntries(bad), []);
});
