// End to end, as root: a real `k8ts server` with the kubelet and the service proxy. A 3-replica
// busybox httpd Deployment (each pod serves its hostname) behind a ClusterIP Service is balanced
// across pods from the host and from a pod (hairpin included); NodePort and LoadBalancer (ServiceLB
// status) answer on the node address 127.0.0.1; without endpoints connections are refused at once;
// addresses of the service CIDR that no service holds never leave the machine; the table goes with
// the server. Test traffic goes only to loopback, the test's service CIDR and its own pod range.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { request } from 'node:http';
import { connect } from 'node:net';
import { startK8ts, kc, type ServerHandle } from '../e2e/harness.js';
import { kubeletPrereqs, sleep, until } from '../kubelet/testing/e2e.js';
import { forceCleanup } from '../kubelet/cleanup.js';
import { which } from '../util/prereq.js';
import { proxyNames } from './index.js';

const skip = kubeletPrereqs() || (which('nft') ? false : 'nft not installed (scripts/install-prereqs.sh)');

/** one GET on a fresh connection: the body, or the error code (ECONNREFUSED, TIMEOUT, ...) */
function get(host: string, port: number, timeoutMs = 3000): Promise<{ body?: string; err?: string; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const req = request({ host, port, path: '/', agent: false, timeout: timeoutMs }, (res) => {
      let b = '';
      res.on('data', (d) => { b += d; });
      res.on('end', () => resolve({ body: b.trim(), ms: Date.now() - t0 }));
    });
    req.on('timeout', () => { req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })); });
    req.on('error', (e: any) => resolve({ err: e.code ?? e.message, ms: Date.now() - t0 }));
    req.end();
  });
}

/** how a TCP connect ends: the error code (ECONNREFUSED: rejected at once; TIMEOUT: dropped) and how long it took */
function tcpConnect(host: string, port: number, timeoutMs = 2000): Promise<{ err?: string; ms: number }> {
  const t0 = process.hrtime.bigint();
  const ms = () => Number((process.hrtime.bigint() - t0) / 1_000_000n);
  return new Promise((resolve) => {
    const s = connect({ host, port, timeout: timeoutMs });
    s.on('connect', () => { s.destroy(); resolve({ ms: ms() }); });
    s.on('timeout', () => { s.destroy(); resolve({ err: 'TIMEOUT', ms: ms() }); });
    s.on('error', (e: any) => resolve({ err: e.code ?? e.message, ms: ms() }));
  });
}

/** refused, and quickly: the fastest of three tries (a loaded machine delays single ones) */
async function refusedFast(host: string, port: number): Promise<{ err?: string; ms: number }> {
  const tries = [await tcpConnect(host, port), await tcpConnect(host, port), await tcpConnect(host, port)];
  assert.ok(tries.every((t) => t.err === 'ECONNREFUSED'), `${host}:${port} ${JSON.stringify(tries)}`);
  return tries.sort((a, b) => a.ms - b.ms)[0]!;
}

async function eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

const deployment = (octet: number) => `
apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: 3
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: httpd
        image: busybox
        command: [sh, -c, 'mkdir -p /tmp/www && hostname > /tmp/www/index.html && exec httpd -f -p 80 -h /tmp/www']
        readinessProbe: { tcpSocket: { port: 80 }, periodSeconds: 1 }
# octet ${octet}
`;

test('service proxy: ClusterIP, hairpin, NodePort, LoadBalancer, no endpoints, unallocated IPs', { skip, timeout: 300_000 }, async () => {
  const octet = 100 + Math.floor(Math.random() * 150);
  let srv: ServerHandle | undefined;
  let dataDir = '';
  let tableName = "";
  try {
    srv = await startK8ts({
      kubelet: true, args: ['--service-cidr', `10.43.${octet}.0/24`],
      env: { K8TS_POD_CIDR: `10.42.${octet}.0/24`, K8TS_NODE_NAME: `k8ts-proxy-${octet}` }, timeoutMs: 60_000,
    });
    dataDir = srv.dataDir;
    tableName = proxyNames(dataDir).table;
    const kcfg = srv.kubeconfig;
    await until('proxy table', () => (execFileSync('nft', ['list', 'tables'], { encoding: 'utf8' }).includes(`inet ${tableName}`) ? true : undefined), 30_000);

    kc(kcfg, ['apply', '-f', '-'], { input: deployment(octet) });
    kc(kcfg, ['expose', 'deployment', 'web', '--port=80']);
    const svc = JSON.parse(kc(kcfg, ['get', 'svc', 'web', '-o', 'json']));
    const ip = svc.spec.clusterIP as string;
    assert.match(ip, new RegExp(`^10\\.43\\.${octet}\\.\\d+$`));
    const podNames = () => new Set<string>(JSON.parse(kc(kcfg, ['get', 'pods', '-l', 'app=web', '-o', 'json'])).items
      .filter((p: any) => !p.metadata.deletionTimestamp && p.status?.conditions?.find((c: any) => c.type === 'Ready')?.status === 'True').map((p: any) => p.metadata.name as string));
    const ready = await until('3 ready pods', () => { const s = podNames(); return s.size === 3 ? s : undefined; }, 120_000);

    // from the host: balanced over the pods
    await eventually('ClusterIP answers', async () => ((await get(ip, 80)).body ? true : undefined), 20_000);
    const seen = new Map<string, number>();
    for (let i = 0; i < 30; i++) {
      const r = await get(ip, 80);
      assert.ok(r.body && ready.has(r.body), `request ${i}: ${JSON.stringify(r)}`);
      seen.set(r.body, (seen.get(r.body) ?? 0) + 1);
    }
    assert.ok(seen.size >= 2, `one pod answered every request: ${JSON.stringify([...seen])}`);

    // from a pod, through the ClusterIP; 20 tries land on the caller itself too (hairpin, masqueraded)
    const caller = [...ready][0]!;
    // (busybox-static's wget crashes in this image; nc speaks the HTTP/1.0 request itself)
    const out = kc(kcfg, ['exec', caller, '--', 'sh', '-c',
      `for i in $(seq 20); do printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${ip} 80 | tail -n 1 | grep . || echo FAIL; done; true`], { timeoutMs: 120_000 });
    const answers = out.trim().split('\n');
    assert.equal(answers.length, 20, out);
    assert.ok(answers.every((a) => ready.has(a)), out);
    assert.ok(answers.includes(caller), `no hairpin answer in ${out}`);

    // an endpoint on the host's loopback (the in-process cluster DNS publishes itself so) is reached from a pod
    const dns = JSON.parse(kc(kcfg, ['get', 'svc', '-n', 'kube-system', '-o', 'json'])).items.find((x: any) => x.metadata.name === 'kube-dns');
    if (dns) {
      const kubernetesIP = JSON.parse(kc(kcfg, ['get', 'svc', 'kubernetes', '-o', 'json'])).spec.clusterIP;
      const ns = kc(kcfg, ['exec', caller, '--', 'nslookup', 'kubernetes.default.svc.cluster.local', dns.spec.clusterIP]);
      assert.ok(ns.includes(kubernetesIP), ns);
    }

    // a port the ClusterIP does not serve is refused; an address nobody holds is dropped here
    await refusedFast(ip, 81);
    const dropped = () => Number(/counter packets (\d+) bytes \d+ drop/.exec(execFileSync('nft', ['list', 'chain', 'inet', tableName, 'cluster-ips-check'], { encoding: 'utf8' }))?.[1]);
    const before = dropped();
    const unallocated = await tcpConnect(`10.43.${octet}.254`, 80, 1500);
    assert.equal(unallocated.err, 'TIMEOUT', JSON.stringify(unallocated));
    assert.ok(dropped() > before, 'the SYN to an unallocated service address was not dropped by the table');

    // session affinity: one client keeps its pod
    kc(kcfg, ['patch', 'svc', 'web', '-p', '{"spec":{"sessionAffinity":"ClientIP"}}']);
    await sleep(1000);
    const sticky = new Set<string>();
    for (let i = 0; i < 10; i++) sticky.add((await get(ip, 80)).body ?? 'error');
    assert.equal(sticky.size, 1, JSON.stringify([...sticky]));
    kc(kcfg, ['patch', 'svc', 'web', '-p', '{"spec":{"sessionAffinity":"None","sessionAffinityConfig":null}}']);

    // NodePort on the node's address (127.0.0.1 in tests)
    kc(kcfg, ['expose', 'deployment', 'web', '--name=web-np', '--type=NodePort', '--port=80']);
    const nodePort = JSON.parse(kc(kcfg, ['get', 'svc', 'web-np', '-o', 'json'])).spec.ports[0].nodePort as number;
    const np = await eventually('NodePort answers', async () => { const r = await get('127.0.0.1', nodePort); return r.body ? r : undefined; }, 20_000);
    assert.ok(ready.has(np.body!), JSON.stringify(np));

    // LoadBalancer: ServiceLB publishes the node's InternalIP and forwards the port there
    const lbPort = 20000 + octet * 10 + Math.floor(Math.random() * 10);
    kc(kcfg, ['expose', 'deployment', 'web', '--name=web-lb', '--type=LoadBalancer', `--port=${lbPort}`, '--target-port=80']);
    const ingress = await until('LoadBalancer ingress', () => JSON.parse(kc(kcfg, ['get', 'svc', 'web-lb', '-o', 'json'])).status?.loadBalancer?.ingress?.[0], 20_000);
    assert.equal(ingress.ip, '127.0.0.1');
    const lb = await eventually('LoadBalancer answers', async () => { const r = await get('127.0.0.1', lbPort); return r.body ? r : undefined; }, 20_000);
    assert.ok(ready.has(lb.body!), JSON.stringify(lb));

    // no endpoints: refused at once, not hanging
    kc(kcfg, ['scale', 'deployment', 'web', '--replicas=0']);
    await eventually('ClusterIP refused', async () => ((await tcpConnect(ip, 80)).err === 'ECONNREFUSED' ? true : undefined), 60_000);
    for (const [h, p] of [[ip, 80], ['127.0.0.1', nodePort], ['127.0.0.1', lbPort]] as const) {
      const r = await refusedFast(h, p);
      assert.ok(r.ms < 1000, `${h}:${p} ${JSON.stringify(r)}`);
    }

    // back up: answers again within seconds of the pods being ready
    kc(kcfg, ['scale', 'deployment', 'web', '--replicas=3']);
    const again = await until('ready pods again', () => { const n = podNames(); return n.size > 0 ? n : undefined; }, 120_000);
    const back = await eventually('ClusterIP answers again', async () => { const r = await get(ip, 80); return r.body ? r : undefined; }, 5_000);
    assert.ok(back.body?.startsWith('web-') && !ready.has(back.body), `answered by ${JSON.stringify(back)}, expected one of the new pods ${[...again]}`);

    await srv.stop();
    srv = undefined;
    assert.ok(!execFileSync('nft', ['list', 'tables'], { encoding: 'utf8' }).includes(`inet ${tableName}`), 'the table outlived the server');
  } finally {
    await srv?.stop({ keepData: true });
    if (dataDir) { forceCleanup(dataDir); execFileSync('rm', ['-rf', dataDir]); }
  }
});
