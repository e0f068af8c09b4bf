// Priority admission (upstream plugin/pkg/admission/priority): a new pod's priorityClassName is
// resolved to spec.priority and spec.preemptionPolicy (the global default class, or 0, when it
// names none); a pod may not set a priority of its own that disagrees. At most one PriorityClass
// may be the global default.
import { errors } from '../../api/status.js';
import type { KObject } from '../../api/types.js';

const pods = { group: '', resource: 'pods' };
const priorityClasses = { group: 'scheduling.k8s.io', resource: 'priorityclasses' };

/** the global default class (the highest value when several claim it), if any */
function defaultClass(classes: KObject[]): KObject | undefined {
  let best: KObject | undefined;
  for (const c of classes) if (c.globalDefault === true && (!best || (c.value ?? 0) > (best.value ?? 0))) best = c;
  return best;
}

export function admitPodPriority(pod: KObject, classes: KObject[]): void {
  const spec = pod.spec;
  if (!spec || typeof spec !== 'object') return;
  const name = pod.metadata.name ?? '';
  let priority = 0;
  let policy = 'PreemptLowerPriority';
  if (!spec.priorityClassName) {
    const d = defaultClass(classes);
    if (d) { spec.priorityClassName = d.metadata.name; priority = d.value ?? 0; policy = d.preemptionPolicy ?? policy; }
  } else {
    const c = classes.find((pc) => pc.metadata.name === spec.priorityClassName);
    if (!c) throw errors.forbidden(pods, name, `no PriorityClass with name ${spec.priorityClassName} was found`);
    priority = c.value ?? 0;
    policy = c.preemptionPolicy ?? policy;
  }
  if (spec.priority != null && spec.priority !== priority) {
    throw errors.forbidden(pods, name, `the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${priority} from the given PriorityClass name`);
  }
  if (spec.preemptionPolicy != null && spec.preemptionPolicy !== policy) {
    throw errors.forbidden(pods, name, `the string value of PreemptionPolicy (${spec.preemptionPolicy}) must not be provided in pod spec; priority admission controller computed ${policy} from the given PriorityClass name`);
  }
  spec.priority = priority;
  spec.preemptionPolicy = policy;
}

/** a class marked globalDefault, when another one already is */
export function admitPriorityClass(pc: KObject, classes: KObject[]): void {
  if (pc.globalDefault !== true) return;
  const other = classes.find((c) => c.globalDefault === true && c.metadata.name !== pc.metadata.name);
  if (other) throw errors.forbidden(priorityClasses, pc.metadata.name ?? '', `PriorityClass ${other.metadata.name} is already marked as default. Only one default can exist`);
}
