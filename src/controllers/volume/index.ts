// The volume controllers: the default `local-path` StorageClass, the PV/PVC binder, the
// local-path provisioner and the ephemeral volume controller, started together.
import { join } from 'node:path';
import type { EventRecorder, RestClient, SharedInformerFactory } from '../../client/index.js';
import { PersistentVolumeBinder } from './binder.js';
import { LocalPathProvisioner } from './provisioner.js';
import { EphemeralVolumeController } from './ephemeral.js';
import { ensureDefaultStorageClass, localPathProvisionerName } from './storageclass.js';

export { PersistentVolumeBinder } from './binder.js';
export { LocalPathProvisioner } from './provisioner.js';
export * from './storageclass.js';

export interface VolumeContext {
  client: RestClient;
  factory: SharedInformerFactory;
  log?: (msg: string) => void;
  signal: AbortSignal;
  recorder?: EventRecorder;
  /** the server's data dir: volumes go to <dataDir>/storage/<pv name> */
  dataDir?: string;
  workers?: number;
}

/** default storage dir when no data dir is given (k3s: /var/lib/rancher/k3s/storage) */
export const defaultStorageDir = '/var/lib/k8ts/storage';

/** ensures the default class, then runs binder and provisioner until the signal stops them */
export async function start(ctx: VolumeContext): Promise<void> {
  const log = ctx.log ?? (() => {});
  const binder = new PersistentVolumeBinder({ client: ctx.client, factory: ctx.factory, log, externalProvisioners: [localPathProvisionerName] });
  const storageDir = ctx.dataDir ? join(ctx.dataDir, 'storage') : defaultStorageDir;
  const provisioner = new LocalPathProvisioner({ client: ctx.client, factory: ctx.factory, log, storageDir });
  const ephemeral = new EphemeralVolumeController({ client: ctx.client, factory: ctx.factory, log });
  for (let delay = 250; !ctx.signal.aborted; delay = Math.min(delay * 2, 5000)) {
    try { await ensureDefaultStorageClass(ctx.client); break; } catch (e) {
      log(`volume controllers: could not create the default StorageClass: ${e instanceof Error ? e.message : e}`);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
  await Promise.all([binder.run(ctx.workers ?? 2, ctx.signal), provisioner.run(ctx.workers ?? 2, ctx.signal), ephemeral.run(ctx.workers ?? 2, ctx.signal)]);
}
