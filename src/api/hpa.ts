// HorizontalPodAutoscaler autoscaling/v1 <-> autoscaling/v2 (upstream pkg/apis/autoscaling/v1
// conversion): v1 has only a CPU utilization target; everything else v2 holds travels in the
// autoscaling.alpha.kubernetes.io/* annotations of the v1 object, so a v1 round trip keeps it.
import type { KObject } from './types.js';

const A = 'autoscaling.alpha.kubernetes.io/';
const ANN = { metrics: `${A}metrics`, behavior: `${A}behavior`, conditions: `${A}conditions`, currentMetrics: `${A}current-metrics` };

const isCpuUtilization = (m: any) => m?.type === 'Resource' && m.resource?.name === 'cpu' && m.resource?.target?.type === 'Utilization';

function parseAnn(a: Record<string, string>, key: string): any {
  const v = a[key];
  if (v === undefined) return undefined;
  try { return JSON.parse(v); } catch { return undefined; }
}

/** the v2 object as autoscaling/v1 shows it */
export function hpaToV1(o: KObject): KObject {
  const { spec = {}, status, metadata, ...rest } = o;
  const ann: Record<string, string> = { ...(metadata.annotations ?? {}) };
  const metrics: any[] = Array.isArray(spec.metrics) ? spec.metrics : [];
  const cpu = metrics.find(isCpuUtilization);
  const others = metrics.filter((m) => m !== cpu);
  if (others.length) ann[ANN.metrics] = JSON.stringify(others);
  if (spec.behavior) ann[ANN.behavior] = JSON.stringify(spec.behavior);
  const v1spec: any = { scaleTargetRef: spec.scaleTargetRef, minReplicas: spec.minReplicas, maxReplicas: spec.maxReplicas };
  if (cpu) v1spec.targetCPUUtilizationPercentage = cpu.resource.target.averageUtilization;
  const out: KObject = { ...rest, apiVersion: 'autoscaling/v1', metadata: { ...metadata }, spec: v1spec };
  if (status) {
    const cur: any[] = Array.isArray(status.currentMetrics) ? status.currentMetrics : [];
    const curCpu = cur.find((m) => m?.type === 'Resource' && m.resource?.name === 'cpu' && m.resource?.current?.averageUtilization != null);
    const curOthers = cur.filter((m) => m !== curCpu);
    if (curOthers.length) ann[ANN.currentMetrics] = JSON.stringify(curOthers);
    if (Array.isArray(status.conditions) && status.conditions.length) ann[ANN.conditions] = JSON.stringify(status.conditions);
    const s: any = { currentReplicas: status.currentReplicas ?? 0, desiredReplicas: status.desiredReplicas ?? 0 };
    if (status.observedGeneration != null) s.observedGeneration = status.observedGeneration;
    if (status.lastScaleTime != null) s.lastScaleTime = status.lastScaleTime;
    if (curCpu) s.currentCPUUtilizationPercentage = curCpu.resource.current.averageUtilization;
    out.status = s;
  }
  if (Object.keys(ann).length) out.metadata.annotations = ann; else delete out.metadata.annotations;
  return out;
}

/** a v1 object as autoscaling/v2 (storage) holds it */
export function hpaToV2(o: KObject): KObject {
  const { spec = {}, status, metadata, ...rest } = o;
  const ann: Record<string, string> = { ...(metadata?.annotations ?? {}) };
  const metrics: any[] = [];
  if (spec.targetCPUUtilizationPercentage != null) {
    metrics.push({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: spec.targetCPUUtilizationPercentage } } });
  }
  const others = parseAnn(ann, ANN.metrics);
  if (Array.isArray(others)) metrics.push(...others);
  const behavior = parseAnn(ann, ANN.behavior);
  const conditions = parseAnn(ann, ANN.conditions);
  const curOthers = parseAnn(ann, ANN.currentMetrics);
  for (const k of Object.values(ANN)) delete ann[k];
  const v2spec: any = { scaleTargetRef: spec.scaleTargetRef, minReplicas: spec.minReplicas, maxReplicas: spec.maxReplicas };
  if (metrics.length) v2spec.metrics = metrics;
  if (behavior) v2spec.behavior = behavior;
  const out: KObject = { ...rest, apiVersion: 'autoscaling/v2', metadata: { ...(metadata ?? {}) }, spec: v2spec };
  if (status) {
    const s: any = { desiredReplicas: status.desiredReplicas ?? 0 };
    if (status.currentReplicas) s.currentReplicas = status.currentReplicas;
    if (status.observedGeneration != null) s.observedGeneration = status.observedGeneration;
    if (status.lastScaleTime != null) s.lastScaleTime = status.lastScaleTime;
    const cur: any[] = [];
    if (status.currentCPUUtilizationPercentage != null) cur.push({ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: status.currentCPUUtilizationPercentage } } });
    if (Array.isArray(curOthers)) cur.push(...curOthers);
    if (cur.length) s.currentMetrics = cur;
    if (Array.isArray(conditions)) s.conditions = conditions;
    out.status = s;
  }
  if (Object.keys(ann).length) out.metadata.annotations = ann; else delete out.metadata.annotations;
  return out;
}
