// core/v1 Service (upstream SetDefaults_Service, ValidateService/ValidateServiceUpdate, and the
// registry's clusterIP normalisation). Allocation of clusterIPs and nodePorts is the store's.
import type { KObject } from '../../../api/types.js';
import { ipFamilyOf, isDNS1123Label, isDNS1123Subdomain, isValidIP, isValidPortName, isValidPortNum, isValidCIDR, nameIsDNS1035Label } from '../../../api/validation/index.js';
import { makeStrategy } from './base.js';
import { arr, clone, deepEqual, each, enumOf, fe, isObject, obj, setDefault, type Errs } from './field.js';
import { validateLabels } from './meta.js';

const serviceTypes = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];

function isHeadless(spec: any): boolean { return spec?.clusterIP === 'None'; }

/** upstream's LoadBalancerIPMode defaulting (on since 1.30): a load-balancer ingress IP without ipMode is a VIP */
function defaultIPMode(o: KObject): void {
  for (const i of o.status?.loadBalancer?.ingress ?? []) if (i?.ip && !i.ipMode) i.ipMode = 'VIP';
}

function defaultService(o: KObject): void {
  defaultIPMode(o);
  const spec = obj(o, 'spec');
  setDefault(spec, 'sessionAffinity', 'None');
  setDefault(spec, 'type', 'ClusterIP');
  for (const p of arr(spec.ports)) {
    if (!isObject(p)) continue;
    setDefault(p, 'protocol', 'TCP');
    if (p.targetPort === undefined || p.targetPort === null || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
  }
  if ((spec.type === 'NodePort' || spec.type === 'LoadBalancer')) setDefault(spec, 'externalTrafficPolicy', 'Cluster');
  if (spec.type !== 'ExternalName') setDefault(spec, 'internalTrafficPolicy', 'Cluster');
  if (spec.sessionAffinity === 'ClientIP') {
    const c = obj(obj(spec, 'sessionAffinityConfig'), 'clientIP');
    if (c.timeoutSeconds == null) c.timeoutSeconds = 10800;
  }
  if (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts == null) spec.allocateLoadBalancerNodePorts = true;
  if (spec.type !== 'ExternalName') {
    if (!Array.isArray(spec.ipFamilies) || spec.ipFamilies.length === 0) {
      const ips = arr(spec.clusterIPs).length ? arr(spec.clusterIPs) : spec.clusterIP ? [spec.clusterIP] : [];
      const fams = ips.map((ip: string) => ipFamilyOf(ip)).filter((f) => f) as string[];
      spec.ipFamilies = fams.length ? fams : ['IPv4'];
    }
    setDefault(spec, 'ipFamilyPolicy', spec.ipFamilies.length > 1 ? 'PreferDualStack' : 'SingleStack');
  }
}

const needsClusterIP = (s: any) => s?.type !== 'ExternalName';
const needsNodePort = (s: any) => s?.type === 'NodePort' || s?.type === 'LoadBalancer';
const needsHCNodePort = (s: any) => s?.type === 'LoadBalancer' && s?.externalTrafficPolicy === 'Local';
const nodePortsOf = (s: any) => new Set<number>(arr(s?.ports).map((p: any) => p?.nodePort).filter(Boolean));

/** on create, a clusterIP alone gives clusterIPs (upstream registry normalizeClusterIPs, create side) */
function prepareServiceCreate(o: KObject): void {
  const spec = o.spec;
  if (isObject(spec) && spec.clusterIP && arr(spec.clusterIPs).length === 0) spec.clusterIPs = [spec.clusterIP];
}

/**
 * an update (upstream's service REST beginUpdate and PrepareForUpdate): allocated values the
 * request left out are kept (patchAllocatedValues), clusterIP and clusterIPs are brought in step
 * with whichever one the user changed (normalizeClusterIPs), and values a new type has no use
 * for are dropped unless the user set them (dropTypeDependentFields)
 */
function prepareServiceUpdate(o: KObject, old: KObject): void {
  const spec = o.spec; const os = old.spec ?? {};
  if (!isObject(spec)) return;
  if (needsClusterIP(os) && needsClusterIP(spec)) {
    if (!spec.clusterIP && os.clusterIP) spec.clusterIP = os.clusterIP;
    if (arr(spec.clusterIPs).length === 0 && arr(os.clusterIPs).length) spec.clusterIPs = clone(os.clusterIPs);
    if (arr(spec.ipFamilies).length === 0 && os.ipFamilies) spec.ipFamilies = clone(os.ipFamilies);
    if (!spec.ipFamilyPolicy && os.ipFamilyPolicy) spec.ipFamilyPolicy = os.ipFamilyPolicy;
  }
  if (needsNodePort(os) && needsNodePort(spec)) {
    // by port name; an old value another port of the new spec uses is not taken
    const used = new Set([...nodePortsOf(os)].filter((n) => nodePortsOf(spec).has(n)));
    const byName = new Map(arr(os.ports).map((p: any) => [p?.name ?? '', p?.nodePort]));
    for (const p of arr(spec.ports)) {
      if (!isObject(p) || p.nodePort) continue;
      const was = byName.get(p.name ?? '');
      if (was && !used.has(was)) p.nodePort = was;
    }
  }
  if (needsHCNodePort(os) && needsHCNodePort(spec) && !spec.healthCheckNodePort) spec.healthCheckNodePort = os.healthCheckNodePort;
  // normalizeClusterIPs, update side
  const sameIPs = deepEqual(os.clusterIPs, spec.clusterIPs);
  if (os.clusterIP && !spec.clusterIP && sameIPs) delete spec.clusterIPs;
  else if (os.clusterIP && os.clusterIP !== spec.clusterIP && sameIPs) spec.clusterIPs = [spec.clusterIP];
  else if (arr(os.clusterIPs).length && arr(spec.clusterIPs).length === 0 && os.clusterIP === spec.clusterIP) delete spec.clusterIP;
  else if (arr(os.clusterIPs).length && !sameIPs && os.clusterIP === spec.clusterIP) spec.clusterIP = spec.clusterIPs[0];
  // dropTypeDependentFields
  if (needsClusterIP(os) && !needsClusterIP(spec)) {
    if (deepEqual(os.clusterIPs, spec.clusterIPs)) { delete spec.clusterIP; delete spec.clusterIPs; }
    if (deepEqual(os.ipFamilies, spec.ipFamilies)) delete spec.ipFamilies;
    if ((os.ipFamilyPolicy ?? '') === (spec.ipFamilyPolicy ?? '')) delete spec.ipFamilyPolicy;
  }
  if (needsNodePort(os) && !needsNodePort(spec) && [...nodePortsOf(spec)].every((n) => nodePortsOf(os).has(n))) {
    for (const p of arr(spec.ports)) if (isObject(p)) delete p.nodePort;
  }
  if (needsHCNodePort(os) && !needsHCNodePort(spec) && (os.healthCheckNodePort ?? 0) === (spec.healthCheckNodePort ?? 0)) delete spec.healthCheckNodePort;
  if (spec.type !== 'LoadBalancer') delete spec.allocateLoadBalancerNodePorts;
  if (needsNodePort(os) && !needsNodePort(spec) && os.externalTrafficPolicy === spec.externalTrafficPolicy) delete spec.externalTrafficPolicy;
  if (os.type === 'LoadBalancer' && spec.type !== 'LoadBalancer') o.status = { ...(o.status ?? {}), loadBalancer: {} };
}

function validateService(o: KObject): Errs {
  const spec = o.spec ?? {};
  const errs: Errs = [];
  errs.push(...enumOf('spec.type', spec.type, serviceTypes, true));
  const ports = arr(spec.ports);
  if (spec.type === 'ExternalName') {
    if (arr(spec.clusterIPs).length && spec.clusterIP !== '') errs.push(fe.forbidden('spec.clusterIPs', 'may not be set for ExternalName services'));
    if (arr(spec.ipFamilies).length) errs.push(fe.forbidden('spec.ipFamilies', 'may not be set for ExternalName services'));
    if (spec.ipFamilyPolicy) errs.push(fe.forbidden('spec.ipFamilyPolicy', 'may not be set for ExternalName services'));
    const name = String(spec.externalName ?? '').replace(/\.$/, '');
    if (!name) errs.push(fe.required('spec.externalName'));
    else {
      const m = isDNS1123Subdomain(name);
      if (m.length) errs.push(fe.invalid('spec.externalName', name, m.join(',')));
      else if (name.split('.').length < 2) errs.push(fe.invalid('spec.externalName', name, 'should be a domain with at least two segments separated by dots'));
    }
  } else if (ports.length === 0 && !isHeadless(spec)) {
    errs.push(fe.required('spec.ports'));
  }
  const names = new Set<string>();
  ports.forEach((p: any, i: number) => {
    const path = `spec.ports[${i}]`;
    if (ports.length > 1 && !p?.name) errs.push(fe.required(`${path}.name`));
    if (p?.name) {
      errs.push(...each(`${path}.name`, p.name, isDNS1123Label(p.name)));
      if (names.has(p.name)) errs.push(fe.duplicate(`${path}.name`, p.name));
      names.add(p.name);
    }
    errs.push(...each(`${path}.port`, p?.port ?? 0, isValidPortNum(p?.port)));
    errs.push(...enumOf(`${path}.protocol`, p?.protocol, ['SCTP', 'TCP', 'UDP'], true));
    const tp = p?.targetPort;
    if (typeof tp === 'number') errs.push(...each(`${path}.targetPort`, tp, isValidPortNum(tp)));
    else if (typeof tp === 'string') errs.push(...each(`${path}.targetPort`, tp, isValidPortName(tp)));
    if (p?.nodePort) {
      if (spec.type === 'ClusterIP' || spec.type === 'ExternalName') errs.push(fe.forbidden(`${path}.nodePort`, `may not be used when \`type\` is '${spec.type}'`));
      else errs.push(...each(`${path}.nodePort`, p.nodePort, isValidPortNum(p.nodePort)));
    }
  });
  // nodePort + protocol duplicates
  const seenNP = new Set<string>();
  ports.forEach((p: any, i: number) => {
    if (!p?.nodePort) return;
    const k = `${p.nodePort}/${p.protocol ?? 'TCP'}`;
    if (seenNP.has(k)) errs.push(fe.duplicate(`spec.ports[${i}].nodePort`, p.nodePort));
    seenNP.add(k);
  });
  const seenPort = new Set<string>();
  ports.forEach((p: any, i: number) => {
    const k = `${p?.port}/${p?.protocol ?? 'TCP'}`;
    if (seenPort.has(k)) errs.push(fe.duplicate(`spec.ports[${i}]`, { port: p?.port, protocol: p?.protocol ?? 'TCP' }));
    seenPort.add(k);
  });
  arr(spec.clusterIPs).forEach((ip: string, i: number) => {
    if (ip === '' || (ip === 'None' && i === 0)) return;
    const m = ip === 'None' ? ["may only be 'None' for the first entry"] : isValidIP(ip);
    if (m.length) errs.push(fe.invalid(`spec.clusterIPs[${i}]`, ip, m.join(',')));
  });
  if (arr(spec.clusterIPs).length && spec.clusterIP !== spec.clusterIPs[0]) {
    errs.push(fe.invalid('spec.clusterIPs', spec.clusterIPs, 'first value must match `clusterIP`'));
  }
  errs.push(...enumOf('spec.sessionAffinity', spec.sessionAffinity, ['ClientIP', 'None'], true));
  if (spec.sessionAffinity === 'ClientIP') {
    const t = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds;
    if (typeof t === 'number' && !(t > 0 && t <= 86400)) errs.push(fe.invalid('spec.sessionAffinityConfig.clientIP.timeoutSeconds', t, 'must be greater than 0 and less than 86400'));
  } else if (spec.sessionAffinityConfig != null && spec.sessionAffinity === 'None') {
    errs.push(fe.invalid('spec.sessionAffinityConfig', spec.sessionAffinityConfig, `must not be set when session affinity is ${spec.sessionAffinity}`));
  }
  const external = spec.type === 'NodePort' || spec.type === 'LoadBalancer';
  if (spec.externalTrafficPolicy) {
    if (!external) errs.push(fe.invalid('spec.externalTrafficPolicy', spec.externalTrafficPolicy, 'may only be set for externally-accessible services'));
    else errs.push(...enumOf('spec.externalTrafficPolicy', spec.externalTrafficPolicy, ['Cluster', 'Local']));
  } else if (external) {
    errs.push(fe.required('spec.externalTrafficPolicy'));
  }
  if (spec.healthCheckNodePort && !needsHCNodePort(spec)) {
    errs.push(fe.invalid('spec.healthCheckNodePort', spec.healthCheckNodePort, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"));
  }
  if (spec.internalTrafficPolicy) errs.push(...enumOf('spec.internalTrafficPolicy', spec.internalTrafficPolicy, ['Cluster', 'Local']));
  if (spec.ipFamilyPolicy) errs.push(...enumOf('spec.ipFamilyPolicy', spec.ipFamilyPolicy, ['SingleStack', 'PreferDualStack', 'RequireDualStack']));
  arr(spec.ipFamilies).forEach((f: string, i: number) => errs.push(...enumOf(`spec.ipFamilies[${i}]`, f, ['IPv4', 'IPv6'])));
  if (spec.ipFamilyPolicy === 'SingleStack' && arr(spec.ipFamilies).length > 1) {
    errs.push(fe.invalid('spec.ipFamilies', spec.ipFamilies, 'when spec.ipFamilyPolicy is set to `SingleStack`, `ipFamilies` may contain at most 1 entry'));
  }
  if (spec.type !== 'LoadBalancer') {
    if (arr(spec.loadBalancerSourceRanges).length) errs.push(fe.forbidden('spec.loadBalancerSourceRanges', "may only be used when `type` is 'LoadBalancer'"));
    if (spec.loadBalancerClass) errs.push(fe.forbidden('spec.loadBalancerClass', "may only be used when `type` is 'LoadBalancer'"));
    if (spec.allocateLoadBalancerNodePorts != null) errs.push(fe.forbidden('spec.allocateLoadBalancerNodePorts', "may only be used when `type` is 'LoadBalancer'"));
  }
  arr(spec.loadBalancerSourceRanges).forEach((r: string, i: number) => {
    const m = isValidCIDR(String(r).trim());
    if (m.length) errs.push(fe.invalid(`spec.loadBalancerSourceRanges[${i}]`, r, m.join(',')));
  });
  arr(spec.externalIPs).forEach((ip: string, i: number) => {
    const m = isValidIP(ip);
    if (m.length) errs.push(fe.invalid(`spec.externalIPs[${i}]`, ip, m.join(',')));
  });
  errs.push(...validateLabels(spec.selector, 'spec.selector'));
  return errs;
}

function validateServiceUpdate(o: KObject, old: KObject): Errs {
  const a = o.spec ?? {}; const b = old.spec ?? {};
  const errs: Errs = [];
  if (a.type === 'ExternalName' || b.type === 'ExternalName') return errs;
  if (isHeadless(a) && isHeadless(b)) return errs;
  const oldIPs = arr(b.clusterIPs); const newIPs = arr(a.clusterIPs);
  if (oldIPs.length === newIPs.length) {
    oldIPs.forEach((ip: string, i: number) => { if (ip !== newIPs[i]) errs.push(fe.invalid(`spec.clusterIPs[${i}]`, newIPs, 'may not change once set')); });
  } else if (oldIPs.length > newIPs.length) {
    if (newIPs.length === 0) errs.push(fe.invalid('spec.clusterIPs[0]', newIPs, 'primary clusterIP can not be unset'));
    else if (newIPs[0] !== oldIPs[0]) errs.push(fe.invalid('spec.clusterIPs[0]', newIPs, 'may not change once set'));
  } else if (oldIPs.length > 0 && newIPs[0] !== oldIPs[0]) {
    errs.push(fe.invalid('spec.clusterIPs[0]', newIPs, 'may not change once set'));
  }
  if (b.loadBalancerClass && a.type === 'LoadBalancer' && b.type === 'LoadBalancer' && a.loadBalancerClass !== b.loadBalancerClass) {
    errs.push(fe.invalid('spec.loadBalancerClass', a.loadBalancerClass ?? null, 'may not change once set'));
  }
  return errs;
}

export const serviceStrategy = makeStrategy({
  namespaced: true, status: 'subresource', nameFunc: nameIsDNS1035Label,
  // upstream's serviceStatusStrategy keeps spec only
  statusMayChange: ['labels', 'annotations'],
  // upstream's ServiceStatus has a non-pointer LoadBalancer: every new Service shows loadBalancer: {}
  initialStatus: () => ({ loadBalancer: {} }),
  statusUpdate: defaultIPMode,
  defaults: defaultService,
  create: prepareServiceCreate,
  update: prepareServiceUpdate,
  validate: validateService,
  validateUpdate: validateServiceUpdate,
  selectableFields: (o) => ({ 'spec.clusterIP': o.spec?.clusterIP ?? '', 'spec.type': o.spec?.type ?? '' }),
});
