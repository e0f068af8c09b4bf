// The kubelet's HTTPS API (upstream port 10250), for the API server's streaming subresources:
//   GET /healthz                                      -> ok
//   GET /containerLogs/{ns}/{pod}/{container}?follow&previous&timestamps&tailLines&limitBytes&sinceSeconds&sinceTime
//   upgrade requests (websocket, SPDY) by their first path segment, as registered in
//   streaming/routes.ts: /exec/{ns}/{pod}/{container}, /attach/{ns}/{pod}/{container}, /portForward/{ns}/{pod}
// Clients must present a certificate signed by the cluster's client CA (401 otherwise) in the
// group system:masters (403 otherwise; upstream asks the API server with a SubjectAccessReview for
// nodes/proxy). The container is found through the pod's status as this kubelet last wrote it,
// as upstream's validateContainerLogStatus does, and its log file through the CRI.
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { KObject } from '../api/types.js';
import type { CriClient } from './cri/client.js';
import { writeContainerLog, type ContainerLogOptions } from './logs.js';
import { rejectUpgrade, streamHandler } from './streaming/routes.js';
import './streaming/exec.js';
import './streaming/portforward.js';

export interface KubeletServerOptions {
  /** address to listen on (the node's InternalIP) */
  host: string;
  /** 0 picks a free port */
  port: number;
  /** PEM: serving certificate and key, and the CA client certificates must be signed by */
  tls: { cert: string; key: string; clientCA: string };
  /** the pod as this kubelet knows it (its informer cache) */
  getPod: (ns: string, name: string) => KObject | undefined;
  cri: CriClient;
  /** GET /stats/summary (absent: 404, as a kubelet without the Summary API) */
  summary?: () => Promise<unknown>;
  log?: (msg: string) => void;
}

export interface KubeletServer { port: number; close(): Promise<void> }

class HttpError extends Error { constructor(readonly code: number, message: string) { super(message); } }

export async function startKubeletServer(o: KubeletServerOptions): Promise<KubeletServer> {
  const server = https.createServer({
    cert: o.tls.cert, key: o.tls.key, ca: o.tls.clientCA, requestCert: true, rejectUnauthorized: false,
    ALPNProtocols: ['http/1.1'], minVersion: 'TLSv1.2',
  }, (req, res) => {
    handle(o, req, res).catch((e) => {
      if (e instanceof HttpError) return text(res, e.code, e.message);
      o.log?.(`kubelet server: ${req.url}: ${e instanceof Error ? e.message : e}`);
      text(res, 500, e instanceof Error ? e.message : String(e));
    });
  });
  const streams = new Set<Duplex>();
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    streams.add(socket);
    socket.once('close', () => streams.delete(socket));
    handleUpgrade(o, req, socket, head);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => { server.off('error', reject); resolve(); });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
      for (const s of streams) s.destroy();
    }),
  };
}

function text(res: ServerResponse, code: number, body: string): void {
  if (res.headersSent) { res.destroy(); return; }
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function handleUpgrade(o: KubeletServerOptions, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  socket.on('error', () => socket.destroy());
  try {
    authorize(req);
    const url = new URL(req.url ?? '/', 'https://kubelet');
    const segs = url.pathname.split('/').slice(1);
    if (segs.length > 1 && segs[segs.length - 1] === '') segs.pop();
    const [name, ...params] = segs.map(decodeURIComponent);
    const h = streamHandler(name ?? '');
    if (!h) throw new HttpError(404, '404 page not found\n');
    void h({ req, socket, head, url, params, cri: o.cri, getPod: o.getPod, log: o.log }).catch((e) => {
      o.log?.(`kubelet server: ${req.url}: ${e instanceof Error ? e.message : e}`);
      rejectUpgrade(socket, 500, e instanceof Error ? e.message : String(e));
    });
  } catch (e) {
    rejectUpgrade(socket, e instanceof HttpError ? e.code : 500, e instanceof Error ? e.message : String(e));
  }
}

function authorize(req: IncomingMessage): void {
  const sock = req.socket as TLSSocket;
  const cert = sock.authorized ? sock.getPeerCertificate() : undefined;
  if (!cert || !cert.subject) throw new HttpError(401, 'Unauthorized');
  const orgs = ([] as string[]).concat(cert.subject.O ?? []);
  if (!orgs.includes('system:masters')) {
    throw new HttpError(403, `Forbidden (user=${cert.subject.CN}, verb=get, resource=nodes, subresource(s)=[proxy])`);
  }
}

async function handle(o: KubeletServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'https://kubelet');
  authorize(req);
  if (url.pathname === '/healthz') return text(res, 200, 'ok');
  if ((url.pathname === '/stats/summary' || url.pathname === '/stats/summary/') && o.summary) {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'Method Not Allowed');
    const body = JSON.stringify(await o.summary());
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
    return;
  }
  const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)\/?$/.exec(url.pathname);
  if (!m) throw new HttpError(404, '404 page not found\n');
  if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'Method Not Allowed');
  const [ns, name, container] = m.slice(1).map(decodeURIComponent);
  const opts = logOptions(url.searchParams);
  const pod = o.getPod(ns, name);
  if (!pod) throw new HttpError(404, `pod "${name}" does not exist\n`);
  const all = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? []), ...(pod.spec?.ephemeralContainers ?? [])];
  if (!all.some((c: any) => c.name === container)) throw new HttpError(404, `container "${container}" not found in pod "${name}"\n`);
  const id = containerForLogs(pod, container, bool(url.searchParams, 'previous'));
  const status = (await o.cri.call('ContainerStatus', { containerId: id })).status;
  if (!status?.logPath) throw new HttpError(400, `container "${container}" in pod "${name}" is not available`);
  const ac = new AbortController();
  res.on('close', () => ac.abort());
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();
  const sink = (chunk: string) => new Promise<void>((resolve) => {
    if (res.destroyed || res.write(chunk)) resolve();
    else { res.once('drain', resolve); res.once('close', resolve); }
  });
  try {
    await writeContainerLog(status.logPath, sink, {
      ...opts, signal: ac.signal,
      running: async () => (await o.cri.call('ContainerStatus', { containerId: id })).status?.state === 'CONTAINER_RUNNING',
    });
  } catch (e) {
    o.log?.(`kubelet server: logs of ${ns}/${name}/${container}: ${e instanceof Error ? e.message : e}`);
  }
  res.end();
}

const bool = (q: URLSearchParams, k: string) => /^(true|1)$/i.test(q.get(k) ?? '');

function int(q: URLSearchParams, k: string): number | undefined {
  const v = q.get(k);
  if (v === null) return undefined;
  if (!/^-?\d+$/.test(v)) throw new HttpError(400, `unable to decode query parameter ${k}=${v}`);
  return Number(v);
}

function logOptions(q: URLSearchParams): ContainerLogOptions {
  const o: ContainerLogOptions = { follow: bool(q, 'follow'), timestamps: bool(q, 'timestamps') };
  const tail = int(q, 'tailLines');
  if (tail !== undefined && tail >= 0) o.tailLines = tail;
  const limit = int(q, 'limitBytes');
  if (limit !== undefined && limit > 0) o.limitBytes = limit;
  const since = int(q, 'sinceSeconds');
  if (since !== undefined && since > 0) o.sinceTime = new Date(Date.now() - since * 1000);
  const sinceTime = q.get('sinceTime');
  if (sinceTime && !Number.isNaN(Date.parse(sinceTime))) o.sinceTime = new Date(sinceTime);
  return o;
}

/** the CRI id whose log to read, from the pod status as upstream's validateContainerLogStatus does */
export function containerForLogs(pod: KObject, container: string, previous: boolean): string {
  const name = pod.metadata.name;
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? []), ...(pod.status?.ephemeralContainerStatuses ?? [])];
  const cs = statuses.find((s: any) => s.name === container);
  if (!cs) throw new HttpError(400, `container "${container}" in pod "${name}" is not available`);
  const strip = (id: string) => id.replace(/^[a-z]+:\/\//, '');
  const last = cs.lastState?.terminated;
  const { waiting, running, terminated } = cs.state ?? {};
  if (previous) {
    if (!last?.containerID) throw new HttpError(400, `previous terminated container "${container}" in pod "${name}" not found`);
    return strip(last.containerID);
  }
  if (running && cs.containerID) return strip(cs.containerID);
  if (terminated) {
    const id = terminated.containerID || last?.containerID;
    if (!id) throw new HttpError(400, `container "${container}" in pod "${name}" is terminated`);
    return strip(id);
  }
  if (last) {
    if (!last.containerID) throw new HttpError(400, `container "${container}" in pod "${name}" is terminated`);
    return strip(last.containerID);
  }
  if (waiting) {
    const why = waiting.reason === 'ErrImagePull' ? 'image can\'t be pulled'
      : waiting.reason === 'ImagePullBackOff' ? 'trying and failing to pull image' : waiting.reason;
    throw new HttpError(400, `container "${container}" in pod "${name}" is waiting to start: ${why}`);
  }
  throw new HttpError(400, `container "${container}" in pod "${name}" is waiting to start - no logs yet`);
}
