// Tests that need something from the machine (root, a Debian package) call requirePrereq.
// Without CI=true a missing prerequisite skips the test with its reason; with CI=true it fails.
import { execFileSync } from 'node:child_process';

export function which(cmd: string): string | undefined {
  try { return execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim() || undefined; } catch { return undefined; }
}

/** returns a skip reason (string) or false; throws under CI=true */
export function requirePrereq(ok: boolean, what: string): string | false {
  if (ok) return false;
  if (process.env.CI === 'true') throw new Error(`missing prerequisite in CI: ${what}`);
  return `missing prerequisite: ${what}`;
}
