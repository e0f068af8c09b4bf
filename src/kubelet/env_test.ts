import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../api/types.js';
import {
  ContainerConfigError, expand, expandArgs, expandSubPathExpr, formatMap, makeEnvironment, mappingFor, podFieldValue,
  resourceFieldValue, serviceEnv, type EnvSources,
} from './env.js';

const vars = mappingFor(new Map([['A', 'a'], ['EMPTY', '']]), new Map([['A', 'shadowed'], ['B', 'b']]));

test('expand follows upstream: $(VAR), $$ escapes, unknown and incomplete references stay literal', () => {
  const cases: [string, string][] = [
    ['$(A)', 'a'], ['x$(A)y$(B)', 'xayb'], ['$(EMPTY)', ''], ['$(UNKNOWN)', '$(UNKNOWN)'],
    ['$$(A)', '$(A)'], ['$$$(A)', '$a'], ['$$$$(A)', '$$(A)'], ['$(A', '$(A'], ['$A', '$A'], ['a$', 'a$'],
    ['$()', '$()'], ['$(A)$(A)', 'aa'], ['no refs', 'no refs'], ['$(A)$', 'a$'], ['(A)', '(A)'],
  ];
  for (const [input, want] of cases) assert.equal(expand(input, vars), want, input);
});

test('serviceEnv: host, ports, named ports and docker link variables; kubernetes always, others only with service links', () => {
  const svc = (ns: string, name: string, ip: string, ports: any[]): KObject => ({ metadata: { namespace: ns, name }, spec: { clusterIP: ip, ports } });
  const all = [
    svc('default', 'kubernetes', '10.43.0.1', [{ name: 'https', port: 443, protocol: 'TCP' }]),
    svc('app', 'my-web', '10.43.0.20', [{ port: 80 }, { name: 'dns-udp', port: 53, protocol: 'UDP' }]),
    svc('app', 'headless', 'None', [{ port: 80 }]),
    svc('other', 'elsewhere', '10.43.0.30', [{ port: 80 }]),
  ];
  const env = serviceEnv(all, 'app', true);
  assert.equal(env.get('KUBERNETES_SERVICE_HOST'), '10.43.0.1');
  assert.equal(env.get('KUBERNETES_SERVICE_PORT'), '443');
  assert.equal(env.get('KUBERNETES_SERVICE_PORT_HTTPS'), '443');
  assert.equal(env.get('KUBERNETES_PORT'), 'tcp://10.43.0.1:443');
  assert.equal(env.get('KUBERNETES_PORT_443_TCP_ADDR'), '10.43.0.1');
  assert.equal(env.get('MY_WEB_SERVICE_HOST'), '10.43.0.20');
  assert.equal(env.get('MY_WEB_SERVICE_PORT'), '80');
  assert.equal(env.get('MY_WEB_SERVICE_PORT_DNS_UDP'), '53');
  assert.equal(env.get('MY_WEB_PORT'), 'tcp://10.43.0.20:80');
  assert.equal(env.get('MY_WEB_PORT_80_TCP'), 'tcp://10.43.0.20:80');
  assert.equal(env.get('MY_WEB_PORT_80_TCP_PROTO'), 'tcp');
  assert.equal(env.get('MY_WEB_PORT_80_TCP_PORT'), '80');
  assert.equal(env.get('MY_WEB_PORT_80_TCP_ADDR'), '10.43.0.20');
  assert.equal(env.get('MY_WEB_PORT_53_UDP'), 'udp://10.43.0.20:53');
  assert.equal(env.get('MY_WEB_PORT_53_UDP_PROTO'), 'udp');
  assert.ok(![...env.keys()].some((k) => k.startsWith('HEADLESS') || k.startsWith('ELSEWHERE')));
  const off = serviceEnv(all, 'app', false);
  assert.ok(off.has('KUBERNETES_SERVICE_HOST'));
  assert.ok(![...off.keys()].some((k) => k.startsWith('MY_WEB')));
  // a pod in default with links sees its own services too, kubernetes once
  assert.equal(serviceEnv(all, 'default', true).get('KUBERNETES_SERVICE_HOST'), '10.43.0.1');
});

const pod: KObject = {
  metadata: { name: 'p', namespace: 'ns', uid: 'u-1', labels: { b: '2', a: 'x"y' }, annotations: { note: 'hi' } },
  spec: { nodeName: 'node1', serviceAccountName: 'sa1', enableServiceLinks: true },
};
const ctx = { podIP: '10.42.0.5', podIPs: ['10.42.0.5'], hostIP: '192.168.1.2' };

test('podFieldValue: metadata, subscripted labels/annotations, spec and status fields', () => {
  assert.equal(podFieldValue(pod, 'metadata.name', ctx), 'p');
  assert.equal(podFieldValue(pod, 'metadata.namespace', ctx), 'ns');
  assert.equal(podFieldValue(pod, 'metadata.uid', ctx), 'u-1');
  assert.equal(podFieldValue(pod, "metadata.labels['b']", ctx), '2');
  assert.equal(podFieldValue(pod, "metadata.annotations['note']", ctx), 'hi');
  assert.equal(podFieldValue(pod, "metadata.annotations['none']", ctx), '');
  assert.equal(podFieldValue(pod, 'metadata.labels', ctx), 'a="x\\"y"\nb="2"');
  assert.equal(podFieldValue(pod, 'spec.nodeName', ctx), 'node1');
  assert.equal(podFieldValue(pod, 'spec.serviceAccountName', ctx), 'sa1');
  assert.equal(podFieldValue(pod, 'status.podIP', ctx), '10.42.0.5');
  assert.equal(podFieldValue(pod, 'status.podIPs', { ...ctx, podIPs: ['10.42.0.5', 'fd00::5'] }), '10.42.0.5,fd00::5');
  assert.equal(podFieldValue(pod, 'status.hostIP', ctx), '192.168.1.2');
  assert.throws(() => podFieldValue(pod, 'spec.bogus', ctx), /unsupported fieldPath: spec.bogus/);
  assert.equal(formatMap({}), '');
});

test('resourceFieldValue: limits/requests over the divisor, rounded up; unset limits default to allocatable', () => {
  const c = { resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '250m', memory: '64Mi' } } };
  const alloc = { cpu: '4', memory: '8Gi' };
  assert.equal(resourceFieldValue(c, { resource: 'limits.cpu' }, alloc), '1');
  assert.equal(resourceFieldValue(c, { resource: 'limits.cpu', divisor: '1m' }, alloc), '500');
  assert.equal(resourceFieldValue(c, { resource: 'requests.cpu', divisor: '100m' }, alloc), '3');
  assert.equal(resourceFieldValue(c, { resource: 'limits.memory' }, alloc), String(128 * 2 ** 20));
  assert.equal(resourceFieldValue(c, { resource: 'limits.memory', divisor: '1Mi' }, alloc), '128');
  assert.equal(resourceFieldValue(c, { resource: 'requests.memory', divisor: '1M' }, alloc), '68');
  assert.equal(resourceFieldValue({}, { resource: 'limits.cpu' }, alloc), '4');
  assert.equal(resourceFieldValue({}, { resource: 'limits.memory', divisor: '1Gi' }, alloc), '8');
  assert.equal(resourceFieldValue({}, { resource: 'requests.memory' }, alloc), '0');
  assert.throws(() => resourceFieldValue(c, { resource: 'limits.gpu' }, alloc), /unsupported container resource : limits.gpu/);
});

function sources(over: Partial<EnvSources> = {}): EnvSources & { warnings: string[] } {
  const warnings: string[] = [];
  const cms: Record<string, KObject> = { cfg: { metadata: { name: 'cfg' }, data: { color: 'blue', 'bad key': 'x', size: 'L' } } };
  const secrets: Record<string, KObject> = { creds: { metadata: { name: 'creds' }, data: { password: Buffer.from('s3cret').toString('base64') } } };
  return {
    ...ctx, allocatable: { cpu: '2', memory: '1Gi' }, warnings,
    configMap: async (n) => cms[n], secret: async (n) => secrets[n],
    services: [{ metadata: { namespace: 'ns', name: 'web' }, spec: { clusterIP: '10.43.0.9', ports: [{ port: 80 }] } }],
    warn: (_r, m) => warnings.push(m), ...over,
  };
}

test('makeEnvironment: envFrom with prefix (invalid names skipped), env overrides, expansion, key refs, services last', async () => {
  const src = sources();
  const c = {
    envFrom: [{ configMapRef: { name: 'cfg' }, prefix: 'CFG_' }, { secretRef: { name: 'creds' } }, { configMapRef: { name: 'nope', optional: true } }],
    env: [
      { name: 'CFG_size', value: 'XL' },
      { name: 'GREETING', value: 'color=$(CFG_color) web=$(WEB_SERVICE_HOST) $$(CFG_color) $(MISSING)' },
      { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'PW', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
      { name: 'COLOR', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'color' } } },
      { name: 'OPT', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'nokey', optional: true } } },
      { name: 'OPT2', valueFrom: { secretKeyRef: { name: 'gone', key: 'k', optional: true } } },
      { name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1m' } } },
      { name: 'EMPTY' },
      { name: 'WEB_SERVICE_HOST', value: 'overridden' },
      { name: 'REF_LATER', value: '$(NS)-$(EMPTY)' },
    ],
  };
  const env = await makeEnvironment(pod, c, src);
  assert.equal(env.get('CFG_color'), 'blue');
  assert.equal(env.get('CFG_size'), 'XL');
  assert.ok(!env.has('CFG_bad key'));
  assert.deepEqual(src.warnings, ['Keys [CFG_bad key] from the EnvFrom configMap ns/cfg were skipped since they are considered invalid environment variable names.']);
  assert.equal(env.get('password'), 's3cret');
  assert.equal(env.get('GREETING'), 'color=blue web=10.43.0.9 $(CFG_color) $(MISSING)');
  assert.equal(env.get('NS'), 'ns');
  assert.equal(env.get('PW'), 's3cret');
  assert.equal(env.get('COLOR'), 'blue');
  assert.ok(!env.has('OPT') && !env.has('OPT2'));
  assert.equal(env.get('CPU'), '2000');
  assert.equal(env.get('EMPTY'), '');
  assert.equal(env.get('WEB_SERVICE_HOST'), 'overridden');
  assert.equal(env.get('REF_LATER'), 'ns-');
  assert.equal(env.get('WEB_PORT'), 'tcp://10.43.0.9:80');
  const keys = [...env.keys()];
  assert.ok(keys.indexOf('WEB_PORT') > keys.indexOf('REF_LATER'), 'service variables come last');
  assert.ok(keys.indexOf('WEB_SERVICE_HOST') < keys.indexOf('REF_LATER'), 'an env var keeps its declared position');

  assert.deepEqual(expandArgs(['echo', '$(NS)', '$$(NS)', '$(NOPE)'], env), ['echo', 'ns', '$(NS)', '$(NOPE)']);
  const noLinks = await makeEnvironment({ ...pod, spec: { ...pod.spec, enableServiceLinks: false } }, {}, src);
  assert.ok(!noLinks.has('WEB_SERVICE_HOST'));
});

test('makeEnvironment: missing required configMap, secret or key is a ContainerConfigError with upstream wording', async () => {
  const src = sources();
  const fails = async (c: any, re: RegExp) => {
    await assert.rejects(makeEnvironment(pod, c, src), (e: unknown) => e instanceof ContainerConfigError && e.reason === 'CreateContainerConfigError' && re.test(e.message));
  };
  await fails({ envFrom: [{ configMapRef: { name: 'x' } }] }, /^configmap "x" not found$/);
  await fails({ envFrom: [{ secretRef: { name: 'y' } }] }, /^secret "y" not found$/);
  await fails({ env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'k' } } }] }, /^couldn't find key k in ConfigMap ns\/cfg$/);
  await fails({ env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 'creds', key: 'k' } } }] }, /^couldn't find key k in Secret ns\/creds$/);
  await fails({ env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 'gone', key: 'k' } } }] }, /^secret "gone" not found$/);
});

test('expandSubPathExpr needs a non-empty value for every reference', () => {
  const env = new Map([['POD', 'p1'], ['E', '']]);
  assert.equal(expandSubPathExpr('logs/$(POD)', env), 'logs/p1');
  assert.throws(() => expandSubPathExpr('$(E)/$(X)', env), /missing value for E, X/);
});
