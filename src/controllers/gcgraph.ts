// The garbage collector's dependency graph (as upstream's graph.go + graph_builder.go): one node per
// object uid with its ownerReferences, and the reverse edges (dependents). Owners referenced but
// not (yet) observed are "virtual" nodes, verified against the API server by the collector.
// Changes come in through observe(); what needs work is handed to the sink's two queues.
import type { ObjectMeta, OwnerReference } from '../api/types.js';

export interface Identity { apiVersion: string; kind: string; namespace: string; name: string; uid: string }

export const finalizerOrphan = 'orphan';
export const finalizerForeground = 'foregroundDeletion';

export class GraphNode {
  owners: OwnerReference[] = [];
  readonly dependents = new Set<GraphNode>();
  beingDeleted = false;
  deletingDependents = false;
  constructor(public identity: Identity, public virtual: boolean) {}

  /** dependents whose reference to this node has blockOwnerDeletion=true */
  blockingDependents(): GraphNode[] {
    return [...this.dependents].filter((d) => d.owners.some((o) => o.uid === this.identity.uid && o.blockOwnerDeletion === true));
  }

  toString(): string {
    const i = this.identity;
    return `${i.apiVersion}/${i.kind} ${i.namespace ? `${i.namespace}/` : ''}${i.name} (${i.uid})${this.virtual ? ' [virtual]' : ''}`;
  }
}

export interface GraphSink {
  attemptToDelete(n: GraphNode): void;
  attemptToOrphan(n: GraphNode): void;
}

export type ChangeType = 'add' | 'update' | 'delete';

const hasFinalizer = (m: ObjectMeta | undefined, f: string) => !!m?.finalizers?.includes(f);

/** the object is being deleted with finalizer f, and was not in the old state */
function deletionStartsWith(old: ObjectMeta | undefined, cur: ObjectMeta, f: string): boolean {
  if (!cur.deletionTimestamp || !hasFinalizer(cur, f)) return false;
  return !old || !old.deletionTimestamp || !hasFinalizer(old, f);
}

export class DependencyGraph {
  readonly nodes = new Map<string, GraphNode>();
  constructor(private readonly sink: GraphSink) {}

  get size(): number { return this.nodes.size; }

  /** an informer event for the object identified by id */
  observe(type: ChangeType, id: Identity, meta: ObjectMeta, old?: ObjectMeta): void {
    const existing = this.nodes.get(id.uid);
    if (type === 'delete') {
      if (existing) this.remove(existing);
      return;
    }
    const owners = meta.ownerReferences ?? [];
    if (!existing) {
      const n = new GraphNode(id, false);
      this.mark(n, meta);
      this.nodes.set(id.uid, n);
      this.link(n, owners);
      n.owners = [...owners];
      this.transitions(undefined, meta, n);
      return;
    }
    let prevOwners = existing.owners;
    if (existing.virtual) {
      // the owner we only knew by reference is observed now
      existing.virtual = false;
      existing.identity = id;
      prevOwners = [];
      old = undefined;
    }
    this.mark(existing, meta);
    const { added, removed, changed } = diffOwners(prevOwners, owners);
    if (added.length || removed.length || changed.length) {
      this.link(existing, added);
      for (const r of removed) this.nodes.get(r.uid)?.dependents.delete(existing);
      existing.owners = [...owners];
      this.unblocked(removed, changed);
    }
    this.transitions(old, meta, existing);
  }

  /** the collector found the object gone (or replaced): drop it as if a delete had been observed */
  virtualDelete(n: GraphNode): void {
    if (this.nodes.get(n.identity.uid) === n) this.remove(n);
  }

  private mark(n: GraphNode, m: ObjectMeta): void {
    n.beingDeleted = !!m.deletionTimestamp;
    n.deletingDependents = n.beingDeleted && hasFinalizer(m, finalizerForeground);
  }

  /** adds n to its owners' dependents; unknown owners become virtual nodes to verify */
  private link(n: GraphNode, refs: OwnerReference[]): void {
    for (const ref of refs) {
      let owner = this.nodes.get(ref.uid);
      if (!owner) {
        owner = new GraphNode({ apiVersion: ref.apiVersion, kind: ref.kind, name: ref.name, uid: ref.uid, namespace: n.identity.namespace }, true);
        this.nodes.set(ref.uid, owner);
        this.sink.attemptToDelete(owner);
      }
      owner.dependents.add(n);
    }
  }

  private remove(n: GraphNode): void {
    this.nodes.delete(n.identity.uid);
    for (const ref of n.owners) this.nodes.get(ref.uid)?.dependents.delete(n);
    for (const dep of n.dependents) this.sink.attemptToDelete(dep);
    for (const ref of n.owners) {
      const owner = this.nodes.get(ref.uid);
      // lets a foreground-deleting owner check whether its blocking dependents are all gone
      if (owner?.deletingDependents) this.sink.attemptToDelete(owner);
    }
  }

  /** owners waiting in foreground for a dependent that no longer blocks them */
  private unblocked(removed: OwnerReference[], changed: { old: OwnerReference; cur: OwnerReference }[]): void {
    const refs = [...removed.filter((r) => r.blockOwnerDeletion), ...changed.filter((c) => c.old.blockOwnerDeletion && !c.cur.blockOwnerDeletion).map((c) => c.cur)];
    for (const r of refs) {
      const owner = this.nodes.get(r.uid);
      if (owner?.deletingDependents) this.sink.attemptToDelete(owner);
    }
  }

  private transitions(old: ObjectMeta | undefined, cur: ObjectMeta, n: GraphNode): void {
    if (deletionStartsWith(old, cur, finalizerOrphan)) { this.sink.attemptToOrphan(n); return; }
    if (deletionStartsWith(old, cur, finalizerForeground)) {
      n.deletingDependents = true;
      for (const dep of n.dependents) this.sink.attemptToDelete(dep);
      this.sink.attemptToDelete(n);
    }
  }
}

export function diffOwners(old: OwnerReference[], cur: OwnerReference[]) {
  const o = new Map(old.map((r) => [r.uid, r]));
  const c = new Map(cur.map((r) => [r.uid, r]));
  const added = cur.filter((r) => !o.has(r.uid));
  const removed = old.filter((r) => !c.has(r.uid));
  const changed: { old: OwnerReference; cur: OwnerReference }[] = [];
  for (const r of cur) {
    const p = o.get(r.uid);
    if (p && JSON.stringify(p) !== JSON.stringify(r)) changed.push({ old: p, cur: r });
  }
  return { added, removed, changed };
}
