// Ingress rule matching (networking.k8s.io/v1), pure: which Ingresses this controller serves, and
// which backend a request's host and path go to.
//
// - Exact: the request path equals the rule path (case sensitive).
// - Prefix (and ImplementationSpecific, treated as Prefix): element-wise over '/'-separated parts;
//   a trailing slash is ignored on both sides, so /foo matches /foo, /foo/ and /foo/bar, not /foobar.
// - Among matching paths the longest wins; at equal length Exact beats Prefix; then the older Ingress.
// - Hosts: exact names first, then wildcards (`*.example.com` matches exactly one more label:
//   a.example.com, not example.com nor a.b.example.com), then rules without a host. The first of
//   these tiers with a matching path decides.
// - No match: the defaultBackend of the oldest served Ingress that has one, else none (404).
import type { KObject } from '../api/types.js';

export const className = 'k8ts';
export const controllerName = 'k8ts.io/ingress-controller';
export const defaultClassAnnotation = 'ingressclass.kubernetes.io/is-default-class';
/** the deprecated pre-v1 way to name the class; still honoured by ingress-nginx and Traefik */
export const legacyClassAnnotation = 'kubernetes.io/ingress.class';

export interface ServiceBackend { name: string; port: { number?: number; name?: string } }
export interface Backend {
  /** the Ingress's namespace (backends live beside it) and "ns/name" of the Ingress */
  namespace: string;
  ingress: string;
  service?: ServiceBackend;
  /** a `resource` backend: not served by this controller (503) */
  resource?: { apiGroup?: string; kind: string; name: string };
}

export interface Route { path: string; exact: boolean; backend: Backend }

export interface RouteTable {
  /** host with or without port; path without the query string */
  lookup(host: string, path: string): Backend | undefined;
  /** "ns/name" keys of the Ingresses in the table */
  readonly ingresses: string[];
}

/** whether the IngressClass object marks itself as the cluster default */
export function isDefaultClass(ic: KObject | undefined): boolean {
  return ic?.metadata.annotations?.[defaultClassAnnotation] === 'true';
}

/** The IngressClasses naming this controller, and whether one of them is the default class. */
export interface OurClasses { names: Set<string>; isDefault: boolean }

export function ourClasses(classes: KObject[]): OurClasses {
  const mine = classes.filter((c) => c.spec?.controller === controllerName);
  return { names: new Set(mine.map((c) => c.metadata.name ?? '')), isDefault: mine.some(isDefaultClass) };
}

/**
 * spec.ingressClassName naming an IngressClass of this controller (k8ts, or any other with
 * spec.controller k8ts.io/ingress-controller), the legacy annotation doing so, or no class at all
 * while one of those classes is the default class
 */
export function servesIngress(ing: KObject, ours: OurClasses): boolean {
  const name = ing.spec?.ingressClassName || ing.metadata.annotations?.[legacyClassAnnotation];
  return name ? ours.names.has(name) : ours.isDefault;
}

/** lower case, without port and trailing dot; IPv6 literals keep their brackets */
export function normalizeHost(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[')) { const end = h.indexOf(']'); return end > 0 ? h.slice(0, end + 1) : h; }
  const colon = h.lastIndexOf(':');
  if (colon >= 0) h = h.slice(0, colon);
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

/** `*.example.com` matches one label more than `example.com`; other hosts match exactly */
export function hostMatches(ruleHost: string, host: string): boolean {
  const h = normalizeHost(host);
  if (!ruleHost) return true;
  if (!ruleHost.startsWith('*.')) return ruleHost.toLowerCase() === h;
  const dot = h.indexOf('.');
  return dot > 0 && h.slice(dot + 1) === ruleHost.slice(2).toLowerCase();
}

const trimSlash = (p: string) => (p.length > 1 && p.endsWith('/') ? p.replace(/\/+$/, '') || '/' : p);

export function pathMatches(pathType: string | undefined, rulePath: string | undefined, path: string): boolean {
  const rp = rulePath || '/';
  if (pathType === 'Exact') return path === rp;
  const p = trimSlash(rp);
  if (p === '/') return true;
  const req = trimSlash(path);
  return req === p || req.startsWith(p + '/');
}

function age(o: KObject): string { return o.metadata.creationTimestamp ?? ''; }
function key(o: KObject): string { return `${o.metadata.namespace ?? ''}/${o.metadata.name}`; }

function toBackend(ing: KObject, b: any): Backend {
  return {
    namespace: ing.metadata.namespace ?? 'default', ingress: key(ing),
    service: b?.service ? { name: b.service.name, port: { ...(b.service.port ?? {}) } } : undefined,
    resource: b?.resource ? { ...b.resource } : undefined,
  };
}

function sortRoutes(rs: Route[]): Route[] {
  // stable: insertion order (oldest Ingress first) breaks the remaining ties
  return rs.sort((a, b) => trimSlash(b.path).length - trimSlash(a.path).length || Number(b.exact) - Number(a.exact));
}

/** builds the table from the Ingresses this controller serves */
export function buildRoutes(ingresses: KObject[]): RouteTable {
  const ordered = [...ingresses].sort((a, b) => age(a).localeCompare(age(b)) || key(a).localeCompare(key(b)));
  const exact = new Map<string, Route[]>();
  const wild = new Map<string, Route[]>(); // by the suffix after '*.'
  const any: Route[] = [];
  let fallback: Backend | undefined;
  for (const ing of ordered) {
    if (!fallback && ing.spec?.defaultBackend) fallback = toBackend(ing, ing.spec.defaultBackend);
    for (const rule of ing.spec?.rules ?? []) {
      const host = String(rule.host ?? '').toLowerCase();
      let list = any;
      if (host.startsWith('*.')) { const s = host.slice(2); list = wild.get(s) ?? []; wild.set(s, list); }
      else if (host) { list = exact.get(host) ?? []; exact.set(host, list); }
      for (const p of rule.http?.paths ?? []) {
        list.push({ path: p.path || '/', exact: p.pathType === 'Exact', backend: toBackend(ing, p.backend) });
      }
    }
  }
  for (const l of [...exact.values(), ...wild.values(), any]) sortRoutes(l);
  const first = (rs: Route[] | undefined, path: string) => rs?.find((r) => pathMatches(r.exact ? 'Exact' : 'Prefix', r.path, path));
  return {
    ingresses: ordered.map(key),
    lookup(hostHeader, path) {
      const h = normalizeHost(hostHeader);
      const dot = h.indexOf('.');
      const hit = first(exact.get(h), path) ?? (dot > 0 ? first(wild.get(h.slice(dot + 1)), path) : undefined) ?? first(any, path);
      return hit?.backend ?? fallback;
    },
  };
}
