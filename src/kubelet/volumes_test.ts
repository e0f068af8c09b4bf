import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KObject } from '../api/types.js';
import { isMountPoint, mountTmpfs, runCommand, unmountUnder } from './hostmount.js';
import { containerMounts, ensureHostsFile, hostsFileContent, terminationMessage } from './mounts.js';
import { checkHostPathType, setUpVolume, volumeDir, volumePayload, type VolumeSources, type VolumeState } from './volumes.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const pod: KObject = {
  metadata: { name: 'p', namespace: 'ns', uid: 'u1', labels: { app: 'web' }, annotations: { a: '1' } },
  spec: { containers: [{ name: 'c', resources: { limits: { memory: '64Mi' } } }] },
};

function sources(): VolumeSources & { cms: Record<string, KObject>; tokens: number } {
  const s: any = {
    podIP: '', podIPs: [], hostIP: '10.0.0.1', allocatable: { cpu: '2', memory: '1Gi' }, tokens: 0,
    cms: { cfg: { metadata: { name: 'cfg' }, data: { color: 'blue', size: 'L' }, binaryData: { bin: b64('\x00\x01') } } } as Record<string, KObject>,
  };
  s.configMap = async (_ns: string, n: string) => s.cms[n];
  s.secret = async (_ns: string, n: string) => (n === 'creds' ? { metadata: { name: n }, data: { user: b64('admin'), pw: b64('pw') } } : undefined);
  s.claim = async () => undefined;
  s.persistentVolume = async () => undefined;
  s.token = async () => { s.tokens++; return 'tok'; };
  return s;
}

const text = (p: Map<string, { data: Buffer; mode: number }>) => Object.fromEntries([...p].map(([k, v]) => [k, [v.data.toString('latin1'), v.mode.toString(8)]]));

test('volumePayload: configMap, secret, downwardAPI and projected files with items, modes and optional', async () => {
  const src = sources();
  assert.deepEqual(text(await volumePayload(pod, { configMap: { name: 'cfg' } }, src)), { color: ['blue', '644'], size: ['L', '644'], bin: ['\x00\x01', '644'] });
  assert.deepEqual(text(await volumePayload(pod, { configMap: { name: 'cfg', defaultMode: 0o600, items: [{ key: 'color', path: 'sub/c.txt' }, { key: 'size', path: 's', mode: 0o400 }] } }, src)),
    { 'sub/c.txt': ['blue', '600'], s: ['L', '400'] });
  await assert.rejects(volumePayload(pod, { configMap: { name: 'cfg', items: [{ key: 'nokey', path: 'x' }] } }, src), /configmap references non-existent config key: nokey/);
  assert.deepEqual(text(await volumePayload(pod, { configMap: { name: 'cfg', optional: true, items: [{ key: 'nokey', path: 'x' }] } }, src)), {});
  await assert.rejects(volumePayload(pod, { configMap: { name: 'missing' } }, src), /^Error: configmap "missing" not found$/);
  assert.deepEqual(text(await volumePayload(pod, { configMap: { name: 'missing', optional: true } }, src)), {});
  assert.deepEqual(text(await volumePayload(pod, { secret: { secretName: 'creds', items: [{ key: 'pw', path: 'password' }] } }, src)), { password: ['pw', '644'] });
  await assert.rejects(volumePayload(pod, { secret: { secretName: 'nope' } }, src), /secret "nope" not found/);
  await assert.rejects(volumePayload(pod, { secret: { secretName: 'creds', items: [{ key: 'k', path: 'k' }] } }, src), /secret references non-existent secret key: k/);
  assert.deepEqual(text(await volumePayload(pod, {
    downwardAPI: {
      items: [
        { path: 'ns', fieldRef: { fieldPath: 'metadata.namespace' } }, { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
        { path: 'mem', resourceFieldRef: { containerName: 'c', resource: 'limits.memory', divisor: '1Mi' }, mode: 0o600 },
      ],
    },
  }, src)), { ns: ['ns', '644'], labels: ['app="web"', '644'], mem: ['64', '600'] });
  assert.deepEqual(text(await volumePayload(pod, {
    projected: {
      defaultMode: 0o640,
      sources: [
        { configMap: { name: 'cfg', items: [{ key: 'color', path: 'color' }] } }, { secret: { name: 'creds', items: [{ key: 'user', path: 'user' }] } },
        { downwardAPI: { items: [{ path: 'name', fieldRef: { fieldPath: 'metadata.name' } }] } }, { serviceAccountToken: { path: 'token', expirationSeconds: 3600 } },
      ],
    },
  }, src)), { color: ['blue', '640'], user: ['admin', '640'], name: ['p', '640'], token: ['tok', '640'] });
  await assert.rejects(volumePayload(pod, { projected: { sources: [{ configMap: { name: 'x' } }, { secret: { name: 'y' } }] } }, src), /\[configmap "x" not found, secret "y" not found\]/);
});

test('checkHostPathType creates or verifies as upstream', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hp-'));
  try {
    checkHostPathType(join(dir, 'made/deep'), 'DirectoryOrCreate');
    assert.ok(statSync(join(dir, 'made/deep')).isDirectory());
    checkHostPathType(join(dir, 'f'), 'FileOrCreate');
    assert.ok(statSync(join(dir, 'f')).isFile());
    checkHostPathType(join(dir, 'f'), 'File');
    checkHostPathType(dir, 'Directory');
    checkHostPathType(join(dir, 'whatever'), undefined);
    assert.throws(() => checkHostPathType(join(dir, 'f'), 'Directory'), new RegExp(`^Error: hostPath type check failed: ${dir}/f is not a directory, it's a File$`));
    assert.throws(() => checkHostPathType(dir, 'File'), /is not a file, it's a Directory/);
    assert.throws(() => checkHostPathType(join(dir, 'none'), 'Directory'), new RegExp(`hostPath ${dir}/none doesn't exist`));
    assert.throws(() => checkHostPathType(join(dir, 'f'), 'Socket'), /is not a socket file, it's a File/);
    assert.throws(() => checkHostPathType(join(dir, 'f'), 'Bogus'), /Bogus is an invalid volume type/);
    assert.throws(() => checkHostPathType(join(dir, 'f'), 'FileOrCreate') === undefined && checkHostPathType(dir, 'FileOrCreate'), /is not a file/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('checkHostPathType accepts a socket', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hp-'));
  const srv = createServer();
  try {
    await new Promise<void>((r) => srv.listen(join(dir, 's.sock'), r));
    checkHostPathType(join(dir, 's.sock'), 'Socket');
  } finally { srv.close(); rmSync(dir, { recursive: true, force: true }); }
});

test('setUpVolume: configMap files update in place (new ..data) only when the content changes; emptyDir is 0777', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pod-'));
  const src = sources();
  const st: VolumeState = { paths: new Map(), digests: new Map(), ready: new Set() };
  try {
    const vol = { name: 'cfg', configMap: { name: 'cfg' } };
    const path = await setUpVolume(pod, vol, dir, src, st);
    assert.equal(path, volumeDir(dir, 'configmap', 'cfg'));
    assert.equal(path, join(dir, 'volumes/kubernetes.io~configmap/cfg'));
    assert.equal(readFileSync(join(path, 'color'), 'utf8'), 'blue');
    const first = readlinkSync(join(path, '..data'));
    await setUpVolume(pod, vol, dir, src, st);
    assert.equal(readlinkSync(join(path, '..data')), first);
    src.cms.cfg = { metadata: { name: 'cfg' }, data: { color: 'green' } };
    await setUpVolume(pod, vol, dir, src, st);
    assert.notEqual(readlinkSync(join(path, '..data')), first);
    assert.equal(readFileSync(join(path, 'color'), 'utf8'), 'green');
    assert.throws(() => statSync(join(path, 'size')), /ENOENT/);

    const ed = await setUpVolume(pod, { name: 'scratch', emptyDir: {} }, dir, src, st);
    assert.equal(ed, join(dir, 'volumes/kubernetes.io~empty-dir/scratch'));
    assert.equal(statSync(ed).mode & 0o777, 0o777);
    await assert.rejects(setUpVolume(pod, { name: 'x', nfs: { server: 's', path: '/' } }, dir, src, st), /no volume plugin matched/);
    await assert.rejects(setUpVolume(pod, { name: 'c', persistentVolumeClaim: { claimName: 'data' } }, dir, src, st), /persistentvolumeclaims "data" not found/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('setUpVolume: a claim resolves to its bound hostPath volume (created when DirectoryOrCreate)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pod-'));
  const src = sources();
  src.claim = async (_ns, n) => (n === 'bound' ? { metadata: { name: n }, spec: { volumeName: 'pv1' }, status: { phase: 'Bound' } } : { metadata: { name: n }, spec: {}, status: { phase: 'Pending' } });
  src.persistentVolume = async () => ({ metadata: { name: 'pv1' }, spec: { hostPath: { path: join(dir, 'storage/pv1'), type: 'DirectoryOrCreate' } } });
  const st: VolumeState = { paths: new Map(), digests: new Map(), ready: new Set() };
  try {
    assert.equal(await setUpVolume(pod, { name: 'data', persistentVolumeClaim: { claimName: 'bound' } }, dir, src, st), join(dir, 'storage/pv1'));
    assert.ok(statSync(join(dir, 'storage/pv1')).isDirectory());
    await assert.rejects(setUpVolume(pod, { name: 'data', persistentVolumeClaim: { claimName: 'pending' } }, dir, src, st), /PVC ns\/pending has non-bound phase \("Pending"\) or empty pvc.Spec.VolumeName \(""\)/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('containerMounts: subPath (created, kept inside the volume), readOnly, propagation, /etc/hosts and termination log', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pod-'));
  try {
    const vol = join(dir, 'vol');
    mkdirSync(vol);
    writeFileSync(join(vol, 'f'), 'x');
    symlinkSync('/etc', join(vol, 'escape'));
    const volumes = new Map([['v', { path: vol, readOnly: false }], ['cfg', { path: join(dir, 'cfg'), readOnly: true }]]);
    const c = {
      name: 'c',
      volumeMounts: [
        { name: 'v', mountPath: '/data' }, { name: 'v', mountPath: '/sub', subPath: 'a/b', readOnly: true },
        { name: 'v', mountPath: '/expr', subPathExpr: 'logs/$(POD)', mountPropagation: 'HostToContainer' }, { name: 'cfg', mountPath: '/cfg' },
      ],
    };
    const ms = containerMounts(pod, c, { podDir: dir, volumes, env: new Map([['POD', 'p']]), hostsFile: join(dir, 'etc-hosts') });
    assert.deepEqual(ms.slice(0, 5), [
      { containerPath: '/data', hostPath: vol, readonly: false, propagation: 'PROPAGATION_PRIVATE' },
      { containerPath: '/sub', hostPath: join(vol, 'a/b'), readonly: true, propagation: 'PROPAGATION_PRIVATE' },
      { containerPath: '/expr', hostPath: join(vol, 'logs/p'), readonly: false, propagation: 'PROPAGATION_HOST_TO_CONTAINER' },
      { containerPath: '/cfg', hostPath: join(dir, 'cfg'), readonly: true, propagation: 'PROPAGATION_PRIVATE' },
      { containerPath: '/etc/hosts', hostPath: join(dir, 'etc-hosts'), readonly: false },
    ]);
    assert.ok(statSync(join(vol, 'a/b')).isDirectory());
    assert.equal(ms[5].containerPath, '/dev/termination-log');
    assert.match(ms[5].hostPath, new RegExp(`^${dir}/containers/c/[0-9a-f]{8}$`));
    assert.equal(statSync(ms[5].hostPath).mode & 0o777, 0o666);
    const one = (m: any) => containerMounts(pod, { name: 'c', volumeMounts: [m] }, { podDir: dir, volumes, env: new Map() });
    assert.throws(() => one({ name: 'v', mountPath: '/x', subPath: 'escape' }), /not within volume path/);
    assert.throws(() => one({ name: 'v', mountPath: '/x', subPath: '../x' }), /must not contain '..'/);
    assert.throws(() => one({ name: 'v', mountPath: '/x', subPath: '/abs' }), /must not be an absolute path/);
    assert.throws(() => one({ name: 'v', mountPath: '/x', subPathExpr: '$(NONE)' }), /missing value for NONE/);
    assert.throws(() => one({ name: 'nope', mountPath: '/x' }), /cannot find volume "nope" to mount into container "c"/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('hostsFileContent: managed file with the pod hostname (FQDN with a subdomain) and host aliases', () => {
  const base = '# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n';
  assert.equal(hostsFileContent(pod, ['10.42.0.7'], 'cluster.local'), `${base}10.42.0.7\tp\n`);
  const p2 = { ...pod, spec: { ...pod.spec, hostname: 'h', subdomain: 'sub', hostAliases: [{ ip: '1.2.3.4', hostnames: ['a', 'b'] }] } };
  assert.equal(hostsFileContent(p2, ['10.42.0.7'], 'cluster.local'), `${base}10.42.0.7\th.sub.ns.svc.cluster.local\th\n\n# Entries added by HostAliases.\n1.2.3.4\ta\tb\n`);
  assert.equal(hostsFileContent({ ...pod, spec: { hostNetwork: true } }, [], 'cluster.local', '127.0.0.1 localhost\n'), '# Kubernetes-managed hosts file (host network).\n127.0.0.1 localhost\n');
});

test('memory-backed emptyDir is a sized tmpfs; unmountUnder removes it', { skip: process.getuid?.() !== 0 ? 'needs root' : false }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pod-'));
  try {
    const st: VolumeState = { paths: new Map(), digests: new Map(), ready: new Set() };
    const p = await setUpVolume(pod, { name: 'mem', emptyDir: { medium: 'Memory', sizeLimit: '8Mi' } }, dir, sources(), st);
    assert.ok(isMountPoint(p));
    const line = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.split(' ')[4] === p)!;
    assert.match(line, / - tmpfs tmpfs .*size=8192k/);
    // a second setup (as after a kubelet restart: no state) does not stack another mount
    await setUpVolume(pod, { name: 'mem', emptyDir: { medium: 'Memory', sizeLimit: '8Mi' } }, dir, sources(), { paths: new Map(), digests: new Map(), ready: new Set() });
    assert.equal(readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.split(' ')[4] === p).length, 1);
    const sec = await setUpVolume(pod, { name: 's', secret: { secretName: 'creds' } }, dir, sources(), st);
    assert.ok(isMountPoint(sec));
    assert.equal(readFileSync(join(sec, 'user'), 'utf8'), 'admin');
    await unmountUnder(dir);
    assert.ok(!isMountPoint(p) && !isMountPoint(sec));
    // commands run in the long-lived shell: a failure comes back with its status and output, and
    // arguments are passed as they are
    await assert.rejects(runCommand(['sh', '-c', 'echo "$0"; exit 3', "it's"]), { message: `sh -c echo "$0"; exit 3 it's: exit status 3: it's` });
    const odd = join(dir, "it's here");
    mkdirSync(odd);
    await mountTmpfs(odd);
    assert.ok(isMountPoint(odd));
    await unmountUnder(dir);
    assert.ok(!isMountPoint(odd));
  } finally { await unmountUnder(dir); rmSync(dir, { recursive: true, force: true }); }
});

test('terminationMessage: the mounted file, else the log tail with FallbackToLogsOnError on failure', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tm-'));
  try {
    const file = join(dir, 'msg');
    const log = join(dir, '0.log');
    writeFileSync(log, Array.from({ length: 100 }, (_v, i) => `2024-01-01T00:00:00Z stdout F line${i}`).join('\n') + '\n2024-01-01T00:00:00Z stderr P part\n2024-01-01T00:00:00Z stderr F ial\n');
    const st = { exitCode: 1, mounts: [{ containerPath: '/dev/termination-log', hostPath: file }] };
    writeFileSync(file, 'bye');
    assert.equal(terminationMessage(st, {}, log), 'bye');
    writeFileSync(file, 'x'.repeat(5000));
    assert.equal(terminationMessage(st, {}, log).length, 4096);
    writeFileSync(file, '');
    assert.equal(terminationMessage(st, {}, log), '');
    const fb = terminationMessage(st, { terminationMessagePolicy: 'FallbackToLogsOnError' }, log);
    assert.ok(fb.endsWith('line99\npartial\n') && fb.startsWith('line21\n'), fb.slice(0, 20));
    assert.equal(terminationMessage({ ...st, exitCode: 0 }, { terminationMessagePolicy: 'FallbackToLogsOnError' }, log), '');
    const custom = { exitCode: 0, annotations: { 'io.kubernetes.container.terminationMessagePath': '/tmp/m' }, mounts: [{ containerPath: '/tmp/m', hostPath: join(dir, 'm') }] };
    writeFileSync(join(dir, 'm'), 'custom');
    assert.equal(terminationMessage(custom, {}), 'custom');
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('fsGroup: volume files group-readable and owned by the group, emptyDir setgid', { skip: process.getuid?.() !== 0 ? 'needs root (chown)' : false }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pod-'));
  const p = { ...pod, spec: { ...pod.spec, securityContext: { fsGroup: 1234 } } };
  const st: VolumeState = { paths: new Map(), digests: new Map(), ready: new Set() };
  try {
    const cfg = await setUpVolume(p, { name: 'cfg', configMap: { name: 'cfg', items: [{ key: 'color', path: 'c', mode: 0o400 }] } }, dir, sources(), st);
    assert.equal(statSync(join(cfg, 'c')).mode & 0o7777, 0o440);
    assert.equal(statSync(join(cfg, 'c')).gid, 1234);
    assert.equal(statSync(join(cfg, readlinkSync(join(cfg, '..data')))).gid, 1234);
    const ed = await setUpVolume(p, { name: 'e', emptyDir: {} }, dir, sources(), st);
    assert.equal(statSync(ed).mode & 0o7777, 0o2777);
    assert.equal(statSync(ed).gid, 1234);
    // without fsGroup: the mode as given, root's group; volume dirs are world-accessible
    const plain = await setUpVolume(pod, { name: 'cfg2', configMap: { name: 'cfg', items: [{ key: 'color', path: 'c', mode: 0o400 }] } }, dir, sources(), st);
    assert.equal(statSync(join(plain, 'c')).mode & 0o7777, 0o400);
    assert.equal(statSync(plain).mode & 0o777, 0o777);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('ensureHostsFile writes the pod IP and rewrites the file in place when it changes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pod-'));
  try {
    assert.equal(ensureHostsFile(pod, dir, [], 'cluster.local'), undefined);
    const f = ensureHostsFile(pod, dir, ['10.42.0.7'], 'cluster.local')!;
    assert.match(readFileSync(f, 'utf8'), /\n10\.42\.0\.7\tp\n$/);
    const ino = statSync(f).ino;
    ensureHostsFile(pod, dir, ['10.42.0.8'], 'cluster.local');
    assert.match(readFileSync(f, 'utf8'), /\n10\.42\.0\.8\tp\n$/);
    assert.equal(statSync(f).ino, ino, 'same inode: a bind mount of it sees the new content');
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
