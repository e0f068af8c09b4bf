// The cluster zone's answers (Kubernetes DNS-Based Service Discovery spec, CoreDNS kubernetes plugin
// behaviour): Service A/AAAA, headless endpoints, SRV for ports, ExternalName CNAME, PTR, pod A
// records, dns-version TXT, SOA/NS at the apex. Pure: a question and a view in, records out.
import { isIPv4, isIPv6 } from 'node:net';
import type { Answer, Question, SrvAnswer } from 'dns-packet';
import type { KObject } from '../api/types.js';
import { ipFromDashed, ipFromReverse, normalize, relativeLabels } from './names.js';
import { endpointLabel, isHeadless, type ClusterView, type Endpoint } from './view.js';

export interface ZoneOptions {
  /** cluster domain (default cluster.local) */
  zone?: string;
  /** record TTL in seconds (default 5, as CoreDNS's kubernetes plugin) */
  ttl?: number;
}

export type Rcode = 'NOERROR' | 'NXDOMAIN' | 'SERVFAIL' | 'FORMERR' | 'NOTIMP' | 'REFUSED';

export interface ZoneReply {
  rcode: Rcode;
  answers: Answer[];
  authorities: Answer[];
  additionals: Answer[];
}

/** the schema version this server implements (dns-version.<zone> TXT) */
export const schemaVersion = '1.1.0';

/**
 * Answers a question for the cluster zone or a reverse zone. undefined means the name is not ours
 * (outside the zone, or a reverse name of an unknown IP): the caller forwards it upstream.
 */
export function answerQuestion(q: Question, view: ClusterView, opts: ZoneOptions = {}): ZoneReply | undefined {
  const zone = normalize(opts.zone ?? 'cluster.local');
  const ttl = opts.ttl ?? 5;
  const name = normalize(q.name);
  const type = String(q.type);
  const soa = (): Answer => ({
    name: zone, type: 'SOA', ttl,
    data: { mname: `ns.dns.${zone}`, rname: `hostmaster.${zone}`, serial: view.serial, refresh: 7200, retry: 1800, expire: 86400, minimum: ttl },
  });
  const reply = (answers: Answer[], additionals: Answer[] = []): ZoneReply =>
    answers.length ? { rcode: 'NOERROR', answers, authorities: [], additionals } : { rcode: 'NOERROR', answers: [], authorities: [soa()], additionals: [] };
  const nxdomain = (): ZoneReply => ({ rcode: 'NXDOMAIN', answers: [], authorities: [soa()], additionals: [] });
  const wants = (t: string) => type === t || type === 'ANY';
  const addressRecords = (owner: string, ips: string[]): Answer[] => [
    ...(wants('A') ? ips.filter((ip) => isIPv4(ip)).map((ip): Answer => ({ name: owner, type: 'A', ttl, data: ip })) : []),
    ...(wants('AAAA') ? ips.filter((ip) => isIPv6(ip)).map((ip): Answer => ({ name: owner, type: 'AAAA', ttl, data: ip })) : []),
  ];
  const glue = (owner: string, ip: string): Answer => ({ name: owner, type: isIPv6(ip) ? 'AAAA' : 'A', ttl, data: ip });

  const reverseIP = ipFromReverse(name);
  if (reverseIP) {
    const targets = view.ptr(reverseIP);
    if (!targets.length) return undefined;
    return reply(wants('PTR') ? targets.map((t): Answer => ({ name: q.name, type: 'PTR', ttl, data: t })) : []);
  }

  const rel = relativeLabels(name, zone);
  if (!rel) return undefined;
  if (!rel.length) {
    if (type === 'SOA') return reply([soa()]);
    if (type === 'NS') return reply([{ name: q.name, type: 'NS', ttl, data: `ns.dns.${zone}` }]);
    return reply([]);
  }
  if (rel.length === 1 && rel[0] === 'dns-version') {
    return reply(wants('TXT') ? [{ name: q.name, type: 'TXT', ttl, data: [schemaVersion] }] : []);
  }
  const n = rel.length;
  if (n === 2 && rel[0] === 'ns' && rel[1] === 'dns') {
    // the name server named in the SOA and NS records: the kube-dns Service's address
    const dns = view.service('kube-system', 'kube-dns');
    return reply(addressRecords(q.name, (dns?.spec?.clusterIPs ?? [dns?.spec?.clusterIP]).filter((ip: string | undefined) => ip && ip !== 'None')));
  }
  if (rel[n - 1] === 'pod') {
    // pods insecure (k3s's default Corefile): any well-formed dashed IP answers with that IP
    const ip = n === 3 ? ipFromDashed(rel[0]) : undefined;
    if (n === 1 || (n === 2 && view.hasServices(rel[0]))) return reply([]);
    return ip ? reply(addressRecords(q.name, [ip])) : nxdomain();
  }
  if (rel[n - 1] !== 'svc') return nxdomain();
  if (n === 1) return reply([]);
  const ns = rel[n - 2];
  if (n === 2) return view.hasServices(ns) ? reply([]) : nxdomain();
  const svc = view.service(ns, rel[n - 3]);
  if (!svc || n > 5) return nxdomain();
  const svcName = `${rel[n - 3]}.${ns}.svc.${zone}`;

  if (svc.spec?.type === 'ExternalName') {
    // a CNAME stands for the name whatever the type asked; the caller may chase the target
    if (n !== 3) return nxdomain();
    const target = normalize(String(svc.spec.externalName ?? ''));
    return target ? reply([{ name: q.name, type: 'CNAME', ttl, data: target }]) : nxdomain();
  }

  const headless = isHeadless(svc);
  const endpoints = headless || n === 4 ? view.endpoints(svc) : [];
  const clusterIPs = (): string[] => (svc.spec?.clusterIPs ?? [svc.spec?.clusterIP]).filter((ip: string | undefined) => ip && ip !== 'None');

  if (n === 3) {
    // a headless Service without a ready endpoint has no records at all (CoreDNS: errNoItems)
    if (headless && !endpoints.length) return nxdomain();
    if (type === 'SRV') return reply(...srv(svc, undefined, undefined));
    return reply(addressRecords(q.name, headless ? endpoints.map((e) => e.ip) : clusterIPs()));
  }
  if (n === 4) {
    const mine = endpoints.filter((e) => endpointLabel(e) === rel[0]);
    if (!mine.length) return nxdomain();
    return reply(addressRecords(q.name, mine.map((e) => e.ip)));
  }
  // _port._proto.<service>
  if (!rel[0].startsWith('_') || !rel[1].startsWith('_')) return nxdomain();
  const [answers, extra] = srv(svc, rel[0].slice(1), rel[1].slice(1));
  if (!answers.length) return nxdomain();
  return type === 'SRV' ? reply(answers, extra) : reply([]);

  /** SRV records for the Service's ports (named ones only when a port name is asked) */
  function srv(s: KObject, portName: string | undefined, proto: string | undefined): [SrvAnswer[], Answer[]] {
    const match = (p: { name?: string; protocol?: string }) =>
      portName === undefined || ((p.name ?? '').toLowerCase() === portName && (p.protocol ?? 'TCP').toLowerCase() === proto);
    const out: SrvAnswer[] = [];
    const extra: Answer[] = [];
    if (headless) {
      const ports = view.endpointPorts(s).filter((p) => match(p) && (portName === undefined || p.name));
      const byTarget = new Map<string, Endpoint[]>();
      for (const e of endpoints) {
        const target = `${endpointLabel(e)}.${svcName}`;
        byTarget.set(target, [...(byTarget.get(target) ?? []), e]);
      }
      for (const p of ports) {
        for (const target of byTarget.keys()) out.push({ name: q.name, type: 'SRV', ttl, data: { priority: 0, weight: 0, port: p.port, target } });
      }
      if (out.length) for (const [target, eps] of byTarget) for (const e of eps) extra.push(glue(target, e.ip));
    } else {
      for (const p of s.spec?.ports ?? []) {
        if (match(p) && (portName === undefined || p.name)) out.push({ name: q.name, type: 'SRV', ttl, data: { priority: 0, weight: 0, port: p.port, target: svcName } });
      }
      if (out.length) for (const ip of clusterIPs()) extra.push(glue(svcName, ip));
    }
    const weight = Math.max(1, Math.floor(100 / Math.max(1, out.length)));
    for (const a of out) a.data.weight = weight;
    return [out, extra];
  }
}
