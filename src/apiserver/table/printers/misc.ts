// Printers for leases, RBAC bindings, storage classes, PodDisruptionBudgets, PriorityClasses and HorizontalPodAutoscalers.
import { hpaToV2 } from '../../../api/hpa.js';
import type { KObject } from '../../../api/types.js';
import { humanDuration, since } from '../duration.js';
import { ageCol, col, nameCol, type Printer } from '../types.js';
import { cpuQuantity, memoryQuantity, parseQuantity } from '../../../api/validation/quantity.js';

const age = (o: KObject, now: Date) => since(o.metadata.creationTimestamp, now);

export const leasePrinter: Printer = {
  columns: [nameCol(), col('Holder', 'string', 'holderIdentity contains the identity of the holder of a current lease.'), ageCol()],
  print: (o, now) => ({ cells: [o.metadata.name, o.spec?.holderIdentity ?? '', age(o, now)] }),
};

/** rbac.SubjectsStrings: users, groups and "namespace/name" service accounts. */
function subjects(list: any[] | undefined): [string, string, string] {
  const users: string[] = [];
  const groups: string[] = [];
  const sas: string[] = [];
  for (const s of list ?? []) {
    if (s.kind === 'ServiceAccount') sas.push(`${s.namespace ?? ''}/${s.name}`);
    else if (s.kind === 'User') users.push(s.name);
    else if (s.kind === 'Group') groups.push(s.name);
  }
  return [users.join(', '), groups.join(', '), sas.join(', ')];
}

function bindingPrinter(what: string): Printer {
  return {
    columns: [nameCol(), col('Role', 'string', 'RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace.'), ageCol(),
      col('Users', 'string', `Users in the ${what}`, 1), col('Groups', 'string', `Groups in the ${what}`, 1),
      col('ServiceAccounts', 'string', `ServiceAccounts in the ${what}`, 1)],
    print(o, now) {
      const ref = o.roleRef ?? {};
      return { cells: [o.metadata.name, `${ref.kind ?? ''}/${ref.name ?? ''}`, age(o, now), ...subjects(o.subjects)] };
    },
  };
}
export const roleBindingPrinter = bindingPrinter('roleBinding');
export const clusterRoleBindingPrinter = bindingPrinter('clusterRoleBinding');

function isDefaultClass(o: KObject): boolean {
  const a = o.metadata.annotations ?? {};
  return a['storageclass.kubernetes.io/is-default-class'] === 'true' || a['storageclass.beta.kubernetes.io/is-default-class'] === 'true';
}

export const storageClassPrinter: Printer = {
  columns: [nameCol(), col('Provisioner', 'string', 'provisioner indicates the type of the provisioner.'),
    col('ReclaimPolicy', 'string', 'reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class.'),
    col('VolumeBindingMode', 'string', 'volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.'),
    col('AllowVolumeExpansion', 'string', 'allowVolumeExpansion shows whether the storage class allow volume expand.'), ageCol()],
  print(o, now) {
    const name = o.metadata.name + (isDefaultClass(o) ? ' (default)' : '');
    return { cells: [name, o.provisioner ?? '', o.reclaimPolicy ?? 'Delete', o.volumeBindingMode ?? 'Immediate', o.allowVolumeExpansion ?? false, age(o, now)] };
  },
};

export const podDisruptionBudgetPrinter: Printer = {
  columns: [nameCol(), col('Min Available', 'string', 'The minimum number of pods that must be available.'),
    col('Max Unavailable', 'string', 'The maximum number of pods that may be unavailable.'),
    col('Allowed Disruptions', 'integer', 'Calculated number of pods that may be disrupted at this time.'), ageCol()],
  print(o, now) {
    const s = o.spec ?? {};
    const str = (v: unknown) => (v === undefined || v === null ? 'N/A' : String(v));
    return { cells: [o.metadata.name, str(s.minAvailable), str(s.maxUnavailable), o.status?.disruptionsAllowed ?? 0, age(o, now)] };
  },
};

export const priorityClassPrinter: Printer = {
  columns: [nameCol(), col('Value', 'integer', 'value represents the integer value of this priority class.'),
    col('Global-Default', 'boolean', 'globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class.'),
    ageCol(), col('PreemptionPolicy', 'string', 'preemptionPolicy is the Policy for preempting pods with lower priority.')],
  print: (o, now) => ({ cells: [o.metadata.name, o.value ?? 0, o.globalDefault ?? false, age(o, now), o.preemptionPolicy ?? ''] }),
};

/** upstream's formatHPAMetrics: "cpu: 12%/80%" per metric (current from status, in spec order), two at most */
function formatHPAMetrics(specs: any[] | undefined, statuses: any[] | undefined): string {
  if (!specs?.length) return '<none>';
  const st = statuses ?? [];
  const q = (v: unknown) => String(v);
  const list = specs.map((m: any, i: number) => {
    const s = st[i];
    const avgOrValue = (src: any, cur: any) => (src?.target?.averageValue != null
      ? `${cur?.current?.averageValue != null ? q(cur.current.averageValue) : '<unknown>'}/${q(src.target.averageValue)} (avg)`
      : `${cur ? q(cur.current?.value) : '<unknown>'}/${q(src?.target?.value)}`);
    const resource = (src: any, cur: any) => {
      if (src?.target?.averageValue != null) return `${src.name}: ${cur ? q(cur.current?.averageValue) : '<unknown>'}/${q(src.target.averageValue)}`;
      const current = cur?.current?.averageUtilization != null ? `${cur.current.averageUtilization}%` : '<unknown>';
      const target = src?.target?.averageUtilization != null ? `${src.target.averageUtilization}%` : '<auto>';
      return `${src?.name}: ${current}/${target}`;
    };
    switch (m?.type) {
      case 'External': return avgOrValue(m.external, s?.external);
      case 'Object': return avgOrValue(m.object, s?.object);
      case 'Pods': return `${s?.pods ? q(s.pods.current?.averageValue) : '<unknown>'}/${q(m.pods?.target?.averageValue)}`;
      case 'Resource': return resource(m.resource, s?.resource);
      case 'ContainerResource': return resource(m.containerResource, s?.containerResource);
      default: return '<unknown type>';
    }
  });
  return list.length > 2 ? `${list.slice(0, 2).join(', ')} + ${list.length - 2} more...` : list.join(', ');
}

export const horizontalPodAutoscalerPrinter: Printer = {
  columns: [nameCol(), col('Reference', 'string', 'scaleTargetRef points to the target resource to scale, and is used to the pods for which metrics should be collected, as well as to actually change the replica count.'),
    col('Targets', 'string', 'metrics contains the specifications for which to use to calculate the desired replica count (the maximum replica count across all metrics will be used).'),
    col('MinPods', 'string', 'minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down.'),
    col('MaxPods', 'string', 'maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up. It cannot be less that minReplicas.'),
    col('Replicas', 'string', 'currentReplicas is current number of replicas of pods managed by this autoscaler, as last seen by the autoscaler.'), ageCol()],
  print(obj, now) {
    const o = obj.apiVersion === 'autoscaling/v1' ? hpaToV2(obj) : obj;
    const s = o.spec ?? {};
    const ref = s.scaleTargetRef ?? {};
    return {
      cells: [o.metadata.name, `${ref.kind ?? ''}/${ref.name ?? ''}`, formatHPAMetrics(s.metrics, o.status?.currentMetrics),
        s.minReplicas != null ? String(s.minReplicas) : '<unset>', s.maxReplicas ?? 0, o.status?.currentReplicas ?? 0, age(o, now)],
    };
  },
};

/** upstream's extractCSRStatus: Denied / Approved / Pending, then ,Failed and ,Issued */
function csrCondition(o: KObject): string {
  const types = new Set((o.status?.conditions ?? []).map((c: any) => c.type));
  let s = types.has('Denied') ? 'Denied' : types.has('Approved') ? 'Approved' : 'Pending';
  if (types.has('Failed')) s += ',Failed';
  if (o.status?.certificate) s += ',Issued';
  return s;
}

export const certificateSigningRequestPrinter: Printer = {
  columns: [nameCol(), ageCol(), col('SignerName', 'string', 'Only one signer for the request is supported.'),
    col('Requestor', 'string', 'Name of the user who requested the certificate.'),
    col('RequestedDuration', 'string', 'The requested duration of the certificate.'), col('Condition', 'string', 'The condition of the certificate.')],
  print: (o, now) => ({
    cells: [o.metadata.name, age(o, now), o.spec?.signerName || '<none>', o.spec?.username ?? '',
      o.spec?.expirationSeconds != null ? humanDuration(o.spec.expirationSeconds * 1000) : '<none>', csrCondition(o)],
  }),
};

/** upstream's printComponentStatus: the Healthy condition's status, message and error */
export const componentStatusPrinter: Printer = {
  columns: [nameCol(), col('Status', 'string', 'Status of the component conditions'), col('Message', 'string', 'Message of the component conditions'),
    col('Error', 'string', 'Error of the component conditions')],
  print(o) {
    const c = (o.conditions ?? []).find((x: any) => x.type === 'Healthy');
    const st = !c ? 'Unknown' : c.status === 'True' ? 'Healthy' : c.status === 'False' ? 'Unhealthy' : 'Unknown';
    return { cells: [o.metadata.name, st, c?.message ?? '', c?.error ?? ''] };
  },
};

/** metrics-server's table for NodeMetrics and PodMetrics (a pod's usage summed over its containers) */
export const resourceMetricsPrinter: Printer = {
  columns: [nameCol(), col('CPU', 'string', 'CPU usage'), col('Memory', 'string', 'Memory usage'), col('Window', 'string', 'Interval in which metrics are reported')],
  print(o) {
    const usage = o.usage ?? sumUsage(o.containers ?? []);
    return { cells: [o.metadata.name, usage.cpu ?? '', usage.memory ?? '', o.window ?? ''] };
  },
};

function sumUsage(containers: any[]): { cpu: string; memory: string } {
  let nano = 0, bytes = 0;
  for (const c of containers) {
    nano += (parseQuantity(c.usage?.cpu) ?? 0) * 1e9;
    bytes += parseQuantity(c.usage?.memory) ?? 0;
  }
  return { cpu: cpuQuantity(nano), memory: memoryQuantity(bytes) };
}

/** kube-aggregator's APIService table: "Local" or the Service, and the Available condition ("False (ServiceNotFound)") */
export const apiServicePrinter: Printer = {
  columns: [nameCol(), col('Service', 'string', 'The reference to the service that hosts this API endpoint.'), col('Available', 'string', 'Whether this service is available.'), ageCol()],
  print: (o, now) => {
    const svc = o.spec?.service;
    const c = (o.status?.conditions ?? []).find((x: any) => x.type === 'Available');
    const available = !c ? 'Unknown' : c.status !== 'True' && c.reason ? `${c.status} (${c.reason})` : c.status;
    return { cells: [o.metadata.name, svc ? `${svc.namespace}/${svc.name}` : 'Local', available, age(o, now)] };
  },
};
