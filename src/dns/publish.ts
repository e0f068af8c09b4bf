// Publishes the DNS server in the API the way clusters publish CoreDNS: Service kube-system/kube-dns
// with the cluster DNS ClusterIP (ports dns/53/UDP and dns-tcp/53/TCP, no selector), and an
// EndpointSlice and an Endpoints this component manages, pointing at the address and port it really
// listens on (`kubectl get endpoints kube-dns -n kube-system`, as DNS debugging guides ask; the
// Endpoints is labelled skip-mirror, its slice being written here).
import { isIPv6 } from 'node:net';
import type { KObject } from '../api/types.js';
import { isNotFound, type RestClient } from '../client/index.js';

export const servicesResource = { group: '', version: 'v1', plural: 'services', namespaced: true, kind: 'Service' };
export const endpointSlicesResource = { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', namespaced: true, kind: 'EndpointSlice' };
export const endpointsResource = { group: '', version: 'v1', plural: 'endpoints', namespaced: true, kind: 'Endpoints' };

export const dnsNamespace = 'kube-system';
export const dnsServiceName = 'kube-dns';
export const managedBy = 'k8ts-dns';

export interface PublishOptions {
  /** the Service's ClusterIP (the 10th address of the service CIDR) */
  clusterIP: string;
  /** where the server listens */
  address: string;
  port: number;
  nodeName?: string;
  signal?: AbortSignal;
}

/** the cluster DNS IP for a service CIDR's first address (the kubernetes Service's): base + 10 */
export function clusterDnsIP(kubernetesServiceIP: string): string {
  const n = kubernetesServiceIP.split('.').reduce((a, p) => a * 256 + Number(p), 0) - 1 + 10;
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

export function desiredService(o: PublishOptions): KObject {
  return {
    apiVersion: 'v1', kind: 'Service',
    metadata: {
      name: dnsServiceName, namespace: dnsNamespace,
      labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'k8ts-dns' },
    },
    spec: {
      type: 'ClusterIP', clusterIP: o.clusterIP, clusterIPs: [o.clusterIP],
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP', targetPort: o.port },
        { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: o.port },
      ],
    },
  };
}

export function desiredSlice(o: PublishOptions, svc: KObject): KObject {
  return {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: {
      name: dnsServiceName, namespace: dnsNamespace,
      labels: { 'kubernetes.io/service-name': dnsServiceName, 'endpointslice.kubernetes.io/managed-by': managedBy, 'k8s-app': 'kube-dns' },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: dnsServiceName, uid: svc.metadata.uid ?? '', controller: true, blockOwnerDeletion: true }],
    },
    addressType: isIPv6(o.address) ? 'IPv6' : 'IPv4',
    endpoints: [{
      addresses: [o.address], conditions: { ready: true, serving: true, terminating: false },
      ...(o.nodeName ? { nodeName: o.nodeName } : {}),
    }],
    ports: [
      { name: 'dns', port: o.port, protocol: 'UDP' },
      { name: 'dns-tcp', port: o.port, protocol: 'TCP' },
    ],
  };
}

export function desiredEndpoints(o: PublishOptions): KObject {
  return {
    apiVersion: 'v1', kind: 'Endpoints',
    metadata: { name: dnsServiceName, namespace: dnsNamespace, labels: { 'k8s-app': 'kube-dns', 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
    subsets: [{
      addresses: [{ ip: o.address, ...(o.nodeName ? { nodeName: o.nodeName } : {}) }],
      ports: [{ name: 'dns', port: o.port, protocol: 'UDP' }, { name: 'dns-tcp', port: o.port, protocol: 'TCP' }],
    }],
  };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const portsView = (ports: any[] = []) => ports.map((p) => [p.name, p.port, p.protocol, p.targetPort]);

/**
 * Creates or repairs the Service and the EndpointSlice (level-based: unchanged objects are left
 * alone). Returns the log lines of what it changed.
 */
export async function publishKubeDns(client: RestClient, o: PublishOptions): Promise<string[]> {
  const done: string[] = [];
  const want = desiredService(o);
  let svc = await client.get(servicesResource, dnsServiceName, { namespace: dnsNamespace, signal: o.signal }).catch((e) => { if (isNotFound(e)) return undefined; throw e; });
  if (!svc) {
    svc = await client.create(servicesResource, want, { namespace: dnsNamespace, fieldManager: managedBy, signal: o.signal });
    done.push(`created Service ${dnsNamespace}/${dnsServiceName} (${o.clusterIP})`);
  } else {
    if (svc.spec?.clusterIP !== o.clusterIP) done.push(`Service ${dnsNamespace}/${dnsServiceName} has clusterIP ${svc.spec?.clusterIP}, not ${o.clusterIP}; pods' resolv.conf points at ${o.clusterIP}`);
    if (!same(portsView(svc.spec?.ports), portsView(want.spec.ports)) || svc.spec?.selector) {
      const next = structuredClone(svc);
      next.spec.ports = want.spec.ports;
      delete next.spec.selector;
      svc = await client.update(servicesResource, next, { namespace: dnsNamespace, fieldManager: managedBy, signal: o.signal });
      done.push(`updated Service ${dnsNamespace}/${dnsServiceName} ports (targetPort ${o.port})`);
    }
  }
  const wantSlice = desiredSlice(o, svc!);
  const slice = await client.get(endpointSlicesResource, dnsServiceName, { namespace: dnsNamespace, signal: o.signal }).catch((e) => { if (isNotFound(e)) return undefined; throw e; });
  if (!slice) {
    await client.create(endpointSlicesResource, wantSlice, { namespace: dnsNamespace, fieldManager: managedBy, signal: o.signal });
    done.push(`created EndpointSlice ${dnsNamespace}/${dnsServiceName} (${o.address}:${o.port})`);
  } else {
    const view = (s: KObject) => [s.addressType, s.endpoints, s.ports, s.metadata.labels, s.metadata.ownerReferences?.map((r: any) => r.uid)];
    if (!same(view(slice), view(wantSlice))) {
      const next = { ...wantSlice, metadata: { ...slice.metadata, labels: wantSlice.metadata.labels, ownerReferences: wantSlice.metadata.ownerReferences } };
      await client.update(endpointSlicesResource, next, { namespace: dnsNamespace, fieldManager: managedBy, signal: o.signal });
      done.push(`updated EndpointSlice ${dnsNamespace}/${dnsServiceName} (${o.address}:${o.port})`);
    }
  }
  const wantEp = desiredEndpoints(o);
  const ep = await client.get(endpointsResource, dnsServiceName, { namespace: dnsNamespace, signal: o.signal }).catch((e) => { if (isNotFound(e)) return undefined; throw e; });
  if (!ep) {
    await client.create(endpointsResource, wantEp, { namespace: dnsNamespace, fieldManager: managedBy, signal: o.signal });
    done.push(`created Endpoints ${dnsNamespace}/${dnsServiceName}`);
  } else if (!same([ep.subsets, ep.metadata.labels], [wantEp.subsets, wantEp.metadata.labels])) {
    await client.update(endpointsResource, { ...wantEp, metadata: { ...ep.metadata, labels: wantEp.metadata.labels } }, { namespace: dnsNamespace, fieldManager: managedBy, signal: o.signal });
    done.push(`updated Endpoints ${dnsNamespace}/${dnsServiceName}`);
  }
  return done;
}
