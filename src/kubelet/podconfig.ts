// What a container is given from its Pod: the CRI ContainerConfig (command, env, mounts, security
// context) and the per-pod files behind its volumes. One instance per kubelet; `prepare` runs on
// every pod sync (idempotent: it refreshes configMap/secret/downwardAPI/projected volumes when
// their content changed), `release` when the pod is gone. ConfigMaps, Secrets and Services come
// from informers, with a GET when the cache does not have an object (yet).
import type { KObject } from '../api/types.js';
import { StatusError } from '../api/status.js';
import { EventRecorder, isNotFound, SharedInformer, type ResourceRef, type RestClient } from '../client/index.js';
import { ContainerConfigError, expandArgs, makeEnvironment, type Allocatable, type EnvSources } from './env.js';
import { unmountUnder } from './hostmount.js';
import { containerMounts, ensureHostsFile, type MountedVolume } from './mounts.js';
import { containerNameLabel, podDir, podNameLabel, podNamespaceLabel, podUidLabel, type RuntimeOptions } from './runtime.js';
import { setUpVolume, volumeReadOnly, type VolumeSources, type VolumeState } from './volumes.js';

export { ContainerConfigError } from './env.js';

const core = (plural: string, kind: string, namespaced = true): ResourceRef => ({ group: '', version: 'v1', plural, namespaced, kind });
const configMaps = core('configmaps', 'ConfigMap');
const secrets = core('secrets', 'Secret');
const services = core('services', 'Service');
const claims = core('persistentvolumeclaims', 'PersistentVolumeClaim');
const volumes = core('persistentvolumes', 'PersistentVolume', false);
const nodes = core('nodes', 'Node', false);

interface PodState extends VolumeState { failed: string[] }
interface Token { token: string; refreshAt: number }

/** a volume that keeps failing is reported again after this long */
const failureEventMs = 30_000;

/** the event's object (list items may come without kind) */
const podRef = (pod: KObject) => ({ kind: 'Pod', apiVersion: 'v1', namespace: pod.metadata.namespace, name: pod.metadata.name!, uid: pod.metadata.uid });

const errText = (e: unknown) => (e instanceof Error ? e.message : String(e));

export class PodConfig {
  private readonly informers: Record<'configMaps' | 'secrets' | 'services', SharedInformer>;
  private recorder?: EventRecorder;
  private readonly pods = new Map<string, PodState>();
  private readonly tokens = new Map<string, Token>();
  /** when a FailedMount event was last recorded, by pod uid, volume and message (a retry runs every resync) */
  private readonly lastFailure = new Map<string, number>();
  /** until when the server is taken not to serve serviceaccounts/token */
  private tokenUnsupportedUntil = 0;
  private node?: { obj: KObject; at: number };

  constructor(private readonly client: RestClient, private readonly rt: RuntimeOptions, private readonly log: (msg: string) => void = () => {}) {
    this.informers = { configMaps: new SharedInformer(client, configMaps), secrets: new SharedInformer(client, secrets), services: new SharedInformer(client, services) };
  }

  /** starts the ConfigMap, Secret and Service caches; returns when synced (at most 30 s), or the signal aborts */
  async start(signal: AbortSignal): Promise<void> {
    const all = Object.values(this.informers);
    for (const i of all) i.start(signal);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(all.map((i) => i.waitForSync(signal))),
      new Promise((r) => { timer = setTimeout(r, 30_000); }),
    ]);
    clearTimeout(timer);
  }

  /** creates/refreshes the pod's volumes on this node (after its sandbox is up, before containers start) */
  async prepare(pod: KObject): Promise<void> {
    const uid = pod.metadata.uid!;
    let st = this.pods.get(uid);
    if (!st) this.pods.set(uid, (st = { paths: new Map(), digests: new Map(), ready: new Set(), failed: [] }));
    const src = await this.volumeSources(pod);
    const dir = podDir(this.rt.podsDir, uid);
    const failed: string[] = [];
    for (const vol of pod.spec?.volumes ?? []) {
      try {
        st.paths.set(vol.name, await setUpVolume(pod, vol, dir, src, st));
      } catch (e) {
        const msg = `MountVolume.SetUp failed for volume "${vol.name}" : ${errText(e)}`;
        // a volume set up before keeps its last content (a failed refresh holds nothing back, as upstream)
        if (!st.paths.has(vol.name)) failed.push(vol.name);
        const key = `${uid}/${vol.name}/${msg}`;
        if (Date.now() - (this.lastFailure.get(key) ?? 0) >= failureEventMs) {
          this.lastFailure.set(key, Date.now());
          this.events(pod).event(podRef(pod), 'Warning', 'FailedMount', msg);
        }
      }
    }
    if (failed.length && !st.failed.length) this.log(`kubelet: pod ${pod.metadata.namespace}/${pod.metadata.name}: unmounted volumes=[${failed.join(' ')}]`);
    st.failed = failed;
  }

  /** whether every volume of the pod is set up (until then, as upstream, no image is pulled and no container made) */
  volumesReady(pod: KObject): boolean {
    return !this.pods.get(pod.metadata.uid!)?.failed.length;
  }

  /** the CRI ContainerConfig for one container attempt; throws ContainerConfigError when it cannot be built */
  async containerConfig(pod: KObject, c: any, attempt: number, podIP: string): Promise<any> {
    const uid = pod.metadata.uid!;
    const st = this.pods.get(uid);
    // as upstream, no container starts until every volume of the pod is set up
    if (st?.failed.length) throw new ContainerConfigError('', 'ContainerCreating');
    const node = await this.nodeObject(pod);
    const ns = pod.metadata.namespace!;
    const hostIP = this.hostIP(pod, node);
    // a host-network pod's IP is the node's
    const ip = podIP || (pod.spec?.hostNetwork ? hostIP : '');
    const src: EnvSources = {
      podIP: ip, podIPs: ip ? [ip] : [], hostIP, allocatable: node?.status?.allocatable ?? {},
      configMap: (name) => this.lookup('configMaps', configMaps, ns, name),
      secret: (name) => this.lookup('secrets', secrets, ns, name),
      services: this.informers.services.lister.list(),
      warn: (reason, message) => this.events(pod).event(podRef(pod), 'Warning', reason, message),
    };
    const env = await makeEnvironment(pod, c, src);
    const dir = podDir(this.rt.podsDir, uid);
    const vols = new Map<string, MountedVolume>();
    for (const v of pod.spec?.volumes ?? []) {
      const path = st?.paths.get(v.name);
      if (path) vols.set(v.name, { path, readOnly: volumeReadOnly(v) });
    }
    let hostsFile: string | undefined;
    try { hostsFile = ensureHostsFile(pod, dir, src.podIPs, this.rt.clusterDomain); } catch (e) { this.log(`kubelet: /etc/hosts for ${ns}/${pod.metadata.name}: ${errText(e)}`); }
    const mounts = containerMounts(pod, c, { podDir: dir, volumes: vols, env, hostsFile });
    const sc = c.securityContext ?? {};
    const psc = pod.spec?.securityContext ?? {};
    const runAsUser = sc.runAsUser ?? psc.runAsUser;
    const runAsGroup = sc.runAsGroup ?? psc.runAsGroup;
    if (sc.runAsNonRoot ?? psc.runAsNonRoot) await this.verifyNonRoot(pod, c, runAsUser);
    const caps = sc.capabilities ?? {};
    return {
      metadata: { name: c.name, attempt },
      image: { image: c.image },
      command: expandArgs(c.command, env), args: expandArgs(c.args, env), workingDir: c.workingDir ?? '',
      envs: [...env].map(([key, value]) => ({ key, value })),
      mounts,
      labels: { [podUidLabel]: uid, [podNameLabel]: pod.metadata.name, [podNamespaceLabel]: ns, [containerNameLabel]: c.name },
      annotations: { 'io.kubernetes.container.terminationMessagePath': c.terminationMessagePath ?? '/dev/termination-log' },
      logPath: `${c.name}/${attempt}.log`,
      stdin: !!c.stdin, stdinOnce: !!c.stdinOnce, tty: !!c.tty,
      linux: {
        securityContext: {
          privileged: !!sc.privileged,
          ...(runAsUser !== undefined ? { runAsUser: { value: runAsUser } } : {}),
          ...(runAsGroup !== undefined ? { runAsGroup: { value: runAsGroup } } : {}),
          ...(psc.supplementalGroups?.length || psc.fsGroup !== undefined ? { supplementalGroups: [...(psc.fsGroup !== undefined ? [psc.fsGroup] : []), ...(psc.supplementalGroups ?? [])] } : {}),
          readonlyRootfs: !!sc.readOnlyRootFilesystem,
          ...(caps.add?.length || caps.drop?.length ? { capabilities: { addCapabilities: caps.add ?? [], dropCapabilities: caps.drop ?? [] } } : {}),
          // upstream: no_new_privs unless privilege escalation is allowed (the default)
          noNewPrivs: sc.allowPrivilegeEscalation === false,
          namespaceOptions: { network: pod.spec?.hostNetwork ? 'NODE' : 'POD', pid: pod.spec?.hostPID ? 'NODE' : pod.spec?.shareProcessNamespace ? 'POD' : 'CONTAINER', ipc: pod.spec?.hostIPC ? 'NODE' : 'POD' },
        },
      },
    };
  }

  /**
   * upstream's verifyRunAsNonRoot: a container that must not run as root may not name uid 0, and
   * without a uid of its own the image's user decides (none given means root)
   */
  private async verifyNonRoot(pod: KObject, c: any, runAsUser: number | undefined): Promise<void> {
    const who = `pod: "${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})", container: ${c.name}`;
    if (runAsUser !== undefined) {
      if (runAsUser === 0) throw new ContainerConfigError(`container's runAsUser breaks non-root policy (${who})`);
      return;
    }
    const img = this.rt.imageStatus ? await this.rt.imageStatus(c.image) : undefined;
    const uid = img?.uid?.value;
    if (uid === undefined && img?.username) throw new ContainerConfigError(`container has runAsNonRoot and image has non-numeric user (${img.username}), cannot verify user is non-root (${who})`);
    if (uid === undefined || Number(uid) === 0) throw new ContainerConfigError(`container has runAsNonRoot and image will run as root (${who})`);
  }

  /** frees what prepare made for a pod (unmounts, state); the pod's dir itself is removed by killPod */
  async release(uid: string): Promise<void> {
    await unmountUnder(podDir(this.rt.podsDir, uid));
    this.pods.delete(uid);
    for (const m of [this.tokens, this.lastFailure]) for (const k of [...m.keys()]) if (k.startsWith(`${uid}/`)) m.delete(k);
  }

  private events(pod: KObject): EventRecorder {
    return (this.recorder ??= new EventRecorder(this.client, { component: 'kubelet', host: pod.spec?.nodeName }));
  }

  /** from the cache, else a GET (the cache may lag a just-created object); undefined when not found */
  private async lookup(which: keyof PodConfig['informers'], r: ResourceRef, ns: string, name: string): Promise<KObject | undefined> {
    const cached = this.informers[which].lister.get(ns, name);
    if (cached) return cached;
    try { return await this.client.get(r, name, { namespace: ns }); } catch (e) { if (isNotFound(e)) return undefined; throw e; }
  }

  private async get(r: ResourceRef, ns: string, name: string): Promise<KObject | undefined> {
    try { return await this.client.get(r, name, { namespace: ns }); } catch (e) { if (isNotFound(e)) return undefined; throw e; }
  }

  private async nodeObject(pod: KObject): Promise<KObject | undefined> {
    const name = pod.spec?.nodeName;
    if (!name) return undefined;
    if (this.node && this.node.obj.metadata.name === name && Date.now() - this.node.at < 30_000) return this.node.obj;
    try { this.node = { obj: await this.client.get(nodes, name), at: Date.now() }; } catch { /* keep the last one */ }
    return this.node?.obj;
  }

  private hostIP(pod: KObject, node: KObject | undefined): string {
    return node?.status?.addresses?.find((a: any) => a.type === 'InternalIP')?.address ?? pod.status?.hostIP ?? '';
  }

  private async volumeSources(pod: KObject): Promise<VolumeSources> {
    const node = await this.nodeObject(pod);
    const podIP = pod.status?.podIP ?? '';
    return {
      podIP, podIPs: (pod.status?.podIPs ?? []).map((p: any) => p.ip), hostIP: this.hostIP(pod, node), allocatable: node?.status?.allocatable ?? {} as Allocatable,
      configMap: (ns, name) => this.lookup('configMaps', configMaps, ns, name),
      secret: (ns, name) => this.lookup('secrets', secrets, ns, name),
      claim: (ns, name) => this.get(claims, ns, name),
      persistentVolume: (name) => this.get(volumes, '', name),
      token: (p, s) => this.token(p, s),
    };
  }

  /** a bound service account token from the TokenRequest API, renewed at 80% of its life; undefined when the server has no serviceaccounts/token */
  private async token(pod: KObject, s: { audience?: string; expirationSeconds?: number; path?: string }): Promise<string | undefined> {
    if (Date.now() < this.tokenUnsupportedUntil) return undefined;
    const key = `${pod.metadata.uid}/${s.audience ?? ''}/${s.expirationSeconds ?? 3600}`;
    const have = this.tokens.get(key);
    if (have && Date.now() < have.refreshAt) return have.token;
    const ns = pod.metadata.namespace!;
    const sa = pod.spec?.serviceAccountName || 'default';
    const ttl = s.expirationSeconds ?? 3600;
    try {
      const tr = await this.client.request('POST', `/api/v1/namespaces/${encodeURIComponent(ns)}/serviceaccounts/${encodeURIComponent(sa)}/token`, {
        apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest',
        spec: { audiences: s.audience ? [s.audience] : [], expirationSeconds: ttl, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, uid: pod.metadata.uid } },
      });
      const token = tr?.status?.token;
      if (typeof token !== 'string') throw new Error('TokenRequest returned no token');
      const exp = Date.parse(tr.status.expirationTimestamp ?? '') || Date.now() + ttl * 1000;
      this.tokens.set(key, { token, refreshAt: Date.now() + (exp - Date.now()) * 0.8 });
      return token;
    } catch (e) {
      // the API has no token subresource (vs. a missing service account, which is a real error)
      if (e instanceof StatusError && (e.code === 405 || e.code === 501 || (e.code === 404 && e.details?.kind !== 'serviceaccounts'))) {
        if (!this.tokenUnsupportedUntil) this.log(`kubelet: the API server cannot issue service account tokens (${e.message}); projected serviceAccountToken sources are skipped`);
        this.tokenUnsupportedUntil = Date.now() + 300_000;
        return undefined;
      }
      if (have) return have.token;
      throw e;
    }
  }
}
