// The ServiceAccount admission plugin on pod create (upstream plugin/pkg/admission/serviceaccount).
//
//   admitServiceAccount(pod, {getServiceAccount, sleep?, random?})
//     - mirror pods (annotation kubernetes.io/config.mirror) are left alone;
//     - spec.serviceAccountName defaults to `default`, and the service account must exist (for
//       `default`, which its controller creates, the lookup is retried 10 times 100-200 ms apart),
//       else 403 `error looking up service account <ns>/<name>: serviceaccount "<name>" not found`;
//     - spec.imagePullSecrets are copied from the service account when the pod has none;
//     - unless automountServiceAccountToken is false (the pod's setting wins over the account's),
//       every init container and container without a mount at /var/run/secrets/kubernetes.io/serviceaccount
//       gets a readOnly mount of the projected volume `kube-api-access-<5 random chars>` (token,
//       ca.crt from ConfigMap kube-root-ca.crt, namespace), which is added unless a kube-api-access-*
//       volume is already there.
import { errors } from '../../api/status.js';
import { randomString } from '../../util/rand.js';
import type { KObject } from '../../api/types.js';

export const SERVICE_ACCOUNT_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
export const SERVICE_ACCOUNT_VOLUME_PREFIX = 'kube-api-access-';
/** upstream serviceaccount.WarnOnlyBoundTokenExpirationSeconds */
export const DEFAULT_TOKEN_EXPIRATION_SECONDS = 3607;
const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';
/** upstream k8s.io/apimachinery/pkg/util/rand: no vowels, no easily confused characters */

export interface ServiceAccountAdmissionOptions {
  getServiceAccount(ns: string, name: string): Promise<KObject | undefined>;
  sleep?: (ms: number) => Promise<void>;
  /** in [0, 1) (tests) */
  random?: () => number;
}

export async function admitServiceAccount(pod: KObject, opts: ServiceAccountAdmissionOptions): Promise<void> {
  if (pod.metadata.annotations?.[MIRROR_ANNOTATION] !== undefined) return;
  const spec = pod.spec ??= {};
  if (!spec.serviceAccountName) spec.serviceAccountName = spec.serviceAccount || 'default';
  spec.serviceAccount = spec.serviceAccountName;
  const ns = pod.metadata.namespace!;
  const saName: string = spec.serviceAccountName;
  const sa = await lookup(ns, saName, opts);
  if (!sa) {
    throw errors.forbidden({ group: '', resource: 'pods' }, pod.metadata.name ?? '', `error looking up service account ${ns}/${saName}: serviceaccount "${saName}" not found`);
  }
  if (!Array.isArray(spec.imagePullSecrets) || spec.imagePullSecrets.length === 0) {
    const secrets = Array.isArray(sa.imagePullSecrets) ? sa.imagePullSecrets : [];
    if (secrets.length) spec.imagePullSecrets = secrets.map((s: any) => ({ name: s?.name }));
  }
  const automount = typeof spec.automountServiceAccountToken === 'boolean' ? spec.automountServiceAccountToken : sa.automountServiceAccountToken !== false;
  if (automount) mountToken(spec, opts.random ?? Math.random);
}

async function lookup(ns: string, name: string, opts: ServiceAccountAdmissionOptions): Promise<KObject | undefined> {
  const attempts = name === 'default' ? 10 : 1;
  const random = opts.random ?? Math.random;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const interval = 100 + Math.floor(random() * 100);
  for (let i = 0; i < attempts; i++) {
    if (i > 0) await sleep(interval);
    const sa = await opts.getServiceAccount(ns, name);
    if (sa) return sa;
  }
  return undefined;
}

function mountToken(spec: any, random: () => number): void {
  const volumes: any[] = Array.isArray(spec.volumes) ? spec.volumes : [];
  const existing = volumes.find((v) => typeof v?.name === 'string' && v.name.startsWith(SERVICE_ACCOUNT_VOLUME_PREFIX));
  const volumeName: string = existing?.name ?? SERVICE_ACCOUNT_VOLUME_PREFIX + randomSuffix(random);
  let needed = false;
  for (const list of [spec.initContainers, spec.containers]) {
    if (!Array.isArray(list)) continue;
    for (const c of list) {
      if (!c || typeof c !== 'object') continue;
      const mounts: any[] = Array.isArray(c.volumeMounts) ? c.volumeMounts : (c.volumeMounts = []);
      if (mounts.some((m) => m?.mountPath === SERVICE_ACCOUNT_MOUNT_PATH)) continue;
      mounts.push({ name: volumeName, readOnly: true, mountPath: SERVICE_ACCOUNT_MOUNT_PATH });
      needed = true;
    }
  }
  if (needed && !existing) spec.volumes = [...volumes, serviceAccountVolume(volumeName)];
}

export function serviceAccountVolume(name: string): object {
  return {
    name,
    projected: {
      sources: [
        { serviceAccountToken: { expirationSeconds: DEFAULT_TOKEN_EXPIRATION_SECONDS, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ],
      defaultMode: 0o644,
    },
  };
}

function randomSuffix(random: () => number): string {
  return randomString(5, random);
}
