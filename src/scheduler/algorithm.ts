// One scheduling decision (upstream's schedulePod): filter a sample of the nodes, score the
// feasible ones, pick the best (ties broken at random). Pure over the cache: no I/O.
import type { KObject } from '../api/types.js';
import type { SchedulerCache } from './cache.js';
import { runFilters, type FilterStatus } from './filters.js';
import { fitErrorMessage, preFilterMessage } from './fiterror.js';
import type { NodeInfo } from './nodeinfo.js';
import { scoreNodes } from './scores.js';
import { buildState } from './state.js';
import { volumesPreFilter, type VolumeListers } from './volumes.js';

export type ScheduleResult =
  | { node: string; evaluated: number; feasible: number }
  | { node?: undefined; message: string; statuses: Map<string, FilterStatus> };

/** upstream's adaptive percentageOfNodesToScore: all of small clusters, at least 100 nodes, 50% − n/125 (min 5%) */
export function numFeasibleNodesToFind(numAll: number, percentage = 0): number {
  const minFeasible = 100;
  if (numAll < minFeasible) return numAll;
  let pct = percentage;
  if (pct <= 0) pct = Math.max(5, 50 - Math.floor(numAll / 125));
  const n = Math.floor((numAll * pct) / 100);
  return n < minFeasible ? minFeasible : n;
}

export class Algorithm {
  private nextStart = 0;
  constructor(private readonly cache: SchedulerCache, private readonly opts: { percentageOfNodesToScore?: number; random?: () => number; volumes?: VolumeListers } = {}) {}

  schedule(pod: KObject): ScheduleResult {
    const state = buildState(pod, this.cache);
    state.volumes = this.opts.volumes;
    const nodes = state.allNodes;
    const statuses = new Map<string, FilterStatus>();
    if (!nodes.length) return { message: fitErrorMessage(pod, 0, []), statuses };
    // PreFilter: a claim problem holds for every node
    const volumeProblem = state.volumes && volumesPreFilter(pod, state.volumes);
    if (volumeProblem) {
      statuses.set('', { plugin: 'VolumeBinding', reasons: [volumeProblem], unresolvable: true });
      return { message: preFilterMessage(nodes.length, volumeProblem), statuses };
    }
    const want = numFeasibleNodesToFind(nodes.length, this.opts.percentageOfNodesToScore);
    const feasible: NodeInfo[] = [];
    let i = 0;
    for (; i < nodes.length && feasible.length < want; i++) {
      const n = nodes[(this.nextStart + i) % nodes.length];
      const st = runFilters(state, n);
      if (st) statuses.set(n.name, st); else feasible.push(n);
    }
    this.nextStart = (this.nextStart + i) % nodes.length;
    if (!feasible.length) return { message: fitErrorMessage(pod, nodes.length, [...statuses.values()]), statuses };
    if (feasible.length === 1) return { node: feasible[0].name, evaluated: i, feasible: 1 };
    const scores = scoreNodes(state, feasible);
    const rnd = this.opts.random ?? Math.random;
    let best = -Infinity; let pick = 0; let ties = 0;
    for (let k = 0; k < scores.length; k++) {
      if (scores[k] > best) { best = scores[k]; pick = k; ties = 1; }
      else if (scores[k] === best && rnd() * ++ties < 1) pick = k;
    }
    return { node: feasible[pick].name, evaluated: i, feasible: feasible.length };
  }
}
