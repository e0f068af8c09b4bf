// A container's CRI mounts (kubelet_pods.go makeMounts): its volumeMounts with subPath /
// subPathExpr, readOnly and propagation, the kubelet-managed /etc/hosts and the termination-message
// file.
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KObject } from '../api/types.js';
import { ContainerConfigError, expandSubPathExpr } from './env.js';

export interface MountedVolume { path: string; readOnly: boolean }

const propagation: Record<string, string> = {
  None: 'PROPAGATION_PRIVATE', HostToContainer: 'PROPAGATION_HOST_TO_CONTAINER', Bidirectional: 'PROPAGATION_BIDIRECTIONAL',
};

/** volume path + subPath, created as a directory when missing, and kept inside the volume (symlinks resolved) */
function subPathHost(volPath: string, subPath: string): string {
  if (subPath.startsWith('/')) throw new ContainerConfigError(`error SubPath \`${subPath}\` must not be an absolute path`);
  if (subPath.split('/').includes('..')) throw new ContainerConfigError(`unable to provision SubPath \`${subPath}\`: must not contain '..'`);
  const host = join(volPath, subPath);
  if (!existsSync(host)) mkdirSync(host, { recursive: true, mode: statSync(volPath).mode & 0o7777 });
  const root = realpathSync(volPath);
  const real = realpathSync(host);
  if (real !== root && !real.startsWith(`${root}/`)) throw new ContainerConfigError(`subpath "${real}" not within volume path "${root}"`);
  return real;
}

export interface MountOptions {
  podDir: string;
  volumes: Map<string, MountedVolume>;
  env: Map<string, string>;
  /** the pod's /etc/hosts on the host, mounted unless the container mounts its own */
  hostsFile?: string;
}

export function containerMounts(pod: KObject, c: any, o: MountOptions): any[] {
  const out: any[] = [];
  for (const m of c.volumeMounts ?? []) {
    const vol = o.volumes.get(m.name);
    if (!vol) throw new ContainerConfigError(`cannot find volume "${m.name}" to mount into container "${c.name}"`);
    let hostPath = vol.path;
    const subPath = m.subPathExpr ? expandSubPathExpr(m.subPathExpr, o.env) : (m.subPath ?? '');
    if (subPath) hostPath = subPathHost(vol.path, subPath);
    out.push({
      containerPath: m.mountPath, hostPath, readonly: !!m.readOnly || vol.readOnly,
      propagation: propagation[m.mountPropagation ?? 'None'] ?? 'PROPAGATION_PRIVATE',
    });
  }
  if (o.hostsFile && !out.some((m) => m.containerPath === '/etc/hosts')) out.push({ containerPath: '/etc/hosts', hostPath: o.hostsFile, readonly: false });
  const tmp = c.terminationMessagePath ?? '/dev/termination-log';
  if (tmp && !out.some((m) => m.containerPath === tmp)) {
    const dir = join(o.podDir, 'containers', c.name);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, randomBytes(4).toString('hex'));
    closeSync(openSync(file, 'w'));
    chmodSync(file, 0o666);
    out.push({ containerPath: tmp, hostPath: file, readonly: false });
  }
  return out;
}

/** the kubelet-managed /etc/hosts (managedHostsFileContent, or the node's own for host-network pods) */
export function hostsFileContent(pod: KObject, podIPs: string[], clusterDomain: string, nodeHosts?: string): string {
  const aliases: any[] = pod.spec?.hostAliases ?? [];
  const extra = aliases.length ? `\n# Entries added by HostAliases.\n${aliases.map((a) => `${a.ip}\t${(a.hostnames ?? []).join('\t')}\n`).join('')}` : '';
  if (pod.spec?.hostNetwork) return `# Kubernetes-managed hosts file (host network).\n${nodeHosts ?? ''}${extra}`;
  const host = String(pod.spec?.hostname || pod.metadata.name).slice(0, 63);
  const domain = pod.spec?.subdomain ? `${pod.spec.subdomain}.${pod.metadata.namespace}.svc.${clusterDomain}` : '';
  let s = '# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n'
    + 'fe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n';
  for (const ip of podIPs) s += domain ? `${ip}\t${host}.${domain}\t${host}\n` : `${ip}\t${host}\n`;
  return s + extra;
}

/**
 * writes <pod dir>/etc-hosts (upstream's ensureHostsFile); unlike upstream it is rewritten in place
 * when the pod's IP changed (a new sandbox), so running containers see the current one. Returns its path.
 */
export function ensureHostsFile(pod: KObject, podDir: string, podIPs: string[], clusterDomain: string): string | undefined {
  if (!podIPs.length && !pod.spec?.hostNetwork) return undefined;
  const file = join(podDir, 'etc-hosts');
  const exists = existsSync(file);
  if (exists && pod.spec?.hostNetwork) return file;
  const nodeHosts = pod.spec?.hostNetwork ? readFileSync('/etc/hosts', 'utf8') : undefined;
  const want = hostsFileContent(pod, podIPs, clusterDomain, nodeHosts);
  if (!exists || readFileSync(file, 'utf8') !== want) {
    mkdirSync(podDir, { recursive: true });
    writeFileSync(file, want, { mode: 0o644 });
  }
  return file;
}

/** upstream's limits: the message file is read up to 4 KiB; the log fallback takes its last 80 lines, at most 2 KiB */
const maxMessageBytes = 4096;
const fallbackLines = 80;
const fallbackBytes = 2048;

/**
 * A terminated container's message (getTerminationMessage upstream): the file mounted at its
 * terminationMessagePath (found in the CRI status' mounts), else, with FallbackToLogsOnError and a
 * failure, the tail of its CRI log file.
 */
export function terminationMessage(status: any, c: any, logFile?: string): string {
  const path = status?.annotations?.['io.kubernetes.container.terminationMessagePath'] ?? c?.terminationMessagePath ?? '/dev/termination-log';
  const m = (status?.mounts ?? []).find((x: any) => x.containerPath === path);
  let msg = '';
  if (m?.hostPath) {
    try { msg = readFileSync(m.hostPath).subarray(0, maxMessageBytes).toString('utf8'); } catch { /* gone */ }
  }
  if (!msg && c?.terminationMessagePolicy === 'FallbackToLogsOnError' && status?.exitCode !== 0 && logFile) {
    try {
      // CRI log lines: <time> <stream> <P|F> <text>; partial lines join the next
      const lines: string[] = [];
      let cur = '';
      for (const l of readFileSync(logFile, 'utf8').split('\n')) {
        const mm = /^\S+ \S+ ([PF]) (.*)$/.exec(l);
        if (!mm) continue;
        cur += mm[2];
        if (mm[1] === 'F') { lines.push(cur); cur = ''; }
      }
      const tail = Buffer.from(lines.slice(-fallbackLines).map((l) => `${l}\n`).join(''));
      msg = tail.subarray(Math.max(0, tail.length - fallbackBytes)).toString('utf8');
    } catch { /* no log */ }
  }
  return msg;
}
