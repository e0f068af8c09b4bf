// Percentiles and report formatting for `npm run bench`.
import { readFileSync } from 'node:fs';

export { cpuSeconds } from '../util/proc.js';
export { percentile } from '../util/stats.js';

/** busy and total CPU time of the whole machine so far (/proc/stat's cpu line; iowait counts as idle) */
export function machineTicks(): { busy: number; total: number } {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0); // user..steal (guest time is inside user)
    return { busy: total - f[3] - f[4], total };
  } catch { return { busy: NaN, total: NaN }; }
}

/** a function that returns the machine's busy share (0..1) since it was made */
export function machineBusy(): () => number {
  const a = machineTicks();
  return () => { const b = machineTicks(); return (b.busy - a.busy) / (b.total - a.total); };
}

export const ms = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(v < 10 ? 2 : 1)} ms` : 'n/a');
export const perSec = (v: number): string => `${Math.round(v)}/s`;

export function verdict(ok: boolean): string { return ok ? 'PASS' : 'FAIL'; }

/** two aligned columns */
export function table(rows: [string, string][]): string {
  const w = Math.max(...rows.map((r) => r[0].length));
  return rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`).join('\n');
}
