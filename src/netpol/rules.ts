// NetworkPolicy as nftables rules (what k3s's embedded network policy controller enforces with
// iptables): a pod that some policy selects for Ingress (Egress) accepts new connections only from
// (to) the peers and ports of the rules of the policies that select it; replies always pass. Peers
// are pods by podSelector in the policy's namespace, pods of the namespaces a namespaceSelector
// picks (both: pods matching in those namespaces), or ipBlocks with their excepts; named ports are
// resolved on the pods serving them. Pure: pods, namespaces, policies in, one nft script out.
import type { KObject } from '../api/types.js';
import { fromLabelSelector, matches } from '../api/labels.js';

export interface NetpolInput { table: string; pods: KObject[]; namespaces: KObject[]; policies: KObject[] }

interface PodInfo { ip: string; ns: string; labels: Record<string, string>; ports: { name?: string; port: number; protocol: string }[] }

const selects = (sel: unknown, labels: Record<string, string>) => sel != null && matches(fromLabelSelector(sel as any), labels);

function podInfos(pods: KObject[]): PodInfo[] {
  return pods.filter((p) => p.status?.podIP && !p.spec?.hostNetwork && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed' && !/:/.test(p.status.podIP))
    .map((p) => ({
      ip: p.status!.podIP, ns: p.metadata.namespace ?? '', labels: p.metadata.labels ?? {},
      ports: (p.spec?.containers ?? []).flatMap((c: any) => (c.ports ?? []).map((cp: any) => ({ name: cp.name, port: cp.containerPort, protocol: cp.protocol ?? 'TCP' }))),
    }));
}

/** the IPs (or CIDR matches) one peer of a rule stands for */
function peerMatch(peer: any, policyNs: string, pods: PodInfo[], nsLabels: Map<string, Record<string, string>>, dir: 'saddr' | 'daddr'): { ips?: PodInfo[]; cidr?: string } | undefined {
  if (peer?.ipBlock?.cidr) {
    const except: string[] = peer.ipBlock.except ?? [];
    return { cidr: `ip ${dir} ${peer.ipBlock.cidr}${except.length ? ` ip ${dir} != { ${except.join(', ')} }` : ''}` };
  }
  if (peer?.podSelector == null && peer?.namespaceSelector == null) return undefined;
  const inNs = (ns: string) => (peer.namespaceSelector != null ? selects(peer.namespaceSelector, nsLabels.get(ns) ?? {}) : ns === policyNs);
  return { ips: pods.filter((p) => inNs(p.ns) && (peer.podSelector == null || selects(peer.podSelector, p.labels))) };
}

/** nft matches for one NetworkPolicyPort, the named port resolved on `on` (the pods the traffic goes to) */
function portMatches(pp: any, on: PodInfo[]): { match: string; to?: PodInfo[] }[] {
  const proto = String(pp?.protocol ?? 'TCP').toLowerCase();
  if (pp?.port == null) return [{ match: `meta l4proto ${proto}` }];
  if (typeof pp.port === 'number') return [{ match: `${proto} dport ${pp.port}${pp.endPort ? `-${pp.endPort}` : ''}` }];
  // a named port: the number each destination pod gives that name
  const byPort = new Map<number, PodInfo[]>();
  for (const p of on) for (const cp of p.ports) if (cp.name === pp.port && cp.protocol.toLowerCase() === proto) byPort.set(cp.port, [...(byPort.get(cp.port) ?? []), p]);
  return [...byPort].map(([port, to]) => ({ match: `${proto} dport ${port}`, to }));
}

const chainName = (kind: 'ing' | 'egr', ip: string) => `${kind}-${ip.replace(/\./g, '-')}`;
const ipSet = (ps: PodInfo[]) => `{ ${[...new Set(ps.map((p) => p.ip))].join(', ')} }`;

export function netpolRuleset(input: NetpolInput): string {
  const t = `inet ${input.table}`;
  const pods = podInfos(input.pods);
  const nsLabels = new Map(input.namespaces.map((n) => [n.metadata.name!, n.metadata.labels ?? {}]));
  const chains = new Map<string, string[]>();
  const ingress = new Set<string>();
  const egress = new Set<string>();
  for (const pol of input.policies) {
    const ns = pol.metadata.namespace ?? '';
    const spec = pol.spec ?? {};
    const types: string[] = spec.policyTypes?.length ? spec.policyTypes : (spec.egress?.length ? ['Ingress', 'Egress'] : ['Ingress']);
    const selected = pods.filter((p) => p.ns === ns && selects(spec.podSelector ?? {}, p.labels));
    for (const [kind, on] of [['Ingress', 'ing'], ['Egress', 'egr']] as const) {
      if (!types.includes(kind)) continue;
      const rules: any[] = (kind === 'Ingress' ? spec.ingress : spec.egress) ?? [];
      for (const pod of selected) {
        const name = chainName(on, pod.ip);
        (kind === 'Ingress' ? ingress : egress).add(pod.ip);
        const lines = chains.get(name) ?? [];
        chains.set(name, lines);
        for (const r of rules) {
          const peersSpec: any[] = (kind === 'Ingress' ? r?.from : r?.to) ?? [];
          const dir = kind === 'Ingress' ? 'saddr' : 'daddr';
          // the other end: any (no peers), or each peer's pods / CIDR
          const peers = peersSpec.length ? peersSpec.map((p) => peerMatch(p, ns, pods, nsLabels, dir)).filter((p) => p !== undefined) : [{}];
          const portSpecs: any[] = r?.ports?.length ? r.ports : [undefined];
          for (const peer of peers as { ips?: PodInfo[]; cidr?: string }[]) {
            if (peer.ips && !peer.ips.length) continue;
            for (const ps of portSpecs) {
              // ports are the destination's: the selected pod for ingress, the peer pods for egress
              const dest = kind === 'Ingress' ? [pod] : peer.ips ?? [];
              const pms = ps === undefined ? [{ match: '' }] : portMatches(ps, dest);
              for (const pm of pms) {
                const targets = kind === 'Egress' && pm.to ? pm.to : peer.ips;
                const who = peer.cidr ?? (targets ? `ip ${dir} ${ipSet(targets)}` : '');
                if (kind === 'Egress' && pm.to && peer.cidr) continue; // a named port cannot be resolved on a CIDR
                lines.push([who, pm.match, 'return'].filter(Boolean).join(' '));
              }
            }
          }
        }
      }
    }
  }
  const l: string[] = [
    `table ${t} { comment "k8ts network policies" ; }`,
    `delete table ${t}`,
    `table ${t} {`,
    '  map ingress-pods { type ipv4_addr : verdict ; }',
    '  map egress-pods { type ipv4_addr : verdict ; }',
    '  chain forward {',
    '    type filter hook forward priority -10 ; policy accept ;',
    '    ct state established,related accept',
    '    ip daddr vmap @ingress-pods',
    '    ip saddr vmap @egress-pods',
    '  }',
  ];
  for (const [name, lines] of [...chains].sort(([a], [b]) => a.localeCompare(b))) {
    l.push(`  chain ${name} {`, ...[...new Set(lines)].map((x) => `    ${x}`), '    counter drop', '  }');
  }
  l.push('}');
  if (ingress.size) l.push(`add element ${t} ingress-pods { ${[...ingress].map((ip) => `${ip} : jump ${chainName('ing', ip)}`).join(', ')} }`);
  if (egress.size) l.push(`add element ${t} egress-pods { ${[...egress].map((ip) => `${ip} : jump ${chainName('egr', ip)}`).join(', ')} }`);
  return l.join('\n') + '\n';
}
