// The informer's local cache: objects by "ns/name" key with a namespace index, and a read-only lister.
import type { KObject } from '../api/types.js';
import { keyOf } from './objects.js';
import { selectorMatches, type LabelSelector } from './selector.js';

export class Store<T extends KObject = KObject> {
  private items = new Map<string, T>();
  private byNamespace = new Map<string, Set<string>>();

  get size(): number { return this.items.size; }
  getByKey(key: string): T | undefined { return this.items.get(key); }
  keys(): IterableIterator<string> { return this.items.keys(); }
  values(): IterableIterator<T> { return this.items.values(); }

  set(obj: T): T | undefined {
    const key = keyOf(obj);
    const old = this.items.get(key);
    this.items.set(key, obj);
    const ns = obj.metadata.namespace ?? '';
    let s = this.byNamespace.get(ns);
    if (!s) this.byNamespace.set(ns, (s = new Set()));
    s.add(key);
    return old;
  }

  delete(key: string): T | undefined {
    const old = this.items.get(key);
    if (!old) return undefined;
    this.items.delete(key);
    const ns = old.metadata.namespace ?? '';
    const s = this.byNamespace.get(ns);
    s?.delete(key);
    if (s && !s.size) this.byNamespace.delete(ns);
    return old;
  }

  inNamespace(ns: string): T[] {
    return [...(this.byNamespace.get(ns) ?? [])].map((k) => this.items.get(k)!);
  }
}

/** Selects objects: a LabelSelector object or a predicate. */
export type Selection<T> = LabelSelector | ((obj: T) => boolean);

/**
 * Read-only view of an informer's cache. Returned objects are shared and frozen:
 * never mutate them; clone() (src/client/objects.ts) first.
 */
export class Lister<T extends KObject = KObject> {
  constructor(private readonly store: Store<T>) {}

  /** namespace '' for cluster-scoped objects */
  get(namespace: string, name: string): T | undefined {
    return this.store.getByKey(namespace ? `${namespace}/${name}` : name);
  }

  /** all objects, or those in one namespace, optionally filtered */
  list(namespace?: string, selector?: Selection<T>): T[] {
    const all = namespace === undefined ? [...this.store.values()] : this.store.inNamespace(namespace);
    if (!selector) return all;
    const f = typeof selector === 'function' ? selector : (o: T) => selectorMatches(selector, o.metadata.labels);
    return all.filter(f);
  }
}
