// The kubelet's streaming endpoints (upgrade requests: websocket or SPDY), by the first path
// segment: /exec, /attach (exec.ts) and whatever else registers here (/portForward). A handler owns
// the connection: it answers with an error (rejectUpgrade) or upgrades it.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { KObject } from '../../api/types.js';
import type { CriClient } from '../cri/client.js';

export interface StreamContext {
  req: IncomingMessage;
  socket: Duplex;
  /** bytes read past the request's headers */
  head: Buffer;
  url: URL;
  /** the decoded path segments after the route's name: /exec/ns/pod/c -> [ns, pod, c] */
  params: string[];
  cri: CriClient;
  getPod: (ns: string, name: string) => KObject | undefined;
  log?: (msg: string) => void;
}

export type StreamHandler = (ctx: StreamContext) => Promise<void>;

const handlers = new Map<string, StreamHandler>();

/** serves /{name}/... upgrade requests with handler (e.g. registerStreamHandler('portForward', fn)) */
export function registerStreamHandler(name: string, handler: StreamHandler): void { handlers.set(name, handler); }

export function streamHandler(name: string): StreamHandler | undefined { return handlers.get(name); }

/** an error with the HTTP status the kubelet answers */
export class StreamError extends Error { constructor(readonly code: number, message: string) { super(message); } }

const reasons: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 500: 'Internal Server Error', 503: 'Service Unavailable' };

/** answers an upgrade request with a plain-text error and closes the connection */
export function rejectUpgrade(socket: Duplex, code: number, message: string): void {
  if (socket.destroyed) return;
  const body = Buffer.from(message);
  socket.end(`HTTP/1.1 ${code} ${reasons[code] ?? 'Error'}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
}
