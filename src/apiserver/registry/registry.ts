// The set of served resources: built-ins from the resource table plus custom resources added at runtime.
import type { Backend } from '../../storage/backend.js';
import type { ResourceInfo } from '../../api/types.js';
import { Store, type StoreHooks } from './store.js';
import type { Strategy } from './strategy.js';

export type StrategyFactory = (r: ResourceInfo) => Strategy;

export class Registry {
  private readonly stores = new Map<string, Store>();
  private readonly listeners = new Set<() => void>();

  constructor(private readonly backend: Backend, private readonly strategyFor: StrategyFactory, private readonly hooks: StoreHooks) {}

  private static id(group: string, version: string, plural: string): string { return `${group}/${version}/${plural}`; }

  add(r: ResourceInfo, strategy?: Strategy): Store {
    const s = new Store(this.backend, r, strategy ?? this.strategyFor(r), this.hooks);
    this.stores.get(Registry.id(r.group, r.version, r.plural))?.close();
    this.stores.set(Registry.id(r.group, r.version, r.plural), s);
    this.changed();
    return s;
  }

  remove(group: string, version: string, plural: string): void {
    const id = Registry.id(group, version, plural);
    const s = this.stores.get(id);
    if (!s) return;
    s.close();
    this.stores.delete(id);
    this.changed();
  }

  close(): void { for (const s of this.stores.values()) s.close(); }

  get(group: string, version: string, plural: string): Store | undefined {
    return this.stores.get(Registry.id(group, version, plural));
  }

  /** the preferred store for a group/plural, in any version */
  find(group: string, plural: string): Store | undefined {
    for (const s of this.stores.values()) if (s.resource.group === group && s.resource.plural === plural) return s;
    return undefined;
  }

  all(): Store[] { return [...this.stores.values()]; }

  onChange(fn: () => void): void { this.listeners.add(fn); }
  private changed(): void { for (const fn of this.listeners) fn(); }
}
