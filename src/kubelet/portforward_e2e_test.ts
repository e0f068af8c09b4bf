// End to end, as root: real `kubectl port-forward pod/web PORT:80` against a real `k8ts server`
// whose kubelet runs busybox httpd. kubectl 1.32 first tries the WebSocket tunnel
// (SPDY/3.1+portforward.k8s.io), passed through the API server to the kubelet; with
// KUBECTL_PORT_FORWARD_WEBSOCKETS=false, and with kubectl 1.27, it is a plain SPDY/3.1 upgrade.
// HTTP through the forwarded port: sequential and concurrent connections, and a 2 MiB file intact;
// also @kubernetes/client-node's PortForward (a websocket with v4 channels per connection), and a
// port the pod serves on its loopback only.
// kubectl and the server are stopped, and everything torn down, even on failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { createHash } from 'node:crypto';
import { KubeConfig, PortForward } from '@kubernetes/client-node';
import { startK8ts, kc, kubectlPath, type ServerHandle } from '../e2e/harness.js';
import { freePort, kubeletPrereqs, sleep, until } from './testing/e2e.js';
import { forceCleanup } from './cleanup.js';

const skip = kubeletPrereqs();

const podYaml = `
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
  - name: httpd
    image: busybox
    command: [sh, -c, 'mkdir -p /var/www && echo hello-from-web > /var/www/index.html && head -c 2097152 /dev/urandom > /var/www/big.bin && sha256sum /var/www/big.bin > /var/www/big.sha && httpd -p 127.0.0.1:8081 -h /var/www && exec httpd -f -p 80 -h /var/www']
`;

/** GET over a new connection each time (each one a new forwarded connection) */
function get(port: number, path: string): Promise<{ code: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const r = http.get({ host: '127.0.0.1', port, path, agent: false, timeout: 30_000 }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ code: res.statusCode ?? 0, body: Buffer.concat(parts) }));
      res.on('error', reject);
    });
    r.on('timeout', () => r.destroy(new Error(`GET ${path} timed out`)));
    r.on('error', reject);
  });
}

interface Forward { proc: ChildProcess; out: () => string; stop: () => Promise<void> }

async function portForward(kubeconfig: string, version: string | undefined, ports: string, env: NodeJS.ProcessEnv = {}): Promise<Forward> {
  const proc = spawn(kubectlPath(version), ['--kubeconfig', kubeconfig, 'port-forward', 'pod/web', ports, process.env.K8TS_PF_V ?? '-v=4'], {
    stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env },
  });
  let out = '';
  proc.stdout!.on('data', (d) => { out += d; });
  proc.stderr!.on('data', (d) => { out += d; });
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await exited;
  };
  try {
    const local = ports.split(':')[0];
    await until(`kubectl port-forward ready:\n${out}`, () => {
      if (proc.exitCode !== null) throw new Error(`kubectl port-forward exited ${proc.exitCode}:\n${out}`);
      return out.includes(`Forwarding from 127.0.0.1:${local} ->`) ? true : undefined;
    }, 30_000);
  } catch (e) { await stop(); throw e; }
  return { proc, out: () => out, stop };
}

async function exercise(f: Forward, port: number, bigSha: string): Promise<void> {
  // sequential connections
  for (let i = 0; i < 3; i++) {
    const r = await get(port, '/index.html');
    assert.equal(r.code, 200, f.out());
    assert.equal(r.body.toString(), 'hello-from-web\n');
  }
  // concurrent connections
  const all = await Promise.all(Array.from({ length: 6 }, () => get(port, '/index.html')));
  for (const r of all) assert.equal(r.body.toString(), 'hello-from-web\n');
  // 2 MiB, intact (more than any flow control window), twice at once
  const bigs = await Promise.all([get(port, '/big.bin'), get(port, '/big.bin')]);
  for (const big of bigs) {
    assert.equal(big.code, 200);
    assert.equal(big.body.length, 2 * 1024 * 1024);
    assert.equal(createHash('sha256').update(big.body).digest('hex'), bigSha);
  }
  assert.equal(f.proc.exitCode, null, `kubectl still forwarding:\n${f.out()}`);
  assert.doesNotMatch(f.out(), /an error occurred forwarding|error copying/, f.out());
}

test('kubectl port-forward to a real pod through the kubelet (1.32 websocket tunnel and SPDY, 1.27 SPDY)', { skip, timeout: 300_000 }, async () => {
  const octet = 100 + Math.floor(Math.random() * 150);
  let srv: ServerHandle | undefined;
  let dataDir = '';
  const forwards: Forward[] = [];
  try {
    srv = await startK8ts({ kubelet: true, env: { K8TS_POD_CIDR: `10.42.${octet}.0/24`, K8TS_NODE_NAME: `k8ts-pf-${octet}` }, timeoutMs: 60_000 });
    dataDir = srv.dataDir;
    const kcfg = srv.kubeconfig;
    kc(kcfg, ['apply', '-f', '-'], { input: podYaml });
    await until('web Running', () => {
      const p = JSON.parse(kc(kcfg, ['get', 'pod', 'web', '-o', 'json']));
      return p.status?.phase === 'Running' && p.status?.podIP ? true : undefined;
    }, 90_000);
    const variants: { version?: string; env?: NodeJS.ProcessEnv; name: string; tunnel?: boolean }[] = [
      { version: '1.32', name: 'kubectl 1.32 (websocket tunnel)', tunnel: true },
      { version: '1.32', env: { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' }, name: 'kubectl 1.32 (SPDY)' },
      { version: '1.27', name: 'kubectl 1.27 (SPDY)' },
    ].filter((v) => existsSync(kubectlPath(v.version)));
    assert.ok(variants.length > 0, 'no kubectl 1.32 or 1.27 found');
    for (const v of variants) {
      const port = await freePort();
      const f = await portForward(kcfg, v.version, `${port}:80`, v.env);
      forwards.push(f);
      // httpd serves once the pod wrote its files; the pod's own checksum of big.bin comes through the forward too
      let shaFile = '';
      for (let i = 0; !shaFile; i++) {
        const r = await get(port, '/big.sha').catch(() => undefined);
        if (r?.code === 200) shaFile = r.body.toString();
        else if (i > 40) throw new Error(`${v.name}: big.sha not served (${r?.code}):\n${f.out()}`);
        else await sleep(250);
      }
      const bigSha = shaFile.split(/\s+/)[0];
      assert.match(bigSha, /^[0-9a-f]{64}$/);
      await exercise(f, port, bigSha);
      // which transport ran: the tunnel was negotiated (no fallback), or no websocket was tried
      if (v.tunnel) assert.match(f.out(), /tunneling_dialer.*negotiated protocol: portforward\.k8s\.io/);
      else assert.doesNotMatch(f.out(), /websocket|tunneling/i);
      await f.stop();
    }

    // @kubernetes/client-node: a websocket with v4 channels per local connection, as its docs show
    const config = new KubeConfig();
    config.loadFromFile(kcfg);
    const pf = new PortForward(config);
    const local = net.createServer((sock) => {
      pf.portForward('default', 'web', [80], sock, null, sock).catch(() => sock.destroy());
    });
    await new Promise<void>((r) => local.listen(0, '127.0.0.1', r));
    try {
      const lport = (local.address() as net.AddressInfo).port;
      const shaFile = (await get(lport, '/big.sha')).body.toString();
      const index = await get(lport, '/index.html');
      assert.equal(index.body.toString(), 'hello-from-web\n');
      const big = await get(lport, '/big.bin');
      assert.equal(createHash('sha256').update(big.body).digest('hex'), shaFile.split(/\s+/)[0]);
    } finally {
      local.close();
    }

    // a port the pod binds to its loopback only: reached as with upstream's runtimes, which dial
    // localhost inside the pod's network namespace
    {
      const lport = await freePort();
      const f = await portForward(kcfg, variants[0].version, `${lport}:8081`);
      forwards.push(f);
      const r = await get(lport, '/index.html');
      assert.equal(r.body.toString(), 'hello-from-web\n', f.out());
      await f.stop();
    }

    // a port nothing listens on: kubectl reports the kubelet's error for that connection
    const port = await freePort();
    const f = await portForward(kcfg, variants[0].version, `${port}:81`);
    forwards.push(f);
    await get(port, '/').catch(() => undefined);
    await until('forwarding error reported', () => (/an error occurred forwarding \d+ -> 81: error forwarding port 81 to pod default\/web/.test(f.out()) ? true : undefined), 20_000);
    await f.stop();

    kc(kcfg, ['delete', 'pod', 'web', '--grace-period=1', '--wait=true'], { timeoutMs: 90_000 });
  } finally {
    for (const f of forwards) await f.stop();
    if (srv) await srv.stop({ keepData: true });
    if (dataDir) {
      forceCleanup(dataDir);
      const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(dataDir));
      rmSync(dataDir, { recursive: true, force: true });
      assert.deepEqual(mounts, [], 'mounts left under the data dir');
    }
  }
});
