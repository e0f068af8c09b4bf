// kubeconfig files, as kubectl and client libraries read them (k3s layout: one cluster, user and
// context, all named after the context, `default` unless told otherwise).
//
//   renderKubeconfig(opts) -> YAML text; credentials are a client certificate + key or a token.
//   writeKubeconfig(path, opts)        writes that file (mode 0600, atomically, creating the folder).
//   kubeconfigWithToken(path, opts)    the same with a bearer token instead of a certificate.
//   mergeKubeconfig(path, opts)        upserts the cluster, user and context named opts.contextName
//                                      into an existing file (e.g. ~/.kube/config) and makes it current.
//   removeKubeconfigContext(path, name) drops that cluster, user and context again.
// Certificates and keys are embedded base64 (certificate-authority-data, client-certificate-data,
// client-key-data).
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parse, stringify } from 'yaml';

interface Common {
  /** e.g. https://127.0.0.1:6443 */
  server: string;
  /** the server CA, PEM */
  caPem: string;
  /** names the cluster, user and context; default `default` */
  contextName?: string;
}
export interface CertCredentials extends Common { clientCertPem: string; clientKeyPem: string }
export interface TokenCredentials extends Common { token: string }
export type KubeconfigOptions = CertCredentials | TokenCredentials;

interface Named<T> { name: string; [k: string]: unknown; cluster?: T; user?: T; context?: T }
interface Kubeconfig {
  apiVersion: string; kind: string;
  clusters: Named<unknown>[]; contexts: Named<unknown>[]; users: Named<unknown>[];
  'current-context': string; preferences: Record<string, unknown>;
  [k: string]: unknown;
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

function entries(opts: KubeconfigOptions) {
  const name = opts.contextName ?? 'default';
  const user = 'token' in opts
    ? { token: opts.token }
    : { 'client-certificate-data': b64(opts.clientCertPem), 'client-key-data': b64(opts.clientKeyPem) };
  return {
    name,
    cluster: { name, cluster: { 'certificate-authority-data': b64(opts.caPem), server: opts.server } },
    context: { name, context: { cluster: name, user: name } },
    user: { name, user },
  };
}

export function renderKubeconfig(opts: KubeconfigOptions): string {
  const e = entries(opts);
  const doc: Kubeconfig = {
    apiVersion: 'v1', kind: 'Config',
    clusters: [e.cluster], contexts: [e.context], 'current-context': e.name, preferences: {}, users: [e.user],
  };
  return stringify(doc, { lineWidth: 0 });
}

export async function writeKubeconfig(path: string, opts: KubeconfigOptions): Promise<void> {
  await writeAtomic(path, renderKubeconfig(opts));
}

export async function kubeconfigWithToken(path: string, opts: TokenCredentials): Promise<void> {
  await writeKubeconfig(path, opts);
}

export async function mergeKubeconfig(path: string, opts: KubeconfigOptions): Promise<void> {
  const doc = await readConfig(path);
  const e = entries(opts);
  upsert(doc.clusters, e.cluster);
  upsert(doc.users, e.user);
  upsert(doc.contexts, e.context);
  doc['current-context'] = e.name;
  await writeAtomic(path, stringify(doc, { lineWidth: 0 }));
}

/** Returns false when nothing named `name` was there. Clears current-context if it pointed at it. */
export async function removeKubeconfigContext(path: string, name: string): Promise<boolean> {
  const doc = await readConfig(path);
  const before = doc.clusters.length + doc.users.length + doc.contexts.length;
  doc.clusters = doc.clusters.filter((x) => x.name !== name);
  doc.users = doc.users.filter((x) => x.name !== name);
  doc.contexts = doc.contexts.filter((x) => x.name !== name);
  const changed = before !== doc.clusters.length + doc.users.length + doc.contexts.length;
  if (doc['current-context'] === name) doc['current-context'] = '';
  if (changed) await writeAtomic(path, stringify(doc, { lineWidth: 0 }));
  return changed;
}

async function readConfig(path: string): Promise<Kubeconfig> {
  let text = '';
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const doc = (text.trim() ? parse(text) : {}) as Partial<Kubeconfig> | null;
  return {
    ...(doc ?? {}),
    apiVersion: doc?.apiVersion ?? 'v1', kind: doc?.kind ?? 'Config',
    clusters: doc?.clusters ?? [], contexts: doc?.contexts ?? [], users: doc?.users ?? [],
    'current-context': doc?.['current-context'] ?? '', preferences: doc?.preferences ?? {},
  };
}

function upsert(list: Named<unknown>[], item: Named<unknown>): void {
  const i = list.findIndex((x) => x.name === item.name);
  if (i >= 0) list[i] = item; else list.push(item);
}

async function writeAtomic(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await writeFile(tmp, text, { mode: 0o600 });
  await rename(tmp, path);
}
