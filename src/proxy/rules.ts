// The nftables ruleset, as kube-proxy's nftables mode lays it out (pure text generation):
// base chains hook prerouting/output (nat, -100) into `services`, which looks the destination up in
// verdict maps (service-ips: ip . proto . port, service-nodeports: proto . port) and jumps to one
// chain per service port; that chain picks an endpoint chain with `numgen random`, and the
// endpoint chain DNATs. Masquerading is a mark (0x4000) applied in postrouting. Filter chains
// reject service ports without endpoints and drop anything else addressed to the service CIDR.
import { createHash } from 'node:crypto';
import type { ServicePortInfo } from './model.js';

export const masqMark = '0x4000';
/** marks for masquerade in place (upstream jumps to mark-for-masquerade; thousands of jumps cost the kernel's loop checks) */
const markMasq = `meta mark set meta mark or ${masqMark}`;

export interface RulesConfig {
  /** nftables table name (family inet) */
  table: string;
  serviceCIDR: string;
  /** traffic from outside this range to a ClusterIP is masqueraded */
  clusterCIDR: string;
  /**
   * this node's pod range: pod traffic to ClusterIPs is taken from here only (matched by source, as
   * br_netfilter shows bridged packets with the bridge port as input), so clusters sharing a host
   * do not take each other's pods' traffic
   */
  podCIDR: string;
  /** addresses that accept NodePort traffic (node IP, 127.0.0.1) */
  nodePortIPs: string[];
}

/** one service's share of the ruleset: its chains (name -> rules), sets and map elements */
export interface Program {
  chains: Map<string, string[]>;
  sets: Map<string, string>;
  /** "map|key" -> value ('' for set elements) */
  elements: Map<string, string>;
}

export const emptyProgram = (): Program => ({ chains: new Map(), sets: new Map(), elements: new Map() });

function hash(s: string): string {
  // base32 of a sha256, 8 characters (as upstream's chain-name prefixes)
  const d = createHash('sha256').update(s).digest();
  const a = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let out = '', bits = 0, v = 0;
  for (const b of d) {
    v = (v << 8) | b; bits += 8;
    while (bits >= 5 && out.length < 8) { out += a[(v >>> (bits - 5)) & 31]; bits -= 5; }
    if (out.length >= 8) break;
  }
  return out;
}

// names are DNS labels, digits and / - _ . : valid nft identifiers without quotes
const q = (name: string) => name;
export const serviceChain = (key: string) => `service-${hash(key)}-${key}`;
export const externalChain = (key: string) => `external-${hash(key)}-${key}`;
export const localChain = (key: string) => `local-${hash(key)}-${key}`;
export const endpointChain = (key: string, ip: string, port: number) => { const k = `${key}__${ip}/${port}`; return `endpoint-${hash(k)}-${k}`; };
export const affinitySet = (key: string, ip: string, port: number) => { const k = `${key}__${ip}/${port}`; return `affinity-${hash(k)}-${k}`; };

/** the table with its sets, maps and base chains, empty of services */
export function baseRuleset(c: RulesConfig): string {
  const t = `inet ${c.table}`;
  const l = [
    `add table ${t} { comment "k8ts service proxy" ; }`,
    `add set ${t} cluster-ips { type ipv4_addr ; comment "Active ClusterIPs" ; }`,
    `add set ${t} nodeport-ips { type ipv4_addr ; comment "IPs that accept NodePort traffic" ; }`,
    `add map ${t} service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "ClusterIP, ExternalIP and LoadBalancer IP traffic" ; }`,
    `add map ${t} service-nodeports { type inet_proto . inet_service : verdict ; comment "NodePort traffic" ; }`,
    `add map ${t} no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict ; comment "reject packets to services with no endpoints" ; }`,
    `add map ${t} no-endpoint-nodeports { type inet_proto . inet_service : verdict ; comment "reject packets to service nodeports with no endpoints" ; }`,
    `add chain ${t} filter-prerouting-pre-dnat { type filter hook prerouting priority -110 ; }`,
    `add chain ${t} filter-forward { type filter hook forward priority 0 ; }`,
    `add chain ${t} filter-input { type filter hook input priority 0 ; }`,
    `add chain ${t} filter-output { type filter hook output priority 0 ; }`,
    `add chain ${t} nat-prerouting { type nat hook prerouting priority -100 ; }`,
    `add chain ${t} nat-output { type nat hook output priority -100 ; }`,
    `add chain ${t} nat-postrouting { type nat hook postrouting priority 100 ; }`,
    `add chain ${t} services`,
    `add chain ${t} masquerading`,
    `add chain ${t} service-endpoints-check`,
    `add chain ${t} nodeport-endpoints-check`,
    `add chain ${t} cluster-ips-check`,
    `add chain ${t} reject-chain { comment "helper for @no-endpoint-services / @no-endpoint-nodeports" ; }`,
    // route_localnet is on for the bridge (NodePorts on 127.0.0.1): nothing may arrive from outside addressed to loopback
    `add rule ${t} filter-prerouting-pre-dnat iifname != "lo" ip daddr 127.0.0.0/8 drop`,
    // after DNAT: whatever still goes to a service address was not taken by any service
    `add rule ${t} filter-forward ct state new jump service-endpoints-check`,
    `add rule ${t} filter-forward ct state new jump cluster-ips-check`,
    `add rule ${t} filter-input ct state new jump nodeport-endpoints-check`,
    `add rule ${t} filter-input ct state new jump service-endpoints-check`,
    `add rule ${t} filter-output ct state new jump service-endpoints-check`,
    `add rule ${t} filter-output ct state new jump cluster-ips-check`,
    `add rule ${t} nat-prerouting ip saddr ${c.podCIDR} jump services`,
    `add rule ${t} nat-prerouting ip daddr @nodeport-ips jump services`,
    `add rule ${t} nat-output jump services`,
    `add rule ${t} nat-postrouting jump masquerading`,
    `add rule ${t} services ip daddr . meta l4proto . th dport vmap @service-ips`,
    `add rule ${t} services ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports`,
    `add rule ${t} masquerading mark and ${masqMark} == 0 return`,
    `add rule ${t} masquerading mark set mark xor ${masqMark}`,
    `add rule ${t} masquerading masquerade fully-random`,
    `add rule ${t} service-endpoints-check ip daddr . meta l4proto . th dport vmap @no-endpoint-services`,
    `add rule ${t} nodeport-endpoints-check ip daddr @nodeport-ips meta l4proto . th dport vmap @no-endpoint-nodeports`,
    // TCP is refused with a reset: the ICMP error a bare reject sends reaches a pod's connect only
    // with its first SYN retransmission, a second later
    `add rule ${t} cluster-ips-check ip daddr @cluster-ips meta l4proto tcp reject with tcp reset comment "Reject traffic to invalid ports of ClusterIPs"`,
    `add rule ${t} cluster-ips-check ip daddr @cluster-ips reject comment "Reject traffic to invalid ports of ClusterIPs"`,
    `add rule ${t} cluster-ips-check ip daddr ${c.serviceCIDR} counter drop comment "Drop traffic to unallocated ClusterIPs"`,
    `add rule ${t} reject-chain meta l4proto tcp reject with tcp reset`,
    `add rule ${t} reject-chain reject`,
  ];
  if (c.nodePortIPs.length) l.push(`add element ${t} nodeport-ips { ${c.nodePortIPs.join(', ')} }`);
  return l.join('\n') + '\n';
}

/**
 * the addresses external traffic to a port arrives at: its externalIPs and load-balancer IPs, and
 * the node's loopback addresses when a load-balancer IP is the node's own (as k3s's ServiceLB,
 * whose hostPorts also answer on localhost)
 */
function externalAddresses(c: RulesConfig, sp: ServicePortInfo): string[] {
  const onNode = (sp.loadBalancerIPs ?? []).some((ip) => c.nodePortIPs.includes(ip));
  return onNode ? [...new Set([...sp.externalIPs, ...c.nodePortIPs.filter((ip) => ip.startsWith('127.'))])] : sp.externalIPs;
}

/** the chains, sets and elements of one Service (all its ports) */
export function serviceProgram(c: RulesConfig, ports: ServicePortInfo[]): Program {
  const p = emptyProgram();
  for (const sp of ports) {
    p.elements.set(`cluster-ips|${sp.clusterIP}`, '');
    const proto = sp.protocol;
    if (!sp.endpoints.length) {
      p.elements.set(`no-endpoint-services|${sp.clusterIP} . ${proto} . ${sp.port}`, 'goto reject-chain');
      for (const ip of externalAddresses(c, sp)) p.elements.set(`no-endpoint-services|${ip} . ${proto} . ${sp.port}`, 'goto reject-chain');
      if (sp.nodePort) p.elements.set(`no-endpoint-nodeports|${proto} . ${sp.nodePort}`, 'goto reject-chain');
      continue;
    }
    const svc = serviceChain(sp.key);
    const rules = [`ip daddr ${sp.clusterIP} ip saddr != ${c.clusterCIDR} ${markMasq}`];
    const eps = sp.endpoints.map((e) => ({ ...e, chain: endpointChain(sp.key, e.ip, e.port), set: affinitySet(sp.key, e.ip, e.port) }));
    if (sp.affinityTimeout !== undefined) {
      for (const e of eps) {
        p.sets.set(e.set, `{ type ipv4_addr ; flags dynamic,timeout ; timeout ${sp.affinityTimeout}s ; }`);
        rules.push(`ip saddr @${q(e.set)} goto ${q(e.chain)}`);
      }
    }
    // the endpoint at random: each rule takes 1/(endpoints left) of what reaches it. Upstream uses one
    // `numgen random mod N vmap { ... }`, but every such anonymous map costs the kernel a scan of the
    // table's sets (quadratic over thousands of services)
    eps.forEach((e, i) => rules.push(i === eps.length - 1 ? `goto ${q(e.chain)}` : `numgen random mod ${eps.length - i} == 0 goto ${q(e.chain)}`));
    p.chains.set(svc, rules);
    for (const e of eps) {
      const r = [`ip saddr ${e.ip} ${markMasq}`];
      if (sp.affinityTimeout !== undefined) r.push(`update @${q(e.set)} { ip saddr }`);
      r.push(`meta l4proto ${proto} dnat ip to ${e.ip}:${e.port}`);
      p.chains.set(e.chain, r);
    }
    p.elements.set(`service-ips|${sp.clusterIP} . ${proto} . ${sp.port}`, `goto ${q(svc)}`);
    if (sp.externalIPs.length || sp.nodePort) {
      const ext = externalChain(sp.key);
      if (!sp.externalLocal) {
        // Cluster policy: traffic from outside the cluster's view (NodePort, LoadBalancer) is masqueraded
        p.chains.set(ext, [markMasq, `goto ${q(svc)}`]);
      } else {
        // Local policy (as upstream): pods and the host itself still use every endpoint; outside
        // clients keep their source address and reach only this node's endpoints, or are dropped
        const local = eps.filter((e) => e.local);
        const rules = [
          `ip saddr ${c.clusterCIDR} goto ${q(svc)}`,
          `fib saddr type local ${markMasq}`,
          `fib saddr type local goto ${q(svc)}`,
        ];
        if (local.length) {
          const lc = localChain(sp.key);
          p.chains.set(lc, local.map((e, i) => (i === local.length - 1 ? `goto ${q(e.chain)}` : `numgen random mod ${local.length - i} == 0 goto ${q(e.chain)}`)));
          rules.push(`goto ${q(lc)}`);
        } else rules.push('drop');
        p.chains.set(ext, rules);
      }
      for (const ip of externalAddresses(c, sp)) p.elements.set(`service-ips|${ip} . ${proto} . ${sp.port}`, `goto ${q(ext)}`);
      if (sp.nodePort) p.elements.set(`service-nodeports|${proto} . ${sp.nodePort}`, `goto ${q(ext)}`);
    }
  }
  return p;
}

function elementLine(verb: 'add' | 'delete', t: string, k: string, v: string): string {
  const [map, key] = k.split('|');
  return `${verb} element ${t} ${map} { ${key}${v && verb === 'add' ? ` : ${v}` : ''} }`;
}

/**
 * The transaction that turns one service's installed program into the wanted one: elements
 * pointing at its chains go first, changed chains are flushed before any is deleted, new
 * elements come last.
 */
export function programDiff(table: string, old: Program, next: Program): string[] {
  const t = `inet ${table}`;
  const l: string[] = [];
  for (const [k, v] of old.elements) if (next.elements.get(k) !== v) l.push(elementLine('delete', t, k, v));
  // a set written anew (its timeout changed) must first lose the rules that refer to it
  const redone = [...old.sets].filter(([n, spec]) => next.sets.get(n) !== spec).map(([n]) => `@${q(n)} `);
  const same = (n: string) => {
    const a = old.chains.get(n), b = next.chains.get(n);
    return !!a && !!b && a.length === b.length && a.every((r, i) => r === b[i] && !redone.some((ref) => r.includes(ref)));
  };
  for (const n of old.chains.keys()) if (!same(n)) l.push(`flush chain ${t} ${q(n)}`);
  for (const n of old.chains.keys()) if (!next.chains.has(n)) l.push(`delete chain ${t} ${q(n)}`);
  for (const [n, spec] of old.sets) if (next.sets.get(n) !== spec) l.push(`delete set ${t} ${q(n)}`);
  for (const [n, spec] of next.sets) if (old.sets.get(n) !== spec) l.push(`add set ${t} ${q(n)} ${spec}`);
  // every chain exists before any rule refers to it
  for (const n of next.chains.keys()) if (!old.chains.has(n)) l.push(`add chain ${t} ${q(n)}`);
  for (const [n, rules] of next.chains) if (!same(n)) for (const r of rules) l.push(`add rule ${t} ${q(n)} ${r}`);
  for (const [k, v] of next.elements) if (old.elements.get(k) !== v) l.push(elementLine('add', t, k, v));
  return l;
}

/** the whole table in one transaction: created if missing, deleted, then written anew */
export function fullRuleset(c: RulesConfig, programs: Iterable<Program>): string {
  const t = `inet ${c.table}`;
  const l = [`add table ${t}`, `delete table ${t}`, baseRuleset(c).trimEnd()];
  for (const p of programs) l.push(...programDiff(c.table, emptyProgram(), p));
  return l.join('\n') + '\n';
}
