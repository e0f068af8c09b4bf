// NamespaceLifecycle's view of the namespaces, as upstream's admission plugin keeps an informer's
// lister: which namespaces exist and which are terminating, kept by a watch, so that a create does
// not read its namespace from storage (one more etcd round trip per create).
//
// The view is used only when it is current with this server's own namespace writes (read your
// writes: after `kubectl delete namespace x` here, a create in x is refused at once). A namespace
// the view has not seen, or a view behind this server's last namespace write, is looked up in
// storage. Writes through other servers sharing the etcd show up when the watch delivers them,
// as upstream. When the watch ends it is started again; meanwhile every check goes to storage.
import type { KObject } from '../api/types.js';
import type { Store } from './registry/store.js';

export type NamespaceState = 'active' | 'terminating';

export class NamespaceView {
  /** name -> state; replaced by an empty map whenever the watch (re)starts */
  private seen = new Map<string, NamespaceState>();
  /** the revision of the last namespace event the view applied */
  private rev = 0;
  /** the revision of this server's last namespace write */
  private written = 0;
  private readonly ac = new AbortController();

  constructor(private readonly store: Store) {}

  start(): void { void this.run(); }
  stop(): void { this.ac.abort(); }

  /** called for every namespace write this server made */
  wrote(rev: number): void { if (rev > this.written) this.written = rev; }

  /** the namespace's state if the view knows it and is current with this server's writes, else undefined */
  lookup(name: string): NamespaceState | undefined {
    if (this.rev < this.written) return undefined;
    return this.seen.get(name);
  }

  private async run(): Promise<void> {
    const signal = this.ac.signal;
    let delay = 100;
    while (!signal.aborted) {
      const seen = new Map<string, NamespaceState>();
      this.seen = seen;
      this.rev = 0;
      try {
        await this.store.watch(undefined, { resourceVersion: '', signal }, (type, obj, rv) => {
          const name = (obj as KObject).metadata?.name;
          if (type === 'DELETED' && name) seen.delete(name);
          else if ((type === 'ADDED' || type === 'MODIFIED') && name) seen.set(name, (obj as KObject).metadata.deletionTimestamp ? 'terminating' : 'active');
          else return;
          if (this.seen === seen && rv > this.rev) this.rev = rv;
        });
        delay = 100;
      } catch {
        // the watch failed (storage unavailable, compaction): start again after a pause
      }
      this.seen = new Map();
      this.rev = 0;
      if (signal.aborted) return;
      await new Promise((r) => setTimeout(r, delay).unref());
      delay = Math.min(delay * 2, 5000);
    }
  }
}
