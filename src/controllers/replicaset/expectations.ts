// Controller expectations (as upstream's UIDTrackingControllerExpectations): how many creations a
// controller still waits to see in its informer, and which pods it waits to see deleted, so a
// reconcile against a stale cache does not create or delete twice.

/** upstream's ExpectationsTimeout: a record older than this no longer blocks syncing */
export const expectationsTimeoutMs = 5 * 60_000;

interface Record { add: number; deletes: Set<string>; at: number }

export class Expectations {
  private records = new Map<string, Record>();
  constructor(private readonly now: () => number = Date.now) {}

  /** true when nothing is awaited (or the record expired, or there is none) */
  satisfied(key: string): boolean {
    const r = this.records.get(key);
    if (!r) return true;
    if (r.add <= 0 && r.deletes.size === 0) return true;
    return this.now() - r.at > expectationsTimeoutMs;
  }

  expectCreations(key: string, n: number): void {
    this.records.set(key, { add: n, deletes: new Set(), at: this.now() });
  }

  /** podKeys: "namespace/name" of the pods whose deletion is awaited */
  expectDeletions(key: string, podKeys: string[]): void {
    this.records.set(key, { add: 0, deletes: new Set(podKeys), at: this.now() });
  }

  creationObserved(key: string): void {
    const r = this.records.get(key);
    if (r) r.add--;
  }

  deletionObserved(key: string, podKey: string): void {
    this.records.get(key)?.deletes.delete(podKey);
  }

  /** awaited creations / deletions (for tests and logs) */
  pending(key: string): { add: number; del: number } | undefined {
    const r = this.records.get(key);
    return r && { add: r.add, del: r.deletes.size };
  }

  delete(key: string): void { this.records.delete(key); }
}
