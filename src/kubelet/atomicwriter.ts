// Atomic projection of a set of files into a volume directory, in upstream's AtomicWriter layout
// (pkg/volume/util/atomic_writer.go): the data lives in a hidden timestamped directory
// `..2006_01_02_15_04_05.<random>`, `..data` links to it, and each top-level user-visible name is a
// link `name -> ..data/name`. An update writes a new timestamped directory, points `..data_tmp` at
// it and renames that over `..data` (atomic), then prunes old names and the old directory, so
// readers always see one complete version.
import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';

/** a file's content and mode, and the user that owns it when not root (a service account token with an fsUser) */
export interface FileProjection { data: Buffer; mode: number; uid?: number }
export type Payload = Map<string, FileProjection>;

const dataDirName = '..data';
const newDataDirName = '..data_tmp';

/** validatePath: relative, no `..` element, not starting with `..`, names <= 255, path <= 4096 */
export function validatePayloadPath(p: string): string | undefined {
  if (p === '') return `invalid path: must not be empty: ""`;
  if (p.startsWith('/')) return `invalid path: must be relative path: ${p}`;
  if (p.length > 4096) return 'invalid path: must be less than or equal to 4096 characters';
  const items = p.split('/');
  for (const it of items) {
    if (it === '..') return `invalid path: must not contain '..': ${p}`;
    if (it.length > 255) return 'invalid path: filenames must be less than or equal to 255 characters';
  }
  if (items[0].startsWith('..') && items[0].length > 2) return `invalid path: must not start with '..': ${p}`;
  return undefined;
}

function tsDirName(now: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `..${now.getUTCFullYear()}_${p(now.getUTCMonth() + 1)}_${p(now.getUTCDate())}_${p(now.getUTCHours())}_${p(now.getUTCMinutes())}_${p(now.getUTCSeconds())}.`;
}

/** every file and directory under dir, relative to it */
function walk(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    out.push(r);
    if (e.isDirectory()) out.push(...walk(dir, r));
  }
  return out;
}

function sameFile(path: string, f: FileProjection): boolean {
  try {
    const st = lstatSync(path);
    return st.isFile() && (st.mode & 0o7777) === (f.mode & 0o7777) && (f.uid === undefined || st.uid === f.uid) && readFileSync(path).equals(f.data);
  } catch { return false; }
}

/**
 * Writes payload into targetDir (which must exist) unless it already holds exactly that content;
 * returns whether it wrote. Throws on an invalid path.
 */
export function writeAtomic(targetDir: string, payload: Payload, now = new Date()): boolean {
  const clean = new Map<string, FileProjection>();
  for (const [p, f] of payload) {
    const err = validatePayloadPath(p);
    if (err) throw new Error(err);
    clean.set(normalize(p).replace(/\/+$/, ''), f);
  }
  const dataDir = join(targetDir, dataDirName);
  let oldTs = '';
  try { oldTs = readlinkSync(dataDir); } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; }
  let toRemove: string[] = [];
  if (oldTs) {
    const oldPath = join(targetDir, oldTs);
    let current: string[] = [];
    try { current = walk(oldPath); } catch { /* missing: rewrite */ }
    const keep = new Set<string>();
    for (const p of clean.keys()) for (let s = p; s && s !== '.'; s = dirname(s)) keep.add(s);
    toRemove = current.filter((p) => !keep.has(p));
    const changed = [...clean].some(([p, f]) => !sameFile(join(oldPath, p), f));
    if (!changed && !toRemove.length) return false;
  }
  const tsDir = mkdtempSync(join(targetDir, tsDirName(now)));
  chmodSync(tsDir, 0o755);
  try {
    for (const [p, f] of clean) {
      const full = join(tsDir, p);
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, f.data);
      // the create mode is masked by the umask; chmod sets it exactly
      chmodSync(full, f.mode & 0o7777);
      if (f.uid !== undefined) chownSync(full, f.uid, -1);
    }
    for (const p of clean.keys()) {
      const top = p.split('/')[0];
      const visible = join(targetDir, top);
      try { readlinkSync(visible); } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        symlinkSync(join(dataDirName, top), visible);
      }
    }
    const tmp = join(targetDir, newDataDirName);
    rmSync(tmp, { force: true });
    symlinkSync(tsDir.slice(targetDir.length + 1), tmp);
    renameSync(tmp, dataDir);
  } catch (e) {
    rmSync(tsDir, { recursive: true, force: true });
    throw e;
  }
  for (const p of toRemove) if (!p.includes('/')) { try { unlinkSync(join(targetDir, p)); } catch { /* gone */ } }
  if (oldTs) rmSync(join(targetDir, oldTs), { recursive: true, force: true });
  return true;
}
