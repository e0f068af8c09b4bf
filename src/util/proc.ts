// The machine's processes as /proc shows them (Linux), for finding our own children again after a crash.
import { readdirSync, readFileSync } from 'node:fs';

/** every other process's pid and argv (processes that vanish while read are skipped) */
export function processes(): { pid: number; argv: string[] }[] {
  const out: { pid: number; argv: string[] }[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try { out.push({ pid: Number(d), argv: readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0') }); } catch { /* gone */ }
  }
  return out;
}

/** user+system CPU seconds of a process (Linux /proc; NaN elsewhere) */
export function cpuSeconds(pid: number | undefined): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch { return NaN; }
}
