// NamespaceLifecycle's view of the namespaces, as upstream's admission plugin keeps an informer's
// lister: which namespaces exist and which are terminating, kept by a list and watch, so that a
// create does not read its namespace from storage (one more etcd round trip per create).
//
// The view is used only when it is current with this server's own namespace writes (read your
// writes: after `kubectl delete namespace x` here, a create in x is refused at once). A namespace
// the view has not seen, or a view behind this server's last namespace write, is looked up in
// storage. Writes through other servers sharing the etcd show up when the watch delivers them,
// as upstream. When the watch ends the namespaces are listed and watched again.
import type { KObject } from '../api/types.js';
import type { Store, WatchEventType } from './registry/store.js';

export type NamespaceState = 'active' | 'terminating';

const stateOf = (o: KObject): NamespaceState => (o.metadata.deletionTimestamp ? 'terminating' : 'active');

export class NamespaceView {
  /** name -> state */
  private seen = new Map<string, NamespaceState>();
  /** the revision the view is current to (its list, then each event applied) */
  private rev = 0;
  /** the revision of this server's last namespace write */
  private written = 0;
  private readonly ac = new AbortController();

  constructor(private readonly store: Store) {}

  start(): void { void this.store.keepWatching(() => this.relist(), (type, obj, rv) => this.apply(type, obj as KObject, rv), this.ac.signal); }
  stop(): void { this.ac.abort(); }

  /** called for every namespace write this server made */
  wrote(rev: number): void { if (rev > this.written) this.written = rev; }

  /** the namespace's state if the view knows it and is current with this server's writes, else undefined */
  lookup(name: string): NamespaceState | undefined {
    if (this.rev < this.written) return undefined;
    return this.seen.get(name);
  }

  private async relist(): Promise<string> {
    this.seen = new Map(); // dropped until the list arrives
    this.rev = 0;
    const { items, resourceVersion } = await this.store.list(undefined);
    this.seen = new Map(items.map((o) => [o.metadata.name!, stateOf(o)]));
    this.rev = Number(resourceVersion);
    return resourceVersion;
  }

  private apply(type: WatchEventType, o: KObject, rv: number): void {
    const name = o.metadata?.name;
    if (!name) return;
    if (type === 'DELETED') this.seen.delete(name);
    else if (type === 'ADDED' || type === 'MODIFIED') this.seen.set(name, stateOf(o));
    else return;
    if (rv > this.rev) this.rev = rv;
  }
}
