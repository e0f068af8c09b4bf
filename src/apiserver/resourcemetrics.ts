// metrics.k8s.io/v1beta1, the resource metrics API behind `kubectl top` and the HPA. Upstream
// serves it from metrics-server, an aggregated API server that scrapes every kubelet; here the API
// server does the same in process: a list or get reads each node's kubelet Summary API
// (GET /stats/summary, kept for a few seconds) and answers NodeMetrics and PodMetrics in
// metrics-server's shape. Nodes without a kubelet (simulated ones) or whose kubelet does not
// answer are left out, as metrics-server leaves out what it could not scrape.
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { matches, matchesFields, parseFieldSelector, parseLabelSelector } from '../api/labels.js';
import { errors, StatusError } from '../api/status.js';
import type { KObject, ResourceInfo } from '../api/types.js';
import type { Registry } from './registry/registry.js';
import { nodeEndpoint, type KubeletConnection } from './podlogs.js';
import { sendJSON } from './http.js';
import { cpuQuantity, memoryQuantity } from '../api/validation/quantity.js';
import type { Schema } from './openapi/components.js';
import { toTable } from './table/index.js';
import { registerCustomResourceDoc } from './openapi/v3.js';

export const metricsGroupVersion = 'metrics.k8s.io/v1beta1';
export const metricsPath = /^\/apis\/metrics\.k8s\.io\/v1beta1\/(?:namespaces\/([^/]+)\/)?(nodes|pods)(?:\/([^/]+))?\/?$/;

export const metricsResources: ResourceInfo[] = [
  { group: 'metrics.k8s.io', version: 'v1beta1', kind: 'NodeMetrics', plural: 'nodes', singular: '', namespaced: false, verbs: ['get', 'list'] },
  { group: 'metrics.k8s.io', version: 'v1beta1', kind: 'PodMetrics', plural: 'pods', singular: '', namespaced: true, verbs: ['get', 'list'] },
];

const usageSchema = {
  description: 'The memory usage is the memory working set.', type: 'object',
  additionalProperties: { type: 'string', description: 'Quantity is a fixed-point representation of a number.' },
};
const windowProps = {
  timestamp: { type: 'string', format: 'date-time', description: 'The following fields define time interval from which metrics were collected from the interval [Timestamp-Window, Timestamp].' },
  window: { type: 'string' },
};
/** the OpenAPI schemas of NodeMetrics and PodMetrics (for kubectl explain), as metrics-server publishes them */
export const metricsSchemas: Record<string, Schema> = {
  NodeMetrics: { description: 'NodeMetrics sets resource usage metrics of a node.', type: 'object', required: ['timestamp', 'window', 'usage'], properties: { ...windowProps, usage: usageSchema } },
  PodMetrics: {
    description: 'PodMetrics sets resource usage metrics of a pod.', type: 'object', required: ['timestamp', 'window', 'containers'],
    properties: {
      ...windowProps,
      containers: {
        description: 'Metrics for all containers are collected within the same time window.', type: 'array',
        items: {
          description: 'ContainerMetrics sets resource usage metrics of a container.', type: 'object', required: ['name', 'usage'],
          properties: { name: { type: 'string', description: 'Container name corresponding to the one from pod.spec.containers.' }, usage: usageSchema },
        },
      },
    },
  },
};

/** the kubelets' sampling resolution, reported as each metric's window */
const window = '10s';
/** a node's summary is read again after this long */
const cacheMs = 2000;
const fetchTimeoutMs = 5000;

/** whether the node has a kubelet to ask (a simulated node has none) */
function scrapable(node: KObject): boolean {
  if (node.metadata.annotations?.['kwok.x-k8s.io/node'] === 'fake') return false;
  return (node.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True');
}

function getSummary(node: KObject, kubelet: KubeletConnection): Promise<any> {
  const tls = kubelet.tls ?? {};
  return new Promise((resolve, reject) => {
    const { host, port } = nodeEndpoint(node);
    const req = https.request({
      host, port, path: '/stats/summary', method: 'GET',
      cert: tls.cert, key: tls.key, ca: tls.ca, rejectUnauthorized: !!tls.ca, agent: false, timeout: fetchTimeoutMs,
      headers: { 'User-Agent': 'k8ts-apiserver', Accept: 'application/json' },
    }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => {
        if (res.statusCode !== 200) { reject(new Error(`HTTP ${res.statusCode}`)); return; }
        try { resolve(JSON.parse(body)); } catch (e) { reject(e); }
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

export class ResourceMetrics {
  private readonly cache = new Map<string, { at: number; summary: Promise<any> }>();

  constructor(private readonly registry: Registry, private readonly kubelet: KubeletConnection | undefined, private readonly log?: (m: string) => void) {
    for (const r of metricsResources) registerCustomResourceDoc(r, metricsSchemas[r.kind]);
  }

  /** the summaries of the nodes that answered, by node name */
  private async summaries(nodes: KObject[]): Promise<Map<string, any>> {
    const out = new Map<string, any>();
    if (!this.kubelet) return out;
    const now = Date.now();
    await Promise.all(nodes.filter(scrapable).map(async (n) => {
      const name = n.metadata.name!;
      let c = this.cache.get(name);
      if (!c || now - c.at > cacheMs) {
        c = { at: now, summary: getSummary(n, this.kubelet!) };
        this.cache.set(name, c);
      }
      try { out.set(name, await c.summary); } catch (e) {
        if (this.cache.get(name) === c) this.cache.delete(name);
        this.log?.(`metrics: unable to read the summary of node ${name}: ${e instanceof Error ? e.message : e}`);
      }
    }));
    return out;
  }

  private async nodes(): Promise<KObject[]> {
    return (await this.registry.find('', 'nodes')!.list(undefined)).items;
  }

  async nodeMetrics(name: string | undefined, labelSelector: string | undefined): Promise<KObject[]> {
    const sel = parseLabelSelector(labelSelector ?? undefined);
    const nodes = (await this.nodes()).filter((n) => (!name || n.metadata.name === name) && matches(sel, n.metadata.labels));
    const sums = await this.summaries(nodes);
    const out: KObject[] = [];
    for (const n of nodes) {
      const s = sums.get(n.metadata.name!)?.node;
      if (s?.cpu?.usageNanoCores === undefined || s?.memory?.workingSetBytes === undefined) continue;
      out.push({
        kind: 'NodeMetrics', apiVersion: metricsGroupVersion,
        metadata: { name: n.metadata.name, creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), ...(n.metadata.labels ? { labels: n.metadata.labels } : {}) },
        timestamp: s.cpu.time, window, usage: { cpu: cpuQuantity(s.cpu.usageNanoCores), memory: memoryQuantity(s.memory.workingSetBytes) },
      });
    }
    return out;
  }

  async podMetrics(ns: string | undefined, name: string | undefined, labelSelector: string | undefined): Promise<KObject[]> {
    const sel = parseLabelSelector(labelSelector ?? undefined);
    const pods = (await this.registry.find('', 'pods')!.list(ns)).items.filter((p) => (!name || p.metadata.name === name) && matches(sel, p.metadata.labels) && p.spec?.nodeName);
    if (!pods.length) return [];
    const wanted = new Set(pods.map((p) => p.spec!.nodeName as string));
    const sums = await this.summaries((await this.nodes()).filter((n) => wanted.has(n.metadata.name!)));
    const byUid = new Map<string, any>();
    for (const s of sums.values()) for (const p of s.pods ?? []) if (p.podRef?.uid) byUid.set(p.podRef.uid, p);
    const out: KObject[] = [];
    for (const p of pods) {
      const s = byUid.get(p.metadata.uid!);
      const containers = (s?.containers ?? []).filter((c: any) => c.cpu?.usageNanoCores !== undefined && c.memory?.workingSetBytes !== undefined);
      if (!containers.length) continue;
      out.push({
        kind: 'PodMetrics', apiVersion: metricsGroupVersion,
        metadata: { name: p.metadata.name, namespace: p.metadata.namespace, creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), ...(p.metadata.labels ? { labels: p.metadata.labels } : {}) },
        timestamp: s.cpu?.time ?? containers[0].cpu.time, window,
        containers: containers.map((c: any) => ({ name: c.name, usage: { cpu: cpuQuantity(c.cpu.usageNanoCores), memory: memoryQuantity(c.memory.workingSetBytes) } })),
      });
    }
    return out;
  }

  async handle(req: IncomingMessage, res: ServerResponse, m: RegExpExecArray, query: URLSearchParams): Promise<void> {
    const [, ns, plural, name] = m.map((x) => (x === undefined ? undefined : decodeURIComponent(x)));
    if ((req.method ?? 'GET') !== 'GET') throw new StatusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
    if (plural === 'nodes' && ns) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
    if (query.get('watch') === 'true' || query.get('watch') === '1') throw new StatusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
    const labelSelector = query.get('labelSelector') ?? undefined;
    // metrics-server serves these types with the default field label conversion: name and namespace only
    const fieldSelector = parseFieldSelector(query.get('fieldSelector') ?? undefined);
    for (const f of fieldSelector) {
      if (f.field !== 'metadata.name' && f.field !== 'metadata.namespace') throw errors.badRequest(`"${f.field}" is not a known field selector: only "metadata.name", "metadata.namespace"`);
    }
    const nodes = plural === 'nodes';
    let items = nodes ? await this.nodeMetrics(name, name ? undefined : labelSelector) : await this.podMetrics(ns, name, name ? undefined : labelSelector);
    if (!name && fieldSelector.length) {
      items = items.filter((o) => matchesFields(fieldSelector, { 'metadata.name': o.metadata.name ?? '', 'metadata.namespace': o.metadata.namespace ?? '' }));
    }
    if (name && !items.length) {
      const id = nodes ? name : `${ns}/${name}`;
      const kind = nodes ? 'nodemetrics' : 'podmetrics';
      throw new StatusError(404, 'NotFound', `${kind}.metrics.k8s.io "${id}" not found`, { name: id, group: 'metrics.k8s.io', kind });
    }
    if (/as=Table/.test(req.headers.accept ?? '')) return sendJSON(res, 200, toTable(metricsResources[nodes ? 0 : 1], items), 'application/json;as=Table;v=v1;g=meta.k8s.io');
    if (name) return sendJSON(res, 200, items[0]);
    return sendJSON(res, 200, { kind: nodes ? 'NodeMetricsList' : 'PodMetricsList', apiVersion: metricsGroupVersion, metadata: {}, items });
  }
}
