#!/usr/bin/env node
// Builds the local test images (busybox:latest/1.36/1.37 and the pause image) from Debian's
// busybox-static into one OCI layout tarball, and optionally imports it into a containerd.
//   node scripts/build-test-images.mjs [--out FILE] [--import SOCKET [--snapshotter overlayfs]]
// Needs `npm run build` first (the builder lives in dist/kubelet/testimages.js).
import { parseArgs } from 'node:util';
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { out: { type: 'string', default: 'k8ts-test-images.tar' }, import: { type: 'string' }, snapshotter: { type: 'string', default: 'overlayfs' } } });
const { buildTestImages, importImages } = await import(`${root}/dist/kubelet/testimages.js`);
const out = resolve(values.out);
const names = buildTestImages(out);
console.log(`wrote ${out}: ${names.join(', ')}`);
if (values.import) {
  importImages(values.import, out, values.snapshotter);
  console.log(`imported into ${values.import} (namespace k8s.io)`);
}
