// Tokens controller (as upstream's serviceaccount-token-controller): a Secret of type
// kubernetes.io/service-account-token that names a ServiceAccount in its
// `kubernetes.io/service-account.name` annotation gets a legacy (non-expiring) token, the cluster
// CA and the namespace in its data, and the account's uid in `kubernetes.io/service-account.uid`.
// A token Secret whose ServiceAccount does not exist (or has another uid) is deleted, and so are an
// account's token Secrets when the account goes. As upstream since 1.24, no Secret is created for
// an account by itself: only those a user creates are filled in.
//
// The token is signed with the service account key (DIR/tls/service.key, upstream's
// --service-account-private-key-file); the API server accepts it while the Secret holds it and the
// account exists with that uid.
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { clone, isNotFound, WorkQueue, type RestClient, type SharedInformerFactory } from '../client/index.js';
import type { KObject } from '../api/types.js';
import { signJwt } from '../util/jwt.js';
import { secretsResource, serviceAccountsResource } from './resources.js';

export const serviceAccountTokenType = 'kubernetes.io/service-account-token';
export const serviceAccountNameAnnotation = 'kubernetes.io/service-account.name';
export const serviceAccountUidAnnotation = 'kubernetes.io/service-account.uid';
/** the issuer of legacy tokens (upstream's LegacyIssuer) */
export const legacyIssuer = 'kubernetes/serviceaccount';

export interface TokensControllerOptions {
  client: RestClient;
  informers: SharedInformerFactory;
  /** the service account signing key */
  key: KeyObject;
  /** the cluster CA bundle (PEM), written as ca.crt */
  rootCA: string;
  log?: (msg: string) => void;
}

/** the claims of a legacy token (upstream pkg/serviceaccount/legacy.go) */
export function legacyClaims(sa: KObject, secret: KObject): Record<string, unknown> {
  const ns = sa.metadata.namespace!;
  return {
    iss: legacyIssuer,
    'kubernetes.io/serviceaccount/namespace': ns,
    'kubernetes.io/serviceaccount/secret.name': secret.metadata.name,
    'kubernetes.io/serviceaccount/service-account.name': sa.metadata.name,
    'kubernetes.io/serviceaccount/service-account.uid': sa.metadata.uid,
    sub: `system:serviceaccount:${ns}:${sa.metadata.name}`,
  };
}

export async function loadServiceAccountKey(dataDir: string): Promise<KeyObject | undefined> {
  const pem = await readFile(join(dataDir, 'tls', 'service.key'), 'utf8').catch(() => '');
  return pem ? createPrivateKey(pem) : undefined;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

export class TokensController {
  readonly queue = new WorkQueue<string>({ name: 'serviceaccount_tokens_secret', onError: (k, e) => this.opts.log?.(`tokens controller: ${k}: ${e instanceof Error ? e.message : e}`) });
  private readonly secretInformer;
  private readonly saInformer;

  constructor(private readonly opts: TokensControllerOptions) {
    this.secretInformer = opts.informers.informerFor(secretsResource, { fieldSelector: `type=${serviceAccountTokenType}` });
    this.saInformer = opts.informers.informerFor(serviceAccountsResource);
    const enqueue = (o: KObject) => this.queue.add(`${o.metadata.namespace}/${o.metadata.name}`);
    this.secretInformer.addEventHandler({ add: enqueue, update: (_o, n) => enqueue(n) });
    // an account that goes (or comes back with another uid) takes its token Secrets with it
    const enqueueTokensOf = (sa: KObject) => {
      for (const s of this.secretInformer.lister.list(sa.metadata.namespace)) {
        if (s.metadata.annotations?.[serviceAccountNameAnnotation] === sa.metadata.name) enqueue(s);
      }
    };
    this.saInformer.addEventHandler({ add: enqueueTokensOf, update: (_o, n) => enqueueTokensOf(n), delete: enqueueTokensOf });
  }

  async run(workers: number, signal: AbortSignal): Promise<void> {
    const synced = await Promise.all([this.secretInformer.waitForSync(signal), this.saInformer.waitForSync(signal)]);
    if (!synced.every(Boolean)) return;
    await this.queue.runWorkers(workers, (k) => this.reconcile(k), signal);
  }

  async reconcile(key: string): Promise<void> {
    const [ns, name] = key.split('/');
    const secret = this.secretInformer.lister.get(ns, name);
    if (!secret || secret.type !== serviceAccountTokenType || secret.metadata.deletionTimestamp) return;
    const ann = secret.metadata.annotations ?? {};
    const sa = this.saInformer.lister.get(ns, ann[serviceAccountNameAnnotation] ?? '');
    const wantUid = ann[serviceAccountUidAnnotation];
    if (!sa || (wantUid && sa.metadata.uid !== wantUid)) {
      // as upstream: the account is gone, so is its token (preconditioned on this Secret's uid)
      try {
        await this.opts.client.delete(secretsResource, name, { namespace: ns, preconditions: { uid: secret.metadata.uid } });
      } catch (e) { if (!isNotFound(e) && (e as { code?: number })?.code !== 409) throw e; }
      return;
    }
    const data = secret.data ?? {};
    if (data['ca.crt'] && data.namespace && data.token) return;
    const next = clone(secret);
    next.data = {
      ...data,
      'ca.crt': data['ca.crt'] || b64(this.opts.rootCA),
      namespace: data.namespace || b64(ns),
      token: data.token || b64(signJwt(legacyClaims(sa, secret), this.opts.key)),
    };
    next.metadata.annotations = { ...ann, [serviceAccountNameAnnotation]: sa.metadata.name!, [serviceAccountUidAnnotation]: sa.metadata.uid! };
    try {
      await this.opts.client.update(secretsResource, next);
    } catch (e) {
      if (isNotFound(e)) return;
      throw e; // a conflict: the informer brings the newer Secret and the key is retried
    }
  }
}
