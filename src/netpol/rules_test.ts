import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../api/types.js';
import { netpolRuleset } from './rules.js';

const pod = (name: string, ns: string, ip: string, labels: Record<string, string>, ports: object[] = []): KObject => ({
  metadata: { name, namespace: ns, labels }, spec: { containers: [{ name: 'c', ports }] }, status: { phase: 'Running', podIP: ip },
});
const nsObj = (name: string, labels: Record<string, string> = {}): KObject => ({ metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } } });
const policy = (name: string, ns: string, spec: object): KObject => ({ metadata: { name, namespace: ns }, spec });

const pods = [
  pod('web', 'default', '10.42.0.2', { app: 'web' }, [{ name: 'http', containerPort: 8080 }]),
  pod('client', 'default', '10.42.0.3', { role: 'client' }),
  pod('mon', 'monitoring', '10.42.0.4', { app: 'prom' }),
  pod('done', 'default', '10.42.0.9', { app: 'web' }),
];
pods[3].status!.phase = 'Succeeded';
const namespaces = [nsObj('default'), nsObj('monitoring', { team: 'ops' })];

test('no policy: an empty table, so nothing is filtered', () => {
  const s = netpolRuleset({ table: 't', pods, namespaces, policies: [] });
  assert.match(s, /^table inet t \{ comment "k8ts network policies" ; \}\ndelete table inet t\n/);
  assert.doesNotMatch(s, /add element/);
});

test('ingress from a podSelector, a namespaceSelector and an ipBlock, on a named port', () => {
  const s = netpolRuleset({ table: 't', pods, namespaces, policies: [policy('web', 'default', {
    podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'],
    ingress: [
      { from: [{ podSelector: { matchLabels: { role: 'client' } } }, { namespaceSelector: { matchLabels: { team: 'ops' } } }], ports: [{ port: 'http' }] },
      { from: [{ ipBlock: { cidr: '192.0.2.0/24', except: ['192.0.2.7/32'] } }] },
    ],
  })] });
  assert.match(s, /add element inet t ingress-pods \{ 10\.42\.0\.2 : jump ing-10-42-0-2 \}/);
  assert.match(s, /chain ing-10-42-0-2 \{\n\s+ip saddr \{ 10\.42\.0\.3 \} tcp dport 8080 return\n\s+ip saddr \{ 10\.42\.0\.4 \} tcp dport 8080 return\n\s+ip saddr 192\.0\.2\.0\/24 ip saddr != \{ 192\.0\.2\.7\/32 \} return\n\s+counter drop\n/);
  assert.doesNotMatch(s, /10\.42\.0\.9/, 'finished pods are left out');
  assert.doesNotMatch(s, /egress-pods \{ 10/);
});

test('an Egress policy with no rules isolates the pod for egress; an empty from allows any source', () => {
  const s = netpolRuleset({ table: 't', pods, namespaces, policies: [
    policy('deny-out', 'default', { podSelector: { matchLabels: { role: 'client' } }, policyTypes: ['Egress'] }),
    policy('any-in', 'default', { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ ports: [{ protocol: 'UDP', port: 53 }] }] }),
  ] });
  assert.match(s, /chain egr-10-42-0-3 \{\n\s+counter drop\n/);
  assert.match(s, /chain ing-10-42-0-2 \{\n\s+udp dport 53 return\n/);
  assert.match(s, /add element inet t egress-pods \{ 10\.42\.0\.3 : jump egr-10-42-0-3 \}/);
  assert.doesNotMatch(s, /ing-10-42-0-4/, 'policies select pods of their own namespace only');
});
