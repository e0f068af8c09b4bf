// networking.k8s.io (Ingress, IngressClass, NetworkPolicy), discovery.k8s.io EndpointSlice, coordination.k8s.io Lease.
import type { KObject } from '../../../api/types.js';
import {
  isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidCIDR, isValidIP, isValidPortName, isValidPortNum, isWildcardDNS1123Subdomain,
} from '../../../api/validation/index.js';
import { makeStrategy } from './base.js';
import { arr, each, enumOf, fe, immutable, isObject, nonNegative, obj, setDefault, type Errs } from './field.js';
import { validateLabelSelector } from './meta.js';

// ---- Ingress ----

const pathTypes = ['Exact', 'ImplementationSpecific', 'Prefix'];

function validateBackend(b: any, path: string): Errs {
  const errs: Errs = [];
  const hasSvc = b?.service != null; const hasRes = b?.resource != null;
  if (hasSvc && hasRes) return [fe.invalid(path, '', 'cannot set both resource and service backends')];
  if (hasSvc) {
    const s = b.service;
    if (!s.name) errs.push(fe.required(`${path}.service.name`));
    else errs.push(...each(`${path}.service.name`, s.name, isDNS1123Label(s.name)));
    const p = s.port ?? {};
    const hasName = !!p.name; const hasNum = p.number != null && p.number !== 0;
    if (hasName && hasNum) errs.push(fe.invalid(`${path}.service.port`, '', 'cannot set both port name & port number'));
    else if (hasName) errs.push(...each(`${path}.service.port.name`, p.name, isValidPortName(p.name)));
    else if (hasNum) errs.push(...each(`${path}.service.port.number`, p.number, isValidPortNum(p.number)));
    else errs.push(fe.required(`${path}.service.port`, 'port name or number is required'));
  } else if (hasRes) {
    if (!b.resource.kind) errs.push(fe.required(`${path}.resource.kind`));
    if (!b.resource.name) errs.push(fe.required(`${path}.resource.name`));
  } else {
    errs.push(fe.invalid(path, '', 'resource or service backend is required'));
  }
  return errs;
}

function validateIngress(o: KObject): Errs {
  const spec = o.spec ?? {};
  const errs: Errs = [];
  const rules = arr(spec.rules);
  if (rules.length === 0 && spec.defaultBackend == null) {
    errs.push(fe.invalid('spec', spec, 'either `defaultBackend` or `rules` must be specified'));
  }
  if (spec.defaultBackend != null) errs.push(...validateBackend(spec.defaultBackend, 'spec.defaultBackend'));
  rules.forEach((r: any, i: number) => {
    const p = `spec.rules[${i}]`;
    if (r?.host) {
      if (isValidIP(r.host).length === 0) errs.push(fe.invalid(`${p}.host`, r.host, 'must be a DNS name, not an IP address'));
      const msgs = r.host.includes('*') ? isWildcardDNS1123Subdomain(r.host) : isDNS1123Subdomain(r.host);
      errs.push(...each(`${p}.host`, r.host, msgs));
    }
    if (r?.http == null) return;
    const paths = arr(r.http.paths);
    if (paths.length === 0) errs.push(fe.required(`${p}.http.paths`));
    paths.forEach((hp: any, j: number) => {
      const pp = `${p}.http.paths[${j}]`;
      if (!hp?.pathType) errs.push(fe.required(`${pp}.pathType`, 'pathType must be specified'));
      else if (!pathTypes.includes(hp.pathType)) errs.push(fe.notSupported(`${pp}.pathType`, hp.pathType, pathTypes));
      if (hp?.pathType === 'Exact' || hp?.pathType === 'Prefix') {
        if (!String(hp.path ?? '').startsWith('/')) errs.push(fe.invalid(`${pp}.path`, hp.path ?? '', 'must be an absolute path'));
        else if (/\/\/|\/\.\.?(\/|$)/.test(hp.path)) errs.push(fe.invalid(`${pp}.path`, hp.path, "must not contain '//', '/./' or '/../'"));
      } else if (hp?.path && !hp.path.startsWith('/')) {
        errs.push(fe.invalid(`${pp}.path`, hp.path, 'must be an absolute path'));
      }
      errs.push(...validateBackend(hp?.backend, `${pp}.backend`));
    });
  });
  arr(spec.tls).forEach((t: any, i: number) => {
    arr(t?.hosts).forEach((h: string, j: number) => {
      const msgs = h.includes('*') ? isWildcardDNS1123Subdomain(h) : isDNS1123Subdomain(h);
      errs.push(...each(`spec.tls[${i}].hosts[${j}]`, h, msgs));
    });
  });
  if (spec.ingressClassName) errs.push(...each('spec.ingressClassName', spec.ingressClassName, isDNS1123Subdomain(spec.ingressClassName)));
  return errs;
}

export const ingressStrategy = makeStrategy({
  namespaced: true, status: 'subresource', generation: 'spec',
  validate: validateIngress,
});

// ---- IngressClass ----

export const ingressClassStrategy = makeStrategy({
  namespaced: false, generation: 'spec',
  validate(o) {
    const c = o.spec?.controller;
    const errs: Errs = [];
    if (!c) errs.push(fe.required('spec.controller'));
    else {
      if (c.length > 250) errs.push(fe.tooLong('spec.controller', 250));
      const seg = String(c).split('/');
      if (seg.length < 2 || !seg[0] || !seg[1]) errs.push(fe.invalid('spec.controller', c, 'must be a domain-prefixed path (such as "acme.io/foo")'));
      else errs.push(...each('spec.controller', seg[0], isDNS1123Subdomain(seg[0])));
    }
    const p = o.spec?.parameters;
    if (p != null) {
      if (!p.kind) errs.push(fe.required('spec.parameters.kind'));
      if (!p.name) errs.push(fe.required('spec.parameters.name'));
      if (p.scope) errs.push(...enumOf('spec.parameters.scope', p.scope, ['Cluster', 'Namespace']));
      if (p.scope === 'Namespace' && !p.namespace) errs.push(fe.required('spec.parameters.namespace', '`parameters.scope` is set to "Namespace"'));
    }
    return errs;
  },
  validateUpdate: (o, old) => immutable('spec.controller', o.spec?.controller, old.spec?.controller),
});

// ---- NetworkPolicy ----

function validatePeers(peers: unknown, path: string): Errs {
  const errs: Errs = [];
  arr(peers).forEach((p: any, i: number) => {
    const pp = `${path}[${i}]`;
    const n = (p?.podSelector != null ? 1 : 0) + (p?.namespaceSelector != null ? 1 : 0);
    if (p?.ipBlock != null) {
      if (n) errs.push(fe.forbidden(pp, 'may not specify both ipBlock and another peer'));
      if (!p.ipBlock.cidr) errs.push(fe.required(`${pp}.ipBlock.cidr`));
      else errs.push(...each(`${pp}.ipBlock.cidr`, p.ipBlock.cidr, isValidCIDR(p.ipBlock.cidr)));
      arr(p.ipBlock.except).forEach((e: string, j: number) => errs.push(...each(`${pp}.ipBlock.except[${j}]`, e, isValidCIDR(e))));
    } else if (n === 0) {
      errs.push(fe.required(pp, 'must specify a peer'));
    }
    if (p?.podSelector != null) errs.push(...validateLabelSelector(p.podSelector, `${pp}.podSelector`));
    if (p?.namespaceSelector != null) errs.push(...validateLabelSelector(p.namespaceSelector, `${pp}.namespaceSelector`));
  });
  return errs;
}

function validatePolicyPorts(ports: unknown, path: string): Errs {
  const errs: Errs = [];
  arr(ports).forEach((p: any, i: number) => {
    const pp = `${path}[${i}]`;
    errs.push(...enumOf(`${pp}.protocol`, p?.protocol, ['SCTP', 'TCP', 'UDP']));
    if (typeof p?.port === 'number') errs.push(...each(`${pp}.port`, p.port, isValidPortNum(p.port)));
    else if (typeof p?.port === 'string') errs.push(...each(`${pp}.port`, p.port, isValidPortName(p.port)));
    if (p?.endPort != null) {
      if (typeof p.port !== 'number') errs.push(fe.required(`${pp}.port`, 'must be specified when endPort is specified'));
      else if (p.endPort < p.port) errs.push(fe.invalid(`${pp}.endPort`, p.endPort, 'must be greater than or equal to `port`'));
    }
  });
  return errs;
}

export const networkPolicyStrategy = makeStrategy({
  namespaced: true, generation: 'spec',
  defaults(o) {
    const spec = obj(o, 'spec');
    if (!Array.isArray(spec.policyTypes) || spec.policyTypes.length === 0) {
      spec.policyTypes = arr(spec.egress).length ? ['Ingress', 'Egress'] : ['Ingress'];
    }
    for (const r of [...arr(spec.ingress), ...arr(spec.egress)]) for (const p of arr(r?.ports)) if (isObject(p)) setDefault(p, 'protocol', 'TCP');
  },
  validate(o) {
    const spec = o.spec ?? {};
    const errs: Errs = [];
    errs.push(...validateLabelSelector(spec.podSelector ?? {}, 'spec.podSelector'));
    arr(spec.ingress).forEach((r: any, i: number) => {
      errs.push(...validatePolicyPorts(r?.ports, `spec.ingress[${i}].ports`));
      errs.push(...validatePeers(r?.from, `spec.ingress[${i}].from`));
    });
    arr(spec.egress).forEach((r: any, i: number) => {
      errs.push(...validatePolicyPorts(r?.ports, `spec.egress[${i}].ports`));
      errs.push(...validatePeers(r?.to, `spec.egress[${i}].to`));
    });
    const types = arr(spec.policyTypes);
    types.forEach((t: string, i: number) => errs.push(...enumOf(`spec.policyTypes[${i}]`, t, ['Ingress', 'Egress'])));
    if (types.length > 2) errs.push(fe.invalid('spec.policyTypes', types, 'may not specify more than two policyTypes'));
    return errs;
  },
});

// ---- EndpointSlice ----

const addressTypes = ['FQDN', 'IPv4', 'IPv6'];

function validateEndpointSlice(o: KObject): Errs {
  const errs: Errs = [];
  if (!o.addressType) errs.push(fe.required('addressType'));
  else errs.push(...enumOf('addressType', o.addressType, addressTypes));
  const eps = arr(o.endpoints);
  if (eps.length > 1000) errs.push(fe.tooMany('endpoints', eps.length, 1000));
  eps.forEach((e: any, i: number) => {
    const p = `endpoints[${i}]`;
    const addrs = arr(e?.addresses);
    if (addrs.length === 0) errs.push(fe.required(`${p}.addresses`, 'must contain at least 1 address'));
    else if (addrs.length > 100) errs.push(fe.tooMany(`${p}.addresses`, addrs.length, 100));
    addrs.forEach((a: string, j: number) => {
      const ap = `${p}.addresses[${j}]`;
      if (o.addressType === 'IPv4' && !/^\d+\.\d+\.\d+\.\d+$/.test(a)) errs.push(fe.invalid(ap, a, 'must be a valid IPv4 address'));
      else if (o.addressType === 'IPv6' && !(a.includes(':') && isValidIP(a).length === 0)) errs.push(fe.invalid(ap, a, 'must be a valid IPv6 address'));
      else if (o.addressType === 'IPv4' && isValidIP(a).length) errs.push(fe.invalid(ap, a, 'must be a valid IPv4 address'));
      else if (o.addressType === 'FQDN') errs.push(...each(ap, a, isDNS1123Subdomain(a)));
    });
    if (e?.hostname) errs.push(...each(`${p}.hostname`, e.hostname, isDNS1123Label(e.hostname)));
    if (e?.nodeName) errs.push(...each(`${p}.nodeName`, e.nodeName, isDNS1123Subdomain(e.nodeName)));
  });
  const names = new Set<string>();
  arr(o.ports).forEach((p: any, i: number) => {
    const pp = `ports[${i}]`;
    const name = p?.name ?? '';
    if (name) errs.push(...each(`${pp}.name`, name, isDNS1123Label(name)));
    if (names.has(name)) errs.push(fe.duplicate(`${pp}.name`, name));
    names.add(name);
    if (p?.port != null) errs.push(...each(`${pp}.port`, p.port, isValidPortNum(p.port)));
    errs.push(...enumOf(`${pp}.protocol`, p?.protocol, ['SCTP', 'TCP', 'UDP'], true));
    if (p?.appProtocol) errs.push(...each(`${pp}.appProtocol`, p.appProtocol, isQualifiedName(p.appProtocol)));
  });
  return errs;
}

export const endpointSliceStrategy = makeStrategy({
  namespaced: true, generation: 'all-but-meta',
  defaults(o) { for (const p of arr(o.ports)) if (isObject(p)) setDefault(p, 'protocol', 'TCP'); },
  validate: validateEndpointSlice,
  validateUpdate: (o, old) => immutable('addressType', o.addressType, old.addressType),
});

// ---- Lease ----

export const leaseStrategy = makeStrategy({
  namespaced: true,
  validate(o) {
    const spec = o.spec ?? {};
    const errs: Errs = [];
    if (spec.leaseDurationSeconds != null && spec.leaseDurationSeconds <= 0) {
      errs.push(fe.invalid('spec.leaseDurationSeconds', spec.leaseDurationSeconds, 'must be greater than 0'));
    }
    errs.push(...nonNegative('spec.leaseTransitions', spec.leaseTransitions));
    if (spec.strategy) errs.push(...enumOf('spec.strategy', spec.strategy, ['OldestEmulationVersion']));
    return errs;
  },
});
