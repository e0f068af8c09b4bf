// In-memory backend for tests: the same log-structured model as SQLite, held in arrays.
import { compareKeys } from './keys.js';
import { LogBackend, type LogRow, type LogStore } from './log.js';

function inRange(name: string, start: string, end: string | undefined): boolean {
  return compareKeys(name, start) >= 0 && (end === undefined || compareKeys(name, end) < 0);
}

class MemoryLog implements LogStore {
  private rows: LogRow[] = []; // by id
  private byName = new Map<string, LogRow[]>(); // each by id
  private byId = new Map<number, LogRow>();
  private rev = 0;
  private compacted = 0;

  currentRevision(): number { return this.rev; }
  compactRevision(): number { return this.compacted; }

  latest(name: string, maxRev: number): LogRow | undefined {
    const rows = this.byName.get(name);
    if (!rows) return undefined;
    for (let i = rows.length - 1; i >= 0; i--) if (rows[i].id <= maxRev) return rows[i];
    return undefined;
  }

  append(row: LogRow): void {
    const copy = { ...row };
    this.rows.push(copy);
    this.byId.set(copy.id, copy);
    let list = this.byName.get(copy.name);
    if (!list) this.byName.set(copy.name, (list = []));
    list.push(copy);
    this.rev = copy.id;
  }

  listLatest(start: string, end: string | undefined, maxRev: number, limit: number): LogRow[] {
    const names = [...this.byName.keys()].filter((n) => inRange(n, start, end)).sort(compareKeys);
    const out: LogRow[] = [];
    for (const name of names) {
      const row = this.latest(name, maxRev);
      if (!row || row.deleted) continue;
      out.push(row);
      if (limit && out.length >= limit) break;
    }
    return out;
  }

  countLatest(start: string, end: string | undefined): number {
    let n = 0;
    for (const [name, rows] of this.byName) if (inRange(name, start, end) && !rows[rows.length - 1].deleted) n++;
    return n;
  }

  history(start: string, end: string | undefined, fromRev: number, toRev: number): Array<{ row: LogRow; prev?: LogRow }> {
    let lo = 0;
    let hi = this.rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.rows[mid].id < fromRev) lo = mid + 1; else hi = mid;
    }
    const out: Array<{ row: LogRow; prev?: LogRow }> = [];
    for (let i = lo; i < this.rows.length && this.rows[i].id <= toRev; i++) {
      const row = this.rows[i];
      if (inRange(row.name, start, end)) out.push({ row, prev: this.byId.get(row.prevRevision) });
    }
    return out;
  }

  compact(rev: number): void {
    const drop = new Set<LogRow>();
    for (const [name, rows] of this.byName) {
      rows.forEach((row, i) => {
        if (row.id >= rev) return;
        const next = rows[i + 1];
        if (row.deleted || (next && next.id <= rev)) drop.add(row);
      });
      const kept = rows.filter((r) => !drop.has(r));
      if (kept.length) this.byName.set(name, kept); else this.byName.delete(name);
    }
    this.rows = this.rows.filter((r) => !drop.has(r));
    for (const r of drop) this.byId.delete(r.id);
    this.compacted = rev;
  }

  close(): void {}
}

export class MemoryBackend extends LogBackend {
  constructor() { super(new MemoryLog()); }
}
