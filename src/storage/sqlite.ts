// SQLite backend: one database file, WAL journal, one log table (kine's layout).
// synchronous=NORMAL with WAL: a commit is in the WAL file once the write() returns, so it
// survives the process being killed (not an OS crash or power loss).
// Only one process may open a database at a time: watchers are fed in-process from writes.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { LogBackend, type LogRow, type LogStore } from './log.js';

interface DbRow {
  id: number; name: string; created: number; deleted: number;
  create_revision: number; prev_revision: number; value: string;
}
interface HistoryRow extends DbRow {
  p_id: number | null; p_deleted: number | null; p_create_revision: number | null; p_value: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS kv (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  created INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  create_revision INTEGER NOT NULL,
  prev_revision INTEGER NOT NULL,
  value TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS kv_name_id ON kv (name, id);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
`;

// A BLOB sorts after every TEXT value in SQLite, so binding one as the exclusive upper
// bound means "no upper bound" while keeping the index range scan.
const NO_END = Buffer.alloc(0);

function fromDb(r: DbRow): LogRow {
  return {
    id: r.id, name: r.name, created: r.created === 1, deleted: r.deleted === 1,
    createRevision: r.create_revision, prevRevision: r.prev_revision, value: r.value,
  };
}

class SqliteLog implements LogStore {
  private rev: number;
  private compacted: number;
  private stmt;
  private compactTx: (rev: number) => void;

  constructor(private db: Database.Database) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    db.exec(SCHEMA);
    const seq = db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'kv'`).get() as { seq: number } | undefined;
    this.rev = seq?.seq ?? 0;
    const c = db.prepare(`SELECT value FROM meta WHERE name = 'compact_rev'`).get() as { value: number } | undefined;
    this.compacted = c?.value ?? 0;
    const cols = 'id, name, created, deleted, create_revision, prev_revision, value';
    this.stmt = {
      latest: db.prepare(`SELECT ${cols} FROM kv WHERE name = ? AND id <= ? ORDER BY id DESC LIMIT 1`),
      insert: db.prepare(`INSERT INTO kv (${cols}) VALUES (@id, @name, @created, @deleted, @createRevision, @prevRevision, @value)`),
      // streams names in index order, so a LIMITed page does not read the whole range
      list: db.prepare(`SELECT ${cols.split(', ').map((c) => 'kv.' + c).join(', ')} FROM
          (SELECT name, MAX(id) AS mid FROM kv WHERE name >= ? AND name < ? AND id <= ? GROUP BY name ORDER BY name) AS m
          CROSS JOIN kv ON kv.id = m.mid WHERE kv.deleted = 0 ORDER BY m.name LIMIT ?`),
      count: db.prepare(`SELECT COUNT(*) AS n FROM
          (SELECT MAX(id) AS mid FROM kv WHERE name >= ? AND name < ? GROUP BY name) AS m
          JOIN kv ON kv.id = m.mid WHERE kv.deleted = 0`),
      history: db.prepare(`SELECT ${cols.split(', ').map((c) => 'kv.' + c).join(', ')},
          p.id AS p_id, p.deleted AS p_deleted, p.create_revision AS p_create_revision, p.value AS p_value
          FROM kv LEFT JOIN kv AS p ON p.id = kv.prev_revision
          WHERE kv.id >= ? AND kv.id <= ? AND kv.name >= ? AND kv.name < ? ORDER BY kv.id`),
      dropSuperseded: db.prepare(`DELETE FROM kv WHERE id IN
          (SELECT prev_revision FROM kv WHERE id > ? AND id <= ? AND prev_revision > 0)`),
      dropTombstones: db.prepare(`DELETE FROM kv WHERE id >= ? AND id < ? AND deleted = 1`),
      setCompact: db.prepare(`INSERT INTO meta (name, value) VALUES ('compact_rev', ?)
          ON CONFLICT (name) DO UPDATE SET value = excluded.value`),
    };
    this.compactTx = db.transaction((rev: number) => {
      // rows at or below the previous compaction were handled then
      this.stmt.dropSuperseded.run(this.compacted, rev);
      this.stmt.dropTombstones.run(this.compacted, rev);
      this.stmt.setCompact.run(rev);
    });
  }

  currentRevision(): number { return this.rev; }
  compactRevision(): number { return this.compacted; }

  latest(name: string, maxRev: number): LogRow | undefined {
    const r = this.stmt.latest.get(name, maxRev) as DbRow | undefined;
    return r && fromDb(r);
  }

  append(row: LogRow): void {
    this.stmt.insert.run({ ...row, created: row.created ? 1 : 0, deleted: row.deleted ? 1 : 0 });
    this.rev = row.id;
  }

  listLatest(start: string, end: string | undefined, maxRev: number, limit: number): LogRow[] {
    return (this.stmt.list.all(start, end ?? NO_END, maxRev, limit || -1) as DbRow[]).map(fromDb);
  }

  countLatest(start: string, end: string | undefined): number {
    return (this.stmt.count.get(start, end ?? NO_END) as { n: number }).n;
  }

  history(start: string, end: string | undefined, fromRev: number, toRev: number): Array<{ row: LogRow; prev?: LogRow }> {
    return (this.stmt.history.all(fromRev, toRev, start, end ?? NO_END) as HistoryRow[]).map((r) => {
      const row = fromDb(r);
      if (r.p_id === null) return { row };
      const prev: LogRow = {
        id: r.p_id, name: r.name, created: false, deleted: r.p_deleted === 1,
        createRevision: r.p_create_revision!, prevRevision: 0, value: r.p_value!,
      };
      return { row, prev };
    });
  }

  compact(rev: number): void {
    this.compactTx(rev);
    this.compacted = rev;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

export class SqliteBackend extends LogBackend {
  private constructor(store: SqliteLog, readonly path: string) { super(store); }

  /** open (creating when missing) the database file at path */
  static open(path: string): SqliteBackend {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    return new SqliteBackend(new SqliteLog(new Database(path)), path);
  }
}
