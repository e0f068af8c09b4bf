// Output a container wrote before its first attach. `kubectl run -it` creates a pod with
// stdin+stdinOnce, waits for Running, then attaches; a short command (`sh -c 'echo hi; hostname'`)
// has often written everything by then, and an attach only sees output written after it. The first
// attach to such a container therefore starts with what the container's log holds, spliced onto the
// live output so that bytes seen by both are sent once.
import { open } from 'node:fs/promises';
import { parseCriLogLine } from '../logs.js';

export interface Replay { stdout: Buffer; stderr: Buffer }

/** at most this much of the log's end is replayed */
export const replayLimit = 64 * 1024;

/** the stdout and stderr a CRI log file holds (its last `limit` bytes), as the container wrote them */
export async function readLogOutput(path: string, limit = replayLimit): Promise<Replay> {
  const out: Record<string, Buffer[]> = { stdout: [], stderr: [] };
  const fh = await open(path, 'r').catch(() => undefined);
  if (!fh) return { stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) };
  try {
    const { size } = await fh.stat();
    const start = Math.max(0, size - limit);
    const buf = Buffer.alloc(size - start);
    await fh.read(buf, 0, buf.length, start);
    let text = buf.toString('utf8');
    if (start > 0) text = text.slice(text.indexOf('\n') + 1); // a cut first record is dropped
    const lines = text.split('\n');
    lines.pop(); // a record is complete only with its newline
    for (const l of lines) {
      const r = parseCriLogLine(l);
      if (r && out[r.stream]) out[r.stream].push(Buffer.from(r.msg + (r.partial ? '' : '\n')));
    }
  } finally {
    await fh.close();
  }
  return { stdout: Buffer.concat(out.stdout), stderr: Buffer.concat(out.stderr) };
}

/**
 * how much of `logged` precedes `live`: the smallest p such that logged[p:] is a prefix of live
 * (the log's tail the attach has also seen), or logged.length when they share nothing
 */
export function replayCut(logged: Buffer, live: Buffer): number {
  for (let p = Math.max(0, logged.length - live.length); p < logged.length; p++) {
    if (logged.subarray(p).equals(live.subarray(0, logged.length - p))) return p;
  }
  return logged.length;
}

/** containers whose first attach has been served (a later attach gets live output only) */
const attached = new Set<string>();

/** true the first time it is asked about containerId */
export function firstAttach(containerId: string): boolean {
  if (attached.has(containerId)) return false;
  attached.add(containerId);
  if (attached.size > 4096) attached.delete(attached.values().next().value as string);
  return true;
}
