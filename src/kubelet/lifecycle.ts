// Container lifecycle as upstream's kuberuntime: postStart/preStop handlers (exec, httpGet, sleep)
// and graceful termination: Killing event, preStop within the grace period, then CRI StopContainer
// (SIGTERM, SIGKILL when the remaining grace runs out; never less than 2 s), containers of a pod in
// parallel, then the sandbox.
import { type CriClient, isCriNotFound } from './cri/client.js';
import type { ExecFn } from './execsync.js';
import { httpCheck, resolvePort } from './probes.js';
import { podSandboxes, removePodDir, sandboxContainers } from './runtime.js';

/** minimumGracePeriodInSeconds upstream: containers always get this long between SIGTERM and SIGKILL */
export const minimumGraceSeconds = 2;

export type EventFn = (c: any, containerId: string, type: 'Normal' | 'Warning', reason: string, message: string) => void;

export interface LifecycleContext {
  cri: CriClient;
  exec: ExecFn;
  pod: any;
  podIP: string;
  event: EventFn;
}

const fmtPod = (pod: any) => `${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`;
const sleep = (ms: number, signal?: AbortSignal) => new Promise<void>((resolve) => {
  const t = setTimeout(resolve, ms);
  signal?.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
});

export interface HandlerRun { container: any; containerId: string; handler: any; signal?: AbortSignal }

/** runs a lifecycle handler; resolves to an error message, or undefined when it succeeded */
export async function runHandler(ctx: LifecycleContext, run: HandlerRun): Promise<string | undefined> {
  const { container: c, containerId, handler: h, signal } = run;
  if (h.exec) {
    const cmd: string[] = h.exec.command ?? [];
    try {
      const r = await ctx.exec(containerId, cmd, 0);
      if (r.exitCode === 0) return undefined;
      return `Exec lifecycle hook (${JSON.stringify(cmd)}) for Container ${JSON.stringify(c.name)} in Pod ${JSON.stringify(fmtPod(ctx.pod))} failed - error: command '${cmd.join(' ')}' exited with ${r.exitCode}: ${r.stderr}, message: ${JSON.stringify(r.stdout + r.stderr)}`;
    } catch (e) {
      return `Exec lifecycle hook (${JSON.stringify(cmd)}) for Container ${JSON.stringify(c.name)} in Pod ${JSON.stringify(fmtPod(ctx.pod))} failed - error: ${(e as Error).message}, message: ""`;
    }
  }
  if (h.httpGet) {
    let err: string | undefined;
    try {
      resolvePort(h.httpGet.port, c);
      const o = await httpCheck(h.httpGet, { podIP: ctx.podIP, container: c }, 30_000);
      if (o.result !== 'success') err = o.output;
    } catch (e) { err = (e as Error).message; }
    return err && `HTTP lifecycle hook (${h.httpGet.path ?? ''}) for Container ${JSON.stringify(c.name)} in Pod ${JSON.stringify(fmtPod(ctx.pod))} failed - error: ${err}`;
  }
  if (h.sleep) { await sleep((h.sleep.seconds ?? 0) * 1000, signal); return undefined; }
  if (h.tcpSocket) return `tcpSocket lifecycle hooks are deprecated and not supported`;
  return 'cannot run handler: no handler specified';
}

/** grace for killing one container: the deletion's, else the pod's; a probe's own terminationGracePeriodSeconds for probe kills */
export function containerGrace(pod: any, c: any, reason?: 'liveness' | 'startup'): number {
  let grace = pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
  if (!pod.metadata?.deletionTimestamp && reason) {
    const p = reason === 'liveness' ? c?.livenessProbe : c?.startupProbe;
    if (p?.terminationGracePeriodSeconds !== undefined) grace = p.terminationGracePeriodSeconds;
  }
  return grace;
}

export interface ContainerKill {
  container: any;
  containerId: string;
  graceSeconds: number;
  /** the Killing event's message; default "Stopping container NAME" */
  message?: string;
  /** resolves when it is this container's turn to get SIGTERM (sidecars wait for the others) */
  waitTurn?: () => Promise<void>;
}

/**
 * Kills one container: a Killing event, its preStop hook within the grace, then StopContainer with
 * what is left of it (at least 2 s).
 */
export async function killContainer(ctx: LifecycleContext, kill: ContainerKill): Promise<void> {
  const { container: c, containerId, graceSeconds, message, waitTurn } = kill;
  ctx.event(c, containerId, 'Normal', 'Killing', message || `Stopping container ${c.name}`);
  let grace = graceSeconds;
  const preStop = c.lifecycle?.preStop;
  if (preStop && grace > 0) {
    const start = Date.now();
    const ac = new AbortController();
    const hook = runHandler(ctx, { container: c, containerId, handler: preStop, signal: ac.signal }).then((err) => {
      if (err) ctx.event(c, containerId, 'Warning', 'FailedPreStopHook', 'PreStopHook failed');
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([hook, new Promise<void>((r) => { timer = setTimeout(r, grace * 1000); })]);
    clearTimeout(timer);
    ac.abort();
    grace -= Math.floor((Date.now() - start) / 1000);
  }
  if (waitTurn && grace > 0) {
    // a sidecar is stopped only after the containers that may still use it (within the same grace)
    const start = Date.now();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([waitTurn(), new Promise<void>((r) => { timer = setTimeout(r, grace * 1000); })]);
    clearTimeout(timer);
    grace -= Math.floor((Date.now() - start) / 1000);
  }
  grace = Math.max(grace, minimumGraceSeconds);
  try {
    await ctx.cri.call('StopContainer', { containerId, timeout: grace }, { timeoutMs: (grace + 30) * 1000 });
  } catch (e) { if (!isCriNotFound(e)) throw e; }
}

/**
 * Terminates a pod: every running container of every sandbox killed in parallel (preStop, SIGTERM,
 * SIGKILL after the grace), then the sandboxes stopped and removed and the pod's directory with them.
 * Sidecars (restartable init containers) run their preStop hooks at once but get SIGTERM only after
 * the regular containers and the sidecars declared after them have stopped, as upstream.
 * pod may be a bare reference when the spec is gone (orphans): containers then get no hooks.
 */
export async function terminatePod(ctx: LifecycleContext, graceSeconds: number, podsDir?: string, containersDown?: (sandboxId: string) => Promise<void>): Promise<void> {
  const uid = ctx.pod.metadata.uid;
  const specs = new Map<string, any>();
  for (const c of [...(ctx.pod.spec?.initContainers ?? []), ...(ctx.pod.spec?.containers ?? [])]) specs.set(c.name, c);
  for (const sb of await podSandboxes(ctx.cri, uid)) {
    const running = (await sandboxContainers(ctx.cri, sb.id)).filter((x) => x.state === 'CONTAINER_RUNNING');
    const sidecars: string[] = (ctx.pod.spec?.initContainers ?? []).filter((c: any) => c.restartPolicy === 'Always').map((c: any) => c.name);
    const stopped = new Map<string, { done: Promise<void>; resolve: () => void }>();
    for (const x of running) {
      let resolve!: () => void;
      stopped.set(x.id, { done: new Promise<void>((r) => { resolve = r; }), resolve });
    }
    await Promise.all(running.map((x) => {
      const name: string = x.metadata.name;
      const i = sidecars.indexOf(name);
      const waitTurn = i < 0 ? undefined : async () => {
        const before = running.filter((y) => y !== x && (!sidecars.includes(y.metadata.name) || sidecars.indexOf(y.metadata.name) > i));
        await Promise.all(before.map((y) => stopped.get(y.id)!.done));
      };
      return killContainer(ctx, { container: specs.get(name) ?? { name }, containerId: x.id, graceSeconds, waitTurn }).finally(() => stopped.get(x.id)!.resolve());
    }));
    // the containers are down: the caller may still read their statuses
    if (containersDown && sb.state === 'SANDBOX_READY') await containersDown(sb.id).catch(() => undefined);
    await ctx.cri.call('StopPodSandbox', { podSandboxId: sb.id }).catch((e) => { if (!isCriNotFound(e)) throw e; });
    await ctx.cri.call('RemovePodSandbox', { podSandboxId: sb.id }).catch((e) => { if (!isCriNotFound(e)) throw e; });
  }
  if (podsDir) await removePodDir(podsDir, uid);
}

/**
 * A later delete shortened the grace while terminatePod runs: every running container of the pod
 * is stopped again with the new, shorter timeout (at least 2 s), hooks or not.
 */
export async function shortenTermination(cri: CriClient, uid: string, graceSeconds: number): Promise<void> {
  const timeout = Math.max(graceSeconds, minimumGraceSeconds);
  for (const sb of await podSandboxes(cri, uid)) {
    const running = (await sandboxContainers(cri, sb.id)).filter((x) => x.state === 'CONTAINER_RUNNING');
    await Promise.all(running.map((x) => cri.call('StopContainer', { containerId: x.id, timeout }, { timeoutMs: (timeout + 30) * 1000 })
      .catch((e) => { if (!isCriNotFound(e)) throw e; })));
  }
}
