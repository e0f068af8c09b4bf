import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidLabelValue, isConfigMapKey, isValidPortName, parseQuantity, parseCron, isValidCIDR } from './index.js';

test('DNS-1123 subdomain message is upstream\'s', () => {
  assert.deepEqual(isDNS1123Subdomain('example.com'), []);
  assert.deepEqual(isDNS1123Subdomain('Bad_Name'), [
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
  ]);
  assert.equal(isDNS1123Subdomain('a'.repeat(254))[0], 'must be no more than 253 characters');
});

test('DNS-1123 label prints its examples with upstream\'s double space; dots get their own message', () => {
  assert.deepEqual(isDNS1123Label('My'), [
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
  ]);
  assert.deepEqual(isDNS1123Label('a.b'), ['must not contain dots']);
});

test('qualified names and label values', () => {
  assert.deepEqual(isQualifiedName('example.com/app'), []);
  assert.deepEqual(isQualifiedName('/app'), ['prefix part must be non-empty']);
  assert.match(isQualifiedName('a/b/c')[0], /^a qualified name must consist of/);
  assert.deepEqual(isValidLabelValue(''), []);
  assert.deepEqual(isValidLabelValue('-x'), [
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
  ]);
  assert.deepEqual(isValidLabelValue('a'.repeat(64)), ['must be no more than 63 characters']);
});

test('config keys, port names', () => {
  assert.deepEqual(isConfigMapKey('.env'), []);
  assert.deepEqual(isConfigMapKey('..x'), ["must not start with '..'"]);
  assert.equal(isConfigMapKey('a b').length, 1);
  assert.deepEqual(isValidPortName('http'), []);
  assert.deepEqual(isValidPortName('80'), ['must contain at least one letter (a-z)']);
});

test('quantities', () => {
  assert.equal(parseQuantity('100m'), 0.1);
  assert.equal(parseQuantity('1Gi'), 1024 ** 3);
  assert.equal(parseQuantity('2'), 2);
  assert.equal(parseQuantity('1e3'), 1000);
  assert.equal(parseQuantity('abc'), undefined);
  assert.equal(parseQuantity('1Gb'), undefined);
});

test('cron schedules as robfig/cron reports them', () => {
  assert.equal(parseCron('*/5 * * * *'), undefined);
  assert.equal(parseCron('0 0 * * MON-FRI'), undefined);
  assert.equal(parseCron('@hourly'), undefined);
  assert.equal(parseCron('bad'), 'expected exactly 5 fields, found 1: [bad]');
  assert.equal(parseCron('61 * * * *'), 'end of range (61) above maximum (59): 61');
  assert.equal(parseCron('x * * * *'), 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax');
  assert.equal(parseCron('@often'), 'unrecognized descriptor: @often');
});

test('CIDRs', () => {
  assert.deepEqual(isValidCIDR('10.42.0.0/24'), []);
  assert.equal(isValidCIDR('10.42.0.0').length, 1);
});
