// Printers for apps/v1: deployments, replicasets, statefulsets, daemonsets, controllerrevisions.
import type { KObject } from '../../../api/types.js';
import { since } from '../duration.js';
import { containerCells, formatLabelSelector, formatLabels, int, selectorString } from '../format.js';
import { ageCol, col, containersCol, imagesCol, nameCol, type Printer } from '../types.js';

const age = (o: KObject, now: Date) => since(o.metadata.creationTimestamp, now);
const tmplContainers = (o: KObject) => containerCells(o.spec?.template?.spec?.containers);

export const deploymentPrinter: Printer = {
  columns: [nameCol(), col('Ready', 'string', 'Number of the pod with ready state'),
    col('Up-to-date', 'string', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.'),
    col('Available', 'string', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'),
    ageCol(), containersCol(), imagesCol(), col('Selector', 'string', 'Label selector for pods.', 1)],
  print(o, now) {
    const [names, images] = tmplContainers(o);
    const sel = selectorString(o.spec?.selector);
    return {
      cells: [o.metadata.name, `${int(o.status?.readyReplicas)}/${int(o.spec?.replicas)}`, int(o.status?.updatedReplicas),
        int(o.status?.availableReplicas), age(o, now), names, images, sel === undefined ? '<invalid>' : sel],
    };
  },
};

export const replicaSetPrinter: Printer = {
  columns: [nameCol(), col('Desired', 'integer', 'Replicas is the number of desired replicas.'),
    col('Current', 'integer', 'Replicas is the most recently observed number of replicas.'),
    col('Ready', 'integer', 'The number of ready replicas for this replica set.'), ageCol(), containersCol(), imagesCol(),
    col('Selector', 'string', 'Selector is a label query over pods that should match the replica count.', 1)],
  print(o, now) {
    const [names, images] = tmplContainers(o);
    return {
      cells: [o.metadata.name, int(o.spec?.replicas), int(o.status?.replicas), int(o.status?.readyReplicas), age(o, now),
        names, images, formatLabelSelector(o.spec?.selector)],
    };
  },
};

export const statefulSetPrinter: Printer = {
  columns: [nameCol(), col('Ready', 'string', 'Number of the pod with ready state'), ageCol(), containersCol(), imagesCol()],
  print(o, now) {
    const [names, images] = tmplContainers(o);
    return { cells: [o.metadata.name, `${int(o.status?.readyReplicas)}/${int(o.spec?.replicas)}`, age(o, now), names, images] };
  },
};

export const daemonSetPrinter: Printer = {
  columns: [nameCol(), col('Desired', 'integer', 'The total number of nodes that should be running the daemon pod.'),
    col('Current', 'integer', 'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.'),
    col('Ready', 'integer', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.'),
    col('Up-to-date', 'integer', 'The total number of nodes that are running updated daemon pod'),
    col('Available', 'integer', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available.'),
    col('Node Selector', 'string', 'NodeSelector is a selector which must be true for the pod to fit on a node.'), ageCol(), containersCol(), imagesCol(),
    col('Selector', 'string', 'A label query over pods that are managed by the daemon set.', 1)],
  print(o, now) {
    const s = o.status ?? {};
    const [names, images] = tmplContainers(o);
    return {
      cells: [o.metadata.name, int(s.desiredNumberScheduled), int(s.currentNumberScheduled), int(s.numberReady), int(s.updatedNumberScheduled),
        int(s.numberAvailable), formatLabels(o.spec?.template?.spec?.nodeSelector), age(o, now), names, images, formatLabelSelector(o.spec?.selector)],
    };
  },
};

export const controllerRevisionPrinter: Printer = {
  columns: [nameCol(), col('Controller', 'string', 'Controller of the object'), col('Revision', 'string', 'Revision indicates the revision of the state represented by Data.'), ageCol()],
  print(o, now) {
    const ref = (o.metadata.ownerReferences ?? []).find((r) => r.controller === true);
    let controller = '<none>';
    if (ref) {
      const slash = ref.apiVersion.indexOf('/');
      const group = slash >= 0 ? ref.apiVersion.slice(0, slash) : '';
      const gk = group ? `${ref.kind}.${group}` : ref.kind;
      controller = gk ? `${gk.toLowerCase()}/${ref.name}` : ref.name;
    }
    return { cells: [o.metadata.name, controller, int(o.revision), age(o, now)] };
  },
};
