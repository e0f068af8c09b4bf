// Percentiles and report formatting for `npm run bench`.

/** nearest-rank percentile of unsorted samples (q in 0..100); NaN when empty */
export function percentile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return NaN;
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((q / 100) * s.length) - 1))];
}

export const ms = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(v < 10 ? 2 : 1)} ms` : 'n/a');
export const perSec = (v: number): string => `${Math.round(v)}/s`;

export function verdict(ok: boolean): string { return ok ? 'PASS' : 'FAIL'; }

/** two aligned columns */
export function table(rows: [string, string][]): string {
  const w = Math.max(...rows.map((r) => r[0].length));
  return rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`).join('\n');
}
