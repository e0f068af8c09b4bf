// Ephemeral volume controller (as upstream's pkg/controller/volume/ephemeral): for every generic
// ephemeral volume of a pod, the claim `<pod>-<volume>` is created from its volumeClaimTemplate,
// owned by the pod (controller, blockOwnerDeletion), so it is deleted with the pod. A claim of that
// name the pod does not own is left alone and reported.
import { EventRecorder, isAlreadyExists, WorkQueue, type RestClient, type SharedInformerFactory } from '../../client/index.js';
import type { KObject } from '../../api/types.js';
import { podsResource } from '../resources.js';
import { claimKey, pvcsResource } from './resources.js';
import { ephemeralClaimName } from '../../api/volumes.js';

export interface EphemeralOptions { client: RestClient; factory: SharedInformerFactory; recorder?: EventRecorder; log?: (msg: string) => void }

const hasEphemeral = (p: KObject) => (p.spec?.volumes ?? []).some((v: any) => v?.ephemeral);

export class EphemeralVolumeController {
  readonly queue: WorkQueue<string>;
  private readonly recorder: EventRecorder;
  private readonly pods;
  private readonly pvcs;

  constructor(private readonly opts: EphemeralOptions) {
    this.recorder = opts.recorder ?? new EventRecorder(opts.client, { component: 'ephemeral_volume' });
    this.queue = new WorkQueue<string>({ name: 'ephemeral_volume', onError: (k, e) => opts.log?.(`ephemeral volume controller: ${k}: ${e instanceof Error ? e.message : e}`) });
    this.pods = opts.factory.informerFor(podsResource);
    this.pvcs = opts.factory.informerFor(pvcsResource);
    const onPod = (p: KObject) => { if (hasEphemeral(p)) this.queue.add(claimKey(p.metadata.namespace!, p.metadata.name!)); };
    this.pods.addEventHandler({ add: onPod, update: (_o, n) => onPod(n) });
    // a claim deleted while its pod lives is made again
    this.pvcs.addEventHandler({
      delete: (c) => {
        for (const r of c.metadata.ownerReferences ?? []) if (r.kind === 'Pod' && r.controller) this.queue.add(claimKey(c.metadata.namespace!, r.name));
      },
    });
  }

  async run(workers: number, signal: AbortSignal): Promise<void> {
    const synced = await Promise.all([this.pods.waitForSync(signal), this.pvcs.waitForSync(signal)]);
    if (!synced.every(Boolean)) return;
    await this.queue.runWorkers(workers, (k) => this.reconcile(k), signal);
  }

  async reconcile(key: string): Promise<void> {
    const [ns, name] = key.slice('claim:'.length).split('/');
    const pod = this.pods.lister.get(ns, name);
    if (!pod || pod.metadata.deletionTimestamp) return;
    for (const vol of pod.spec?.volumes ?? []) {
      const tpl = vol?.ephemeral?.volumeClaimTemplate;
      if (!tpl) continue;
      const claimName = ephemeralClaimName(pod, vol.name);
      const existing = this.pvcs.lister.get(ns, claimName);
      if (existing) {
        if (!(existing.metadata.ownerReferences ?? []).some((r: any) => r.uid === pod.metadata.uid)) {
          this.recorder.event(pod, 'Warning', 'FailedBinding', `PVC ${ns}/${claimName} was not created for pod ${ns}/${name} (pod is not owner)`);
        }
        continue;
      }
      const claim: KObject = {
        apiVersion: 'v1', kind: 'PersistentVolumeClaim',
        metadata: {
          name: claimName, namespace: ns,
          ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name, uid: pod.metadata.uid!, controller: true, blockOwnerDeletion: true }],
          ...(tpl.metadata?.labels ? { labels: tpl.metadata.labels } : {}),
          ...(tpl.metadata?.annotations ? { annotations: tpl.metadata.annotations } : {}),
        },
        spec: tpl.spec,
      };
      try {
        await this.opts.client.create(pvcsResource, claim, { namespace: ns });
      } catch (e) {
        if (isAlreadyExists(e)) continue;
        this.recorder.event(pod, 'Warning', 'FailedBinding', `PVC creation failed: ${e instanceof Error ? e.message : e}`);
        throw e;
      }
    }
  }
}
