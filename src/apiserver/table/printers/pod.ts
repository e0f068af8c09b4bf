// Pod rows: READY, STATUS (the aggregate reason logic of upstream's printPod), RESTARTS with "(5m ago)", AGE; wide IP, NODE, NOMINATED NODE, READINESS GATES.
import type { KObject } from '../../../api/types.js';
import { humanDuration, parseTime, since } from '../duration.js';
import { ageCol, col, nameCol, type Printer, type PrintedRow, type RowCondition } from '../types.js';

const succeeded: RowCondition[] = [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }];
const failed: RowCondition[] = [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }];

function hasCondition(conds: any[] | undefined, type: string): boolean {
  return (conds ?? []).some((c) => c?.type === type && c?.status === 'True');
}

function terminatedReason(t: any, prefix: string): string {
  if (t.reason) return prefix + t.reason;
  if (t.signal) return `${prefix}Signal:${t.signal}`;
  return `${prefix}ExitCode:${t.exitCode ?? 0}`;
}

/** Latest lastState.terminated.finishedAt, as epoch ms (0 = none). */
function laterRestart(current: number, cs: any): number {
  const t = parseTime(cs?.lastState?.terminated?.finishedAt);
  return t !== undefined && t > current ? t : current;
}

export function podRow(pod: KObject, now: Date): PrintedRow {
  const spec = pod.spec ?? {};
  const status = pod.status ?? {};
  const phase: string = status.phase ?? '';
  let reason: string = status.reason || phase;
  for (const c of status.conditions ?? []) {
    if (c?.type === 'PodScheduled' && c?.reason === 'SchedulingGated') reason = 'SchedulingGated';
  }

  let total = (spec.containers ?? []).length;
  let ready = 0;
  let restarts = 0;
  let sidecarRestarts = 0;
  let lastRestart = 0;
  let lastSidecarRestart = 0;

  const initSpecs = new Map<string, any>();
  for (const ic of spec.initContainers ?? []) {
    initSpecs.set(ic.name, ic);
    if (ic.restartPolicy === 'Always') total++;
  }
  const isSidecar = (name: string) => initSpecs.get(name)?.restartPolicy === 'Always';

  let initializing = false;
  const initStatuses: any[] = status.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i];
    const state = cs.state ?? {};
    restarts += cs.restartCount ?? 0;
    lastRestart = laterRestart(lastRestart, cs);
    if (isSidecar(cs.name)) {
      sidecarRestarts += cs.restartCount ?? 0;
      lastSidecarRestart = laterRestart(lastSidecarRestart, cs);
    }
    if (state.terminated && (state.terminated.exitCode ?? 0) === 0) continue;
    if (isSidecar(cs.name) && cs.started === true) {
      if (cs.ready) ready++;
      continue;
    }
    if (state.terminated) {
      reason = terminatedReason(state.terminated, 'Init:');
    } else if (state.waiting?.reason && state.waiting.reason !== 'PodInitializing') {
      reason = 'Init:' + state.waiting.reason;
    } else {
      reason = `Init:${i}/${(spec.initContainers ?? []).length}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || hasCondition(status.conditions, 'Initialized')) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses: any[] = status.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i];
      const state = cs.state ?? {};
      restarts += cs.restartCount ?? 0;
      lastRestart = laterRestart(lastRestart, cs);
      if (state.waiting?.reason) reason = state.waiting.reason;
      else if (state.terminated) reason = terminatedReason(state.terminated, '');
      else if (cs.ready && state.running) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      reason = hasCondition(status.conditions, 'Ready') ? 'Running' : 'NotReady';
    }
  }

  if (pod.metadata.deletionTimestamp && status.reason === 'NodeLost') reason = 'Unknown';
  else if (pod.metadata.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';

  let restartsStr = String(restarts);
  if (restarts !== 0 && lastRestart !== 0) restartsStr = `${restarts} (${humanDuration(now.getTime() - lastRestart)} ago)`;

  const podIP = status.podIPs?.[0]?.ip || status.podIP || '<none>';
  let gates = '<none>';
  const rg: any[] = spec.readinessGates ?? [];
  if (rg.length > 0) {
    let trueCount = 0;
    for (const g of rg) {
      const c = (status.conditions ?? []).find((c: any) => c?.type === g.conditionType);
      if (c?.status === 'True') trueCount++;
    }
    gates = `${trueCount}/${rg.length}`;
  }

  const row: PrintedRow = {
    cells: [pod.metadata.name, `${ready}/${total}`, reason, restartsStr, since(pod.metadata.creationTimestamp, now),
      podIP, spec.nodeName || '<none>', status.nominatedNodeName || '<none>', gates],
  };
  if (phase === 'Succeeded') row.conditions = succeeded;
  else if (phase === 'Failed') row.conditions = failed;
  return row;
}

export const podPrinter: Printer = {
  columns: [
    nameCol(),
    col('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
    col('Status', 'string', 'The aggregate status of the containers in this pod.'),
    col('Restarts', 'string', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
    ageCol(),
    col('IP', 'string', 'IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.', 1),
    col('Node', 'string', 'NodeName indicates in which node this pod is scheduled.', 1),
    col('Nominated Node', 'string', 'nominatedNodeName is set only when this pod preempts other pods on the node.', 1),
    col('Readiness Gates', 'string', 'If specified, all readiness gates will be evaluated for pod readiness.', 1),
  ],
  print: podRow,
};
