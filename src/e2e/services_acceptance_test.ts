// Issue 5's acceptance, as a new user would try it with the real kubectl against `k8ts server`
// with its kubelet, proxy, DNS and ingress (root): a Deployment of the busybox httpd image exposed
// as a Service answers by name from a pod and spreads over its pods; NodePort and LoadBalancer
// answer from the host; a headless Service, a named port's SRV record and a StatefulSet pod resolve;
// an Ingress routes two hosts to their Services over one keep-alive connection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { startK8ts, kc, kubectl, type ServerHandle } from './harness.js';
import { eventually } from './poll.js';
import { kubeletPrereqs, until } from '../kubelet/testing/e2e.js';
import { forceCleanup } from '../kubelet/cleanup.js';
import { requirePrereq, which } from '../util/prereq.js';

const skip = kubeletPrereqs() || requirePrereq(!!which('nft'), 'nftables (scripts/install-prereqs.sh)');

function get(host: string, port: number, opts: { hostHeader?: string; agent?: any } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path: '/', timeout: 5000, agent: opts.agent ?? false, headers: opts.hostHeader ? { host: opts.hostHeader } : {} }, (res) => {
      let b = ''; res.on('data', (d) => { b += d; }); res.on('end', () => resolve(b));
    });
    req.on('error', reject).on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}
const podName = (page: string) => /<p>([^<]+)<\/p>/.exec(page)?.[1];

test('Services, DNS and Ingress with real pods', { skip, timeout: 300_000 }, async () => {
  const octet = 100 + Math.floor(Math.random() * 150);
  let srv: ServerHandle | undefined;
  try {
    srv = await startK8ts({
      kubelet: true, args: ['--service-cidr', `10.43.${octet}.0/24`],
      env: { K8TS_POD_CIDR: `10.42.${octet}.0/24`, K8TS_NODE_NAME: `k8ts-svc-${octet}` }, timeoutMs: 60_000,
    });
    const kcfg = srv.kubeconfig;
    const k = (...args: string[]) => kc(kcfg, args);
    const inPod = (cmd: string) => kubectl(kcfg, ['exec', 'client', '--', 'sh', '-c', cmd], { timeoutMs: 60_000 });

    k('create', 'deployment', 'web', '--image=k8ts/busybox-httpd', '--replicas=3');
    k('expose', 'deployment', 'web', '--port=80');
    k('run', 'client', '--image=busybox', '--', 'sleep', '3600');
    await until('web and client Running', () => {
      const items = JSON.parse(k('get', 'pods', '-o', 'json')).items;
      return items.length === 4 && items.every((p: any) => p.status?.containerStatuses?.every((c: any) => c.ready)) ? true : undefined;
    }, 120_000);

    // by name from a pod, with the search path the kubelet writes; spread over the pods
    for (const name of ['web', 'web.default', 'web.default.svc.cluster.local']) {
      const r = await until(`wget ${name}`, () => { const x = inPod(`wget -qO- ${name}`); return x.code === 0 ? x.stdout : undefined; }, 20_000);
      assert.match(r, /k8ts busybox/, name);
    }
    const many = inPod('for i in $(seq 30); do wget -qO- web; done').stdout;
    const answered = new Set([...many.matchAll(/<p>([^<]+)<\/p>/g)].map((m) => m[1]));
    assert.ok(answered.size >= 2, `30 requests reached ${[...answered]}`);

    // NodePort and LoadBalancer from the host (the node address is 127.0.0.1 in tests)
    k('expose', 'deployment', 'web', '--name=web-np', '--type=NodePort', '--port=80');
    const nodePort = Number(k('get', 'svc', 'web-np', '-o', 'jsonpath={.spec.ports[0].nodePort}'));
    assert.match(await eventually('NodePort answers', () => get('127.0.0.1', nodePort), 20_000, 300), /k8ts busybox/);
    k('expose', 'deployment', 'web', '--name=web-lb', '--type=LoadBalancer', '--port=8080', '--target-port=80');
    const lbIP = await until('EXTERNAL-IP', () => k('get', 'svc', 'web-lb', '-o', 'jsonpath={.status.loadBalancer.ingress[0].ip}') || undefined, 20_000);
    assert.match(k('get', 'svc', 'web-lb'), new RegExp(lbIP.replace(/\./g, '\\.')));
    assert.match(await eventually('LoadBalancer answers', () => get(lbIP, 8080), 20_000, 300), /k8ts busybox/);

    // headless, SRV for a named port, a StatefulSet pod's own name
    kc(kcfg, ['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web-h' }, spec: { clusterIP: 'None', selector: { app: 'web' }, ports: [{ name: 'http', port: 80 }] } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'db' }, spec: { clusterIP: 'None', selector: { app: 'db' }, ports: [{ name: 'http', port: 80 }] } },
      { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db' }, spec: {
        serviceName: 'db', replicas: 1, selector: { matchLabels: { app: 'db' } },
        template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image: 'k8ts/busybox-httpd' }] } },
      } },
    ] }) });
    const headless = await until('3 A records', () => {
      const out = inPod('nslookup -type=A web-h.default.svc.cluster.local').stdout;
      return (out.match(/^Address: 10\.42\./gm) ?? []).length === 3 ? out : undefined;
    }, 30_000);
    assert.ok(headless);
    const srvOut = await until('SRV', () => {
      const out = inPod('nslookup -type=SRV _http._tcp.web-h.default.svc.cluster.local').stdout;
      return /port = 80|\b80\b.*web-h/.test(out) ? out : undefined;
    }, 20_000);
    assert.ok(srvOut);
    const dbIP = await until('db-0 Running', () => k('get', 'pod', 'db-0', '-o', 'jsonpath={.status.podIP}') || undefined, 60_000);
    // (busybox nslookup skips the search path for dotted names; wget resolves as glibc does, ndots:5)
    await until('db-0.db resolves', () => (inPod('wget -qO- db-0.db').stdout.includes('<p>db-0</p>') ? true : undefined), 30_000);
    assert.match(inPod('nslookup -type=A db-0.db.default.svc.cluster.local').stdout, new RegExp(`Address: ${dbIP.replace(/\./g, '\\.')}`));

    // an Ingress with two hosts, each to its own Service; one keep-alive connection meets several pods
    k('create', 'deployment', 'other', '--image=k8ts/busybox-httpd', '--replicas=1');
    k('expose', 'deployment', 'other', '--port=80');
    kc(kcfg, ['apply', '-f', '-'], { input: JSON.stringify({
      apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'two' },
      spec: { rules: [
        { host: 'web.example', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } },
        { host: 'other.example', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'other', port: { number: 80 } } } }] } },
      ] },
    }) });
    const lb = await until('ingress status', () => JSON.parse(k('get', 'ingress', 'two', '-o', 'json')).status?.loadBalancer?.ingress?.[0], 30_000);
    const httpPort = lb.ports[0].port;
    const otherPod = JSON.parse(k('get', 'pods', '-l', 'app=other', '-o', 'json')).items[0].metadata.name;
    await until('other Running', () => (k('get', 'pod', otherPod, '-o', 'jsonpath={.status.phase}') === 'Running' ? true : undefined), 60_000);
    assert.equal(podName(await eventually('ingress to other', () => get(lb.ip, httpPort, { hostHeader: 'other.example' }).then((b) => (b.includes('<p>') ? b : undefined)), 20_000, 300)), otherPod);
    const { Agent } = await import('node:http');
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const seen = new Set<string | undefined>();
    for (let i = 0; i < 20; i++) seen.add(podName(await get(lb.ip, httpPort, { hostHeader: 'web.example', agent })));
    agent.destroy();
    assert.ok(seen.size >= 2, `keep-alive requests reached ${[...seen]}`);

    // no endpoints: fail fast; back within seconds of scaling up
    k('scale', 'deployment', 'web', '--replicas=0');
    await until('web pods gone', () => (JSON.parse(k('get', 'pods', '-l', 'app=web', '-o', 'json')).items.length === 0 ? true : undefined), 60_000);
    const t0 = Date.now();
    const fail = inPod('wget -qO- web');
    assert.notEqual(fail.code, 0);
    assert.ok(Date.now() - t0 < 10_000, 'a request with no endpoints hung');
    k('scale', 'deployment', 'web', '--replicas=1');
    await until('web answers again', () => { const x = inPod('wget -qO- web'); return x.code === 0 ? true : undefined; }, 60_000);
  } finally {
    if (srv) { await srv.stop({ keepData: true }); forceCleanup(srv.dataDir); await srv.stop(); }
  }
});
