// Upstream's event spam filter (client-go EventSourceObjectSpamFilter): a token bucket per source,
// involved object, type and reason; 25 events at once, then one more every 5 minutes. Events over
// it are dropped, so a failing probe cannot write an event (patch) every period forever.
export class EventSpamFilter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly burst = 25, private readonly refillMs = 300_000, private readonly now: () => number = Date.now) {}

  /** takes a token for key; false when the bucket is empty */
  allow(key: string): boolean {
    const t = this.now();
    let b = this.buckets.get(key);
    if (!b) b = { tokens: this.burst, at: t };
    else {
      const earned = Math.floor((t - b.at) / this.refillMs);
      if (earned > 0) { b.tokens = Math.min(this.burst, b.tokens + earned); b.at += earned * this.refillMs; }
      if (b.tokens >= this.burst) b.at = t;
    }
    this.buckets.delete(key);
    this.buckets.set(key, b);
    if (this.buckets.size > 4096) this.buckets.delete(this.buckets.keys().next().value!);
    if (b.tokens < 1) return false;
    b.tokens--;
    return true;
  }
}
