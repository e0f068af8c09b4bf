// Printers for networking.k8s.io/v1 (ingresses, ingressclasses, networkpolicies) and discovery.k8s.io/v1 endpointslices.
import type { KObject } from '../../../api/types.js';
import { since } from '../duration.js';
import { formatLabelSelector, listWithMore, loadBalancerStatus } from '../format.js';
import { ageCol, col, nameCol, type Printer } from '../types.js';

const age = (o: KObject, now: Date) => since(o.metadata.creationTimestamp, now);

function formatHosts(rules: any[] | undefined): string {
  const rs = rules ?? [];
  const list: string[] = [];
  let more = false;
  for (const r of rs) {
    if (list.length === 3) more = true;
    if (!more && r.host) list.push(r.host);
  }
  if (list.length === 0) return '*';
  return more ? `${list.join(',')} + ${rs.length - 3} more...` : list.join(',');
}

export const ingressPrinter: Printer = {
  columns: [nameCol(), col('Class', 'string', 'The name of the IngressClass resource that should be used for additional configuration'),
    col('Hosts', 'string', 'Hosts that incoming requests are matched against before the ingress rule'),
    col('Address', 'string', 'Address is a list containing ingress points for the load-balancer'),
    col('Ports', 'string', 'Ports of TLS configurations that open'), ageCol()],
  print(o, now) {
    const spec = o.spec ?? {};
    return {
      cells: [o.metadata.name, spec.ingressClassName ?? '<none>', formatHosts(spec.rules), loadBalancerStatus(o.status?.loadBalancer),
        (spec.tls ?? []).length ? '80, 443' : '80', age(o, now)],
    };
  },
};

export const ingressClassPrinter: Printer = {
  columns: [nameCol(), col('Controller', 'string', 'Controller that is responsible for handling this class'),
    col('Parameters', 'string', 'A reference to a resource with additional parameters'), ageCol()],
  print(o, now) {
    const p = o.spec?.parameters;
    let params = '<none>';
    if (p) params = `${p.kind ?? ''}${p.apiGroup != null ? '.' + p.apiGroup : ''}/${p.name ?? ''}`;
    return { cells: [o.metadata.name, o.spec?.controller ?? '', params, age(o, now)] };
  },
};

export const networkPolicyPrinter: Printer = {
  columns: [nameCol(), col('Pod-Selector', 'string', 'Selects the pods to which this NetworkPolicy object applies.'), ageCol()],
  print: (o, now) => ({ cells: [o.metadata.name, formatLabelSelector(o.spec?.podSelector ?? {}), age(o, now)] }),
};

export const endpointSlicePrinter: Printer = {
  columns: [nameCol(), col('AddressType', 'string', 'addressType specifies the type of address carried by this EndpointSlice.'),
    col('Ports', 'string', 'ports specifies the list of network ports exposed by each endpoint in this slice.'),
    col('Endpoints', 'string', 'endpoints is a list of unique endpoints in this slice.'), ageCol()],
  print(o, now) {
    const ports = (o.ports ?? []).map((p: any) => (typeof p.port === 'number' ? String(p.port) : p.name != null ? p.name : '*'));
    const addrs = (o.endpoints ?? []).flatMap((e: any) => e.addresses ?? []);
    return { cells: [o.metadata.name, o.addressType ?? '', listWithMore(ports), listWithMore(addrs), age(o, now)] };
  },
};
