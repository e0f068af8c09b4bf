// Mounts the kubelet makes on the host for pod volumes (tmpfs for memory-backed emptyDirs, secrets
// and projected volumes), found again through /proc/self/mountinfo, and removed before a pod's
// directory is deleted.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';

/** mount points from /proc/self/mountinfo (octal escapes such as \040 decoded) */
export function mountPoints(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4])
    .filter(Boolean).map((m) => m.replace(/\\([0-7]{3})/g, (_s, o) => String.fromCharCode(parseInt(o, 8))));
}

export function isMountPoint(path: string): boolean { return mountPoints().includes(path); }

/**
 * whether a filesystem of its own is mounted at dir: its device differs from its parent's. Cheap
 * (two stats) where isMountPoint reads the whole mount table, which grows with every pod; it misses
 * bind mounts within one filesystem, which is fine for the tmpfs mounts made here.
 */
async function hasOwnFilesystem(dir: string): Promise<boolean> {
  const [d, p] = await Promise.all([stat(dir), stat(dirname(dir))]);
  return d.dev !== p.dev;
}

/**
 * Runs commands (mount, umount) in one long-lived shell. Forking this process, which also serves
 * the API and every other component, copies its page tables and blocks its event loop (~10 ms per
 * pod volume in a profile); the shell is small, so its forks are cheap and happen off this process.
 * Each command answers one line: `<id> <exit code> <output>`.
 */
class CommandShell {
  private sh?: ChildProcess;
  private seq = 0;
  private readonly pending = new Map<number, { resolve: () => void; reject: (e: Error) => void; argv: string[] }>();

  run(argv: string[]): Promise<void> {
    const sh = this.shell();
    const id = ++this.seq;
    const quoted = argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, argv });
      this.hold(sh, true);
      sh.stdin!.write(`out=$(${quoted} 2>&1 </dev/null); rc=$?; printf '%s %s %s\\n' ${id} "$rc" "$(printf %s "$out" | tr '\\n' ' ')"\n`);
    });
  }

  /** the shell keeps this process alive only while a command is pending */
  private hold(sh: ChildProcess, on: boolean): void {
    for (const h of [sh, sh.stdout] as any[]) { if (on) h?.ref?.(); else h?.unref?.(); }
  }

  private shell(): ChildProcess {
    if (this.sh && this.sh.exitCode === null && !this.sh.killed) return this.sh;
    const sh = spawn('sh', ['-s'], { stdio: ['pipe', 'pipe', 'ignore'] });
    this.sh = sh;
    this.hold(sh, false);
    (sh.stdin as any)?.unref?.();
    sh.stdin!.on('error', () => undefined);
    createInterface({ input: sh.stdout! }).on('line', (line) => {
      const m = /^(\d+) (\d+) ?(.*)$/.exec(line);
      const p = m && this.pending.get(Number(m[1]));
      if (!m || !p) return;
      this.pending.delete(Number(m[1]));
      if (!this.pending.size) this.hold(sh, false);
      if (m[2] === '0') p.resolve();
      else p.reject(new Error(`${p.argv.join(' ')}: exit status ${m[2]}: ${m[3].trim()}`));
    });
    const fail = (e: Error) => {
      if (this.sh === sh) this.sh = undefined;
      for (const [id, p] of this.pending) { this.pending.delete(id); p.reject(e); }
    };
    sh.on('exit', (code) => fail(new Error(`command shell exited (${code})`)));
    sh.on('error', fail);
    return sh;
  }
}

const shell = new CommandShell();
/** runs argv in the long-lived shell; rejects with its exit status and output when it fails */
export const runCommand = (argv: string[]): Promise<void> => shell.run(argv);
const run = (cmd: string, args: string[]) => shell.run([cmd, ...args]);

/** mounts a tmpfs at dir (which must exist) unless one is there; size in bytes */
export async function mountTmpfs(dir: string, sizeBytes?: number): Promise<void> {
  if (await hasOwnFilesystem(dir)) return;
  const opts = ['nosuid', 'nodev', ...(sizeBytes ? [`size=${Math.ceil(sizeBytes)}`] : [])];
  await run('mount', ['-t', 'tmpfs', '-o', opts.join(','), 'tmpfs', dir]);
}

/** unmounts everything mounted at or below dir, deepest first (lazily when busy) */
export async function unmountUnder(dir: string): Promise<void> {
  const base = dir.replace(/\/+$/, '');
  const mine = mountPoints().filter((m) => m === base || m.startsWith(`${base}/`)).sort((a, b) => b.length - a.length);
  for (const m of mine) {
    try { await run('umount', [m]); } catch {
      try { await run('umount', ['-l', m]); } catch { /* already gone */ }
    }
  }
}
