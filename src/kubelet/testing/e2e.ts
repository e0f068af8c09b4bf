// Shared by the kubelet's end-to-end tests: the machine prerequisites and polling.
import { existsSync } from 'node:fs';
import { requirePrereq, which } from '../../util/prereq.js';

/** skip reason (locally) when the machine cannot run real containers; throws under CI=true */
export function kubeletPrereqs(): string | false {
  return requirePrereq(process.getuid?.() === 0 && !!which('containerd') && !!which('runc') && existsSync('/usr/lib/cni/bridge') && existsSync('/bin/busybox'),
    'root with containerd, runc, containernetworking-plugins and busybox-static (scripts/install-prereqs.sh)');
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** polls fn until it returns something other than undefined */
export async function until<T>(what: string, fn: () => T | undefined, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}
