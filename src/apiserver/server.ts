// The API server: HTTPS, authentication, discovery, OpenAPI, health, metrics, and resource routing.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { Counter, Histogram, Registry as PromRegistry, collectDefaultMetrics } from 'prom-client';
import { errors, StatusError } from '../api/status.js';
import type { KObject, ResourceInfo } from '../api/types.js';
import { builtinResources } from '../api/resources.js';
import type { Backend } from '../storage/backend.js';
import { Registry } from './registry/registry.js';
import { podQOSClass, strategyFor } from './registry/strategies/index.js';
import { parseApiPath, parseResourcePath } from './router.js';
import { aggregatedDoc, apiGroupDoc, apiGroupListDoc, apiResourceListDoc, apiVersionsDoc } from './discovery.js';
import { admitClaim, admitPod } from './admission/limitranger.js';
import { admitPodPriority, admitPriorityClass } from './admission/priority.js';
import { admitQuota } from './admission/resourcequota.js';
import { Authorizer, type AuthorizationMode } from './authorization.js';
import { accessReviewPath, authorizationResources, handleAccessReview } from './accessreview.js';
import { componentStatusPath, componentStatusResources, handleComponentStatus } from './componentstatus.js';
import { metricsPath, metricsResources, ResourceMetrics } from './resourcemetrics.js';
import { sendError, sendJSON, sendText } from './http.js';
import { handleResource } from './handlers.js';
import { ServiceAllocator } from './allocator.js';
import { openapiV3DocJSON, openapiV3Hash, openapiV3Index } from './openapi/v3.js';
import { openapiV2ContentType, openapiV2Proto } from './openapi/v2.js';
import { authenticate, type AuthnContext, type TokenAuthenticator, type UserInfo } from './auth/authn.js';
import { updateManagedFields } from './patch/index.js';
import { NamespaceView } from './namespaces.js';
import { CustomResources } from './crd.js';
import type { KubeletConnection } from './podlogs.js';
import { setUpgrade, upgradeTaken } from './podstream.js';
import type { KeyObject } from 'node:crypto';
import { DEFAULT_API_AUDIENCES, LEGACY_LAST_USED_LABEL, ServiceAccountTokens, type ObjectGetter } from './auth/satoken.js';
import { authenticationResources, handleSelfSubjectReview, handleTokenRequest, handleTokenReview, selfSubjectReviewPath, tokenReviewPath } from './tokenrequest.js';
import { withAuthenticatedGroup } from './auth/authn.js';
import { admitCertificateSubject } from './admission/certsubject.js';
import { deepEqual } from '../util/deep.js';
import { parseQuantity } from '../api/validation/quantity.js';
import { claimStorageClass } from '../api/volumes.js';
import { admitServiceAccount } from './admission/serviceaccount.js';

export interface ApiServerOptions {
  backend: Backend;
  /** HTTPS options (cert, key, ca, requestCert); plain HTTP when absent (tests only) */
  tls?: https.ServerOptions;
  /** authentication; every request is allowed as admin when absent (tests only) */
  authn?: AuthnContext;
  /** RBAC (default), or AlwaysAllow (upstream's --authorization-mode) */
  authorizationMode?: AuthorizationMode;
  host?: string;
  port?: number;
  serviceCidr?: string;
  nodePortRange?: [number, number];
  /** history older than one interval is compacted every interval (upstream: 5 minutes) */
  compactionIntervalMs?: number;
  /** PEM: client certificate and key for kubelets, and the CA of their serving certificates (pods/log) */
  kubeletClient?: { cert: string; key: string; ca?: string };
  /**
   * the service account token signing key: enables serviceaccounts/token, service account bearer
   * tokens (when authn is set) and ServiceAccount admission on pod create
   */
  serviceAccountKey?: KeyObject;
  /** --service-account-issuer (default https://kubernetes.default.svc.cluster.local) */
  serviceAccountIssuer?: string;
  /** --api-audiences (default: the issuer and k3s, as k3s) */
  apiAudiences?: string[];
  /** ServiceAccount admission on pod create (default: on when serviceAccountKey is set) */
  serviceAccountAdmission?: boolean;
  /**
   * StorageObjectInUseProtection admission: new PVCs get kubernetes.io/pvc-protection and PVs
   * kubernetes.io/pv-protection (default off: only with the controllers that remove them)
   */
  storageProtection?: boolean;
}

export const serverVersion = {
  major: '1', minor: '32', gitVersion: 'v1.32.0+k8ts', gitCommit: '0000000000000000000000000000000000000000', gitTreeState: 'clean',
  buildDate: '2026-11-26T00:00:00Z', goVersion: `node${process.versions.node}`, compiler: 'tsc', platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
};

const anonymous: UserInfo = { name: 'system:admin', groups: ['system:masters', 'system:authenticated'] };

/** whether obj differs from old only in metadata.ownerReferences and metadata.finalizers (managedFields and resourceVersion aside) */
function onlyGcFieldsChange(obj: KObject, old: KObject): boolean {
  const strip = (o: KObject) => {
    const { ownerReferences: _o, finalizers: _f, managedFields: _m, resourceVersion: _r, ...meta } = o.metadata;
    return { ...o, metadata: meta };
  };
  return deepEqual(strip(obj), strip(old));
}

export class ApiServer {
  readonly registry: Registry;
  private server?: http.Server;
  private readonly metrics = new PromRegistry();
  private readonly requests: Counter;
  private readonly latency: Histogram;
  private ready = false;
  private compactTimer?: NodeJS.Timeout;
  private readonly crds: CustomResources;
  private readonly kubelet: KubeletConnection;
  private readonly resourceMetrics: ResourceMetrics;
  /** connections taken over by upgrades (exec, attach, port-forward), closed on stop */
  private readonly upgraded = new Set<Duplex>();
  /** namespaces as a watch shows them, for the create-time namespace check */
  private namespaceView?: NamespaceView;
  /** issues and checks service account tokens; absent without a signing key */
  readonly serviceAccountTokens?: ServiceAccountTokens;
  private saAuthenticator?: TokenAuthenticator;
  address = '';

  constructor(private readonly opts: ApiServerOptions) {
    const allocator = new ServiceAllocator(() => this.registry.find('', 'services')!, {
      serviceCidr: opts.serviceCidr ?? '10.43.0.0/16', nodePortRange: opts.nodePortRange ?? [30000, 32767],
    });
    this.registry = new Registry(opts.backend, (r) => strategyFor(r), {
      checkNamespace: (ns, gr, name) => this.checkNamespace(ns, gr, name),
      beforeCreate: async (r, obj, wo) => {
        if (r.group === 'rbac.authorization.k8s.io' && wo.user) await this.authorizer.checkEscalation(r.plural, obj, wo.user);
        // a CertificateSigningRequest records who asked (upstream's PrepareForCreate)
        if (r.group === 'certificates.k8s.io' && r.plural === 'certificatesigningrequests') {
          const u = wo.user ?? anonymous;
          obj.spec = { ...(obj.spec ?? {}), username: u.name, groups: u.groups };
          if ((u as UserInfo).uid) obj.spec.uid = (u as UserInfo).uid; else delete obj.spec.uid;
          if ((u as UserInfo).extra) obj.spec.extra = (u as UserInfo).extra; else delete obj.spec.extra;
          admitCertificateSubject(obj);
        }
        if (r.group === '' && r.plural === 'services') await allocator.allocate(obj);
        if (r.group === '' && r.plural === 'persistentvolumeclaims') await this.defaultStorageClass(obj);
        if (r.group === '' && r.plural === 'pods') admitPodPriority(obj, await this.cachedList('scheduling.k8s.io', 'priorityclasses', undefined));
        if (r.group === 'scheduling.k8s.io' && r.plural === 'priorityclasses') admitPriorityClass(obj, await this.cachedList('scheduling.k8s.io', 'priorityclasses', undefined, 0));
        if (r.group === '' && (r.plural === 'pods' || r.plural === 'persistentvolumeclaims')) {
          const limitRanges = await this.cachedList('', 'limitranges', obj.metadata.namespace ?? '');
          if (limitRanges.length && r.plural === 'pods') {
            admitPod(obj, limitRanges);
            // the QoS class follows the defaulted resources (upstream computes it after admission)
            obj.status = { ...(obj.status ?? {}), qosClass: podQOSClass(obj.spec) };
          } else if (limitRanges.length) admitClaim(obj, limitRanges);
        }
        if (opts.storageProtection && r.group === '' && (r.plural === 'persistentvolumeclaims' || r.plural === 'persistentvolumes')) {
          const f = r.plural === 'persistentvolumes' ? 'kubernetes.io/pv-protection' : 'kubernetes.io/pvc-protection';
          if (!(obj.metadata.finalizers ?? []).includes(f)) obj.metadata.finalizers = [...(obj.metadata.finalizers ?? []), f];
        }
        if (r.group === 'networking.k8s.io' && r.plural === 'ingresses') await this.defaultIngressClass(obj);
        if (r.group === '' && r.plural === 'pods' && this.serviceAccountTokens && opts.serviceAccountAdmission !== false) {
          await admitServiceAccount(obj, { getServiceAccount: (ns, name) => this.getObject('serviceaccounts', ns, name) });
        }
        // ResourceQuota admission comes last, on the object as it will be stored
        if (r.namespaced) await admitQuota(r.group, r.plural, obj, this.quotaDeps, wo.dryRun);
      },
      beforeUpdate: async (r, obj, old, wo) => {
        // an update that only changes ownerReferences or finalizers grants nothing (upstream's IsOnlyMutatingGCFields)
        if (r.group === 'rbac.authorization.k8s.io' && wo.user && !onlyGcFieldsChange(obj, old)) await this.authorizer.checkEscalation(r.plural, obj, wo.user);
        // approving or denying needs the approve verb on the signer (upstream's approval admission)
        if (r.group === 'certificates.k8s.io' && wo.subresource === 'approval' && wo.user) await this.authorizer.checkSignerApproval(obj, wo.user);
        if (r.group === '' && r.plural === 'services') await allocator.allocate(obj, old);
        if (r.group === '' && r.plural === 'persistentvolumeclaims' && !wo.subresource) await this.admitClaimResize(obj, old);
        if (r.group === 'scheduling.k8s.io' && r.plural === 'priorityclasses') admitPriorityClass(obj, await this.cachedList('scheduling.k8s.io', 'priorityclasses', undefined, 0));
      },
      manageFields: (obj, old, manager, sub) => updateManagedFields(obj, old, manager, sub),
      afterWrite: (r, rev) => {
        if (r.group === '' && r.plural === 'namespaces') this.namespaceView?.wrote(rev);
        this.listCache.delete(`${r.group}/${r.plural}`);
      },
    });
    for (const r of builtinResources) this.registry.add(r);
    this.authorizer = new Authorizer((g, p) => this.cachedList(g, p, undefined), opts.authorizationMode);
    this.kubelet = { nodes: () => this.registry.find('', 'nodes')!, tls: opts.kubeletClient };
    this.resourceMetrics = new ResourceMetrics(this.registry, this.kubelet);
    this.crds = new CustomResources(this.registry);
    if (opts.serviceAccountKey) {
      this.serviceAccountTokens = new ServiceAccountTokens({
        key: opts.serviceAccountKey, issuer: opts.serviceAccountIssuer, audiences: opts.apiAudiences ?? DEFAULT_API_AUDIENCES, get: this.getObject,
        markLegacyUsed: async (ns, name, day) => {
          await this.registry.find('', 'secrets')!.guaranteedUpdate(ns, name, (cur) => {
            if (!cur || cur.metadata.labels?.[LEGACY_LAST_USED_LABEL] === day) return undefined;
            cur.metadata.labels = { ...cur.metadata.labels, [LEGACY_LAST_USED_LABEL]: day };
            return cur;
          }, { fieldManager: 'kube-apiserver' });
        },
      });
      this.saAuthenticator = (t) => this.serviceAccountTokens!.authenticate(t);
      opts.authn?.tokenAuthenticators.push(this.saAuthenticator);
    }
    collectDefaultMetrics({ register: this.metrics });
    this.requests = new Counter({ name: 'apiserver_request_total', help: 'Counter of apiserver requests broken out for each verb, group, version, resource and HTTP response code.', labelNames: ['verb', 'group', 'version', 'resource', 'code'], registers: [this.metrics] });
    this.latency = new Histogram({ name: 'apiserver_request_duration_seconds', help: 'Response latency distribution in seconds for each verb, group, version and resource.', labelNames: ['verb', 'group', 'version', 'resource'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60], registers: [this.metrics] });
  }

  private readonly findStore = (group: string, plural: string) => this.registry.find(group, plural);
  private readonly quotaDeps = {
    quotas: (ns: string) => this.cachedList('', 'resourcequotas', ns),
    updateStatus: async (ns: string, name: string, mutate: (q: KObject) => KObject) => {
      await this.registry.find('', 'resourcequotas')!.guaranteedUpdate(ns, name, (cur) => (cur ? mutate(cur) : undefined), { subresource: 'status', fieldManager: 'kube-apiserver' });
    },
  };
  private readonly authorizer: Authorizer;
  private readonly getObject: ObjectGetter = (resource, ns, name) => this.registry.find('', resource)!.tryGet(ns, name);

  /**
   * TokenReview: service account tokens are checked against the asked audiences (default: the API
   * audiences); other tokens (static, or other authenticators) only against the API audiences
   */
  private async reviewToken(token: string, audiences: string[]): Promise<{ user: UserInfo; audiences: string[] } | undefined> {
    const apiAuds = this.serviceAccountTokens?.audiences ?? this.opts.apiAudiences ?? DEFAULT_API_AUDIENCES;
    const want = audiences.length ? audiences : [...apiAuds];
    const sa = await this.serviceAccountTokens?.review(token, want);
    if (sa) return { user: withAuthenticatedGroup(sa.user), audiences: sa.audiences };
    const matched = want.filter((a) => apiAuds.includes(a));
    if (!matched.length || !this.opts.authn) return undefined;
    let user = this.opts.authn.tokens.lookup(token);
    for (const a of this.opts.authn.tokenAuthenticators) {
      if (user) break;
      if (a !== this.saAuthenticator) user = await a(token);
    }
    return user && { user: withAuthenticatedGroup(user), audiences: matched };
  }

  /**
   * The objects of a kind (in one namespace, or all), for admission plugins (LimitRanger, Priority):
   * read at most once per `maxAgeMs` (a list per pod create cost a third of the pod create rate),
   * and read again at once after a write of that kind through this server. Upstream's plugins read
   * informer caches, so are eventually consistent too.
   */
  private async cachedList(group: string, plural: string, ns: string | undefined, maxAgeMs = 1000): Promise<KObject[]> {
    const kind = `${group}/${plural}`;
    let byNs = this.listCache.get(kind);
    const hit = byNs?.get(ns ?? '');
    if (hit && Date.now() - hit.at < maxAgeMs) return hit.items;
    const items = (await this.registry.find(group, plural)!.list(ns)).items;
    if (!byNs || byNs.size > 10_000) this.listCache.set(kind, byNs = new Map());
    byNs.set(ns ?? '', { at: Date.now(), items });
    return items;
  }
  private readonly listCache = new Map<string, Map<string, { at: number; items: KObject[] }>>();

  /** upstream's NamespaceLifecycle admission: no new content in a missing or terminating namespace */
  private async checkNamespace(ns: string, gr: { group: string; resource: string }, name: string): Promise<void> {
    let state = this.namespaceView?.lookup(ns);
    if (state === 'active') return;
    if (!state) {
      const o = await this.registry.find('', 'namespaces')!.tryGet(undefined, ns);
      if (!o) throw errors.notFound({ group: '', resource: 'namespaces' }, ns);
      state = o.metadata.deletionTimestamp ? 'terminating' : 'active';
    }
    if (state === 'terminating') {
      const e = errors.forbidden(gr, name, `unable to create new content in namespace ${ns} because it is being terminated`);
      e.details = { ...e.details, causes: [{ reason: 'NamespaceTerminating', message: `namespace ${ns} is being terminated`, field: 'metadata.namespace' }] };
      throw e;
    }
  }

  /** the name of the newest class marked default by `annotation` (by name when created in the same second), if any */
  private async defaultClass(group: string, plural: string, annotation: string): Promise<string | undefined> {
    const { items } = await this.registry.find(group, plural)!.list(undefined);
    const defaults = items.filter((c) => c.metadata.annotations?.[annotation] === 'true');
    defaults.sort((a, b) => String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp)) || String(a.metadata.name).localeCompare(String(b.metadata.name)));
    return defaults[0]?.metadata.name;
  }

  /**
   * admission PersistentVolumeClaimResize: a claim may grow only once bound, and only if its class
   * (the same before and after) allows volume expansion
   */
  private async admitClaimResize(pvc: KObject, old: KObject): Promise<void> {
    const size = (c: KObject) => parseQuantity(c.spec?.resources?.requests?.storage) ?? 0;
    if (size(pvc) <= size(old)) return;
    const gr = { group: '', resource: 'persistentvolumeclaims' };
    if (old.status?.phase !== 'Bound') throw errors.forbidden(gr, pvc.metadata.name ?? '', 'Only bound persistent volume claims can be expanded');
    const name = claimStorageClass(pvc);
    const sc = name && name === claimStorageClass(old) ? await this.getClusterObject('storage.k8s.io', 'storageclasses', name) : undefined;
    if (sc?.allowVolumeExpansion !== true) {
      throw errors.forbidden(gr, pvc.metadata.name ?? '', 'only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize');
    }
  }

  private getClusterObject(group: string, plural: string, name: string): Promise<KObject | undefined> {
    return this.registry.find(group, plural)!.tryGet(undefined, name);
  }

  /** admission DefaultStorageClass: a claim that names no class gets the default one (the newest, if several) */
  private async defaultStorageClass(pvc: KObject): Promise<void> {
    if (!pvc.spec || pvc.spec.storageClassName !== undefined) return;
    const name = await this.defaultClass('storage.k8s.io', 'storageclasses', 'storageclass.kubernetes.io/is-default-class');
    if (name !== undefined) pvc.spec.storageClassName = name;
  }

  /**
   * admission DefaultIngressClass: an Ingress that names no class, by field or by the old
   * kubernetes.io/ingress.class annotation, gets the default IngressClass (the newest, if several)
   */
  private async defaultIngressClass(ing: KObject): Promise<void> {
    if (!ing.spec || ing.spec.ingressClassName != null || ing.metadata.annotations?.['kubernetes.io/ingress.class'] !== undefined) return;
    const name = await this.defaultClass('networking.k8s.io', 'ingressclasses', 'ingressclass.kubernetes.io/is-default-class');
    if (name !== undefined) ing.spec.ingressClassName = name;
  }

  resources(): ResourceInfo[] { return this.registry.all().map((s) => s.resource); }

  async start(): Promise<void> {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => { void this.handle(req, res); };
    this.server = this.opts.tls ? https.createServer(this.opts.tls, handler) : http.createServer(handler);
    this.server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => this.handleUpgrade(req, socket, head));
    this.server.keepAliveTimeout = 65_000;
    this.server.requestTimeout = 0;
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.opts.port ?? 6443, this.opts.host ?? '127.0.0.1', () => resolve());
    });
    const a = this.server.address() as AddressInfo;
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    this.address = `${host === '0.0.0.0' ? '127.0.0.1' : host}:${a.port}`;
    await this.crds.start();
    this.namespaceView = new NamespaceView(this.registry.find('', 'namespaces')!);
    this.namespaceView.start();
    this.startCompactor();
    this.ready = true;
  }

  /** like kube-apiserver: every interval, compact to the revision seen one interval ago */
  /**
   * /livez, /readyz, /healthz (and /NAME/CHECK), as upstream's healthz handlers: each check is
   * [+]/[-] in verbose output; any failure gives 500 with every check listed
   */
  private async serveHealth(res: http.ServerResponse, kind: string, only: string | undefined, verbose: boolean): Promise<void> {
    type Check = [string, () => Promise<string | undefined>];
    const checks: Check[] = [
      ['ping', async () => undefined],
      ['log', async () => undefined],
      // the datastore answers a read within 2 s (upstream's etcd check)
      ['etcd', () => Promise.race([
        this.opts.backend.get('/registry/health').then(() => undefined, (e: unknown) => (e instanceof Error ? e.message : String(e))),
        new Promise<string>((r) => { setTimeout(() => r('timed out'), 2000).unref(); }),
      ])],
    ];
    if (kind === 'readyz') checks.push(['informer-sync', async () => (this.ready ? undefined : 'not started')]);
    if (only) {
      const c = checks.find(([n]) => n === only);
      if (!c) return sendText(res, 404, '404 page not found\n');
      const why = await c[1]();
      return why ? sendText(res, 500, `internal server error: ${why}\n`) : sendText(res, 200, 'ok');
    }
    const results = await Promise.all(checks.map(async ([n, f]) => [n, await f()] as const));
    const failed = results.some(([, why]) => why !== undefined);
    if (!failed && !verbose) return sendText(res, 200, 'ok');
    const lines = results.map(([n, why]) => (why === undefined ? `[+]${n} ok` : `[-]${n} failed: reason withheld`));
    sendText(res, failed ? 500 : 200, `${lines.join('\n')}\n${kind} check ${failed ? 'failed' : 'passed'}\n`);
  }

  private startCompactor(): void {
    const every = this.opts.compactionIntervalMs ?? 5 * 60_000;
    let last = 0;
    this.compactTimer = setInterval(() => {
      void (async () => {
        const now = await this.opts.backend.currentRevision();
        if (last > 0) await this.opts.backend.compact(last);
        last = now;
      })().catch((e) => console.error('apiserver: compaction failed:', e?.message ?? e));
    }, every);
    this.compactTimer.unref();
  }

  get port(): number { return (this.server?.address() as AddressInfo).port; }
  url(): string { return `${this.opts.tls ? 'https' : 'http'}://${this.address}`; }

  async stop(): Promise<void> {
    this.ready = false;
    clearInterval(this.compactTimer);
    this.crds.stop();
    this.namespaceView?.stop();
    this.registry.close();
    await new Promise<void>((resolve) => {
      if (!this.server) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
      for (const s of this.upgraded) s.destroy();
    });
  }

  /**
   * an upgrade request (websocket, SPDY) goes through the same routing as any other with a response
   * written onto its connection; a streaming subresource takes the connection over instead
   */
  private handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    this.upgraded.add(socket);
    socket.once('close', () => this.upgraded.delete(socket));
    socket.on('error', () => socket.destroy());
    setUpgrade(req, socket, head);
    const res = new http.ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket as Socket);
    res.on('finish', () => { if (!upgradeTaken(req)) socket.end(); });
    void this.handle(req, res).finally(() => { if (!upgradeTaken(req) && !res.writableEnded) socket.destroy(); });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const t0 = process.hrtime.bigint();
    const url = new URL(req.url ?? '/', 'http://x');
    let labels = { verb: req.method ?? 'GET', group: '', version: '', resource: '' };
    res.on('finish', () => {
      if (!labels.resource) return;
      this.requests.inc({ ...labels, code: String(res.statusCode) });
      this.latency.observe(labels, Number(process.hrtime.bigint() - t0) / 1e9);
    });
    try {
      const p = url.pathname;
      const health = /^\/(livez|healthz|readyz)(?:\/([^/]+))?\/?$/.exec(p);
      if (health) {
        // anyone may ask (system:public-info-viewer), but credentials that do not authenticate are refused, as upstream
        if (req.headers.authorization && this.opts.authn && !(await authenticate(req, this.opts.authn))) throw errors.unauthorized();
        return await this.serveHealth(res, health[1], health[2], url.searchParams.has('verbose'));
      }
      const authenticated = this.opts.authn ? await authenticate(req, this.opts.authn) : anonymous;
      if (!authenticated) throw errors.unauthorized();
      const user = await this.authorizer.impersonate(req, authenticated);
      await this.authorizer.check(req, url, user);
      if (p === '/version' || p === '/version/') return sendJSON(res, 200, serverVersion);
      if ((p === '/.well-known/openid-configuration' || p === '/openid/v1/jwks') && this.serviceAccountTokens) {
        const host = !this.opts.host || this.opts.host === '0.0.0.0' ? '127.0.0.1' : this.opts.host;
        const d = this.serviceAccountTokens.discovery(`https://${host.includes(':') ? `[${host}]` : host}:${this.port}/openid/v1/jwks`);
        res.setHeader('Cache-Control', 'public, max-age=3600');
        if (p === '/openid/v1/jwks') { res.writeHead(200, { 'Content-Type': 'application/jwk-set+json' }); res.end(JSON.stringify(d.jwks)); return; }
        return sendJSON(res, 200, d.configuration);
      }
      const ssr = selfSubjectReviewPath.exec(p);
      if (ssr) return await handleSelfSubjectReview(req, res, { user, version: ssr[1] });
      if (tokenReviewPath.test(p)) return await handleTokenReview(req, res, (t, auds) => this.reviewToken(t, auds));
      const cs = componentStatusPath.exec(p);
      if (cs) return await handleComponentStatus(req, res, cs, { registry: this.registry, backend: this.opts.backend });
      const rm = metricsPath.exec(p);
      if (rm) {
        if (rm[3] && rm[2] === 'pods' && !rm[1]) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
        labels = { verb: req.method ?? 'GET', group: 'metrics.k8s.io', version: 'v1beta1', resource: rm[2] };
        return await this.resourceMetrics.handle(req, res, rm, url.searchParams);
      }
      const review = accessReviewPath.exec(p);
      if (review) return await handleAccessReview(req, res, review, { user, authorize: (a) => this.authorizer.decide(a), rules: (u, ns) => this.authorizer.rules(u, ns) });
      if (p === '/metrics') return sendText(res, 200, await this.metrics.metrics(), this.metrics.contentType);
      if (p === '/openapi/v3' || p === '/openapi/v3/') return sendJSON(res, 200, openapiV3Index([...this.resources(), ...metricsResources]));
      if (p.startsWith('/openapi/v3/')) {
        const gv = p.slice('/openapi/v3/'.length);
        const doc = openapiV3DocJSON(gv, [...this.resources(), ...metricsResources]);
        if (!doc) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
        const hash = openapiV3Hash(gv, [...this.resources(), ...metricsResources]);
        const immutable = hash && url.searchParams.get('hash') === hash;
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(doc), ETag: `"${hash}"`, 'Cache-Control': immutable ? 'public, immutable' : 'no-cache, private' });
        res.end(doc);
        return;
      }
      if (p === '/openapi/v2') {
        const body = openapiV2Proto(serverVersion.gitVersion);
        res.writeHead(200, { 'Content-Type': openapiV2ContentType, 'Content-Length': body.length });
        res.end(body);
        return;
      }
      if (p === '/' ) return sendJSON(res, 200, { paths: ['/api', '/api/v1', '/apis', '/healthz', '/livez', '/metrics', '/openapi/v3', '/readyz', '/version'] });
      const parsed = parseApiPath(p);
      if (!parsed) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
      // discovery also lists authentication.k8s.io's create-only resources, which have no storage
      const resources = [...this.resources(), ...authenticationResources, ...authorizationResources, ...componentStatusResources, ...metricsResources];
      const accept = req.headers.accept ?? '';
      switch (parsed.kind) {
        case 'api':
        case 'apis': {
          const m = /g=apidiscovery\.k8s\.io;v=(v2beta1|v2);as=APIGroupDiscoveryList/.exec(accept);
          if (m) {
            const apiVersion = `apidiscovery.k8s.io/${m[1]}`;
            return sendJSON(res, 200, aggregatedDoc(resources, parsed.kind === 'api', apiVersion), `application/json;g=apidiscovery.k8s.io;v=${m[1]};as=APIGroupDiscoveryList`);
          }
          return sendJSON(res, 200, parsed.kind === 'api' ? apiVersionsDoc(this.address) : apiGroupListDoc(resources));
        }
        case 'group': {
          const d = apiGroupDoc(resources, parsed.group);
          if (!d) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
          return sendJSON(res, 200, d);
        }
        case 'groupVersion': {
          const d = apiResourceListDoc(resources, parsed.group, parsed.version);
          if (!d) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
          return sendJSON(res, 200, d);
        }
      }
      const rp = parseResourcePath(parsed.rest, (plural) => this.registry.get(parsed.group, parsed.version, plural)?.resource.namespaced);
      const store = rp && this.registry.get(parsed.group, parsed.version, rp.plural);
      if (!rp || !store) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
      labels = { verb: req.method ?? 'GET', group: parsed.group, version: parsed.version, resource: rp.plural };
      if (store.resource.namespaced === false && rp.ns) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
      if (parsed.group === '' && rp.plural === 'serviceaccounts' && rp.sub === 'token' && rp.ns && rp.name && this.serviceAccountTokens) {
        return await handleTokenRequest(req, res, { tokens: this.serviceAccountTokens, get: this.getObject, ns: rp.ns, name: rp.name });
      }
      await handleResource(req, res, {
        verb: parsed.watchPrefix ? 'watch' : '', store, ns: store.resource.namespaced ? rp.ns : undefined,
        name: rp.name, sub: rp.sub, query: url.searchParams, user, kubelet: this.kubelet, find: this.findStore,
      });
    } catch (e) {
      sendError(res, e);
    }
  }
}
