// Local images built from Debian's busybox-static, since no registry is reachable: busybox (with
// every applet linked into /bin), busybox-httpd (its default command serves a page naming the pod
// on port 80) and the sandbox (pause) image, which is the same layer running
// `sleep infinity`. Written as one OCI image layout tarball and imported with `ctr images import`.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sandboxImage } from './containerd.js';

export const busyboxImages = ['docker.io/library/busybox:latest', 'docker.io/library/busybox:1.36', 'docker.io/library/busybox:1.37'];
/** the same busybox whose default command serves HTTP on port 80, with a page naming the pod */
export const httpdImage = 'docker.io/k8ts/busybox-httpd:latest';
const httpdCmd = ['sh', '-c', 'echo "<h1>k8ts busybox</h1><p>$(hostname)</p>" > /var/www/index.html; exec httpd -f -v -p 80 -h /var/www'];
export const busyboxBinary = '/bin/busybox';

const arch = process.arch === 'x64' ? 'amd64' : process.arch;
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

function rootfs(dir: string, busybox: string): void {
  for (const d of ['bin', 'etc', 'tmp', 'root', 'proc', 'sys', 'dev', 'var/www', 'home']) mkdirSync(join(dir, d), { recursive: true });
  chmodSync(join(dir, 'tmp'), 0o1777);
  copyFileSync(busybox, join(dir, 'bin/busybox'));
  chmodSync(join(dir, 'bin/busybox'), 0o755);
  const applets = execFileSync(busybox, ['--list'], { encoding: 'utf8' }).split('\n').filter((a) => a && a !== 'busybox');
  for (const a of applets) symlinkSync('busybox', join(dir, 'bin', a));
  writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n');
  writeFileSync(join(dir, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
  writeFileSync(join(dir, 'var/www/index.html'), '<h1>k8ts busybox</h1>\n');
  nssLibraries(dir);
}

/**
 * busybox-static is linked against glibc, whose getaddrinfo (wget, ping, nc by name) loads the
 * NSS modules at run time and crashes without them; the host's copies of the same Debian glibc
 * go into the image, with the loader they need and an nsswitch.conf
 */
function nssLibraries(dir: string): void {
  const libDirs = ['/lib/x86_64-linux-gnu', '/lib/aarch64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu'];
  const libs = ['libnss_files.so.2', 'libnss_dns.so.2', 'libresolv.so.2', 'libc.so.6'];
  const loaders = ['/lib64/ld-linux-x86-64.so.2', '/lib/ld-linux-aarch64.so.1'];
  const copy = (from: string) => {
    const to = join(dir, from);
    mkdirSync(join(to, '..'), { recursive: true });
    copyFileSync(realpathSync(from), to);
  };
  let found = false;
  for (const l of libs) {
    const d = libDirs.find((x) => existsSync(join(x, l)));
    if (d) { copy(join(d, l)); found = true; }
  }
  if (!found) return;
  for (const l of loaders) if (existsSync(l)) copy(l);
  writeFileSync(join(dir, 'etc/nsswitch.conf'), 'hosts: files dns\nnetworks: files\n');
}

/** builds the OCI layout tarball at outFile; returns the image names it holds */
export function buildTestImages(outFile: string, opts: { busybox?: string } = {}): string[] {
  const work = mkdtempSync(join(tmpdir(), 'k8ts-images-'));
  try {
    const fs = join(work, 'rootfs');
    const layout = join(work, 'oci');
    const blobs = join(layout, 'blobs/sha256');
    mkdirSync(fs); mkdirSync(blobs, { recursive: true });
    rootfs(fs, opts.busybox ?? busyboxBinary);
    const layerTar = join(work, 'layer.tar');
    execFileSync('tar', ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-C', fs, '-cf', layerTar, '.']);
    const layer = readFileSync(layerTar);
    const layerDigest = sha(layer);
    writeFileSync(join(blobs, layerDigest), layer);
    const blob = (obj: object) => {
      const b = Buffer.from(JSON.stringify(obj));
      const d = sha(b);
      writeFileSync(join(blobs, d), b);
      return { digest: `sha256:${d}`, size: b.length };
    };
    const image = (cmd: string[]) => {
      const config = blob({
        architecture: arch, os: 'linux', created: '1970-01-01T00:00:00Z',
        config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: cmd, WorkingDir: '/' },
        rootfs: { type: 'layers', diff_ids: [`sha256:${layerDigest}`] },
        history: [{ created: '1970-01-01T00:00:00Z', created_by: `k8ts: busybox-static (${cmd.join(' ')})` }],
      });
      return blob({
        schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: `sha256:${layerDigest}`, size: layer.length }],
      });
    };
    const busybox = image(['sh']);
    const pause = image(['sleep', 'infinity']);
    const httpd = image(httpdCmd);
    const entry = (m: { digest: string; size: number }, name: string) => ({
      mediaType: 'application/vnd.oci.image.manifest.v1+json', ...m, platform: { architecture: arch, os: 'linux' },
      annotations: { 'io.containerd.image.name': name, 'org.opencontainers.image.ref.name': name.split(':').pop() },
    });
    const names = [...busyboxImages, httpdImage, sandboxImage];
    writeFileSync(join(layout, 'index.json'), JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [...busyboxImages.map((n) => entry(busybox, n)), entry(httpd, httpdImage), entry(pause, sandboxImage)],
    }));
    writeFileSync(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    execFileSync('tar', ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-C', layout, '-cf', outFile, '.']);
    return names;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** imports an image archive (OCI layout or docker save) into containerd's k8s.io namespace */
export function importImages(socket: string, file: string, snapshotter: string): void {
  execFileSync('ctr', ['-a', socket, '-n', 'k8s.io', 'images', 'import', '--snapshotter', snapshotter, file], { stdio: 'pipe' });
}
