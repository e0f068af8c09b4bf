// Pod volumes on this node, as upstream's volume plugins set them up under
// <pod dir>/volumes/kubernetes.io~<plugin>/<name>: emptyDir (a directory, or a tmpfs for medium
// Memory), hostPath (with its type check), configMap / secret / downwardAPI / projected (files
// written by the atomic writer; secrets and projected volumes on a tmpfs, as upstream),
// persistentVolumeClaim and generic ephemeral volumes (the bound PV's hostPath or local path).
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, existsSync, lchownSync, lstatSync, mkdirSync, openSync, readdirSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import type { KObject } from '../api/types.js';
import { parseQuantity } from '../api/validation/quantity.js';
import { ephemeralClaimName } from '../api/volumes.js';
import { writeAtomic, type Payload } from './atomicwriter.js';
import { podFieldValue, resourceFieldValue, type Allocatable, type FieldContext } from './env.js';
import { mountTmpfs } from './hostmount.js';

/** what volumes are built from; lookups resolve to undefined when the object is not found */
export interface VolumeSources extends FieldContext {
  configMap(namespace: string, name: string): Promise<KObject | undefined>;
  secret(namespace: string, name: string): Promise<KObject | undefined>;
  claim(namespace: string, name: string): Promise<KObject | undefined>;
  persistentVolume(name: string): Promise<KObject | undefined>;
  /** a service account token for a projected source; undefined when the server cannot issue one (the source is skipped) */
  token(pod: KObject, source: { audience?: string; expirationSeconds?: number }): Promise<string | undefined>;
  allocatable: Allocatable;
}

export const defaultMode = 0o644;
const b64 = (s: string) => Buffer.from(s, 'base64');

export function volumeDir(podDir: string, plugin: string, name: string): string {
  return join(podDir, 'volumes', `kubernetes.io~${plugin}`, name);
}

/** the plugin a volume uses, as upstream names its directory; undefined when unsupported */
export function volumePlugin(vol: any): string | undefined {
  if (vol.emptyDir) return 'empty-dir';
  if (vol.configMap) return 'configmap';
  if (vol.secret) return 'secret';
  if (vol.downwardAPI) return 'downward-api';
  if (vol.projected) return 'projected';
  if (vol.hostPath) return 'host-path';
  if (vol.persistentVolumeClaim || vol.ephemeral) return 'pvc';
  return undefined;
}

/** configMap/secret/downwardAPI/projected volumes are always mounted read-only, as upstream */
export function volumeReadOnly(vol: any): boolean {
  return !!(vol.configMap || vol.secret || vol.downwardAPI || vol.projected || vol.persistentVolumeClaim?.readOnly);
}

/** the files of a configMap or secret (MakePayload): all keys, or the listed items */
function keysPayload(kind: 'configmap' | 'secret', obj: KObject | undefined, items: any[] | undefined, mode: number, optional: boolean, into: Payload): void {
  if (!obj) return;
  const files = new Map<string, Buffer>();
  if (kind === 'configmap') {
    for (const [k, v] of Object.entries((obj.data ?? {}) as Record<string, string>)) files.set(k, Buffer.from(v, 'utf8'));
    for (const [k, v] of Object.entries((obj.binaryData ?? {}) as Record<string, string>)) files.set(k, b64(v));
  } else {
    for (const [k, v] of Object.entries((obj.data ?? {}) as Record<string, string>)) files.set(k, b64(v));
  }
  if (!items?.length) {
    for (const [k, data] of files) into.set(k, { data, mode });
    return;
  }
  for (const it of items) {
    const data = files.get(it.key);
    if (!data) {
      if (optional) continue;
      throw new Error(kind === 'configmap' ? `configmap references non-existent config key: ${it.key}` : `secret references non-existent secret key: ${it.key}`);
    }
    into.set(it.path, { data, mode: it.mode ?? mode });
  }
}

async function fetchKeys(kind: 'configmap' | 'secret', pod: KObject, ref: any, mode: number, src: VolumeSources, into: Payload): Promise<void> {
  const ns = pod.metadata.namespace!;
  const name: string = kind === 'configmap' ? ref.name : (ref.secretName ?? ref.name);
  const obj = await (kind === 'configmap' ? src.configMap(ns, name) : src.secret(ns, name));
  if (!obj && !ref.optional) throw new Error(`${kind} "${name}" not found`);
  keysPayload(kind, obj, ref.items, mode, !!ref.optional, into);
}

function downwardPayload(pod: KObject, items: any[] | undefined, mode: number, src: VolumeSources, into: Payload): void {
  for (const it of items ?? []) {
    let value: string;
    if (it.fieldRef) value = podFieldValue(pod, it.fieldRef.fieldPath, src);
    else if (it.resourceFieldRef) {
      const c = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((x: any) => x.name === it.resourceFieldRef.containerName);
      if (!c) throw new Error(`cannot find container ${JSON.stringify(it.resourceFieldRef.containerName ?? '')} in pod ${pod.metadata.name}`);
      value = resourceFieldValue(c, it.resourceFieldRef, src.allocatable);
    } else continue;
    into.set(it.path, { data: Buffer.from(value, 'utf8'), mode: it.mode ?? mode });
  }
}

/** upstream's FsUserFrom: the user every (init) container runs as, if they all set the same one */
export function fsUserOf(pod: KObject): number | undefined {
  let user: number | undefined;
  for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
    const u = c?.securityContext?.runAsUser ?? pod.spec?.securityContext?.runAsUser;
    if (typeof u !== 'number' || (user !== undefined && user !== u)) return undefined;
    user = u;
  }
  return user;
}

/** the files of a configMap, secret, downwardAPI or projected volume */
export async function volumePayload(pod: KObject, vol: any, src: VolumeSources): Promise<Payload> {
  const out: Payload = new Map();
  if (vol.configMap) await fetchKeys('configmap', pod, vol.configMap, vol.configMap.defaultMode ?? defaultMode, src, out);
  else if (vol.secret) await fetchKeys('secret', pod, vol.secret, vol.secret.defaultMode ?? defaultMode, src, out);
  else if (vol.downwardAPI) downwardPayload(pod, vol.downwardAPI.items, vol.downwardAPI.defaultMode ?? defaultMode, src, out);
  else if (vol.projected) {
    const mode = vol.projected.defaultMode ?? defaultMode;
    const errors: string[] = [];
    for (const s of vol.projected.sources ?? []) {
      try {
        if (s.configMap) await fetchKeys('configmap', pod, s.configMap, mode, src, out);
        else if (s.secret) await fetchKeys('secret', pod, s.secret, mode, src, out);
        else if (s.downwardAPI) downwardPayload(pod, s.downwardAPI.items, mode, src, out);
        else if (s.serviceAccountToken) {
          const token = await src.token(pod, s.serviceAccountToken);
          // as upstream: with an fsUser or fsGroup the token is 0600 (0640 once the group is applied), owned by the fsUser
          const fsUser = fsUserOf(pod), owned = fsUser !== undefined || pod.spec?.securityContext?.fsGroup !== undefined;
          if (token !== undefined) out.set(s.serviceAccountToken.path, { data: Buffer.from(token, 'utf8'), mode: owned ? 0o600 : mode, ...(fsUser !== undefined ? { uid: fsUser } : {}) });
        }
      } catch (e) { errors.push(e instanceof Error ? e.message : String(e)); }
    }
    if (errors.length) throw new Error(errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`);
  }
  return out;
}

/** a digest of a payload, to skip rewriting an unchanged volume */
export function payloadDigest(p: Payload): string {
  const h = createHash('sha256');
  for (const k of [...p.keys()].sort()) { const f = p.get(k)!; h.update(`${k}\0${f.mode}\0${f.uid ?? ''}\0${f.data.length}\0`); h.update(f.data); }
  return h.digest('hex');
}

const fileTypes: Record<string, [string, (s: Stats) => boolean]> = {
  Directory: ['directory', (s) => s.isDirectory()], File: ['file', (s) => s.isFile()], Socket: ['socket file', (s) => s.isSocket()],
  CharDevice: ['character device', (s) => s.isCharacterDevice()], BlockDevice: ['block device', (s) => s.isBlockDevice()],
};
function fileType(s: Stats): string {
  return Object.keys(fileTypes).find((t) => fileTypes[t][1](s)) ?? 'Unknown';
}

/** hostPath's type check (checkType): creates for DirectoryOrCreate / FileOrCreate, else verifies */
export function checkHostPathType(path: string, type: string | undefined): void {
  if (!type) return;
  let want = type;
  if (type === 'DirectoryOrCreate') { if (!existsSync(path)) mkdirSync(path, { recursive: true, mode: 0o755 }); want = 'Directory'; }
  if (type === 'FileOrCreate') { if (!existsSync(path)) closeSync(openSync(path, 'a', 0o644)); want = 'File'; }
  const t = fileTypes[want];
  if (!t) throw new Error(`${type} is an invalid volume type`);
  if (!existsSync(path)) throw new Error(`hostPath ${path} doesn't exist`);
  const st = statSync(path);
  if (!t[1](st)) throw new Error(`hostPath type check failed: ${path} is not a ${t[0]}, it's a ${fileType(st)}`);
}

/** the memory a tmpfs emptyDir may use: its sizeLimit, else the pod's memory limit when every container has one */
function tmpfsSize(pod: KObject, vol: any): number | undefined {
  const limit = parseQuantity(vol.emptyDir?.sizeLimit);
  if (limit) return limit;
  const cs: any[] = pod.spec?.containers ?? [];
  const limits = cs.map((c) => parseQuantity(c.resources?.limits?.memory));
  return limits.length && limits.every((l) => l) ? limits.reduce((a, b) => a! + b!, 0) : undefined;
}

async function claimPath(pod: KObject, claimName: string, src: VolumeSources): Promise<string> {
  const ns = pod.metadata.namespace!;
  const claim = await src.claim(ns, claimName);
  if (!claim) throw new Error(`error processing PVC ${ns}/${claimName}: failed to fetch PVC from API server: persistentvolumeclaims "${claimName}" not found`);
  if (claim.status?.phase !== 'Bound' || !claim.spec?.volumeName) {
    throw new Error(`PVC ${ns}/${claimName} has non-bound phase (${JSON.stringify(claim.status?.phase ?? '')}) or empty pvc.Spec.VolumeName (${JSON.stringify(claim.spec?.volumeName ?? '')})`);
  }
  const pv = await src.persistentVolume(claim.spec.volumeName);
  if (!pv) throw new Error(`error processing PVC ${ns}/${claimName}: failed to fetch PV ${claim.spec.volumeName} from API server: persistentvolumes "${claim.spec.volumeName}" not found`);
  if (pv.spec?.hostPath) { checkHostPathType(pv.spec.hostPath.path, pv.spec.hostPath.type); return pv.spec.hostPath.path; }
  if (pv.spec?.local) { checkHostPathType(pv.spec.local.path, 'Directory'); return pv.spec.local.path; }
  throw new Error(`volume ${pv.metadata.name} of claim ${ns}/${claimName} has no hostPath or local source; no volume plugin on this node can mount it`);
}

/** SetVolumeOwnership: everything in dir gets group gid; directories setgid and group-accessible, files group-readable (and writable unless readOnly) */
export function setOwnership(dir: string, gid: number, readOnly: boolean): void {
  const walk = (p: string) => {
    const st = lstatSync(p);
    lchownSync(p, st.uid, gid);
    if (st.isSymbolicLink()) return;
    const mask = st.isDirectory() ? 0o2000 | (readOnly ? 0o550 : 0o770) : (readOnly ? 0o440 : 0o660);
    chmodSync(p, (st.mode & 0o7777) | mask);
    if (st.isDirectory()) for (const n of readdirSync(p)) walk(join(p, n));
  };
  walk(dir);
}

export interface VolumeState {
  /** the host path of each volume set up */
  paths: Map<string, string>;
  /** digest of what each file volume last held */
  digests: Map<string, string>;
  /** volumes whose directory (and tmpfs) is set up */
  ready: Set<string>;
}

/**
 * Sets up (or refreshes) one volume; returns its host path. Throws with upstream's message when it
 * cannot (the caller reports MountVolume.SetUp failed).
 */
export async function setUpVolume(pod: KObject, vol: any, podDir: string, src: VolumeSources, state: VolumeState): Promise<string> {
  const plugin = volumePlugin(vol);
  if (!plugin) throw new Error(`no volume plugin matched for volume "${vol.name}"`);
  if (vol.hostPath) { checkHostPathType(vol.hostPath.path, vol.hostPath.type); return vol.hostPath.path; }
  if (vol.persistentVolumeClaim || vol.ephemeral) {
    const known = state.paths.get(vol.name);
    if (known) return known;
    return claimPath(pod, vol.persistentVolumeClaim?.claimName ?? ephemeralClaimName(pod, vol.name), src);
  }
  const dir = volumeDir(podDir, plugin, vol.name);
  const fsGroup: number | undefined = pod.spec?.securityContext?.fsGroup;
  if (!state.ready.has(vol.name)) {
    // every volume directory is an emptyDir upstream (configMaps and the rest wrap one): 0777; a
    // tmpfs mounted on it keeps its own 1777 root. Secrets and projected data (tokens) stay off the disk.
    if (!existsSync(dir)) { mkdirSync(dir, { recursive: true, mode: 0o750 }); chmodSync(dir, 0o777); }
    if (vol.emptyDir?.medium === 'Memory') await mountTmpfs(dir, tmpfsSize(pod, vol));
    else if (vol.secret || vol.projected) await mountTmpfs(dir);
    if (vol.emptyDir && fsGroup !== undefined) setOwnership(dir, fsGroup, false);
    state.ready.add(vol.name);
  }
  if (vol.emptyDir) return dir;
  const payload = await volumePayload(pod, vol, src);
  // with an fsGroup the files are group-readable (SetVolumeOwnership's read-only mask)
  if (fsGroup !== undefined) for (const f of payload.values()) f.mode |= 0o440;
  const digest = payloadDigest(payload);
  if (state.digests.get(vol.name) !== digest) {
    if (writeAtomic(dir, payload) && fsGroup !== undefined) setOwnership(dir, fsGroup, true);
    state.digests.set(vol.name, digest);
  }
  return dir;
}

/** the disk space a directory tree takes (allocated blocks, as du), without following links; 0 if missing */
export function diskUsage(dir: string): number {
  let total = 0;
  const walk = (p: string) => {
    let st: Stats;
    try { st = lstatSync(p); } catch { return; }
    total += st.blocks * 512;
    if (st.isDirectory()) { let names: string[] = []; try { names = readdirSync(p); } catch { /* gone */ } for (const n of names) walk(join(p, n)); }
  };
  walk(dir);
  return total;
}
