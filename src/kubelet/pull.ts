// Image pulls with upstream's events (Pulled "already present on machine", Pulling, Pulled
// "Successfully pulled image", Failed, ErrImageNeverPull). As runtime.ts's ensureImage, with no
// reachable registry policy Always falls back to a local copy.
import type { CriClient } from './cri/client.js';
import type { RegistryAuth } from './credentials.js';

export type ImageEvent = (type: 'Normal' | 'Warning', reason: string, message: string) => void;

/** makes the image present; returns the waiting reason and message when it cannot */
export async function pullImage(cri: CriClient, image: string, policy: string, sandbox: any, event: ImageEvent, auths: RegistryAuth[] = []): Promise<{ reason: string; message: string } | undefined> {
  const present = (await cri.image('ImageStatus', { image: { image } })).image;
  if (present && policy !== 'Always') {
    event('Normal', 'Pulled', `Container image ${JSON.stringify(image)} already present on machine`);
    return undefined;
  }
  if (!present && policy === 'Never') {
    const message = `Container image ${JSON.stringify(image)} is not present with pull policy of Never`;
    event('Warning', 'ErrImageNeverPull', message);
    event('Warning', 'Failed', 'Error: ErrImageNeverPull');
    return { reason: 'ErrImageNeverPull', message };
  }
  // Pulling is recorded once the outcome is known, so an offline fallback to the local copy reads
  // as upstream's IfNotPresent would
  const pulling = () => event('Normal', 'Pulling', `Pulling image ${JSON.stringify(image)}`);
  const start = Date.now();
  try {
    // each matching credential in turn, then anonymously (upstream's keyring order)
    let err: unknown;
    let pulled = false;
    for (const auth of [...auths, undefined]) {
      try { await cri.image('PullImage', { image: { image }, auth, sandboxConfig: sandbox }); pulled = true; break; } catch (e) { err ??= e; }
    }
    if (!pulled) throw err;
    pulling();
    const s = ((Date.now() - start) / 1000).toFixed(3);
    const size = (await cri.image('ImageStatus', { image: { image } })).image?.size;
    event('Normal', 'Pulled', `Successfully pulled image ${JSON.stringify(image)} in ${s}s (${s}s including waiting).${size ? ` Image size: ${size} bytes.` : ''}`);
    return undefined;
  } catch (e) {
    if (present) {
      event('Normal', 'Pulled', `Container image ${JSON.stringify(image)} already present on machine`);
      return undefined;
    }
    const message = e instanceof Error ? e.message : String(e);
    pulling();
    event('Warning', 'Failed', `Failed to pull image ${JSON.stringify(image)}: ${message}`);
    event('Warning', 'Failed', 'Error: ErrImagePull');
    return { reason: 'ErrImagePull', message };
  }
}
