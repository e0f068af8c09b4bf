// The `k8ts` command (k3s-style subcommands and flags).
import { readlinkSync } from 'node:fs';
import { processes } from '../util/proc.js';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { startServer } from '../cluster/server.js';

const components = ['scheduler', 'controllers', 'kubelet', 'proxy', 'network-policy', 'dns', 'ingress', 'dashboard'];

function usage(): never {
  console.log(`Usage: k8ts <command> [flags]

Commands:
  server    Run a server (API server and, unless disabled, all components)
  image     image import FILE.tar... | image ls   (the node's containerd; flags: --data-dir)
  killall   Stop this data dir's containers, containerd, pod network and mounts (the server must
            be stopped; pods otherwise keep running across restarts and are re-adopted)

Server flags:
  --data-dir DIR               state folder (default ${defaultDataDir()})
  --bind-address ADDR          address the API server listens on (default 127.0.0.1)
  --https-listen-port PORT     API server port (default 6443)
  --datastore-endpoint URL     memory://, sqlite://PATH, or http(s)://host:2379[,...] for etcd (default: SQLite in the data dir)
  --disable NAME[,NAME]        do not run: ${components.join(', ')}
  --write-kubeconfig PATH      where to write the admin kubeconfig (default DATA_DIR/kubeconfig.yaml)
  --service-cidr CIDR          (default 10.43.0.0/16)
  --cluster-cidr CIDR          (default 10.42.0.0/16)
  --simulated-nodes N          register N simulated nodes
  --container-runtime-endpoint SOCKET  the kubelet uses this CRI (unix socket) instead of starting its own containerd
`);
  process.exit(2);
}

function defaultDataDir(): string {
  return process.getuid?.() === 0 ? '/var/lib/k8ts' : join(homedir(), '.k8ts');
}

function parseFlags(args: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith('--')) { console.error(`unexpected argument: ${a}`); usage(); }
    let [k, v] = a.slice(2).split(/=(.*)/s, 2);
    if (v === undefined) {
      if (k === 'help') usage();
      v = args[++i];
      if (v === undefined) { console.error(`flag --${k} needs a value`); usage(); }
    }
    out.set(k, [...(out.get(k) ?? []), v]);
  }
  return out;
}

async function server(args: string[]): Promise<void> {
  const f = parseFlags(args);
  const known = ['data-dir', 'bind-address', 'https-listen-port', 'datastore-endpoint', 'disable', 'write-kubeconfig', 'service-cidr', 'cluster-cidr', 'simulated-nodes', 'container-runtime-endpoint'];
  for (const k of f.keys()) if (!known.includes(k)) { console.error(`unknown flag: --${k}`); usage(); }
  const one = (k: string) => f.get(k)?.at(-1);
  const disable = (f.get('disable') ?? []).flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
  for (const d of disable) if (!components.includes(d)) { console.error(`--disable: unknown component ${d} (one of ${components.join(', ')})`); process.exit(2); }
  const t0 = Date.now();
  const log = (m: string) => console.log(`${new Date().toISOString()} ${m}`);
  const s = await startServer({
    dataDir: resolve(one('data-dir') ?? defaultDataDir()),
    bindAddress: one('bind-address') ?? '127.0.0.1',
    port: Number(one('https-listen-port') ?? 6443),
    datastoreEndpoint: one('datastore-endpoint'),
    disable,
    writeKubeconfig: one('write-kubeconfig') && resolve(one('write-kubeconfig')!),
    serviceCidr: one('service-cidr') ?? '10.43.0.0/16',
    clusterCidr: one('cluster-cidr') ?? '10.42.0.0/16',
    simulatedNodes: Number(one('simulated-nodes') ?? 0),
    containerRuntimeEndpoint: one('container-runtime-endpoint'),
    log,
  });
  log(`k8ts server is ready at ${s.url} (started in ${Date.now() - t0} ms)`);
  log(`kubeconfig: ${s.kubeconfigPath}   try: kubectl --kubeconfig ${s.kubeconfigPath} get all -A`);
  let stopping = false;
  const stop = async (sig: string) => {
    if (stopping) return;
    stopping = true;
    log(`received ${sig}, shutting down`);
    const force = setTimeout(() => process.exit(1), 20_000);
    force.unref();
    await s.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

/** splits positional arguments from --flags */
function positional(args: string[]): { pos: string[]; flags: Map<string, string[]> } {
  const pos: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i].startsWith('--')) { rest.push(args[i]); if (!args[i].includes('=') && args[i] !== '--help') rest.push(args[++i]); } else pos.push(args[i]);
  }
  return { pos, flags: parseFlags(rest.filter((a) => a !== undefined)) };
}

async function image(args: string[]): Promise<void> {
  const { pos, flags } = positional(args);
  for (const k of flags.keys()) if (k !== 'data-dir') { console.error(`unknown flag: --${k}`); usage(); }
  const dataDir = resolve(flags.get('data-dir')?.at(-1) ?? defaultDataDir());
  const { importImageArchive, listImages } = await import('../kubelet/index.js');
  const [sub, ...files] = pos;
  if (sub === 'import' && files.length > 0) {
    for (const f of files) for (const name of importImageArchive(dataDir, resolve(f))) console.log(`imported ${name}`);
  } else if (sub === 'ls' && files.length === 0) {
    for (const name of listImages(dataDir)) console.log(name);
  } else usage();
}

/** pids of `k8ts server` processes using dataDir */
function serverPids(dataDir: string): number[] {
  const out: number[] = [];
  for (const { pid, argv } of processes()) {
    const i = argv.findIndex((a) => /k8ts(\.js)?$/.test(a));
    if (i < 0 || argv[i + 1] !== 'server') continue;
    const flag = argv.findIndex((a) => a === '--data-dir' || a.startsWith('--data-dir='));
    let cwd = '/';
    try { cwd = readlinkSync(`/proc/${pid}/cwd`); } catch { /* gone */ }
    const dir = flag < 0 ? defaultDataDir() : argv[flag].includes('=') ? argv[flag].split('=')[1] : argv[flag + 1];
    if (resolve(cwd, dir) === dataDir) out.push(pid);
  }
  return out;
}

async function killall(args: string[]): Promise<void> {
  const f = parseFlags(args);
  for (const k of f.keys()) if (k !== 'data-dir') { console.error(`unknown flag: --${k}`); usage(); }
  const dataDir = resolve(f.get('data-dir')?.at(-1) ?? defaultDataDir());
  const running = serverPids(dataDir);
  if (running.length > 0) {
    console.error(`a k8ts server is running on ${dataDir} (pid ${running.join(', ')}); stop it first`);
    process.exit(1);
  }
  const { forceCleanup } = await import('../kubelet/index.js');
  forceCleanup(dataDir);
  console.log(`stopped the containers, containerd, pod network and mounts of ${dataDir}`);
}

async function main(): Promise<void> {
  const [cmd, ...rest] = process.argv.slice(2);
  switch (cmd) {
    case 'server': return server(rest);
    case 'image': return image(rest);
    case 'killall': return killall(rest);
    default: usage();
  }
}

main().catch((e) => { console.error(e instanceof Error ? e.message : e); process.exit(1); });
