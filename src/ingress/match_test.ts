import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../api/types.js';
import { buildRoutes, hostMatches, normalizeHost, ourClasses, pathMatches, servesIngress } from './match.js';

test('Prefix matches element-wise and ignores trailing slashes (upstream examples)', () => {
  const cases: [string, string, boolean][] = [
    ['/', '/anything', true], ['/foo', '/foo', true], ['/foo', '/foo/', true], ['/foo/', '/foo', true],
    ['/aaa/bb', '/aaa/bbb', false], ['/aaa/bbb', '/aaa/bbb', true], ['/aaa/bbb/', '/aaa/bbb', true],
    ['/aaa/bbb', '/aaa/bbb/', true], ['/aaa/bbb', '/aaa/bbb/ccc', true], ['/aaa/bbb', '/aaa/bbbxyz', false],
    ['/foo/bar', '/foo/barbaz', false], ['/foo', '/Foo', false],
  ];
  for (const [rule, path, want] of cases) assert.equal(pathMatches('Prefix', rule, path), want, `${rule} ~ ${path}`);
  assert.equal(pathMatches('ImplementationSpecific', '/foo', '/foo/x'), true);
  assert.equal(pathMatches('ImplementationSpecific', '/foo', '/foox'), false);
});

test('Exact matches the whole path only', () => {
  assert.equal(pathMatches('Exact', '/foo', '/foo'), true);
  assert.equal(pathMatches('Exact', '/foo', '/foo/'), false);
  assert.equal(pathMatches('Exact', '/foo', '/foo/bar'), false);
  assert.equal(pathMatches('Exact', '/foo', '/FOO'), false);
});

test('wildcard hosts cover exactly one label', () => {
  assert.equal(hostMatches('*.example.com', 'a.example.com'), true);
  assert.equal(hostMatches('*.example.com', 'A.Example.com:8443'), true);
  assert.equal(hostMatches('*.example.com', 'example.com'), false);
  assert.equal(hostMatches('*.example.com', 'a.b.example.com'), false);
  assert.equal(hostMatches('foo.example.com', 'foo.example.com.'), true);
  assert.equal(hostMatches('', 'whatever'), true);
  assert.equal(normalizeHost('[::1]:80'), '[::1]');
});

function ing(name: string, spec: any, opts: { ts?: string; ns?: string; annotations?: Record<string, string> } = {}): KObject {
  return {
    apiVersion: 'networking.k8s.io/v1', kind: 'Ingress',
    metadata: { name, namespace: opts.ns ?? 'default', creationTimestamp: opts.ts ?? '2026-01-01T00:00:00Z', annotations: opts.annotations },
    spec,
  };
}
const svc = (name: string, port: number | string = 80) => ({ service: { name, port: typeof port === 'number' ? { number: port } : { name: port } } });
const path = (p: string, backend: any, pathType = 'Prefix') => ({ path: p, pathType, backend });

test('longest path wins, Exact beats Prefix at equal length, hosts before wildcards before catch-all', () => {
  const t = buildRoutes([
    ing('a', {
      rules: [
        { host: 'foo.example.com', http: { paths: [path('/', svc('foo-root')), path('/api', svc('foo-api')), path('/api/v1', svc('foo-v1')), path('/api', svc('foo-api-exact'), 'Exact')] } },
        { host: '*.example.com', http: { paths: [path('/', svc('wild'))] } },
        { http: { paths: [path('/shared', svc('any-shared'))] } },
      ],
    }),
  ]);
  const svcOf = (h: string, p: string) => t.lookup(h, p)?.service?.name;
  assert.equal(svcOf('foo.example.com', '/'), 'foo-root');
  assert.equal(svcOf('foo.example.com', '/api'), 'foo-api-exact');
  assert.equal(svcOf('foo.example.com', '/api/'), 'foo-api');
  assert.equal(svcOf('foo.example.com', '/api/v1/x'), 'foo-v1');
  assert.equal(svcOf('foo.example.com', '/apix'), 'foo-root');
  assert.equal(svcOf('bar.example.com', '/x'), 'wild');
  assert.equal(svcOf('a.bar.example.com', '/x'), undefined);
  assert.equal(svcOf('a.bar.example.com', '/shared/y'), 'any-shared');
  assert.equal(svcOf('other.test:8080', '/shared'), 'any-shared');
  assert.equal(t.lookup('foo.example.com', '/')?.namespace, 'default');
});

test('defaultBackend: the oldest Ingress that has one; none means no backend (404)', () => {
  const rules = [{ host: 'x.test', http: { paths: [path('/only', svc('x'))] } }];
  assert.equal(buildRoutes([ing('r', { rules })]).lookup('x.test', '/other'), undefined);
  const t = buildRoutes([
    ing('newer', { defaultBackend: svc('newer-default') }, { ts: '2026-02-01T00:00:00Z' }),
    ing('older', { defaultBackend: svc('older-default', 'http'), rules }, { ts: '2026-01-01T00:00:00Z', ns: 'team' }),
  ]);
  const b = t.lookup('y.test', '/');
  assert.deepEqual(b?.service, { name: 'older-default', port: { name: 'http' } });
  assert.equal(b?.namespace, 'team');
  assert.deepEqual(t.ingresses, ['team/older', 'default/newer']);
});

test('older Ingress wins a tie on the same host and path', () => {
  const t = buildRoutes([
    ing('second', { rules: [{ host: 'h.test', http: { paths: [path('/', svc('second'))] } }] }, { ts: '2026-03-01T00:00:00Z' }),
    ing('first', { rules: [{ host: 'h.test', http: { paths: [path('/', svc('first'))] } }] }, { ts: '2026-01-01T00:00:00Z' }),
  ]);
  assert.equal(t.lookup('h.test', '/a')?.service?.name, 'first');
});

test('which Ingresses the k8ts class serves', () => {
  const ic = (name: string, controller: string, dflt?: boolean): KObject => ({
    apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', spec: { controller },
    metadata: { name, annotations: dflt ? { 'ingressclass.kubernetes.io/is-default-class': 'true' } : {} },
  });
  const dflt = ourClasses([ic('k8ts', 'k8ts.io/ingress-controller', true), ic('nginx', 'k8s.io/ingress-nginx')]);
  const notDflt = ourClasses([ic('k8ts', 'k8ts.io/ingress-controller'), ic('nginx', 'k8s.io/ingress-nginx', true), ic('public', 'k8ts.io/ingress-controller')]);
  assert.equal(servesIngress(ing('a', { ingressClassName: 'k8ts' }), notDflt), true);
  assert.equal(servesIngress(ing('a', { ingressClassName: 'public' }), notDflt), true, 'another class of this controller');
  assert.equal(servesIngress(ing('a', { ingressClassName: 'public' }), dflt), false, 'no such class');
  assert.equal(servesIngress(ing('a', { ingressClassName: 'nginx' }), dflt), false);
  assert.equal(servesIngress(ing('a', {}), dflt), true);
  assert.equal(servesIngress(ing('a', {}), notDflt), false);
  assert.equal(servesIngress(ing('a', {}, { annotations: { 'kubernetes.io/ingress.class': 'k8ts' } }), notDflt), true);
  assert.equal(servesIngress(ing('a', {}, { annotations: { 'kubernetes.io/ingress.class': 'traefik' } }), dflt), false);
  assert.equal(servesIngress(ing('a', {}), ourClasses([])), false);
});
