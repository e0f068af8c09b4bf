// GET pods/{name}/log: validates the PodLogOptions and the container (as upstream's LogLocation),
// finds the pod's node, and streams the log from that node's kubelet
// (https://<InternalIP>:<status.daemonEndpoints.kubeletEndpoint.Port>/containerLogs/{ns}/{pod}/{container})
// through to the client as it arrives. The kubelet's errors become Status errors as upstream's
// GenericHttpResponseChecker makes them (400 -> BadRequest with its text, and so on).
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors, StatusError, type FieldError } from '../api/status.js';
import type { KObject } from '../api/types.js';
import type { Store } from './registry/store.js';
import { queryBool } from './http.js';

export interface KubeletConnection {
  /** the nodes store, to find the pod's node's address and kubelet port */
  nodes: () => Store;
  /**
   * PEM: the client certificate and key presented to kubelets, and the CA their serving
   * certificates must chain to (without one they are not verified, as upstream without
   * --kubelet-certificate-authority)
   */
  tls?: { cert?: string; key?: string; ca?: string };
}

export interface PodLogRequest { store: Store; ns?: string; name?: string; query: URLSearchParams; kubelet?: KubeletConnection }

/** address types tried in order (k3s's --kubelet-preferred-address-types) */
const addressTypes = ['InternalIP', 'ExternalIP', 'Hostname'];
/** how much of a kubelet's error body is read (upstream's maxReadLength) */
const maxErrorBody = 50_000;

function intParam(q: URLSearchParams, k: string): number | undefined {
  const v = q.get(k);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw errors.badRequest(`strconv.ParseInt: parsing "${v}": invalid syntax`);
  return Number(v);
}

/** the query the kubelet gets, after upstream's ValidatePodLogOptions */
export function kubeletLogQuery(name: string, q: URLSearchParams): URLSearchParams {
  const out = new URLSearchParams();
  const errs: FieldError[] = [];
  if (queryBool(q, 'follow')) out.set('follow', 'true');
  if (queryBool(q, 'previous')) out.set('previous', 'true');
  if (queryBool(q, 'timestamps')) out.set('timestamps', 'true');
  const tail = intParam(q, 'tailLines');
  const limit = intParam(q, 'limitBytes');
  const since = intParam(q, 'sinceSeconds');
  const sinceTime = q.get('sinceTime');
  if (tail !== undefined) {
    if (tail < 0) errs.push({ type: 'FieldValueInvalid', field: 'tailLines', value: tail, detail: 'must be greater than or equal to 0' });
    else out.set('tailLines', String(tail));
  }
  if (limit !== undefined) {
    if (limit < 1) errs.push({ type: 'FieldValueInvalid', field: 'limitBytes', value: limit, detail: 'must be greater than 0' });
    else out.set('limitBytes', String(limit));
  }
  if (since !== undefined && sinceTime) errs.push({ type: 'FieldValueForbidden', field: 'sinceSeconds', detail: 'at most one of `sinceTime` or `sinceSeconds` may be specified' });
  if (since !== undefined) {
    if (since < 1) errs.push({ type: 'FieldValueInvalid', field: 'sinceSeconds', value: since, detail: 'must be greater than 0' });
    else out.set('sinceSeconds', String(since));
  }
  if (sinceTime) {
    if (Number.isNaN(Date.parse(sinceTime))) throw errors.badRequest(`parsing time "${sinceTime}" as "2006-01-02T15:04:05Z07:00": cannot parse "${sinceTime}" as "2006"`);
    out.set('sinceTime', sinceTime);
  }
  if (errs.length) throw errors.invalid('', 'PodLogOptions', name, errs);
  return out;
}

/** the container to read, as upstream's validateContainer */
export function logContainer(pod: KObject, container: string | null): string {
  const spec = pod.spec ?? {};
  const all: string[] = [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])].map((c: any) => c.name);
  if (!container) {
    const cs = spec.containers ?? [];
    if (cs.length === 1) return cs[0].name;
    if (cs.length === 0) throw errors.badRequest(`a container name must be specified for pod ${pod.metadata.name}`);
    throw errors.badRequest(`a container name must be specified for pod ${pod.metadata.name}, choose one of: [${all.join(' ')}]`);
  }
  if (!all.includes(container)) throw errors.badRequest(`container ${container} is not valid for pod ${pod.metadata.name}`);
  return container;
}

/** where a node's kubelet API listens: its preferred address and status.daemonEndpoints' port */
export function nodeEndpoint(node: KObject): { host: string; port: number } {
  const addrs: { type: string; address: string }[] = node.status?.addresses ?? [];
  const host = addressTypes.map((t) => addrs.find((a) => a.type === t && a.address)?.address).find(Boolean);
  if (!host) throw errors.internal(`no preferred addresses found; known addresses: ${JSON.stringify(addrs)}`);
  return { host, port: node.status?.daemonEndpoints?.kubeletEndpoint?.Port || 10250 };
}

/** a kubelet's error response as a Status, as upstream's GenericHttpResponseChecker */
function kubeletError(code: number, body: string, name: string): StatusError {
  if (code === 500) return errors.internal(body);
  if (code === 400) return errors.badRequest(body);
  const known: Record<number, [string, string]> = {
    404: ['NotFound', 'the server could not find the requested resource'],
    401: ['Unauthorized', 'the server has asked for the client to provide credentials'],
    403: ['Forbidden', body],
    409: ['Conflict', 'the server reported a conflict'],
    503: ['ServiceUnavailable', 'the server is currently unable to handle the request'],
  };
  const [reason, message] = known[code] ?? ['', `the server responded with the status code ${code} but did not return more information`];
  return new StatusError(code, reason, message, { name, kind: 'pods/log', causes: body ? [{ reason: 'UnexpectedServerResponse', message: body }] : undefined });
}

export async function handlePodLog(req: IncomingMessage, res: ServerResponse, r: PodLogRequest): Promise<void> {
  if ((req.method ?? 'GET') !== 'GET') throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
  const name = r.name ?? '';
  const query = kubeletLogQuery(name, r.query);
  const pod = await r.store.get(r.ns, name);
  const container = logContainer(pod, r.query.get('container'));
  const nodeName: string | undefined = pod.spec?.nodeName;
  if (!nodeName) { res.writeHead(204); res.end(); return; } // upstream: no host yet, no stream
  if (!r.kubelet) throw new StatusError(501, 'NotImplemented', 'pods/log: this server has no kubelet connection configured');
  const { host, port } = nodeEndpoint(await r.kubelet.nodes().get(undefined, nodeName));
  const tls = r.kubelet.tls ?? {};
  const insecure = !tls.ca || queryBool(r.query, 'insecureSkipTLSVerifyBackend');
  const path = `/containerLogs/${encodeURIComponent(pod.metadata.namespace!)}/${encodeURIComponent(name)}/${encodeURIComponent(container)}${query.toString() ? `?${query}` : ''}`;
  const upstream = await new Promise<IncomingMessage>((resolve, reject) => {
    const out = https.request({
      host, port, path, method: 'GET', cert: tls.cert, key: tls.key, ca: tls.ca, rejectUnauthorized: !insecure,
      headers: { 'User-Agent': 'k8ts-apiserver' }, agent: false,
    }, resolve);
    out.on('error', reject);
    res.on('close', () => out.destroy());
    out.end();
  }).catch((e) => { throw errors.internal(`Get "https://${host.includes(':') ? `[${host}]` : host}:${port}${path}": ${e instanceof Error ? e.message : e}`); });
  const code = upstream.statusCode ?? 500;
  if (code < 200 || code > 206) {
    let body = '';
    for await (const chunk of upstream) { if (body.length < maxErrorBody) body += chunk; }
    throw kubeletError(code, body.slice(0, maxErrorBody), name);
  }
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders();
  res.on('close', () => upstream.destroy());
  await new Promise<void>((resolve) => {
    upstream.on('data', (chunk: Buffer) => { if (!res.write(chunk)) { upstream.pause(); res.once('drain', () => upstream.resume()); } });
    upstream.on('end', () => { res.end(); resolve(); });
    upstream.on('error', () => { res.end(); resolve(); });
    upstream.on('close', () => { if (!res.writableEnded) res.end(); resolve(); });
  });
}
