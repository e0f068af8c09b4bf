// Horizontal pod autoscaler controller (upstream pkg/controller/podautoscaler): every 15 s it reads
// the target's scale subresource, and the usage of the target's pods from metrics.k8s.io (Resource
// and ContainerResource metrics; the arithmetic is in replicacalc.ts), and scales the target to
// the largest count its metrics ask for, within minReplicas..maxReplicas and spec.behavior, with
// upstream's conditions, events and status.currentMetrics (kubectl's TARGETS). Pods, Object and
// External metrics need a custom or external metrics API, which nothing serves: those report
// FailedGetPodsMetric and the like, as upstream does without one.
import type { KObject } from '../api/types.js';
import {
  EventRecorder, isNotFound, keyOf, resourcePath, rfc3339, splitKey, WorkQueue, type ResourceRef, type RestClient, type SharedInformer,
  type SharedInformerFactory,
} from '../client/index.js';
import { deepEqual } from '../util/deep.js';
import { cpuQuantity, parseQuantity } from '../api/validation/quantity.js';
import { behaviorOf, CalculationError, normalize, recordScaleEvent, resourceReplicas, type PodUsage, type Recommendation, type ScaleEvents, type Target } from './replicacalc.js';
import { matches, parseLabelSelector, type Selector } from '../api/labels.js';
import { groupOf, RestMapper, type Discovery } from './discovery.js';

export const hpasResource: ResourceRef = { group: 'autoscaling', version: 'v2', plural: 'horizontalpodautoscalers', namespaced: true, kind: 'HorizontalPodAutoscaler' };

/** upstream's --horizontal-pod-autoscaler-sync-period */
const syncPeriodMs = 15_000;
const podsResource: ResourceRef = { group: '', version: 'v1', plural: 'pods', namespaced: true, kind: 'Pod' };

export interface PodAutoscalerOptions { client: RestClient; informers: SharedInformerFactory; discovery: Discovery; recorder?: EventRecorder; log?: (msg: string) => void; syncPeriodMs?: number }

function setCondition(status: any, type: string, st: 'True' | 'False', reason: string, message: string): void {
  const conds: any[] = status.conditions ?? [];
  const cur = conds.find((c) => c.type === type);
  const next = { type, status: st, reason, message, lastTransitionTime: cur && cur.status === st ? cur.lastTransitionTime : rfc3339() };
  // in place, as upstream's setCondition (describe lists AbleToScale, ScalingActive, ScalingLimited)
  status.conditions = cur ? conds.map((c) => (c === cur ? next : c)) : [...conds, next];
}

/** a metric kind no API here serves, in upstream's words */
function unservedMetric(m: any): { reason: string; message: string } {
  const kinds: Record<string, [string, string]> = {
    Pods: ['FailedGetPodsMetric', 'custom metrics API (custom.metrics.k8s.io)'],
    Object: ['FailedGetObjectMetric', 'custom metrics API (custom.metrics.k8s.io)'],
    External: ['FailedGetExternalMetric', 'external metrics API (external.metrics.k8s.io)'],
  };
  const [reason, api] = kinds[m?.type] ?? ['InvalidMetricSourceType', ''];
  const name = m?.pods?.metric?.name ?? m?.object?.metric?.name ?? m?.external?.metric?.name ?? '';
  return { reason, message: api ? `unable to get metric ${name}: unable to fetch metrics from ${api.split(' (')[0]}: no ${api} registered` : `invalid metric source type "${m?.type}"` };
}

/** what one metric asks for, or why it cannot say */
/** `kind` names the metric in FailedComputeMetricsReplicas ("cpu resource metric", "pods metric") */
type MetricResult = { replicas: number; name: string; status: any } | { error: string; reason: string; kind: string };

const isReady = (p: KObject) => (p.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True');

/** sum of the containers' requests for a resource (only `container`'s if named) */
function podRequest(pod: KObject, resource: string, container?: string): { request?: number; missingIn?: string } {
  let total = 0;
  for (const c of pod.spec?.containers ?? []) {
    if (container && c.name !== container) continue;
    const q = parseQuantity(c.resources?.requests?.[resource]);
    if (q === undefined) return { missingIn: c.name };
    total += resource === 'cpu' ? Math.round(q * 1000) : q;
  }
  return { request: total };
}

/** usage of a resource from a PodMetrics (milli-CPU or bytes), only `container`'s if named */
function podUsage(pm: any, resource: string, container?: string): number | undefined {
  const cs = (pm?.containers ?? []).filter((c: any) => !container || c.name === container);
  if (!cs.length) return undefined;
  return cs.reduce((a: number, c: any) => a + (parseQuantity(c.usage?.[resource]) ?? 0) * (resource === 'cpu' ? 1000 : 1), 0);
}

const formatUsage = (v: number, resource: string) => (resource === 'cpu' ? cpuQuantity(Math.round(v) * 1e6) : String(Math.round(v)));

export class PodAutoscalerController {
  readonly queue: WorkQueue<string>;
  private readonly hpas: SharedInformer;
  private readonly recorder: EventRecorder;
  private readonly period: number;
  /** recent recommendations per HPA, for the stabilization windows */
  private readonly history = new Map<string, Recommendation[]>();
  /** recent rescales per HPA, for the rate policies' periods */
  private readonly events = new Map<string, ScaleEvents>();
  /** each HPA's pod selector (its target's scale.status.selector), once known: which HPAs control which pods */
  private readonly selectors = new Map<string, Selector>();

  constructor(private readonly opts: PodAutoscalerOptions) {
    this.period = opts.syncPeriodMs ?? syncPeriodMs;
    this.hpas = opts.informers.informerFor(hpasResource);
    this.recorder = opts.recorder ?? new EventRecorder(opts.client, { component: 'horizontal-pod-autoscaler' });
    this.queue = new WorkQueue<string>({ name: 'horizontalpodautoscaler', onError: (k, e) => opts.log?.(`horizontal-pod-autoscaler: ${k}: ${e instanceof Error ? e.message : e}`) });
    this.hpas.addEventHandler({
      add: (h) => this.queue.add(keyOf(h)),
      update: (o, h) => { if (!deepEqual(o.spec, h.spec)) this.queue.add(keyOf(h)); },
      delete: (h) => { this.history.delete(keyOf(h)); this.events.delete(keyOf(h)); this.selectors.delete(keyOf(h)); },
    });
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
    let pods: KObject[] | undefined;
    if (current === 0 && min !== 0) {
      setCondition(status, 'ScalingActive', 'False', 'ScalingDisabled', 'scaling is disabled since the replica count of the target is zero');
    } else if (current > max) {
      desired = max; reason = 'Current number of replicas above Spec.MaxReplicas';
      setCondition(status, 'ScalingLimited', 'True', 'TooManyReplicas', 'the desired replica count is more than the maximum replica count');
    } else if (current < min) {
      desired = min; reason = 'Current number of replicas below Spec.MinReplicas';
      setCondition(status, 'ScalingLimited', 'True', 'TooFewReplicas', 'the desired replica count is less than the minimum replica count');
    } else if (!(pods = await this.selectedPods(hpa, key, scale.status?.selector, status))) {
      delete status.currentMetrics;
      status.desiredReplicas ??= 0;
    } else {
      const metrics: any[] = spec.metrics ?? [];
      const selected = pods;
      const results = await Promise.all(metrics.map((m) => this.metricReplicas(hpa, scale.status.selector, selected, m, current)));
      const valid = results.filter((r): r is Extract<MetricResult, { replicas: number }> => 'replicas' in r);
      const failed = results.filter((r): r is Extract<MetricResult, { error: string }> => 'error' in r);
      for (const f of failed) this.recorder.event(hpa, 'Warning', f.reason, f.error);
      if (failed.length) {
        this.recorder.event(hpa, 'Warning', 'FailedComputeMetricsReplicas', `invalid metrics (${failed.length} invalid out of ${metrics.length}), first error is: failed to get ${failed[0].kind} value: ${failed[0].error}`);
      }
      if (metrics.length && !valid.length) {
        setCondition(status, 'ScalingActive', 'False', failed[0].reason, `the HPA was unable to compute the replica count: ${failed[0].error}`);
        delete status.currentMetrics;
        status.desiredReplicas ??= 0;
      } else if (valid.length) {
        // the largest proposal wins; with an invalid metric the count may not go down
        const best = valid.reduce((a, b) => (b.replicas > a.replicas ? b : a));
        let proposal = best.replicas;
        if (failed.length && proposal < current) proposal = current;
        status.currentMetrics = results.map((r) => ('status' in r ? r.status : { type: '' }));
        setCondition(status, 'ScalingActive', 'True', 'ValidMetricFound', `the HPA was able to successfully calculate a replica count from ${best.name}`);
        const history = this.history.get(key) ?? [];
        this.history.set(key, history);
        const behavior = behaviorOf(spec);
        const n = normalize(current, proposal, min, max, behavior, history, Date.now(), this.events.get(key));
        desired = n.replicas;
        if (n.limited) setCondition(status, 'ScalingLimited', 'True', n.limited.reason, n.limited.message);
        else setCondition(status, 'ScalingLimited', 'False', 'DesiredWithinRange', 'the desired count is within the acceptable range');
        if (desired !== current) reason = desired > current ? `${best.name} above target` : 'All metrics below target';
        else if (n.stabilized) {
          // without a behavior only the scale-down window applies
          const down = proposal < current || !behavior;
          setCondition(status, 'AbleToScale', 'True', down ? 'ScaleDownStabilized' : 'ScaleUpStabilized', down
            ? 'recent recommendations were higher than current one, applying the highest recent recommendation'
            : 'recent recommendations were lower than current one, applying the lowest recent recommendation');
        } else setCondition(status, 'AbleToScale', 'True', 'ReadyForNewScale', 'recommended size matches current size');
        status.desiredReplicas = desired;
      } else {
        status.desiredReplicas ??= 0;
      }
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
      const events = this.events.get(key) ?? { up: [], down: [] };
      this.events.set(key, events);
      recordScaleEvent(events, behaviorOf(spec), current, desired, Date.now());
      this.recorder.event(hpa, 'Normal', 'SuccessfulRescale', `New size: ${desired}; reason: ${reason}`);
      setCondition(status, 'AbleToScale', 'True', 'SucceededRescale', `the HPA controller was able to update the target scale to ${desired}`);
      status.desiredReplicas = desired;
      status.lastScaleTime = rfc3339();
      this.opts.log?.(`horizontal-pod-autoscaler: ${key}: scaled ${reference} from ${current} to ${desired} (${reason})`);
    }
    await this.writeStatus(hpa, status);
    return { requeueAfter: this.period };
  }

  /**
   * the target's pods: its pod selector must be there, parse, and select pods no other HPA controls
   * (upstream validateAndParseSelector); otherwise the HPA says why, does not scale, and gets undefined
   */
  private async selectedPods(hpa: KObject, key: string, selector: string | undefined, status: any): Promise<KObject[] | undefined> {
    const fail = (event: string, reason: string, message: string, error = message): undefined => {
      this.recorder.event(hpa, 'Warning', event, error);
      setCondition(status, 'ScalingActive', 'False', reason, message);
      this.recorder.event(hpa, 'Warning', 'FailedComputeMetricsReplicas', error);
      return undefined;
    };
    if (!selector) return fail('SelectorRequired', 'InvalidSelector', "the HPA target's scale is missing a selector", 'selector is required');
    let parsed: Selector;
    try {
      parsed = parseLabelSelector(selector);
    } catch (e) {
      const msg = `couldn't convert selector into a corresponding internal selector object: ${e instanceof Error ? e.message : e}`;
      return fail('InvalidSelector', 'InvalidSelector', msg);
    }
    this.selectors.set(key, parsed);
    const ns = hpa.metadata.namespace!;
    const pods = (await this.opts.client.list(podsResource, { namespace: ns, labelSelector: selector })).items;
    const controlling = [...this.selectors].filter(([k, sel]) => splitKey(k).namespace === ns && this.hpas.lister.get(ns, splitKey(k).name) && pods.some((p) => matches(sel, p.metadata.labels)))
      .map(([k]) => k).sort();
    if (controlling.length > 1) {
      const msg = `pods by selector ${selector} are controlled by multiple HPAs: [${controlling.join(' ')}]`;
      return fail('AmbiguousSelector', 'AmbiguousSelector', msg);
    }
    return pods;
  }

  /** the replica count one metric asks for (upstream computeReplicasForMetric); `pods` are those the selector selects */
  private async metricReplicas(hpa: KObject, selector: string, pods: KObject[], m: any, current: number): Promise<MetricResult> {
    if (m?.type !== 'Resource' && m?.type !== 'ContainerResource') {
      const u = unservedMetric(m);
      return { error: u.message, reason: u.reason, kind: `${String(m?.type ?? '').toLowerCase()} metric` };
    }
    const src = m.type === 'Resource' ? m.resource : m.containerResource;
    const resource: string = src?.name ?? '';
    const container: string | undefined = m.type === 'ContainerResource' ? src?.container : undefined;
    const t = src?.target ?? {};
    const utilization = t.type === 'Utilization';
    const what = utilization ? 'utilization' : 'usage';
    const kind = `${resource} ${m.type === 'Resource' ? 'resource' : 'container'} metric`;
    const fail = (e: string): MetricResult => ({ error: `failed to get ${resource} ${what}: ${e}`, reason: 'FailedGetResourceMetric', kind });
    const target: Target | undefined = utilization
      ? (t.averageUtilization !== undefined ? { type: 'Utilization', averageUtilization: t.averageUtilization } : undefined)
      : (parseQuantity(t.averageValue) !== undefined ? { type: 'AverageValue', averageValue: parseQuantity(t.averageValue)! * (resource === 'cpu' ? 1000 : 1) } : undefined);
    if (!target) return { error: `invalid resource metric source: neither a utilization target nor a value target was set`, reason: 'FailedGetResourceMetric', kind };
    const ns = hpa.metadata.namespace;
    let metrics: any[];
    try {
      metrics = (await this.opts.client.request('GET', `/apis/metrics.k8s.io/v1beta1/namespaces/${encodeURIComponent(ns!)}/pods?labelSelector=${encodeURIComponent(selector)}`)).items ?? [];
    } catch (e) {
      return fail(`unable to get metrics for resource ${resource}: unable to fetch metrics from resource metrics API: ${e instanceof Error ? e.message : e}`);
    }
    if (!metrics.length) return fail(`unable to get metrics for resource ${resource}: no metrics returned from resource metrics API`);
    const byName = new Map(metrics.map((pm) => [pm.metadata?.name, pm]));
    const usages: PodUsage[] = pods.map((p) => {
      const req = podRequest(p, resource, container);
      return {
        name: p.metadata.name!, request: req.request, missingRequestIn: req.missingIn, // as upstream's groupPods: Pending pods are unready; readiness itself only matters for cpu
        ready: p.status?.phase !== 'Pending' && (resource !== 'cpu' || isReady(p)),
        ignored: !!p.metadata.deletionTimestamp || p.status?.phase === 'Failed', usage: podUsage(byName.get(p.metadata.name), resource, container),
      };
    });
    let calc;
    try {
      calc = resourceReplicas(current, target, usages, resource);
    } catch (e) {
      if (e instanceof CalculationError) return fail(e.message);
      throw e;
    }
    const name = m.type === 'Resource'
      ? (utilization ? `${resource} resource utilization (percentage of request)` : `${resource} resource`)
      : (utilization ? `${resource} container resource utilization (percentage of request)` : `${resource} container resource`);
    const currentValue = { ...(calc.utilization !== undefined ? { averageUtilization: calc.utilization } : {}), averageValue: formatUsage(calc.averageValue, resource) };
    const status = m.type === 'Resource'
      ? { type: 'Resource', resource: { name: resource, current: currentValue } }
      : { type: 'ContainerResource', containerResource: { name: resource, container, current: currentValue } };
    return { replicas: calc.replicas, name, status };
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
