// A bare HTTPS JSON client for the bench and crash tests: the admin kubeconfig's client
// certificate, one keep-alive agent, and line-by-line watch streams with arrival times.
import https from 'node:https';
import { loadKubeconfig } from '../client/kubeconfig.js';

export interface Reply { status: number; body: any }

export interface WatchLine { type: string; object: any; at: number }

export interface ApiConn {
  server: string;
  kubeconfig: string;
  /** JSON request; contentType defaults to application/json */
  request(method: string, path: string, body?: unknown, contentType?: string): Promise<Reply>;
  /** opens `path` (which must ask for watch=true); calls onEvent per line; resolves once the response headers arrived */
  watch(path: string, onEvent: (ev: WatchLine) => void, signal: AbortSignal): Promise<void>;
  close(): void;
}

export function connect(kubeconfig: string, opts: { maxSockets?: number } = {}): ApiConn {
  const cfg = loadKubeconfig(kubeconfig);
  const tls = { ca: cfg.ca, cert: cfg.cert, key: cfg.key };
  const agent = new https.Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 64, ...tls });
  const watchAgent = new https.Agent({ keepAlive: false, ...tls });
  const base = cfg.server.replace(/\/$/, '');
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (cfg.token) headers.Authorization = `Bearer ${cfg.token}`;

  const request = (method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<Reply> => new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const h = data === undefined ? headers : { ...headers, 'Content-Type': contentType, 'Content-Length': String(Buffer.byteLength(data)) };
    const req = https.request(base + path, { method, agent, headers: h }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = text;
        try { parsed = text ? JSON.parse(text) : undefined; } catch { /* keep text */ }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
    });
    req.on('error', reject);
    req.end(data);
  });

  const watch = (path: string, onEvent: (ev: WatchLine) => void, signal: AbortSignal): Promise<void> => new Promise((resolve, reject) => {
    const req = https.request(base + path, { method: 'GET', agent: watchAgent, headers, signal }, (res) => {
      if (res.statusCode !== 200) { reject(new Error(`watch ${path}: HTTP ${res.statusCode}`)); res.resume(); return; }
      resolve();
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const at = performance.now();
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (line) { const ev = JSON.parse(line); onEvent({ type: ev.type, object: ev.object, at }); }
        }
      });
      res.on('error', () => { /* aborted */ });
    });
    req.on('error', (err) => { if (!signal.aborted) reject(err); });
    req.end();
  });

  return { server: base, kubeconfig, request, watch, close: () => { agent.destroy(); watchAgent.destroy(); } };
}
