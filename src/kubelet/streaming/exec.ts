// GET|POST /exec/{ns}/{pod}/{container}?command=..&input=1&output=1&error=1&tty=1 and
// /attach/{ns}/{pod}/{container}?input=1&... (upstream kubelet's getExec/getAttach): the container is
// found through the pod's status, the CRI Exec/Attach call gives a URL on containerd's streaming
// server, and the client's upgrade is served from there:
// - SPDY/3.1 (kubectl before 1.30, and 1.30+ after a failed websocket): the request is passed on to
//   containerd as it is (as the kubelet does with a runtime's stream server), so the client speaks
//   to containerd through us;
// - websocket (v5.channel.k8s.io or v4): we answer the websocket ourselves and serve it from a SPDY
//   session with the runtime (spdybridge.ts), which also carries v5's stdin close.
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { KObject } from '../../api/types.js';
import { pickProtocol } from './channels.js';
import { bridgeSpdy, dialSpdy } from './spdybridge.js';
import { firstAttach, readLogOutput } from './replay.js';
import { isCriNotFound } from '../cri/client.js';
import { rejectUpgrade, registerStreamHandler, StreamError, type StreamContext } from './routes.js';

export interface StreamOptions { stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean }

/** the stream flags of a kubelet request, as upstream's remotecommand NewOptions */
export function streamOptions(q: URLSearchParams): StreamOptions {
  const on = (k: string) => q.get(k) === '1';
  const o = { stdin: on('input'), stdout: on('output'), stderr: on('error'), tty: on('tty') };
  if (o.tty && o.stderr) o.stderr = false; // upstream: "exec with tty and stderr is not supported, bypassing stderr"
  if (!o.stdin && !o.stdout && !o.stderr) throw new StreamError(400, 'you must specify at least 1 of stdin, stdout, stderr');
  return o;
}

/** the CRI id of the running container `name` of pod */
export function runningContainerId(pod: KObject, name: string): string {
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? []), ...(pod.status?.ephemeralContainerStatuses ?? [])];
  const cs = statuses.find((s: any) => s.name === name);
  if (!cs?.state?.running || !cs.containerID) throw new StreamError(404, `container not found ("${name}")`);
  return String(cs.containerID).replace(/^[a-z]+:\/\//, '');
}

const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, handleProtocols: (offered) => pickProtocol(offered) ?? false });

async function serve(kind: 'exec' | 'attach', ctx: StreamContext): Promise<void> {
  const { req, socket, url, params } = ctx;
  if (req.method !== 'GET' && req.method !== 'POST') throw new StreamError(405, 'Method Not Allowed');
  if (params.length !== 3) throw new StreamError(404, '404 page not found\n');
  const [ns, name, container] = params;
  const pod = ctx.getPod(ns, name);
  if (!pod) throw new StreamError(404, 'pod does not exist');
  const opts = streamOptions(url.searchParams);
  const cmd = url.searchParams.getAll('command');
  if (kind === 'exec' && cmd.length === 0) throw new StreamError(400, 'you must specify at least one command for the container');
  const containerId = runningContainerId(pod, container);
  // the pod status can lag a container that just exited: ask the runtime (as upstream's findContainer
  // asks its runtime cache), so `kubectl run -i` of a short command falls back to the logs
  const status = (await ctx.cri.call('ContainerStatus', { containerId }).catch(() => undefined))?.status;
  if (status?.state !== 'CONTAINER_RUNNING') throw new StreamError(404, `container not found ("${container}")`);
  const upgrade = String(req.headers.upgrade ?? '').toLowerCase();
  const isWebsocket = upgrade === 'websocket';
  if (!isWebsocket && !upgrade.startsWith('spdy/')) throw new StreamError(400, 'Upgrade request required');
  if (isWebsocket && !pickProtocol(String(req.headers['sec-websocket-protocol'] ?? '').split(','))) {
    throw new StreamError(400, `requested protocol(s) are not supported: ${req.headers['sec-websocket-protocol'] ?? ''}; supports [v5.channel.k8s.io v4.channel.k8s.io]`);
  }
  const criReq = kind === 'exec' ? { containerId, cmd, ...opts } : { containerId, ...opts };
  const { url: target } = await ctx.cri.call<{ url: string }>(kind === 'exec' ? 'Exec' : 'Attach', criReq, { timeoutMs: 30_000 })
    .catch((e) => { throw new StreamError(isCriNotFound(e) ? 404 : 500, e instanceof Error ? e.message : String(e)); });
  if (!isWebsocket) return proxySpdy(ctx, new URL(target));
  // `kubectl run -it`: the first attach to a stdinOnce container also gets what it wrote before
  const spec = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? []), ...(pod.spec?.ephemeralContainers ?? [])].find((c: any) => c.name === container);
  const logPath = typeof status?.logPath === 'string' ? status.logPath : '';
  const replay = kind === 'attach' && spec?.stdin && spec?.stdinOnce && logPath && firstAttach(containerId)
    ? () => readLogOutput(logPath) : undefined;
  const runtime = await dialSpdy(new URL(target)).catch((e) => { throw new StreamError(500, e instanceof Error ? e.message : String(e)); });
  if (socket.destroyed) { runtime.destroy(); return; }
  wss.handleUpgrade(req, socket, ctx.head, (client) => {
    void bridgeSpdy(client, runtime, opts, ctx.log, replay);
  });
}

/** passes the client's SPDY upgrade request on to containerd's stream server and joins the connections */
function proxySpdy(ctx: StreamContext, target: URL): Promise<void> {
  return new Promise((resolve, reject) => {
    const up = net.connect(Number(target.port), target.hostname, () => {
      up.off('error', reject);
      const lines = [`${ctx.req.method} ${target.pathname}${target.search} HTTP/1.1`, `Host: ${target.host}`];
      const raw = ctx.req.rawHeaders;
      for (let i = 0; i + 1 < raw.length; i += 2) if (raw[i].toLowerCase() !== 'host') lines.push(`${raw[i]}: ${raw[i + 1]}`);
      up.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (ctx.head.length) up.write(ctx.head);
      join(ctx.socket, up);
      resolve();
    });
    up.once('error', (e) => reject(new StreamError(500, `error dialing container runtime stream server: ${e.message}`)));
  });
}

/** joins two connections: each direction ends (flushed) when its source ends or closes; an error tears both down */
function join(a: Duplex, b: Duplex): void {
  a.pipe(b);
  b.pipe(a);
  const kill = () => { a.destroy(); b.destroy(); };
  const finish = (other: Duplex) => () => {
    if (other.destroyed) return;
    other.end();
    setTimeout(() => other.destroy(), 10_000).unref();
  };
  a.on('error', kill);
  b.on('error', kill);
  a.on('close', finish(b));
  b.on('close', finish(a));
}

function handler(kind: 'exec' | 'attach') {
  return (ctx: StreamContext) => serve(kind, ctx).catch((e) => {
    if (e instanceof StreamError) return rejectUpgrade(ctx.socket, e.code, e.message);
    ctx.log?.(`kubelet ${kind}: ${e instanceof Error ? e.message : e}`);
    rejectUpgrade(ctx.socket, 500, e instanceof Error ? e.message : String(e));
  });
}

registerStreamHandler('exec', handler('exec'));
registerStreamHandler('attach', handler('attach'));
