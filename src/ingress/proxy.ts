// The L7 proxy: forwards each request (not each connection) to the endpoint the router picks, over
// a keep-alive agent per listener, with X-Forwarded-* headers; Upgrade requests (WebSocket) are
// passed through as raw byte streams after the backend's 101.
import * as http from 'node:http';
import type * as net from 'node:net';
import type { Duplex } from 'node:stream';
import type { Target } from './backends.js';

export type Route = { target: Target } | { status: number; reason: string };
export type Router = (host: string, path: string) => Route;

export interface ProxyOptions {
  proto: 'http' | 'https';
  /** the listener's port, for X-Forwarded-Port */
  port: () => number;
  agent?: http.Agent;
  /** no bytes from the backend for this long: 504 (default 60 s, as ingress-nginx's proxy-read-timeout) */
  timeoutMs?: number;
  log?: (m: string) => void;
}

// hop-by-hop headers (RFC 9110 7.6.1) are not forwarded
export const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host']);

function forwardHeaders(req: http.IncomingMessage, o: ProxyOptions, upgrade: boolean): http.OutgoingHttpHeaders {
  const h: http.OutgoingHttpHeaders = {};
  const conn = req.headers.connection;
  const listed = conn ? new Set(conn.toLowerCase().split(',').map((s) => s.trim())) : undefined;
  for (const k in req.headers) {
    const v = req.headers[k];
    if (v === undefined || hopByHop.has(k) || listed?.has(k) || k.startsWith('x-forwarded-') || k === 'x-real-ip') continue;
    h[k] = v;
  }
  const host = req.headers.host ?? '';
  const client = req.socket.remoteAddress ?? '';
  h.host = host;
  // client-sent X-Forwarded-* are not trusted (ingress-nginx's default, use-forwarded-headers: false)
  h['x-forwarded-for'] = client;
  h['x-real-ip'] = client;
  h['x-forwarded-proto'] = o.proto;
  h['x-forwarded-host'] = host;
  h['x-forwarded-port'] = String(o.port());
  if (upgrade) { h.connection = 'upgrade'; h.upgrade = req.headers.upgrade; }
  return h;
}

function pathOf(url: string | undefined): string {
  const u = url ?? '/';
  const q = u.indexOf('?');
  return q < 0 ? u : u.slice(0, q);
}

function plain(res: http.ServerResponse, status: number, text: string): void {
  if (res.headersSent) { res.destroy(); return; }
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const smallBody = 64 * 1024;
/** tries after the first for idempotent requests whose connection fails (as nginx's proxy_next_upstream error) */
const maxRetries = 2;

/** the body of an answer the proxy gives itself */
export const statusText = (s: number, reason: string) => `${s} ${http.STATUS_CODES[s] ?? ''}${reason ? `: ${reason}` : ''}\n`;

export function createProxy(route: Router, o: ProxyOptions) {
  const agent = o.agent ?? new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 512, scheduling: 'lifo' });

  function onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    // a request without a body is sent at once (others stream) and, when idempotent, is tried again
    // on other endpoints if the connection fails before an answer (stale keep-alive, endpoint gone)
    const bodiless = req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined;
    const retriable = bodiless && (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS');
    const headers = forwardHeaders(req, o, false);
    const path = pathOf(req.url);
    let current: http.ClientRequest | undefined;
    res.on('close', () => { if (!res.writableFinished) current?.destroy(); });
    if (bodiless) req.resume();
    const send = (attempt: number): void => {
      const r = route(req.headers.host ?? '', path);
      if (!('target' in r)) { plain(res, r.status, statusText(r.status, r.reason)); return; }
      const up = (current = http.request({ host: r.target.host, port: r.target.port, method: req.method, path: req.url, agent, headers }));
      let answered = false, timedOut = false;
      up.on('response', (ur) => {
        answered = true;
        const out: http.OutgoingHttpHeaders = {};
        const conn = ur.headers.connection;
        const listed = conn ? new Set(conn.toLowerCase().split(',').map((s) => s.trim())) : undefined;
        for (const k in ur.headers) {
          const v = ur.headers[k];
          if (v !== undefined && !hopByHop.has(k) && !listed?.has(k)) out[k] = v;
        }
        const len = Number(ur.headers['content-length'] ?? -1);
        ur.on('error', () => res.destroy());
        if (len >= 0 && len <= smallBody && req.method !== 'HEAD') {
          // a small body goes out with the headers in one write
          const chunks: Buffer[] = [];
          ur.on('data', (c: Buffer) => chunks.push(c));
          ur.on('end', () => {
            res.writeHead(ur.statusCode ?? 502, ur.statusMessage, out);
            res.end(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
          });
          return;
        }
        res.writeHead(ur.statusCode ?? 502, ur.statusMessage, out);
        ur.pipe(res);
      });
      up.setTimeout(o.timeoutMs ?? 60_000, () => { timedOut = true; up.destroy(new Error('backend timed out')); });
      up.on('error', (e) => {
        if (!answered && !timedOut && retriable && attempt < maxRetries && !res.headersSent && !res.destroyed) { send(attempt + 1); return; }
        o.log?.(`ingress: ${req.method} ${req.headers.host}${req.url} -> ${r.target.host}:${r.target.port}: ${e.message}`);
        if (timedOut) plain(res, 504, statusText(504, 'backend timed out'));
        else plain(res, 502, statusText(502, 'backend unreachable'));
      });
      if (bodiless) up.end();
      else req.pipe(up);
    };
    send(0);
  }

  function onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const reject = (status: number, reason: string) => {
      const body = statusText(status, reason);
      socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
    };
    socket.on('error', () => {});
    const r = route(req.headers.host ?? '', pathOf(req.url));
    if (!('target' in r)) { reject(r.status, r.reason); return; }
    const up = http.request({
      host: r.target.host, port: r.target.port, method: req.method, path: req.url, agent: false,
      headers: forwardHeaders(req, o, true),
    });
    up.on('upgrade', (ur, upSocket, upHead) => {
      const lines = [`HTTP/1.1 ${ur.statusCode} ${ur.statusMessage ?? ''}`];
      for (let i = 0; i < ur.rawHeaders.length; i += 2) lines.push(`${ur.rawHeaders[i]}: ${ur.rawHeaders[i + 1]}`);
      socket.write(lines.join('\r\n') + '\r\n\r\n');
      if (upHead.length) socket.write(upHead);
      if (head.length) upSocket.write(head);
      (upSocket as net.Socket).setNoDelay?.(true);
      upSocket.on('error', () => socket.destroy());
      socket.on('error', () => upSocket.destroy());
      socket.on('close', () => upSocket.destroy());
      upSocket.on('close', () => socket.destroy());
      upSocket.pipe(socket).pipe(upSocket);
    });
    up.on('response', (ur) => {
      // the backend declined the upgrade: relay its answer, delimited by closing the connection
      const lines = [`HTTP/1.1 ${ur.statusCode} ${ur.statusMessage ?? ''}`];
      for (let i = 0; i < ur.rawHeaders.length; i += 2) {
        const k = ur.rawHeaders[i].toLowerCase();
        if (k !== 'connection' && k !== 'transfer-encoding' && k !== 'keep-alive') lines.push(`${ur.rawHeaders[i]}: ${ur.rawHeaders[i + 1]}`);
      }
      socket.write(lines.join('\r\n') + '\r\nconnection: close\r\n\r\n');
      ur.pipe(socket);
    });
    up.on('error', (e) => {
      o.log?.(`ingress: upgrade ${req.headers.host}${req.url} -> ${r.target.host}:${r.target.port}: ${e.message}`);
      reject(502, 'backend unreachable');
    });
    up.end();
  }

  return { onRequest, onUpgrade, agent };
}
