// Port forwarding on the kubelet (/portForward/{ns}/{pod}), as upstream's
// kubelet/pkg/cri/streaming/portforward: the client upgrades to SPDY/3.1 (plain HTTP upgrade with
// X-Stream-Protocol-Version: portforward.k8s.io, or a WebSocket with subprotocol
// SPDY/3.1+portforward.k8s.io whose binary messages carry the SPDY bytes), then opens two streams
// per forwarded connection, `streamtype: error` and `streamtype: data`, with `port` and
// `requestid`. Once both are there we connect to the port in the pod and copy between the data
// stream and that connection (half-closes both ways); a failure is written as text to the error
// stream, which is closed when the forwarding ends. WebSocket clients without the tunnel
// subprotocol (client-node: v4.channel.k8s.io) get channels instead (portforward_ws.ts).
//
// Upstream (the CRI runtime) enters the pod's network namespace and dials localhost:PORT there, so
// ports bound to 127.0.0.1 inside the pod are reachable too. We dial the pod IP from the host
// (127.0.0.1 for hostNetwork pods), which reaches what listens on the pod's interface or on all
// addresses, but not a port bound only to the pod's loopback.
import { spawn } from 'node:child_process';
import net from 'node:net';
import type { IncomingMessage } from 'node:http';
import { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { podSandboxes } from '../runtime.js';
import { WebSocketServer, createWebSocketStream } from 'ws';
import type { KObject } from '../../api/types.js';
import { SpdySession, headerValue, RstStatus, type SpdyStream } from './spdy.js';
import { rejectUpgrade, registerStreamHandler, StreamError, type StreamContext } from './routes.js';
import { ChannelProtocols, queryPorts, serveChannelPortForward } from './portforward_ws.js';

export const PortForwardProtocolV1Name = 'portforward.k8s.io';
/** the WebSocket subprotocol kubectl >= 1.30 tries first (tunnelled SPDY) */
export const WebsocketTunnelProtocol = `SPDY/3.1+${PortForwardProtocolV1Name}`;
/** upstream's DefaultStreamCreationTimeout */
const streamCreationTimeoutMs = 30_000;
/** upstream kubelet's --streaming-connection-idle-timeout default */
const idleTimeoutMs = 4 * 60 * 60 * 1000;

export interface PortForwardTarget {
  /** the pod as named in error messages */
  pod: string;
  uid: string;
  /** a connection to `port` in the pod */
  dial(port: number): Promise<PodConnection>;
}

export interface PortForwardOptions {
  log?: (msg: string) => void;
  /** how long the second stream of a pair may take (default 30s) */
  streamCreationTimeoutMs?: number;
}

/** a socket, or a relay's pipes, to a port in the pod */
export type PodConnection = Duplex & { setNoDelay?(noDelay?: boolean): unknown };

const relayScript = fileURLToPath(new URL('./nsrelay.js', import.meta.url));

/**
 * localhost:port in the network namespace at `netns`, as upstream's runtimes dial it: through a
 * relay process started there (nsrelay.ts), so that ports a pod binds to 127.0.0.1 only are
 * reachable too, as with real Kubernetes
 */
export function dialInNetns(netns: string, port: number): Promise<PodConnection> {
  return new Promise((resolve, reject) => {
    const child = spawn('nsenter', [`--net=${netns}`, process.execPath, relayScript, String(port)], { stdio: ['pipe', 'pipe', 'pipe'] });
    let said = '';
    let settled = false;
    const onErr = (d: Buffer) => {
      said += d.toString();
      const nl = said.indexOf('\n');
      if (settled || nl < 0) return;
      settled = true;
      const line = said.slice(0, nl);
      if (line !== 'ok') { child.kill(); reject(new Error(line)); return; }
      const conn = Duplex.from({ readable: child.stdout, writable: child.stdin }) as PodConnection;
      conn.on('close', () => { if (child.exitCode === null) child.kill(); });
      resolve(conn);
    };
    child.stderr.on('data', onErr);
    child.on('error', (e) => { if (!settled) { settled = true; reject(e); } });
    child.on('exit', (code) => { if (!settled) { settled = true; reject(new Error(said.trim() || `the port-forward relay exited with code ${code}`)); } });
  });
}

/** a target that dials the pod's IP (the node's loopback for hostNetwork pods) */
export function podTarget(pod: KObject, netns?: string): PortForwardTarget {
  const host: string | undefined = pod.spec?.hostNetwork ? '127.0.0.1' : pod.status?.podIP;
  return {
    pod: `${pod.metadata.namespace}/${pod.metadata.name}`,
    uid: pod.metadata.uid ?? '',
    dial: (port) => (netns && !pod.spec?.hostNetwork ? dialInNetns(netns, port) : new Promise((resolve, reject) => {
      if (!host) { reject(new Error('pod has no IP address yet')); return; }
      const sock = net.connect({ host, port, allowHalfOpen: true });
      sock.once('connect', () => { sock.off('error', reject); resolve(sock); });
      sock.once('error', reject);
    })),
  };
}

/** the network namespace of the pod's newest sandbox, as the runtime reports it */
async function podNetns(ctx: StreamContext, uid: string): Promise<string | undefined> {
  try {
    const [sb] = await podSandboxes(ctx.cri, uid);
    if (!sb) return undefined;
    const st = await ctx.cri.call('PodSandboxStatus', { podSandboxId: sb.id, verbose: true });
    return JSON.parse(st.info?.info ?? '{}').runtimeSpec?.linux?.namespaces?.find((n: any) => n.type === 'network')?.path || undefined;
  } catch { return undefined; }
}

/** why a stream cannot be accepted, as upstream's httpStreamReceived */
function invalidStream(s: SpdyStream): string | undefined {
  const port = headerValue(s.headers, 'port');
  if (!port) return '"port" header is required';
  if (!/^\d+$/.test(port) || Number(port) > 65535) return `unable to parse "${port}" as a port`;
  if (Number(port) < 1) return `port "${port}" must be > 0`;
  const type = headerValue(s.headers, 'streamtype');
  if (!type) return '"streamType" header is required';
  if (type !== 'error' && type !== 'data') return `invalid stream type "${type}"`;
  return undefined;
}

interface Pair { requestID: string; error?: SpdyStream; data?: SpdyStream; timer?: NodeJS.Timeout }

/** serves port-forward stream pairs on a server-role session until it closes */
export function servePortForward(session: SpdySession, target: PortForwardTarget, opts: PortForwardOptions = {}): void {
  const pairs = new Map<string, Pair>();
  session.on('stream', (s: SpdyStream) => {
    const why = invalidStream(s);
    if (why) { opts.log?.(`portforward ${target.pod}: ${why}`); s.reset(RstStatus.CANCEL); return; }
    s.reply();
    const type = headerValue(s.headers, 'streamtype') as 'error' | 'data';
    // old clients send no request id: error and data streams of one connection are consecutive ids
    const requestID = headerValue(s.headers, 'requestid') || String(type === 'error' ? s.id : s.id - 2);
    let p = pairs.get(requestID);
    if (!p) {
      const pair: Pair = { requestID };
      p = pair;
      pairs.set(requestID, pair);
      pair.timer = setTimeout(() => {
        pairs.delete(requestID);
        pair.error?.end(`(conn=${target.pod}, request=${requestID}) timed out waiting for streams`);
        pair.data?.end();
      }, opts.streamCreationTimeoutMs ?? streamCreationTimeoutMs);
    }
    if (p[type]) {
      p.error?.write(`error processing stream for request ${requestID}: ${type} stream already assigned`);
      s.reset(RstStatus.CANCEL);
      return;
    }
    p[type] = s;
    if (p.error && p.data) {
      clearTimeout(p.timer);
      pairs.delete(requestID);
      void forward(p.data, p.error, target, opts);
    }
  });
  session.on('close', (err?: Error) => {
    if (err) opts.log?.(`portforward ${target.pod}: session failed: ${err.message}`);
    for (const p of pairs.values()) clearTimeout(p.timer);
    pairs.clear();
  });
}

async function forward(data: SpdyStream, errorStream: SpdyStream, target: PortForwardTarget, opts: PortForwardOptions): Promise<void> {
  errorStream.resume(); // the client sends nothing on it but its FIN
  const port = Number(headerValue(data.headers, 'port'));
  const fail = (e: Error) => {
    const msg = `error forwarding port ${port} to pod ${target.pod}, uid ${target.uid}: ${e.message}`;
    opts.log?.(`portforward: ${msg}`);
    if (!errorStream.destroyed && !errorStream.writableEnded) errorStream.end(msg);
  };
  let conn: PodConnection;
  try {
    conn = await target.dial(port);
  } catch (e) {
    fail(e instanceof Error ? e : new Error(String(e)));
    if (!data.destroyed && !data.writableEnded) data.end();
    return;
  }
  if (data.destroyed) { conn.destroy(); errorStream.end(); return; }
  conn.setNoDelay?.(true);
  let connError: Error | undefined;
  // client -> pod; the client's FIN half-closes the connection
  data.pipe(conn);
  // pod -> client; the pod's FIN half-closes the data stream
  conn.on('data', (d: Buffer) => { if (!data.destroyed && !data.write(d)) conn.pause(); });
  data.on('drain', () => conn.resume());
  conn.on('end', () => { if (!data.destroyed && !data.writableEnded) data.end(); });
  conn.on('error', (e) => { connError = e; });
  // the client resets the data stream when it is done (or gone): the connection goes too
  data.on('close', () => { if (data.resetCode !== undefined || !data.readableEnded) conn.destroy(); });
  conn.on('close', () => {
    if (connError && !['ECONNRESET', 'EPIPE'].includes((connError as NodeJS.ErrnoException).code ?? '')) fail(connError);
    if (!data.destroyed) { if (connError) data.destroy(); else if (!data.writableEnded) data.end(); }
    if (!errorStream.destroyed && !errorStream.writableEnded) errorStream.end();
  });
}

function reject(socket: Duplex, code: number, message: string, headers: Record<string, string> = {}): void {
  const reason: Record<number, string> = { 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 500: 'Internal Server Error' };
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  socket.end(`HTTP/1.1 ${code} ${reason[code] ?? 'Error'}\r\nContent-Type: text/plain; charset=utf-8\r\n${extra}Content-Length: ${Buffer.byteLength(message)}\r\nConnection: close\r\n\r\n${message}`);
}

// ws only accepts RFC 7230 tokens as subprotocols, and "/" is not one (gorilla/websocket, which
// kubectl uses, does not check): the request's header is swapped for a placeholder we map back
const placeholderProtocol = 'k8ts.spdy-tunnel.portforward';
const wss = new WebSocketServer({
  noServer: true, perMessageDeflate: false,
  handleProtocols: (protocols) => (protocols.has(placeholderProtocol) ? WebsocketTunnelProtocol : ChannelProtocols.find((p) => protocols.has(p)) ?? false),
});

/**
 * Completes a port-forward upgrade request (from the server's 'upgrade' event) and serves it:
 * a WebSocket with the tunnelling subprotocol, a WebSocket with channels (portforward_ws.ts), or
 * SPDY/3.1 with the portforward.k8s.io protocol.
 * Anything else is answered with upstream's errors.
 */
export function handlePortForwardUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, target: PortForwardTarget, opts: PortForwardOptions = {}): void {
  const upgrade = (req.headers.upgrade ?? '').toLowerCase();
  if (upgrade === 'websocket') {
    const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim()).filter(Boolean);
    if (!offered.includes(WebsocketTunnelProtocol)) {
      // channels (portforward_ws.ts): v4 binary or base64, or binary without a subprotocol
      if (offered.length && !offered.some((p) => ChannelProtocols.includes(p))) {
        reject(socket, 400, `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server accepts [${[WebsocketTunnelProtocol, ...ChannelProtocols].join(' ')}]`);
        return;
      }
      const ports = queryPorts(new URL(req.url ?? '/', 'http://kubelet').searchParams);
      if (typeof ports === 'string') { reject(socket, 400, ports); return; }
      wss.handleUpgrade(req, socket, head, (ws) => serveChannelPortForward(ws, ws.protocol, ports, target, opts));
      return;
    }
    req.headers['sec-websocket-protocol'] = placeholderProtocol;
    wss.handleUpgrade(req, socket, head, (ws) => {
      const tunnel = createWebSocketStream(ws);
      tunnel.on('error', () => undefined);
      servePortForward(new SpdySession(tunnel, { server: true, idleTimeoutMs }), target, opts);
    });
    return;
  }
  const connection = (req.headers.connection ?? '').toLowerCase();
  if (!connection.includes('upgrade') || !upgrade.includes('spdy/3.1')) {
    reject(socket, 400, 'unable to upgrade: missing upgrade headers in request');
    return;
  }
  const raw = req.headers['x-stream-protocol-version'];
  const clientProtocols = (Array.isArray(raw) ? raw : [raw ?? '']).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
  if (clientProtocols.length === 0) {
    reject(socket, 400, 'unable to upgrade: X-Stream-Protocol-Version is required');
    return;
  }
  if (!clientProtocols.includes(PortForwardProtocolV1Name)) {
    reject(socket, 403, `unable to upgrade: unable to negotiate protocol: client supports [${clientProtocols.join(' ')}], server accepts [${PortForwardProtocolV1Name}]`,
      { 'X-Accepted-Stream-Protocol-Versions': PortForwardProtocolV1Name });
    return;
  }
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${PortForwardProtocolV1Name}\r\n\r\n`);
  (socket as net.Socket).setNoDelay?.(true);
  socket.on('error', () => undefined);
  if (head.length) socket.unshift(head);
  servePortForward(new SpdySession(socket, { server: true, idleTimeoutMs }), target, opts);
}

/** the kubelet's /portForward/{ns}/{pod}[/{uid}] (upstream getPortForward) */
async function servePodPortForward(ctx: StreamContext): Promise<void> {
  const { req, params } = ctx;
  if (req.method !== 'GET' && req.method !== 'POST') throw new StreamError(405, 'Method Not Allowed');
  if (params.length < 2 || params.length > 3) throw new StreamError(404, '404 page not found\n');
  const [ns, name, uid] = params;
  const pod = ctx.getPod(ns, name);
  if (!pod) throw new StreamError(404, 'pod does not exist');
  if (uid && pod.metadata.uid !== uid) throw new StreamError(404, 'pod not found');
  handlePortForwardUpgrade(req, ctx.socket, ctx.head, podTarget(pod, await podNetns(ctx, pod.metadata.uid ?? '')), { log: ctx.log });
}

registerStreamHandler('portForward', (ctx) => servePodPortForward(ctx).catch((e) => {
  if (e instanceof StreamError) return rejectUpgrade(ctx.socket, e.code, e.message);
  throw e;
}));
