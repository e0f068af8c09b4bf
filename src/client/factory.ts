// One informer per (resource, namespace, selectors), shared by every component that asks.
import type { KObject } from '../api/types.js';
import { SharedInformer, type InformerOptions } from './informer.js';
import type { ResourceRef } from './resource.js';
import type { RestClient } from './rest.js';

export interface InformerKey { namespace?: string; labelSelector?: string; fieldSelector?: string }

export class SharedInformerFactory {
  private informers = new Map<string, SharedInformer<any>>();
  private signal?: AbortSignal;
  private started = false;

  /** defaults apply to every informer made here (e.g. {namespace} to watch one namespace only) */
  constructor(readonly client: RestClient, private readonly defaults: InformerOptions = {}) {}

  /** the informer for a resource; informers asked for after start() start at once */
  informerFor<T extends KObject = KObject>(r: ResourceRef, key: InformerKey = {}): SharedInformer<T> {
    const opts = { ...this.defaults, ...key };
    const id = [r.group, r.version, r.plural, opts.namespace ?? '', opts.labelSelector ?? '', opts.fieldSelector ?? ''].join('|');
    let inf = this.informers.get(id);
    if (!inf) {
      inf = new SharedInformer<T>(this.client, r, opts);
      this.informers.set(id, inf);
      if (this.started) inf.start(this.signal);
    }
    return inf;
  }

  /** starts all informers made so far; the signal stops them */
  start(signal?: AbortSignal): void {
    this.started = true;
    this.signal = signal;
    for (const inf of this.informers.values()) inf.start(signal);
  }

  /** resolves true once every informer has synced; false if the signal aborts first */
  async waitForCacheSync(signal?: AbortSignal): Promise<boolean> {
    const r = await Promise.all([...this.informers.values()].map((i) => i.waitForSync(signal)));
    return r.every(Boolean);
  }

  async stop(): Promise<void> {
    this.started = false;
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
  }
}
