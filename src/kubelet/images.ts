// Image pulls for the pod workers: the pod's pull secrets matched to the image (credentials.ts),
// the pull itself with its events (pull.ts), and upstream's per-image back-off after a failed pull:
// the first failure shows ErrImagePull, retries wait 10 s doubling to 5 min, and meanwhile the
// container waits with ImagePullBackOff ("Back-off pulling image ...").
import type { KObject } from '../api/types.js';
import type { RestClient } from '../client/index.js';
import type { CriClient } from './cri/client.js';
import { matchingAuths, podPullSecrets } from './credentials.js';
import { pullImage, type ImageEvent } from './pull.js';

const initialBackoffMs = 10_000;
const maxBackoffMs = 300_000;

export interface ImageWait { reason: string; message: string; retryAfterMs: number }

export class ImageManager {
  private readonly backoff = new Map<string, { until: number; delayMs: number }>();

  constructor(private readonly cri: CriClient, private readonly client: RestClient) {}

  /** makes c's image present for pod; a waiting reason while it cannot */
  async ensure(pod: KObject, c: any, sandboxConfig: any, event: ImageEvent): Promise<ImageWait | undefined> {
    const key = `${pod.metadata.uid}/${c.image}`;
    const b = this.backoff.get(key);
    const now = Date.now();
    if (b && now < b.until) {
      const message = `Back-off pulling image ${JSON.stringify(c.image)}`;
      event('Normal', 'BackOff', message);
      event('Warning', 'Failed', 'Error: ImagePullBackOff');
      return { reason: 'ImagePullBackOff', message, retryAfterMs: b.until - now };
    }
    // (the API server defaults imagePullPolicy)
    const policy = c.imagePullPolicy ?? 'IfNotPresent';
    const secrets = (pod.spec?.imagePullSecrets ?? []).length ? await podPullSecrets(this.client, pod, (m) => event('Warning', 'FailedToRetrieveImagePullSecret', m)) : [];
    const err = await pullImage(this.cri, c.image, policy, sandboxConfig, event, matchingAuths(c.image, secrets));
    if (!err) { this.backoff.delete(key); return undefined; }
    if (err.reason !== 'ErrImagePull') return { ...err, retryAfterMs: initialBackoffMs };
    const delayMs = b ? Math.min(b.delayMs * 2, maxBackoffMs) : initialBackoffMs;
    this.backoff.set(key, { until: Date.now() + delayMs, delayMs });
    // as upstream's periodic syncs do, the next look (shortly) finds the back-off
    return { ...err, retryAfterMs: 2000 };
  }

  /** drops the back-off state of a pod that is gone */
  forget(uid: string): void {
    for (const k of this.backoff.keys()) if (k.startsWith(`${uid}/`)) this.backoff.delete(k);
  }
}
