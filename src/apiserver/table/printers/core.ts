// Printers for core/v1 kinds other than Pod and Event.
import type { KObject } from '../../../api/types.js';
import { since } from '../duration.js';
import { accessModes, containerCells, formatLabels, int, joinHostPort, loadBalancerStatus } from '../format.js';
import { ageCol, col, containersCol, imagesCol, nameCol, type Printer } from '../types.js';

const age = (o: KObject, now: Date) => since(o.metadata.creationTimestamp, now);

function serviceExternalIP(svc: KObject): string {
  const spec = svc.spec ?? {};
  const ext: string[] = spec.externalIPs ?? [];
  switch (spec.type) {
    case 'ClusterIP':
    case 'NodePort':
      return ext.length ? ext.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerStatus(svc.status?.loadBalancer);
      if (ext.length) return [...(lb ? lb.split(',') : []), ...ext].join(',');
      return lb || '<pending>';
    }
    case 'ExternalName':
      return spec.externalName ?? '';
  }
  return '<unknown>';
}

/** "80/TCP", "80:30080/TCP", comma-joined. */
export function servicePorts(ports: any[] | undefined): string {
  return (ports ?? []).map((p) => {
    const proto = p.protocol ?? 'TCP';
    return p.nodePort > 0 ? `${p.port}:${p.nodePort}/${proto}` : `${p.port}/${proto}`;
  }).join(',');
}

export const servicePrinter: Printer = {
  columns: [nameCol(), col('Type', 'string', 'type determines how the Service is exposed.'),
    col('Cluster-IP', 'string', 'clusterIP is the IP address of the service.'),
    col('External-IP', 'string', 'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.'),
    col('Port(s)', 'string', 'The list of ports that are exposed by this service.'), ageCol(),
    col('Selector', 'string', 'Route service traffic to pods with label keys and values matching this selector.', 1)],
  print(o, now) {
    const spec = o.spec ?? {};
    const clusterIP = spec.clusterIPs?.[0] || spec.clusterIP || '<none>';
    return { cells: [o.metadata.name, spec.type ?? '', clusterIP, serviceExternalIP(o), servicePorts(spec.ports) || '<none>', age(o, now), formatLabels(spec.selector)] };
  },
};

/** formatEndpoints: up to three host:port pairs, then " + N more...". */
export function formatEndpoints(subsets: any[] | undefined): string {
  if (!subsets || subsets.length === 0) return '<none>';
  const list: string[] = [];
  let count = 0;
  for (const ss of subsets) {
    const addrs: any[] = ss.addresses ?? [];
    const ports: any[] = ss.ports ?? [];
    if (ports.length === 0) {
      count += addrs.length;
      for (const a of addrs) { if (list.length === 3) break; list.push(a.ip); }
      continue;
    }
    for (const p of ports) {
      count += addrs.length;
      for (const a of addrs) { if (list.length === 3) break; list.push(joinHostPort(a.ip, p.port)); }
    }
  }
  const ret = list.join(',');
  return count > 3 ? `${ret} + ${count - 3} more...` : ret;
}

export const endpointsPrinter: Printer = {
  columns: [nameCol(), col('Endpoints', 'string', 'The set of all endpoints is the union of all subsets.'), ageCol()],
  print: (o, now) => ({ cells: [o.metadata.name, formatEndpoints(o.subsets), age(o, now)] }),
};

function nodeRoles(labels: Record<string, string> | undefined): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/')) {
      const r = k.slice('node-role.kubernetes.io/'.length);
      if (r) roles.add(r);
    } else if (k === 'kubernetes.io/role' && v) roles.add(v);
  }
  return [...roles].sort().join(',') || '<none>';
}

function nodeAddress(o: KObject, type: string): string {
  return (o.status?.addresses ?? []).find((a: any) => a.type === type)?.address ?? '<none>';
}

export const nodePrinter: Printer = {
  columns: [nameCol(), col('Status', 'string', 'The status of the node'), col('Roles', 'string', 'The roles of the node'), ageCol(),
    col('Version', 'string', 'Kubelet Version reported by the node.'),
    col('Internal-IP', 'string', 'List of addresses reachable to the node.', 1), col('External-IP', 'string', 'List of addresses reachable to the node.', 1),
    col('OS-Image', 'string', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).', 1),
    col('Kernel-Version', 'string', "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1),
    col('Container-Runtime', 'string', 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).', 1)],
  print(o, now) {
    const ready = (o.status?.conditions ?? []).find((c: any) => c.type === 'Ready');
    const status: string[] = [];
    if (ready) status.push(ready.status === 'True' ? 'Ready' : 'NotReady');
    else status.push('Unknown');
    if (o.spec?.unschedulable) status.push('SchedulingDisabled');
    const info = o.status?.nodeInfo ?? {};
    return {
      cells: [o.metadata.name, status.join(','), nodeRoles(o.metadata.labels), age(o, now), info.kubeletVersion ?? '',
        nodeAddress(o, 'InternalIP'), nodeAddress(o, 'ExternalIP'), info.osImage || '<unknown>', info.kernelVersion || '<unknown>',
        info.containerRuntimeVersion || '<unknown>'],
    };
  },
};

export const namespacePrinter: Printer = {
  columns: [nameCol(), col('Status', 'string', 'The status of the namespace'), ageCol()],
  print: (o, now) => ({ cells: [o.metadata.name, o.status?.phase ?? '', age(o, now)] }),
};

export const configMapPrinter: Printer = {
  columns: [nameCol(), col('Data', 'string', 'Data contains the configuration data.'), ageCol()],
  print: (o, now) => ({ cells: [o.metadata.name, Object.keys(o.data ?? {}).length + Object.keys(o.binaryData ?? {}).length, age(o, now)] }),
};

export const secretPrinter: Printer = {
  columns: [nameCol(), col('Type', 'string', 'Used to facilitate programmatic handling of secret data.'), col('Data', 'string', 'Data contains the secret data.'), ageCol()],
  print: (o, now) => ({ cells: [o.metadata.name, o.type ?? '', Object.keys(o.data ?? {}).length, age(o, now)] }),
};

export const serviceAccountPrinter: Printer = {
  columns: [nameCol(), col('Secrets', 'string', 'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.'), ageCol()],
  print: (o, now) => ({ cells: [o.metadata.name, (o.secrets ?? []).length, age(o, now)] }),
};

const storageClassOf = (o: KObject, specClass: unknown): string =>
  o.metadata.annotations?.['volume.beta.kubernetes.io/storage-class'] ?? (typeof specClass === 'string' ? specClass : '');

export const persistentVolumePrinter: Printer = {
  columns: [nameCol(), col('Capacity', 'string', 'capacity is the description of the persistent volume\'s resources and capacity.'),
    col('Access Modes', 'string', 'accessModes contains all ways the volume can be mounted.'),
    col('Reclaim Policy', 'string', 'persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim.'),
    col('Status', 'string', 'phase indicates if a volume is available, bound to a claim, or released by a claim.'),
    col('Claim', 'string', 'claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.'),
    col('StorageClass', 'string', 'StorageClass of the pv'), col('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pv'),
    col('Reason', 'string', 'reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI.'),
    ageCol(), col('VolumeMode', 'string', 'volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.', 1)],
  print(o, now) {
    const spec = o.spec ?? {};
    const claim = spec.claimRef ? `${spec.claimRef.namespace ?? ''}/${spec.claimRef.name ?? ''}` : '';
    const phase = o.metadata.deletionTimestamp ? 'Terminating' : (o.status?.phase ?? '');
    return {
      cells: [o.metadata.name, spec.capacity?.storage ?? '0', accessModes(spec.accessModes), spec.persistentVolumeReclaimPolicy ?? '', phase, claim,
        storageClassOf(o, spec.storageClassName), spec.volumeAttributesClassName ?? '<unset>', o.status?.reason ?? '', age(o, now), spec.volumeMode ?? '<unset>'],
    };
  },
};

export const persistentVolumeClaimPrinter: Printer = {
  columns: [nameCol(), col('Status', 'string', 'phase represents the current phase of PersistentVolumeClaim.'),
    col('Volume', 'string', 'volumeName is the binding reference to the PersistentVolume backing this claim.'),
    col('Capacity', 'string', 'capacity represents the actual resources of the underlying volume.'),
    col('Access Modes', 'string', 'accessModes contains the actual access modes the volume backing the PVC has.'),
    col('StorageClass', 'string', 'StorageClass of the pvc'), col('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pvc'), ageCol(),
    col('VolumeMode', 'string', 'volumeMode defines what type of volume is required by the claim.', 1)],
  print(o, now) {
    const spec = o.spec ?? {};
    const phase = o.metadata.deletionTimestamp ? 'Terminating' : (o.status?.phase ?? '');
    let capacity = '';
    let modes = '';
    if (spec.volumeName) {
      modes = accessModes(o.status?.accessModes);
      capacity = o.status?.capacity?.storage ?? '0';
    }
    return {
      cells: [o.metadata.name, phase, spec.volumeName ?? '', capacity, modes, storageClassOf(o, spec.storageClassName),
        spec.volumeAttributesClassName ?? '<unset>', age(o, now), spec.volumeMode ?? '<unset>'],
    };
  },
};

export const replicationControllerPrinter: Printer = {
  columns: [nameCol(), col('Desired', 'integer', 'Replicas is the number of desired replicas.'), col('Current', 'integer', 'Replicas is the most recently observed number of replicas.'),
    col('Ready', 'integer', 'The number of ready replicas for this replication controller.'), ageCol(), containersCol(), imagesCol(),
    col('Selector', 'string', 'Selector is a label query over pods that should match the Replicas count.', 1)],
  print(o, now) {
    const [names, images] = containerCells(o.spec?.template?.spec?.containers);
    return { cells: [o.metadata.name, int(o.spec?.replicas), int(o.status?.replicas), int(o.status?.readyReplicas), age(o, now), names, images, formatLabels(o.spec?.selector)] };
  },
};

export const podTemplatePrinter: Printer = {
  columns: [nameCol(), containersCol(0), imagesCol(0), col('Pod Labels', 'string', 'The labels for the pod template.')],
  print(o) {
    const [names, images] = containerCells(o.template?.spec?.containers);
    return { cells: [o.metadata.name, names, images, formatLabels(o.template?.metadata?.labels)] };
  },
};

export const resourceQuotaPrinter: Printer = {
  columns: [nameCol(), col('Request', 'string', 'Request represents a minimum amount of cpu/memory that a container may consume.'),
    col('Limit', 'string', 'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.'), ageCol()],
  print(o, now) {
    const hard: Record<string, string> = o.status?.hard ?? {};
    const used: Record<string, string> = o.status?.used ?? {};
    const req: string[] = [];
    const lim: string[] = [];
    for (const r of Object.keys(hard).sort()) {
      const parts = r.split('.');
      (parts.length > 1 && parts[0] === 'limits' ? lim : req).push(`${r}: ${used[r] ?? '0'}/${hard[r]}`);
    }
    return { cells: [o.metadata.name, req.join(', '), lim.join(', '), age(o, now)] };
  },
};
