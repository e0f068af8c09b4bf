// pods/exec, pods/attach and pods/portforward: the streaming subresources. As upstream's
// ExecLocation/AttachLocation/PortForwardLocation and UpgradeAwareHandler: the request is validated
// (pod, container, phase, node), then the client's upgrade request (websocket or SPDY) is passed on
// to the node's kubelet (/exec/{ns}/{pod}/{container}, /attach/..., /portForward/{ns}/{pod}) over
// TLS with the API server's client certificate, and the two connections are joined byte for byte,
// so the kubelet's answer (101 or an error) reaches the client as it is.
import tls from 'node:tls';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { errors, StatusError } from '../api/status.js';
import type { KObject } from '../api/types.js';
import type { Store } from './registry/store.js';
import { nodeEndpoint, type KubeletConnection } from './podlogs.js';
import { queryBool } from './http.js';

export interface PodStreamRequest { store: Store; ns?: string; name?: string; sub?: string; query: URLSearchParams; kubelet?: KubeletConnection }

interface Upgrade { socket: Duplex; head: Buffer; taken: boolean }
const upgrades = new WeakMap<IncomingMessage, Upgrade>();

/** marks req as an upgrade request whose connection is socket (head: bytes already read past the headers) */
export function setUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
  upgrades.set(req, { socket, head, taken: false });
}

/** whether the connection was handed to a stream (the response object must then stay unused) */
export function upgradeTaken(req: IncomingMessage): boolean { return upgrades.get(req)?.taken ?? false; }

export const streamSubresources = ['exec', 'attach', 'portforward'];

/** the container to stream from, as upstream's streamLocation */
export function streamContainer(pod: KObject, container: string | null): string {
  const spec = pod.spec ?? {};
  const names = (l: any[] | undefined) => (l ?? []).map((c: any) => c.name as string);
  const name = pod.metadata.name;
  if (!container) {
    const cs = names(spec.containers);
    if (cs.length === 1) return cs[0];
    if (cs.length === 0) throw errors.badRequest(`a container name must be specified for pod ${name}`);
    const inits = names(spec.initContainers);
    throw errors.badRequest(`a container name must be specified for pod ${name}, choose one of: [${cs.join(' ')}]${inits.length ? ` or one of the init containers: [${inits.join(' ')}]` : ''}`);
  }
  if (![...names(spec.containers), ...names(spec.initContainers), ...names(spec.ephemeralContainers)].includes(container)) {
    throw errors.badRequest(`container ${container} is not valid for pod ${name}`);
  }
  return container;
}

/** PodExecOptions/PodAttachOptions as query flags: stdout and stderr default to true */
function streamFlag(q: URLSearchParams, k: 'stdin' | 'stdout' | 'stderr' | 'tty'): boolean {
  if (!q.has(k)) return k === 'stdout' || k === 'stderr';
  return queryBool(q, k);
}

/** the kubelet path (with query) for a validated request */
export function kubeletStreamPath(sub: string, pod: KObject, q: URLSearchParams): string {
  const ns = encodeURIComponent(pod.metadata.namespace ?? 'default');
  const name = encodeURIComponent(pod.metadata.name ?? '');
  const out = new URLSearchParams();
  if (sub === 'portforward') {
    for (const p of q.getAll('ports')) for (const v of p.split(',')) if (v.trim()) out.append('port', v.trim());
    const qs = out.toString();
    return `/portForward/${ns}/${name}${qs ? `?${qs}` : ''}`;
  }
  const container = encodeURIComponent(streamContainer(pod, q.get('container')));
  if (sub === 'exec') for (const c of q.getAll('command')) out.append('command', c);
  const flags: [string, 'stdin' | 'stdout' | 'stderr' | 'tty'][] = [['input', 'stdin'], ['output', 'stdout'], ['error', 'stderr'], ['tty', 'tty']];
  for (const [param, k] of flags) if (streamFlag(q, k)) out.set(param, '1');
  return `/${sub}/${ns}/${name}/${container}?${out}`;
}

export async function handlePodStream(req: IncomingMessage, res: ServerResponse, r: PodStreamRequest): Promise<void> {
  const method = req.method ?? 'GET';
  if (method !== 'GET' && method !== 'POST') throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
  const sub = r.sub ?? '';
  const name = r.name ?? '';
  const pod = await r.store.get(r.ns, name);
  const path = kubeletStreamPath(sub, pod, r.query);
  const phase = pod.status?.phase;
  if (sub !== 'portforward' && (phase === 'Succeeded' || phase === 'Failed')) {
    throw errors.badRequest(`cannot exec into a container in a completed pod; current phase is ${phase}`);
  }
  const nodeName: string | undefined = pod.spec?.nodeName;
  if (!nodeName) throw errors.badRequest(`pod ${name} does not have a host assigned`);
  const up = upgrades.get(req);
  if (!up || !req.headers.upgrade) throw errors.badRequest('Upgrade request required');
  if (!r.kubelet) throw new StatusError(501, 'NotImplemented', `pods/${sub}: this server has no kubelet connection configured`);
  const { host, port } = nodeEndpoint(await r.kubelet.nodes().get(undefined, nodeName));
  const backend = await dialKubelet(host, port, r.kubelet, queryBool(r.query, 'insecureSkipTLSVerifyBackend'));
  up.taken = true;
  backend.write(requestHead(req, method, path, `${host.includes(':') ? `[${host}]` : host}:${port}`));
  if (up.head.length) backend.write(up.head);
  join(up.socket, backend);
}

function dialKubelet(host: string, port: number, k: KubeletConnection, skipVerify: boolean): Promise<tls.TLSSocket> {
  const t = k.tls ?? {};
  return new Promise<tls.TLSSocket>((resolve, reject) => {
    const s = tls.connect({
      host, port, servername: /^[\d.:]+$/.test(host) ? undefined : host, cert: t.cert, key: t.key, ca: t.ca,
      rejectUnauthorized: !!t.ca && !skipVerify, ALPNProtocols: ['http/1.1'],
    }, () => { s.off('error', reject); resolve(s); });
    s.once('error', reject);
  }).catch((e) => { throw errors.internal(`error dialing backend: ${e instanceof Error ? e.message : e}`); });
}

/** the client's request line and headers for the kubelet: its own Host, without the client's credentials */
function requestHead(req: IncomingMessage, method: string, path: string, hostport: string): string {
  const lines = [`${method} ${path} HTTP/1.1`, `Host: ${hostport}`];
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const k = raw[i].toLowerCase();
    if (k === 'host' || k === 'authorization' || k === 'proxy-authorization' || k === 'impersonate-user' || k.startsWith('impersonate-')) continue;
    lines.push(`${raw[i]}: ${raw[i + 1]}`);
  }
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/**
 * joins two connections: each direction ends (flushing what is buffered) when its source ends or
 * closes; an error on either tears both down
 */
function join(a: Duplex, b: Duplex): void {
  a.pipe(b);
  b.pipe(a);
  const kill = () => { a.destroy(); b.destroy(); };
  a.on('error', kill);
  b.on('error', kill);
  const finish = (other: Duplex) => () => {
    if (other.destroyed) return;
    other.end();
    setTimeout(() => other.destroy(), 10_000).unref();
  };
  a.on('close', finish(b));
  b.on('close', finish(a));
}
