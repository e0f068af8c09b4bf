// Horizontal pod autoscaler controller (upstream pkg/controller/podautoscaler), as far as it goes
// without a metrics API: every 15 s it reads the target's scale subresource, keeps the replica
// count within minReplicas..maxReplicas (scaling the target, with a SuccessfulRescale event), and
// otherwise reports, as upstream does when metrics.k8s.io is not served, that the metrics cannot
// be read: ScalingActive False with FailedGetResourceMetric, and the TARGETS stay <unknown>.
import type { KObject } from '../api/types.js';
import {
  EventRecorder, isNotFound, keyOf, resourcePath, rfc3339, splitKey, WorkQueue, type ResourceRef, type RestClient, type SharedInformer,
  type SharedInformerFactory,
} from '../client/index.js';
import { deepEqual } from '../util/deep.js';
import { groupOf, RestMapper, type Discovery } from './discovery.js';

export const hpasResource: ResourceRef = { group: 'autoscaling', version: 'v2', plural: 'horizontalpodautoscalers', namespaced: true, kind: 'HorizontalPodAutoscaler' };

/** upstream's --horizontal-pod-autoscaler-sync-period */
const syncPeriodMs = 15_000;
const noMetricsAPI = 'unable to fetch metrics from resource metrics API: the server could not find the requested resource (get pods.metrics.k8s.io)';

export interface PodAutoscalerOptions { client: RestClient; informers: SharedInformerFactory; discovery: Discovery; recorder?: EventRecorder; log?: (msg: string) => void; syncPeriodMs?: number }

function setCondition(status: any, type: string, st: 'True' | 'False', reason: string, message: string): void {
  const conds: any[] = status.conditions ?? [];
  const cur = conds.find((c) => c.type === type);
  const next = { type, status: st, reason, message, lastTransitionTime: cur && cur.status === st ? cur.lastTransitionTime : rfc3339() };
  status.conditions = [...conds.filter((c) => c.type !== type), next];
}

/** what a metric needs from the metrics API, as upstream's error names it */
function metricError(m: any): string {
  const name = m?.resource?.name ?? m?.containerResource?.name ?? m?.pods?.metric?.name ?? m?.object?.metric?.name ?? m?.external?.metric?.name ?? 'metric';
  if (m?.type === 'Resource' || m?.type === 'ContainerResource') {
    const what = m?.[m.type === 'Resource' ? 'resource' : 'containerResource']?.target?.type === 'Utilization' ? 'utilization' : 'usage';
    return `failed to get ${name} ${what}: unable to get metrics for resource ${name}: ${noMetricsAPI}`;
  }
  return `unable to get metric ${name}: no metrics API serves ${m?.type ?? 'this'} metrics`;
}

export class PodAutoscalerController {
  readonly queue: WorkQueue<string>;
  private readonly hpas: SharedInformer;
  private readonly recorder: EventRecorder;
  private readonly period: number;

  constructor(private readonly opts: PodAutoscalerOptions) {
    this.period = opts.syncPeriodMs ?? syncPeriodMs;
    this.hpas = opts.informers.informerFor(hpasResource);
    this.recorder = opts.recorder ?? new EventRecorder(opts.client, { component: 'horizontal-pod-autoscaler' });
    this.queue = new WorkQueue<string>({ name: 'horizontalpodautoscaler', onError: (k, e) => opts.log?.(`horizontal-pod-autoscaler: ${k}: ${e instanceof Error ? e.message : e}`) });
    this.hpas.addEventHandler({ add: (h) => this.queue.add(keyOf(h)), update: (o, h) => { if (!deepEqual(o.spec, h.spec)) this.queue.add(keyOf(h)); } });
  }

  async run(workers: number, signal: AbortSignal): Promise<void> {
    if (!(await this.hpas.waitForSync(signal))) return;
    await this.queue.runWorkers(workers, (k) => this.reconcile(k), signal);
  }

  private async scalePath(hpa: KObject): Promise<string | undefined> {
    const ref = hpa.spec?.scaleTargetRef ?? {};
    const r = new RestMapper((await this.opts.discovery.discover()).resources).forKind(ref.apiVersion ?? '', ref.kind ?? '');
    return r && resourcePath(r, { namespace: hpa.metadata.namespace, name: ref.name, subresource: 'scale' });
  }

  async reconcile(key: string): Promise<void | { requeueAfter: number }> {
    const { namespace, name } = splitKey(key);
    const hpa = this.hpas.lister.get(namespace, name);
    if (!hpa || hpa.metadata.deletionTimestamp) return;
    const spec = hpa.spec ?? {};
    const ref = spec.scaleTargetRef ?? {};
    const reference = `${ref.kind}/${ref.name}`;
    const status: any = structuredClone(hpa.status ?? {});
    status.observedGeneration = hpa.metadata.generation;

    let scale: any;
    const path = await this.scalePath(hpa);
    try {
      if (!path) throw new Error(`no matches for kind "${ref.kind}" in group "${groupOf(ref.apiVersion ?? '')}"`);
      scale = await this.opts.client.request('GET', path);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      this.recorder.event(hpa, 'Warning', 'FailedGetScale', msg);
      setCondition(status, 'AbleToScale', 'False', 'FailedGetScale', `the HPA controller was unable to get the target's current scale: ${msg}`);
      await this.writeStatus(hpa, status);
      return { requeueAfter: this.period };
    }
    setCondition(status, 'AbleToScale', 'True', 'SucceededGetScale', "the HPA controller was able to get the target's current scale");
    const current: number = scale.spec?.replicas ?? 0;
    const min: number = spec.minReplicas ?? 1;
    const max: number = spec.maxReplicas ?? min;
    status.currentReplicas = scale.status?.replicas ?? current;
    if (!status.currentReplicas) delete status.currentReplicas;

    let desired = current;
    let reason = '';
    if (current === 0 && min !== 0) {
      setCondition(status, 'ScalingActive', 'False', 'ScalingDisabled', 'scaling is disabled since the replica count of the target is zero');
    } else if (current > max) {
      desired = max; reason = 'Current number of replicas above Spec.MaxReplicas';
      setCondition(status, 'ScalingLimited', 'True', 'TooManyReplicas', 'the desired replica count is more than the maximum replica count');
    } else if (current < min) {
      desired = min; reason = 'Current number of replicas below Spec.MinReplicas';
      setCondition(status, 'ScalingLimited', 'True', 'TooFewReplicas', 'the desired replica count is less than the minimum replica count');
    } else {
      // the replica count would follow the metrics; without a metrics API it stays
      const metrics: any[] = spec.metrics ?? [];
      if (metrics.length) {
        const first = metricError(metrics[0]);
        this.recorder.event(hpa, 'Warning', 'FailedGetResourceMetric', first);
        this.recorder.event(hpa, 'Warning', 'FailedComputeMetricsReplicas', `invalid metrics (${metrics.length} invalid out of ${metrics.length}), first error is: failed to get ${metrics[0]?.resource?.name ?? 'metric'} resource metric value: ${first}`);
        setCondition(status, 'ScalingActive', 'False', 'FailedGetResourceMetric', `the HPA was unable to compute the replica count: ${first}`);
      }
      status.desiredReplicas ??= 0;
    }

    if (reason && desired !== current) {
      try {
        await this.opts.client.request('PATCH', path!, { spec: { replicas: desired } }, { contentType: 'application/merge-patch+json' });
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        this.recorder.event(hpa, 'Warning', 'FailedRescale', `New size: ${desired}; reason: ${reason}; error: ${msg}`);
        setCondition(status, 'AbleToScale', 'False', 'FailedUpdateScale', `the HPA controller was unable to update the target scale: ${msg}`);
        await this.writeStatus(hpa, status);
        return { requeueAfter: this.period };
      }
      this.recorder.event(hpa, 'Normal', 'SuccessfulRescale', `New size: ${desired}; reason: ${reason}`);
      setCondition(status, 'AbleToScale', 'True', 'SucceededRescale', `the HPA controller was able to update the target scale to ${desired}`);
      status.desiredReplicas = desired;
      status.lastScaleTime = rfc3339();
      this.opts.log?.(`horizontal-pod-autoscaler: ${key}: scaled ${reference} from ${current} to ${desired} (${reason})`);
    }
    await this.writeStatus(hpa, status);
    return { requeueAfter: this.period };
  }

  private async writeStatus(hpa: KObject, status: any): Promise<void> {
    if (deepEqual(status, hpa.status ?? {})) return;
    try {
      await this.opts.client.updateStatus(hpasResource, { ...hpa, status });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}
