import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sandboxConfig } from './runtime.js';

const rt = { podsDir: '/tmp/none', clusterDNS: '10.43.0.10', clusterDomain: 'cluster.local' };
const pod = (spec: object) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns', uid: 'u' }, spec: { containers: [{ name: 'c', image: 'x' }], ...spec } });

test('sandbox DNS follows upstream\'s pod DNS types: ClusterFirst on the host network falls back to the node\'s resolver', () => {
  const cluster = { servers: ['10.43.0.10'], searches: ['ns.svc.cluster.local', 'svc.cluster.local', 'cluster.local'], options: ['ndots:5'] };
  assert.deepEqual(sandboxConfig(pod({}), 0, rt).dnsConfig, cluster);
  assert.equal(sandboxConfig(pod({ hostNetwork: true }), 0, rt).dnsConfig, undefined);
  assert.deepEqual(sandboxConfig(pod({ hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' }), 0, rt).dnsConfig, cluster);
  assert.deepEqual(sandboxConfig(pod({ dnsPolicy: 'ClusterFirstWithHostNet' }), 0, rt).dnsConfig, cluster);
  assert.equal(sandboxConfig(pod({ dnsPolicy: 'Default' }), 0, rt).dnsConfig, undefined);
  assert.deepEqual(sandboxConfig(pod({ dnsPolicy: 'None', dnsConfig: { nameservers: ['1.2.3.4'] } }), 0, rt).dnsConfig, { servers: ['1.2.3.4'], searches: [], options: [] });
});
