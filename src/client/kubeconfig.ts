// Reads a kubeconfig file into the connection settings RestClient takes.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse } from 'yaml';

export interface ClientConfig {
  /** https://host:port or http://host:port */
  server: string;
  /** PEM */
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  token?: string;
  /** skip server certificate verification (insecure-skip-tls-verify) */
  insecureSkipTLSVerify?: boolean;
  /** TLS server name to verify instead of the server's host */
  tlsServerName?: string;
  /** context namespace, if the kubeconfig names one */
  namespace?: string;
}

interface Named<T> { name: string; [k: string]: unknown; cluster?: T; user?: T; context?: T }

function pick<T>(list: Named<T>[] | undefined, name: string, what: string): T {
  const e = (list ?? []).find((x) => x.name === name);
  const v = e && (e.cluster ?? e.user ?? e.context);
  if (!v) throw new Error(`kubeconfig: ${what} "${name}" not found`);
  return v;
}

/** data (base64) wins over a file path; paths are relative to the kubeconfig's folder */
function material(dir: string, data: unknown, file: unknown): Buffer | undefined {
  if (typeof data === 'string' && data) return Buffer.from(data, 'base64');
  if (typeof file === 'string' && file) return readFileSync(isAbsolute(file) ? file : resolve(dir, file));
  return undefined;
}

export function loadKubeconfig(path: string, opts: { context?: string } = {}): ClientConfig {
  const doc = parse(readFileSync(path, 'utf8')) ?? {};
  const dir = dirname(path);
  const ctxName = opts.context ?? doc['current-context'];
  if (!ctxName) throw new Error(`kubeconfig ${path}: no current-context`);
  const ctx = pick<Record<string, any>>(doc.contexts, ctxName, 'context');
  const cluster = pick<Record<string, any>>(doc.clusters, ctx.cluster, 'cluster');
  const user: Record<string, any> = ctx.user ? pick<Record<string, any>>(doc.users, ctx.user, 'user') : {};
  if (!cluster.server) throw new Error(`kubeconfig ${path}: cluster "${ctx.cluster}" has no server`);
  const cfg: ClientConfig = { server: String(cluster.server) };
  const ca = material(dir, cluster['certificate-authority-data'], cluster['certificate-authority']);
  if (ca) cfg.ca = ca;
  if (cluster['insecure-skip-tls-verify']) cfg.insecureSkipTLSVerify = true;
  if (cluster['tls-server-name']) cfg.tlsServerName = cluster['tls-server-name'];
  const cert = material(dir, user['client-certificate-data'], user['client-certificate']);
  const key = material(dir, user['client-key-data'], user['client-key']);
  if (cert) cfg.cert = cert;
  if (key) cfg.key = key;
  if (user.token) cfg.token = String(user.token);
  else if (user.tokenFile) cfg.token = readFileSync(isAbsolute(user.tokenFile) ? user.tokenFile : resolve(dir, user.tokenFile), 'utf8').trim();
  if (ctx.namespace) cfg.namespace = String(ctx.namespace);
  return cfg;
}

const saDir = '/var/run/secrets/kubernetes.io/serviceaccount';

/** In-cluster config, as client-go's rest.InClusterConfig (service account token and CA). */
export function inClusterConfig(): ClientConfig {
  const host = process.env.KUBERNETES_SERVICE_HOST, port = process.env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) throw new Error('unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be defined');
  const h = host.includes(':') ? `[${host}]` : host;
  return {
    server: `https://${h}:${port}`,
    token: readFileSync(`${saDir}/token`, 'utf8').trim(),
    ca: readFileSync(`${saDir}/ca.crt`),
    namespace: readFileSync(`${saDir}/namespace`, 'utf8').trim(),
  };
}
