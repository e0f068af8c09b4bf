// Namespace status conditions kept by the namespace deleter (as upstream's status_condition_utils.go):
// each condition type is always present, True with details while something is wrong, else False.
import { rfc3339 } from '../client/index.js';

export interface NamespaceCondition { type: string; status: 'True' | 'False'; lastTransitionTime?: string; reason?: string; message?: string }

export const conditionTypes = [
  'NamespaceDeletionDiscoveryFailure',
  'NamespaceDeletionGroupVersionParsingFailure',
  'NamespaceDeletionContentFailure',
  'NamespaceContentRemaining',
  'NamespaceFinalizersRemaining',
] as const;

const ok: Record<string, [string, string]> = {
  NamespaceDeletionDiscoveryFailure: ['ResourcesDiscovered', 'All resources successfully discovered'],
  NamespaceDeletionGroupVersionParsingFailure: ['ParsedGroupVersions', 'All legacy kube types successfully parsed'],
  NamespaceDeletionContentFailure: ['ContentDeleted', 'All content successfully deleted, may be waiting on finalization'],
  NamespaceContentRemaining: ['ContentRemoved', 'All content successfully removed'],
  NamespaceFinalizersRemaining: ['ContentRemoved', 'All content successfully removed'],
};

export interface ContentTotals {
  /** "plural.group" -> objects left */
  remaining: Map<string, number>;
  /** finalizer -> objects carrying it */
  finalizers: Map<string, number>;
}

/** Collects what went wrong during one deletion pass and turns it into conditions. */
export class ConditionUpdater {
  private conds: NamespaceCondition[] = [];
  private contentErrors: string[] = [];

  discoveryFailed(failed: Map<string, string>): void {
    const msg = `Discovery failed for some groups, ${failed.size} failing: unable to retrieve the complete list of server APIs: ${[...failed].map(([gv, e]) => `${gv}: ${e}`).join(', ')}`;
    this.conds.push(bad('NamespaceDeletionDiscoveryFailure', 'DiscoveryFailed', msg));
  }

  contentError(message: string): void { this.contentErrors.push(message); }

  totals(t: ContentTotals): void {
    const left = [...t.remaining].filter(([, n]) => n > 0).map(([gr, n]) => `${gr} has ${n} resource instances`).sort();
    if (left.length) this.conds.push(bad('NamespaceContentRemaining', 'SomeResourcesRemain', `Some resources are remaining: ${left.join(', ')}`));
    const fins = [...t.finalizers].filter(([, n]) => n > 0).map(([f, n]) => `${f} in ${n} resource instances`).sort();
    if (fins.length) this.conds.push(bad('NamespaceFinalizersRemaining', 'SomeFinalizerRemain', `Some finalizers are remaining: ${fins.join(', ')}`));
  }

  /** updates status.conditions in place; true when anything changed */
  apply(status: { conditions?: NamespaceCondition[] }): boolean {
    if (this.contentErrors.length && !this.conds.some((c) => c.type === 'NamespaceDeletionContentFailure')) {
      const msgs = [...this.contentErrors].sort();
      this.conds.push(bad('NamespaceDeletionContentFailure', 'ContentDeletionFailed', `Failed to delete all resource types, ${msgs.length} remaining: ${msgs.join(', ')}`));
    }
    let changed = false;
    const list = (status.conditions ??= []);
    for (const type of conditionTypes) {
      const want = this.conds.find((c) => c.type === type) ?? good(type);
      const have = list.find((c) => c.type === type);
      if (!have) { list.push(want); changed = true; continue; }
      if (have.status !== want.status || have.reason !== want.reason || have.message !== want.message) {
        if (have.status !== want.status) have.lastTransitionTime = rfc3339();
        have.status = want.status; have.reason = want.reason; have.message = want.message;
        changed = true;
      }
    }
    return changed;
  }
}

function bad(type: string, reason: string, message: string): NamespaceCondition {
  return { type, status: 'True', lastTransitionTime: rfc3339(), reason, message };
}

function good(type: string): NamespaceCondition {
  const [reason, message] = ok[type];
  return { type, status: 'False', lastTransitionTime: rfc3339(), reason, message };
}
