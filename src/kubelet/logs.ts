// Reads a container's log file in the CRI format containerd writes (one record per line:
// `<RFC3339Nano time> <stdout|stderr> <P|F> <message>`; P marks a partial line continued by the next
// record) and writes it out as the kubelet's containerLogs endpoint does: the messages, partial
// records joined into one line, optionally prefixed with their time; tailLines counts those joined
// lines, sinceTime drops older lines, limitBytes truncates the output, and follow keeps reading
// as the file grows until the container stops or the signal aborts.
import { open, type FileHandle } from 'node:fs/promises';
import { watch, type FSWatcher } from 'node:fs';

export interface CriLogRecord { time: string; stream: string; partial: boolean; msg: string }

/** one CRI log line (without its newline), or undefined if it is not one */
export function parseCriLogLine(line: string): CriLogRecord | undefined {
  const a = line.indexOf(' ');
  const b = a < 0 ? -1 : line.indexOf(' ', a + 1);
  if (b < 0) return undefined;
  const tag = line.slice(b + 1, b + 2);
  if (tag !== 'P' && tag !== 'F') return undefined;
  return { time: line.slice(0, a), stream: line.slice(a + 1, b), partial: tag === 'P', msg: line.slice(b + 3) };
}

export interface ContainerLogOptions {
  follow?: boolean;
  /** only the last n lines */
  tailLines?: number;
  /** prefix each line with its RFC3339Nano time and a space */
  timestamps?: boolean;
  /** drop lines older than this */
  sinceTime?: Date;
  /** stop after this many bytes of output */
  limitBytes?: number;
  /** follow: whether the container still runs (checked when the file stops growing) */
  running?: () => Promise<boolean>;
  signal?: AbortSignal;
  /** follow: how often the file is re-read when no change was seen, ms (default 250) */
  pollMs?: number;
}

/** where the output goes; write resolves when it may take more */
export type LogSink = (chunk: string) => Promise<void>;

class Emitter {
  private midLine = false;
  private skipping = false;
  private left: number;
  constructor(private readonly sink: LogSink, private readonly o: ContainerLogOptions) { this.left = o.limitBytes ?? Infinity; }
  get full(): boolean { return this.left <= 0; }

  /** a line's records (all partial but maybe the last) */
  async record(r: CriLogRecord): Promise<void> {
    if (this.full) return;
    if (!this.midLine) this.skipping = !!this.o.sinceTime && Date.parse(r.time) < this.o.sinceTime.getTime();
    if (!this.skipping) {
      let s = (!this.midLine && this.o.timestamps ? `${r.time} ` : '') + r.msg + (r.partial ? '' : '\n');
      const bytes = Buffer.byteLength(s);
      if (bytes > this.left) s = Buffer.from(s).subarray(0, this.left).toString();
      this.left -= bytes;
      await this.sink(s);
    }
    this.midLine = r.partial;
  }
}

/** complete physical lines from a file, read from an offset onwards */
class LineReader {
  private pos = 0;
  private rest = '';
  private readonly buf = Buffer.alloc(64 * 1024);
  constructor(private readonly fh: FileHandle) {}
  /** the complete lines appended since the last call ([] at EOF) */
  async next(): Promise<string[]> {
    const { bytesRead } = await this.fh.read(this.buf, 0, this.buf.length, this.pos);
    if (bytesRead === 0) return [];
    this.pos += bytesRead;
    const text = this.rest + this.buf.subarray(0, bytesRead).toString('utf8');
    const lines = text.split('\n');
    this.rest = lines.pop()!;
    return lines;
  }
}

export async function writeContainerLog(path: string, sink: LogSink, o: ContainerLogOptions = {}): Promise<void> {
  const fh = await open(path, 'r');
  let watcher: FSWatcher | undefined;
  try {
    const out = new Emitter(sink, o);
    const reader = new LineReader(fh);
    const records = async function* (): AsyncGenerator<CriLogRecord> {
      for (let lines = await reader.next(); lines.length; lines = await reader.next()) {
        for (const l of lines) { const r = parseCriLogLine(l); if (r) yield r; }
      }
    };
    if (o.tailLines !== undefined) {
      // keep the last n joined lines of what is there now (sinceTime applies as they are written)
      const last: CriLogRecord[][] = [];
      let cur: CriLogRecord[] = [];
      for await (const r of records()) {
        cur.push(r);
        if (!r.partial) { last.push(cur); cur = []; if (last.length > o.tailLines) last.shift(); }
      }
      if (cur.length) { last.push(cur); if (last.length > o.tailLines) last.shift(); }
      for (const line of last) for (const r of line) await out.record(r);
    } else {
      for await (const r of records()) { await out.record(r); if (out.full) return; }
    }
    if (!o.follow || out.full || o.signal?.aborted) return;
    let wake: (() => void) | undefined;
    try { watcher = watch(path, () => wake?.()); } catch { /* polling only */ }
    for (;;) {
      let got = false;
      for await (const r of records()) { got = true; await out.record(r); if (out.full) return; }
      if (o.signal?.aborted) return;
      if (!got && o.running && !(await o.running())) {
        for await (const r of records()) { await out.record(r); if (out.full) return; }
        return;
      }
      await new Promise<void>((resolve) => {
        const done = () => { clearTimeout(t); o.signal?.removeEventListener('abort', done); wake = undefined; resolve(); };
        const t = setTimeout(done, o.pollMs ?? 250);
        wake = done;
        o.signal?.addEventListener('abort', done, { once: true });
      });
      if (o.signal?.aborted) return;
    }
  } finally {
    watcher?.close();
    await fh.close();
  }
}
