// Polling for end-to-end tests and benchmarks that wait on a real cluster.

/**
 * calls f (sync or async) every intervalMs until it gives something other than undefined; a thrown
 * error counts as "not yet", and the last one is named if the wait times out
 */
export async function eventually<T>(what: string, f: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000, intervalMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try { const v = await f(); if (v !== undefined) return v; } catch (e) { last = e; }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
