// Printers for leases, RBAC bindings, storage classes, and policy/scheduling kinds that may be served later.
import type { KObject } from '../../../api/types.js';
import { since } from '../duration.js';
import { ageCol, col, nameCol, type Printer } from '../types.js';

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
