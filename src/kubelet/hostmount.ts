// Mounts the kubelet makes on the host for pod volumes (tmpfs for memory-backed emptyDirs, secrets
// and projected volumes), found again through /proc/self/mountinfo, and removed before a pod's
// directory is deleted.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
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

// mount(8) runs as a child without blocking: this process also serves the API and every other component
const run = promisify(execFile);

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
