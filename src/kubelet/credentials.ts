// Registry credentials for a pod's image pulls, as upstream's credentialprovider keyring: the pod's
// imagePullSecrets (types kubernetes.io/dockerconfigjson and kubernetes.io/dockercfg) are read,
// each entry is keyed by a registry location (host[:port][/path], scheme ignored, `*` globs in
// host labels), and an image matches an entry when host, port and path prefix agree. The matches
// are tried in order, most specific location first, then an anonymous pull.
import type { KObject } from '../api/types.js';
import { isNotFound, type RestClient } from '../client/index.js';

/** CRI AuthConfig (camelCase) */
export interface RegistryAuth { username?: string; password?: string; auth?: string; serverAddress?: string; identityToken?: string; registryToken?: string }

const secrets = { group: '', version: 'v1', plural: 'secrets', namespaced: true, kind: 'Secret' };

/** the registry location of an image reference, docker.io defaults applied: host[:port]/path */
export function imageLocation(image: string): { host: string; path: string } {
  const ref = image.split('@')[0];
  const slash = ref.indexOf('/');
  const first = slash < 0 ? '' : ref.slice(0, slash);
  let host = 'docker.io';
  let repo = ref;
  if (first && (first.includes('.') || first.includes(':') || first === 'localhost')) { host = first; repo = ref.slice(slash + 1); }
  repo = repo.replace(/:[^/:]*$/, ''); // tag
  if (host === 'docker.io' && !repo.includes('/')) repo = `library/${repo}`;
  return { host, path: repo };
}

const dockerHubAliases = new Set(['index.docker.io', 'docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

/** a keyring key ("https://index.docker.io/v1/", "reg.example.com:5000/team") -> host and path prefix */
function keyLocation(key: string): { host: string; path: string } {
  let k = key.replace(/^[a-z]+:\/\//i, '');
  let path = '';
  const slash = k.indexOf('/');
  if (slash >= 0) { path = k.slice(slash + 1).replace(/\/+$/, ''); k = k.slice(0, slash); }
  if (dockerHubAliases.has(k.toLowerCase())) { k = 'docker.io'; if (path === 'v1' || path === 'v2') path = ''; }
  return { host: k.toLowerCase(), path };
}

function hostMatches(pattern: string, host: string): boolean {
  const [ph, pp] = pattern.split(/:(?=\d+$)/);
  const [hh, hp] = host.toLowerCase().split(/:(?=\d+$)/);
  if ((pp ?? '') !== (hp ?? '')) return false;
  const a = ph.split('.'); const b = hh.split('.');
  if (a.length !== b.length) return false;
  return a.every((label, i) => new RegExp(`^${label.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^.]*')}$`).test(b[i]));
}

function toAuth(entry: any): RegistryAuth | undefined {
  if (!entry || typeof entry !== 'object') return undefined;
  let { username, password } = entry;
  if (entry.auth && (!username || !password)) {
    const dec = Buffer.from(String(entry.auth), 'base64').toString('utf8');
    const i = dec.indexOf(':');
    if (i > 0) { username = dec.slice(0, i); password = dec.slice(i + 1); }
  }
  // no serverAddress: the match is made here (containerd would parse a bare host:port as a URL and fail)
  const out: RegistryAuth = {};
  if (username) out.username = String(username);
  if (password) out.password = String(password);
  if (entry.identitytoken) out.identityToken = String(entry.identitytoken);
  if (entry.registrytoken) out.registryToken = String(entry.registrytoken);
  return out.username || out.identityToken || out.registryToken ? out : undefined;
}

/** the entries of one pull secret's docker config, keyed by registry location */
export function secretEntries(secret: KObject): [string, any][] {
  const data = (secret as any).data ?? {};
  const dec = (k: string) => (data[k] ? Buffer.from(data[k], 'base64').toString('utf8') : undefined);
  try {
    if (secret.type === 'kubernetes.io/dockerconfigjson' || data['.dockerconfigjson']) {
      const j = JSON.parse(dec('.dockerconfigjson') ?? '{}');
      return Object.entries(j.auths ?? {});
    }
    if (secret.type === 'kubernetes.io/dockercfg' || data['.dockercfg']) return Object.entries(JSON.parse(dec('.dockercfg') ?? '{}'));
  } catch { /* malformed: no credentials, as upstream logs and skips */ }
  return [];
}

/** the credentials matching an image, most specific location first */
export function matchingAuths(image: string, pullSecrets: KObject[]): RegistryAuth[] {
  const loc = imageLocation(image);
  const found: { auth: RegistryAuth; specificity: number }[] = [];
  for (const s of pullSecrets) {
    for (const [key, entry] of secretEntries(s)) {
      const k = keyLocation(key);
      if (!hostMatches(k.host, loc.host)) continue;
      if (k.path && loc.path !== k.path && !loc.path.startsWith(`${k.path}/`)) continue;
      const auth = toAuth(entry);
      if (auth) found.push({ auth, specificity: k.host.length + k.path.length });
    }
  }
  return found.sort((a, b) => b.specificity - a.specificity).map((f) => f.auth);
}

/** the pod's pull secrets that exist (missing ones are skipped, as upstream does, with a warning) */
export async function podPullSecrets(client: RestClient, pod: KObject, warn?: (msg: string) => void): Promise<KObject[]> {
  const out: KObject[] = [];
  for (const ref of pod.spec?.imagePullSecrets ?? []) {
    if (!ref?.name) continue;
    try {
      out.push(await client.get(secrets, ref.name, { namespace: pod.metadata.namespace }));
    } catch (e) {
      if (!isNotFound(e)) throw e;
      warn?.(`Unable to retrieve some image pull secrets (${ref.name}); attempting to pull the image may not succeed.`);
    }
  }
  return out;
}
