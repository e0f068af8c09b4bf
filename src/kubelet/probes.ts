// The checks behind probes and lifecycle hooks: httpGet (to the pod IP, status 200-399 succeeds),
// tcpSocket, exec (CRI ExecSync with a timeout) and grpc (grpc.health.v1.Health/Check). Each
// returns a result and the output upstream's prober reports (event messages quote it).
import * as grpc from '@grpc/grpc-js';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { ExecTimeoutError, type ExecFn } from './execsync.js';

export type ProbeResult = 'success' | 'failure' | 'unknown';
export interface CheckOutcome { result: ProbeResult; output: string }

/** what a probe or hook runs against */
export interface CheckTarget {
  podIP: string;
  /** the container's spec (for named ports) */
  container: any;
  containerId: string;
  exec: ExecFn;
}

const userAgent = 'kube-probe/1.32';
const maxBody = 10 * 1024;

/** a probe/handler port: a number, a numeric string, or the name of one of the container's ports */
export function resolvePort(port: number | string | undefined, container: any): number {
  if (typeof port === 'number') return port;
  if (port === undefined || port === '') throw new Error('port is not set');
  if (/^\d+$/.test(port)) return Number(port);
  const p = (container?.ports ?? []).find((x: any) => x.name === port);
  if (!p) throw new Error(`couldn't find port: ${port} in ${JSON.stringify(container?.name ?? '')}`);
  return p.containerPort;
}

const hostPort = (host: string, port: number) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

/** a Go-style dial error, as upstream's messages show it */
function dialError(e: any, host: string, port: number): string {
  const where = `dial tcp ${hostPort(host, port)}`;
  switch (e?.code) {
    case 'ECONNREFUSED': return `${where}: connect: connection refused`;
    case 'EHOSTUNREACH': return `${where}: connect: no route to host`;
    case 'ENETUNREACH': return `${where}: connect: network is unreachable`;
    case 'ETIMEDOUT': return `${where}: i/o timeout`;
    default: return `${where}: ${e?.message ?? e}`;
  }
}

export function httpUrl(action: any, target: { podIP: string; container: any }): string {
  const scheme = String(action.scheme ?? 'HTTP').toLowerCase() === 'https' ? 'https' : 'http';
  const host = action.host || target.podIP;
  let path = action.path ?? '/';
  if (!path.startsWith('/')) path = `/${path}`;
  return `${scheme}://${hostPort(host, resolvePort(action.port, target.container))}${path}`;
}

/** GET the action's URL; 200-399 succeeds */
export function httpCheck(action: any, target: { podIP: string; container: any }, timeoutMs: number): Promise<CheckOutcome> {
  let url: string;
  try { url = httpUrl(action, target); } catch (e) { return Promise.resolve({ result: 'unknown', output: (e as Error).message }); }
  const u = new URL(url);
  const headers: Record<string, string> = { 'User-Agent': userAgent, Accept: '*/*' };
  for (const h of action.httpHeaders ?? []) {
    const name = Object.keys(headers).find((k) => k.toLowerCase() === String(h.name).toLowerCase()) ?? h.name;
    headers[name] = h.value;
  }
  const req = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    let done = false;
    const finish = (o: CheckOutcome) => { if (!done) { done = true; clearTimeout(timer); resolve(o); } };
    const r = req(u, { method: 'GET', headers, rejectUnauthorized: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { if (body.length < maxBody) body += d.toString().slice(0, maxBody - body.length); });
      res.on('end', () => {
        const code = res.statusCode ?? 0;
        if (code >= 200 && code < 400) finish({ result: 'success', output: body });
        else finish({ result: 'failure', output: `HTTP probe failed with statuscode: ${code}` });
      });
      res.on('error', (e) => finish({ result: 'failure', output: `Get "${url}": ${e.message}` }));
    });
    const timer = setTimeout(() => {
      finish({ result: 'failure', output: `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` });
      r.destroy();
    }, timeoutMs);
    r.on('error', (e) => finish({ result: 'failure', output: `Get "${url}": ${dialError(e, u.hostname.replace(/^\[|\]$/g, ''), Number(u.port || (u.protocol === 'https:' ? 443 : 80)))}` }));
    r.end();
  });
}

/** opens a TCP connection to the port */
export function tcpCheck(action: any, target: { podIP: string; container: any }, timeoutMs: number): Promise<CheckOutcome> {
  let port: number;
  try { port = resolvePort(action.port, target.container); } catch (e) { return Promise.resolve({ result: 'unknown', output: (e as Error).message }); }
  const host = action.host || target.podIP;
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const timer = setTimeout(() => { s.destroy(); resolve({ result: 'failure', output: `dial tcp ${hostPort(host, port)}: i/o timeout` }); }, timeoutMs);
    s.once('connect', () => { clearTimeout(timer); s.destroy(); resolve({ result: 'success', output: '' }); });
    s.once('error', (e) => { clearTimeout(timer); resolve({ result: 'failure', output: dialError(e, host, port) }); });
  });
}

/** runs the command in the container; exit code 0 succeeds */
export async function execCheck(action: any, target: CheckTarget, timeoutSeconds: number): Promise<CheckOutcome> {
  const cmd: string[] = action.command ?? [];
  try {
    const r = await target.exec(target.containerId, cmd, timeoutSeconds);
    const output = r.stdout + r.stderr;
    return r.exitCode === 0 ? { result: 'success', output } : { result: 'failure', output };
  } catch (e) {
    if (e instanceof ExecTimeoutError) return { result: 'failure', output: `command ${JSON.stringify(cmd.join(' '))} timed out` };
    return { result: 'unknown', output: (e as Error).message };
  }
}

/** grpc.health.v1.Health/Check on the port; SERVING succeeds */
export function grpcCheck(action: any, target: { podIP: string }, timeoutMs: number): Promise<CheckOutcome> {
  const addr = hostPort(target.podIP, action.port);
  const service: string = action.service ?? '';
  const client = new grpc.Client(addr, grpc.credentials.createInsecure());
  const serialize = (s: string) => { const b = Buffer.from(s); return b.length ? Buffer.concat([Buffer.from([0x0a, b.length]), b]) : Buffer.alloc(0); };
  const deserialize = (b: Buffer) => { let status = 0; if (b[0] === 0x08) status = b[1]; return status; };
  const names = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];
  return new Promise((resolve) => {
    client.makeUnaryRequest('/grpc.health.v1.Health/Check', serialize, deserialize, service, { deadline: Date.now() + timeoutMs }, (err, status) => {
      client.close();
      if (err) {
        if (err.code === grpc.status.DEADLINE_EXCEEDED) resolve({ result: 'failure', output: `timeout: health rpc did not complete within ${Math.round(timeoutMs / 1000)}s` });
        else if (err.code === grpc.status.UNAVAILABLE) resolve({ result: 'failure', output: `failed to connect service "${addr}" within ${Math.round(timeoutMs / 1000)}s: ${err.details}` });
        else resolve({ result: 'failure', output: `error: health rpc probe failed: ${err.details}` });
        return;
      }
      if (status === 1) resolve({ result: 'success', output: 'service healthy' });
      else resolve({ result: 'failure', output: `service unhealthy (responded with "${names[status ?? 0] ?? status}")` });
    });
  });
}

/** runs whichever check the probe holds, with its timeoutSeconds (default 1) */
export function runProbe(probe: any, target: CheckTarget): Promise<CheckOutcome> {
  const timeoutSeconds = probe.timeoutSeconds ?? 1;
  if (probe.httpGet) return httpCheck(probe.httpGet, target, timeoutSeconds * 1000);
  if (probe.tcpSocket) return tcpCheck(probe.tcpSocket, target, timeoutSeconds * 1000);
  if (probe.exec) return execCheck(probe.exec, target, timeoutSeconds);
  if (probe.grpc) return grpcCheck(probe.grpc, target, timeoutSeconds * 1000);
  return Promise.resolve({ result: 'unknown', output: 'missing probe handler' });
}
