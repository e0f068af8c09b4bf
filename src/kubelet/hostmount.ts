// Mounts the kubelet makes on the host for pod volumes (tmpfs for memory-backed emptyDirs, secrets
// and projected volumes), found again through /proc/self/mountinfo, and removed before a pod's
// directory is deleted.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** mount points from /proc/self/mountinfo (octal escapes such as \040 decoded) */
export function mountPoints(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4])
    .filter(Boolean).map((m) => m.replace(/\\([0-7]{3})/g, (_s, o) => String.fromCharCode(parseInt(o, 8))));
}

export function isMountPoint(path: string): boolean { return mountPoints().includes(path); }

/** mounts a tmpfs at dir (which must exist) unless one is there; size in bytes */
export function mountTmpfs(dir: string, sizeBytes?: number): void {
  if (isMountPoint(dir)) return;
  const opts = ['nosuid', 'nodev', ...(sizeBytes ? [`size=${Math.ceil(sizeBytes)}`] : [])];
  execFileSync('mount', ['-t', 'tmpfs', '-o', opts.join(','), 'tmpfs', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** unmounts everything mounted at or below dir, deepest first (lazily when busy) */
export function unmountUnder(dir: string): void {
  const base = dir.replace(/\/+$/, '');
  const mine = mountPoints().filter((m) => m === base || m.startsWith(`${base}/`)).sort((a, b) => b.length - a.length);
  for (const m of mine) {
    try { execFileSync('umount', [m], { stdio: 'ignore' }); } catch {
      try { execFileSync('umount', ['-l', m], { stdio: 'ignore' }); } catch { /* already gone */ }
    }
  }
}
