// A container's environment as upstream's kubelet builds it (kubelet_pods.go makeEnvironmentVariables):
// envFrom (configMaps/secrets, optional prefix, invalid names skipped), env (value with $(VAR)
// expansion, fieldRef, resourceFieldRef, configMapKeyRef, secretKeyRef), then the Service variables
// not already defined. Also the downward-API field values shared with downwardAPI volumes, and the
// $(VAR) expansion of command and args.
import type { KObject } from '../api/types.js';
import { parseQuantity } from '../api/validation/quantity.js';

/** a failure to build a container's config: the container waits with this reason (CreateContainerConfigError) */
export class ContainerConfigError extends Error {
  constructor(message: string, readonly reason = 'CreateContainerConfigError') { super(message); this.name = 'ContainerConfigError'; }
}

/** expansion.MappingFuncFor: the first map holding the name wins; unknown references stay literal */
export function mappingFor(...maps: Map<string, string>[]): (name: string) => string {
  return (name) => {
    for (const m of maps) { const v = m.get(name); if (v !== undefined) return v; }
    return `$(${name})`;
  };
}

/** expansion.Expand: $(VAR) is replaced, $$ is an escaped $, anything else is kept as written */
export function expand(input: string, mapping: (name: string) => string): string {
  let out = '';
  let checkpoint = 0;
  for (let i = 0; i < input.length; i++) {
    if (input[i] !== '$' || i + 1 >= input.length) continue;
    out += input.slice(checkpoint, i);
    const next = input[i + 1];
    let advance = 1;
    if (next === '$') out += '$';
    else if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close >= 0) { out += mapping(input.slice(i + 2, close)); advance = close - i; } else out += '$(';
    } else out += `$${next}`;
    i += advance;
    checkpoint = i + 1;
  }
  return out + input.slice(checkpoint);
}

const envVarName = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
/** validation.IsEnvVarName */
export function isEnvVarName(s: string): boolean { return envVarName.test(s); }

const envName = (s: string) => s.replace(/-/g, '_').toUpperCase();
const serviceIPSet = (s: KObject) => !!s.spec?.clusterIP && s.spec.clusterIP !== 'None';

/**
 * The Service variables (envvars.FromServices) for a pod in `namespace`: every Service there with a
 * cluster IP when enableServiceLinks, and always the `kubernetes` Service of `default`.
 */
export function serviceEnv(services: KObject[], namespace: string, enableServiceLinks: boolean): Map<string, string> {
  const picked = new Map<string, KObject>();
  for (const s of services) {
    if (!serviceIPSet(s)) continue;
    const name = s.metadata.name!;
    if (s.metadata.namespace === 'default' && name === 'kubernetes') { if (!picked.has(name)) picked.set(name, s); } else if (s.metadata.namespace === namespace && enableServiceLinks) picked.set(name, s);
  }
  const out = new Map<string, string>();
  for (const s of [...picked.values()].sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!))) {
    const ports: any[] = s.spec.ports ?? [];
    if (!ports.length) continue;
    const prefix = envName(s.metadata.name!);
    const ip: string = s.spec.clusterIP;
    out.set(`${prefix}_SERVICE_HOST`, ip);
    out.set(`${prefix}_SERVICE_PORT`, String(ports[0].port));
    for (const p of ports) if (p.name) out.set(`${prefix}_SERVICE_PORT_${envName(p.name)}`, String(p.port));
    ports.forEach((p, i) => {
      const proto = String(p.protocol || 'TCP');
      const url = `${proto.toLowerCase()}://${ip.includes(':') ? `[${ip}]` : ip}:${p.port}`;
      if (i === 0) out.set(`${prefix}_PORT`, url);
      const pp = `${prefix}_PORT_${p.port}_${proto.toUpperCase()}`;
      out.set(pp, url);
      out.set(`${pp}_PROTO`, proto.toLowerCase());
      out.set(`${pp}_PORT`, String(p.port));
      out.set(`${pp}_ADDR`, ip);
    });
  }
  return out;
}

/** fieldpath.FormatMap: sorted key="value" lines */
export function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {}).sort().map((k) => `${k}=${JSON.stringify(m![k])}`).join('\n');
}

export interface FieldContext { podIP: string; podIPs: string[]; hostIP: string }

/** a downward-API fieldRef's value (podFieldSelectorRuntimeValue + fieldpath.ExtractFieldPathAsString) */
export function podFieldValue(pod: KObject, fieldPath: string, ctx: FieldContext): string {
  const md = pod.metadata;
  switch (fieldPath) {
    case 'spec.nodeName': return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName': return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP': return ctx.hostIP;
    case 'status.hostIPs': return ctx.hostIP;
    case 'status.podIP': return ctx.podIPs[0] ?? ctx.podIP;
    case 'status.podIPs': return (ctx.podIPs.length ? ctx.podIPs : [ctx.podIP]).filter(Boolean).join(',');
    case 'metadata.name': return md.name ?? '';
    case 'metadata.namespace': return md.namespace ?? '';
    case 'metadata.uid': return md.uid ?? '';
    case 'metadata.labels': return formatMap(md.labels);
    case 'metadata.annotations': return formatMap(md.annotations);
  }
  const m = /^metadata\.(labels|annotations)\['(.*)'\]$/.exec(fieldPath);
  if (m) return (md[m[1] as 'labels' | 'annotations'] as Record<string, string> | undefined)?.[m[2]] ?? '';
  throw new ContainerConfigError(`unsupported fieldPath: ${fieldPath}`);
}

/** node allocatable, the default for unset limits (defaultPodLimitsForDownwardAPI) */
export type Allocatable = Record<string, unknown>;

/** a resourceFieldRef's value: the limit or request over the divisor, rounded up (ExtractContainerResourceValue) */
export function resourceFieldValue(c: any, ref: { resource: string; divisor?: unknown }, allocatable: Allocatable): string {
  const [kind, name] = ref.resource.split(/\.(.*)/s);
  if (!['limits', 'requests'].includes(kind) || !['cpu', 'memory', 'ephemeral-storage'].includes(name)) {
    throw new ContainerConfigError(`unsupported container resource : ${ref.resource}`);
  }
  let q = c.resources?.[kind]?.[name];
  if (q === undefined && kind === 'limits') q = allocatable[name];
  const value = parseQuantity(q ?? 0) ?? 0;
  let divisor = parseQuantity(ref.divisor ?? 0) ?? 0;
  if (divisor === 0) divisor = 1;
  // cpu compares milli-values, the others whole values (Quantity.Value rounds up)
  if (name === 'cpu') return String(Math.ceil(Math.ceil(value * 1000) / Math.ceil(divisor * 1000)));
  return String(Math.ceil(Math.ceil(value) / Math.ceil(divisor)));
}

/** what the environment is built from; configMap/secret resolve to undefined when not found */
export interface EnvSources extends FieldContext {
  configMap(name: string): Promise<KObject | undefined>;
  secret(name: string): Promise<KObject | undefined>;
  services: KObject[];
  allocatable: Allocatable;
  /** reports envFrom keys skipped as invalid names (upstream's InvalidEnvironmentVariableNames event) */
  warn?(reason: string, message: string): void;
}

const secretText = (v: string) => Buffer.from(v, 'base64').toString('utf8');

/** the container's environment in order: envFrom and env as declared, then the Service variables */
export async function makeEnvironment(pod: KObject, c: any, src: EnvSources): Promise<Map<string, string>> {
  const ns = pod.metadata.namespace!;
  const svc = serviceEnv(src.services, ns, pod.spec?.enableServiceLinks !== false);
  const env = new Map<string, string>();
  const cms = new Map<string, KObject>();
  const secrets = new Map<string, KObject>();
  const fetch = async (kind: 'configmap' | 'secret', name: string, optional: boolean): Promise<KObject | undefined> => {
    const cache = kind === 'configmap' ? cms : secrets;
    let o = cache.get(name);
    if (!o) {
      o = await (kind === 'configmap' ? src.configMap(name) : src.secret(name));
      if (!o) {
        if (optional) return undefined;
        throw new ContainerConfigError(`${kind} "${name}" not found`);
      }
      cache.set(name, o);
    }
    return o;
  };
  for (const from of c.envFrom ?? []) {
    const ref = from.configMapRef ?? from.secretRef;
    if (!ref) continue;
    const kind = from.configMapRef ? 'configmap' : 'secret';
    const o = await fetch(kind, ref.name, !!ref.optional);
    if (!o) continue;
    const invalid: string[] = [];
    for (const [k, v] of Object.entries((o.data ?? {}) as Record<string, string>)) {
      const key = `${from.prefix ?? ''}${k}`;
      if (!isEnvVarName(key)) { invalid.push(key); continue; }
      env.set(key, kind === 'secret' ? secretText(v) : v);
    }
    if (invalid.length) {
      src.warn?.('InvalidEnvironmentVariableNames', `Keys [${invalid.sort().join(', ')}] from the EnvFrom ${kind === 'configmap' ? 'configMap' : 'secret'} ${ns}/${ref.name} were skipped since they are considered invalid environment variable names.`);
    }
  }
  const mapping = mappingFor(env, svc);
  for (const e of c.env ?? []) {
    let value = e.value ?? '';
    if (value !== '') value = expand(value, mapping);
    else if (e.valueFrom) {
      const vf = e.valueFrom;
      if (vf.fieldRef) value = podFieldValue(pod, vf.fieldRef.fieldPath, src);
      else if (vf.resourceFieldRef) value = resourceFieldValue(c, vf.resourceFieldRef, src.allocatable);
      else if (vf.configMapKeyRef || vf.secretKeyRef) {
        const ref = vf.configMapKeyRef ?? vf.secretKeyRef;
        const kind = vf.configMapKeyRef ? 'configmap' : 'secret';
        const o = await fetch(kind, ref.name, !!ref.optional);
        if (!o) continue;
        const v = (o.data as Record<string, string> | undefined)?.[ref.key];
        if (v === undefined) {
          if (ref.optional) continue;
          throw new ContainerConfigError(`couldn't find key ${ref.key} in ${kind === 'configmap' ? 'ConfigMap' : 'Secret'} ${ns}/${ref.name}`);
        }
        value = kind === 'secret' ? secretText(v) : v;
      }
    }
    env.set(e.name, value);
  }
  for (const [k, v] of svc) if (!env.has(k)) env.set(k, v);
  return env;
}

/** $(VAR) expansion of command or args against the final environment */
export function expandArgs(list: string[] | undefined, env: Map<string, string>): string[] {
  const mapping = mappingFor(env);
  return (list ?? []).map((s) => expand(s, mapping));
}

/** ExpandContainerVolumeMounts: a subPathExpr against the environment; every reference must have a non-empty value */
export function expandSubPathExpr(expr: string, env: Map<string, string>): string {
  const missing = new Set<string>();
  const out = expand(expr, (k) => { const v = env.get(k); if (!v) missing.add(k); return v ?? ''; });
  if (missing.size) throw new ContainerConfigError(`missing value for ${[...missing].sort().join(', ')}`);
  return out;
}
