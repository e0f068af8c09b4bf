// Descriptor entries for the DaemonSet, StatefulSet and volume (PV/PVC binder + local-path
// provisioner) controllers, spread into the table in index.ts.
import { PVCProtectionController, PVProtectionController } from './volume/protection.js';
import type { ControllerDescriptor } from './index.js';
import { DaemonSetController } from './daemonset.js';
import { StatefulSetController } from './statefulset.js';
import { start as startVolumes } from './volume/index.js';

export const setAndVolumeDescriptors: ControllerDescriptor[] = [
  { name: 'daemonset-controller', start: (ctx, signal) => new DaemonSetController({ client: ctx.client, factory: ctx.informers, log: ctx.log }).run(2, signal) },
  { name: 'statefulset-controller', start: (ctx, signal) => new StatefulSetController({ client: ctx.client, factory: ctx.informers, log: ctx.log }).run(2, signal) },
  {
    name: 'persistentvolume-binder-controller',
    // volumes go to <dataDir>/storage/<pv> when the context knows the server's data dir
    start: (ctx, signal) => startVolumes({ client: ctx.client, factory: ctx.informers, log: ctx.log, signal, dataDir: ctx.dataDir }),
  },
  { name: 'persistentvolumeclaim-protection-controller', start: (ctx, signal) => new PVCProtectionController({ client: ctx.client, factory: ctx.informers, log: ctx.log }).run(2, signal) },
  { name: 'persistentvolume-protection-controller', start: (ctx, signal) => new PVProtectionController({ client: ctx.client, factory: ctx.informers, log: ctx.log }).run(2, signal) },
];
