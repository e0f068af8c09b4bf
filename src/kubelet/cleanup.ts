// Last-resort cleanup of a data dir's runtime leftovers, for tests' finally blocks after a crash:
// kills the containerd and shims that use this data dir's socket, unmounts everything under the
// data dir (lazily, deepest first), deletes the pods' network namespaces and the CNI bridge.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { processes } from '../util/proc.js';
import { cniNetwork, removeCniNetwork } from './cni.js';
import { containerdPaths } from './containerd.js';

function pidsUsing(needle: string): number[] {
  return processes().filter((p) => p.argv.some((a) => a.includes(needle))).map((p) => p.pid);
}

/** the host pid of each container's init, from the runc v2 shim state of this data dir's containerd */
function containerInits(state: string): number[] {
  const tasks = join(state, 'io.containerd.runtime.v2.task');
  const out: number[] = [];
  if (!existsSync(tasks)) return out;
  for (const ns of readdirSync(tasks)) {
    let ids: string[] = [];
    try { ids = readdirSync(join(tasks, ns)); } catch { continue; }
    for (const id of ids) {
      try { const pid = Number(readFileSync(join(tasks, ns, id, 'init.pid'), 'utf8').trim()); if (pid > 1) out.push(pid); } catch { /* no task */ }
    }
  }
  return out;
}

/** the inode of the network namespace a /proc/<pid>/ns/net link names */
function netnsInode(link: string): number | undefined {
  try { const m = /\[(\d+)\]/.exec(readlinkSync(link)); return m ? Number(m[1]) : undefined; } catch { return undefined; }
}

/**
 * the named network namespaces (/var/run/netns, where the CNI's live) that the given processes are
 * in: sandboxes the kubelet did not make (crictl runp, a benchmark) have no record in the pod dirs
 */
function namedNetnsOf(pids: number[]): string[] {
  const host = netnsInode('/proc/self/ns/net');
  const inodes = new Set(pids.map((pid) => netnsInode(`/proc/${pid}/ns/net`)).filter((i) => i !== undefined && i !== host));
  const dir = '/var/run/netns';
  if (inodes.size === 0 || !existsSync(dir)) return [];
  return readdirSync(dir).map((f) => join(dir, f)).filter((f) => { try { return inodes.has(statSync(f).ino); } catch { return false; } });
}

export function forceCleanup(dataDir: string): void {
  const dir = resolve(dataDir);
  const p = containerdPaths(dir);
  const inits = containerInits(p.state);
  const netns = namedNetnsOf(inits);
  // killing a container's init (pid 1 of its pid namespace) takes every process in it down, which
  // releases the pod network namespaces and their veths
  for (const pid of inits) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
  // shims are started with -address <socket>; containerd with --config <data dir>/...
  for (const pid of [...pidsUsing(p.socket), ...pidsUsing(p.config)]) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
  const podsDir = join(dir, 'agent', 'pods');
  if (existsSync(podsDir)) {
    for (const uid of readdirSync(podsDir)) {
      try { for (const f of readdirSync(join(podsDir, uid))) if (f.startsWith('netns-')) netns.push(readFileSync(join(podsDir, uid, f), 'utf8').trim()); } catch { /* not a dir */ }
    }
  }
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter((m) => m && (m === dir || m.startsWith(`${dir}/`)));
  for (const m of mounts.sort((a, b) => b.length - a.length)) { try { execFileSync('umount', ['-l', m], { stdio: 'ignore' }); } catch { /* already */ } }
  for (const ns of new Set(netns)) {
    try { execFileSync('umount', ['-l', ns], { stdio: 'ignore' }); } catch { /* not mounted */ }
    try { execFileSync('rm', ['-f', ns]); } catch { /* gone */ }
  }
  const net = cniNetwork(dir, p.cniConfDir);
  removeCniNetwork(net);
  // the service proxy's nftables table has the CNI network's name (src/proxy/index.ts proxyNames)
  try { execFileSync('nft', ['delete', 'table', 'inet', net.name], { stdio: 'ignore' }); } catch { /* none */ }
  // and the network policies' (src/netpol/index.ts netpolTable)
  try { execFileSync('nft', ['delete', 'table', 'inet', `${net.name}-np`], { stdio: 'ignore' }); } catch { /* none */ }
}
