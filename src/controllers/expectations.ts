// Controller expectations (upstream controller.ControllerExpectations): after a controller creates
// or deletes pods, it waits until its informer has seen those changes before acting on the same
// owner again, so a lagging cache never makes it create twice. Expectations expire after 5 minutes.

interface Entry { adds: number; dels: Set<string>; at: number }

export class Expectations {
  private m = new Map<string, Entry>();
  constructor(private readonly ttlMs = 5 * 60_000, private readonly now: () => number = Date.now) {}

  private entry(key: string): Entry {
    let e = this.m.get(key);
    if (!e) this.m.set(key, (e = { adds: 0, dels: new Set(), at: this.now() }));
    return e;
  }

  /** true when nothing is pending for key (or the expectations have expired) */
  satisfied(key: string): boolean {
    const e = this.m.get(key);
    if (!e) return true;
    if ((e.adds <= 0 && !e.dels.size) || this.now() - e.at > this.ttlMs) { this.m.delete(key); return true; }
    return false;
  }

  expectCreations(key: string, n: number): void { const e = this.entry(key); e.adds += n; e.at = this.now(); }
  creationObserved(key: string): void { const e = this.m.get(key); if (e && e.adds > 0) e.adds--; }
  expectDeletions(key: string, uids: string[]): void { const e = this.entry(key); for (const u of uids) e.dels.add(u); e.at = this.now(); }
  deletionObserved(key: string, uid: string): void { this.m.get(key)?.dels.delete(uid); }
  delete(key: string): void { this.m.delete(key); }
}
