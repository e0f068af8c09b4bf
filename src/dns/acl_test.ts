// The client check that keeps the node from being an open resolver.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as os from 'node:os';
import { inNet, localServiceAcl, parseCidr } from './acl.js';
import { listenDns } from './server.js';
import { query } from './client.js';

test('CIDR matching for IPv4, IPv6 and IPv4-mapped addresses', () => {
  const pods = parseCidr('10.42.0.0/16');
  assert.ok(inNet('10.42.7.9', pods));
  assert.ok(inNet('::ffff:10.42.0.1', pods));
  assert.ok(!inNet('10.43.0.1', pods));
  assert.ok(!inNet('fd00::1', pods));
  const ula = parseCidr('fd00:42::/32');
  assert.ok(inNet('fd00:42:1::5', ula));
  assert.ok(!inNet('fd00:43::5', ula));
  assert.ok(inNet('1.2.3.4', parseCidr('0.0.0.0/0')));
  assert.throws(() => parseCidr('10.0.0.0/33'), /invalid CIDR/);
});

test('localServiceAcl: loopback, local subnets and extra CIDRs only', () => {
  const acl = localServiceAcl(['10.42.0.0/16']);
  assert.ok(acl('127.0.0.1'));
  assert.ok(acl('::1'));
  assert.ok(acl('10.42.3.3'));
  assert.ok(!acl('203.0.113.9'), 'a documentation address is not local');
  // an address on one of this machine's subnets
  const local = Object.values(os.networkInterfaces()).flat().find((a) => a && !a.internal && a.family === 'IPv4');
  if (local) assert.ok(acl(local.address));
});

test('refused clients: REFUSED over UDP, the TCP connection is closed', async () => {
  const l = await listenDns({ host: '127.0.0.1', port: 0, handler: async () => { throw new Error('must not be called'); }, allow: () => false });
  try {
    const r = await query('127.0.0.1', l.port, 'web.default.svc.cluster.local', 'A', { id: 99 });
    assert.equal(r.rcode, 'REFUSED');
    assert.equal(r.id, 99);
    await assert.rejects(query('127.0.0.1', l.port, 'web.default.svc.cluster.local', 'A', { transport: 'tcp', timeoutMs: 1000 }), /no DNS reply/);
  } finally { await l.close(); }
});
