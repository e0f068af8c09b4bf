// The unschedulable message (upstream's framework.FitError.Error() plus the DefaultPreemption
// PostFilter message): "0/3 nodes are available: 1 node(s) had untolerated taint {gpu: true},
// 2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for
// scheduling, 2 No preemption victims found for incoming pod.."
import type { KObject } from '../api/types.js';
import type { FilterStatus } from './filters.js';

export const noPreemptionVictims = 'No preemption victims found for incoming pod';
export const preemptionNotHelpful = 'Preemption is not helpful for scheduling';

function histogram(items: string[]): string {
  const counts = new Map<string, number>();
  for (const r of items) counts.set(r, (counts.get(r) ?? 0) + 1);
  return [...counts].map(([r, n]) => `${n} ${r}`).sort().join(', ');
}

function nodesAvailable(numAll: number, reasons: string[]): string {
  let msg = `0/${numAll} nodes are available:`;
  const h = histogram(reasons);
  if (h) msg += ` ${h}.`;
  return msg;
}

/**
 * statuses: why each node failed. Preemption is not implemented, so the PostFilter part reports
 * no victims for nodes where it could have helped (as upstream does when nothing has lower priority).
 */
export function fitErrorMessage(pod: KObject, numAllNodes: number, statuses: FilterStatus[]): string {
  let msg = nodesAvailable(numAllNodes, statuses.flatMap((s) => s.reasons));
  let post: string;
  if (pod.spec?.preemptionPolicy === 'Never') post = 'not eligible due to preemptionPolicy=Never.';
  else post = nodesAvailable(statuses.length, statuses.map((s) => (s.unresolvable ? preemptionNotHelpful : noPreemptionVictims)));
  msg += ` preemption: ${post}.`;
  return msg;
}

/** a PreFilter rejection: the one reason for all nodes, and preemption cannot help on any */
export function preFilterMessage(numAllNodes: number, reason: string): string {
  return `0/${numAllNodes} nodes are available: ${reason}. preemption: 0/${numAllNodes} nodes are available: ${numAllNodes} ${preemptionNotHelpful}.`;
}
