// Summaries of measured samples, for the benchmarks.

/** nearest-rank percentile of unsorted samples (q in 0..100); NaN when empty */
export function percentile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return NaN;
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((q / 100) * s.length) - 1))];
}
