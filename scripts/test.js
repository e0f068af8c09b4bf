#!/usr/bin/env node
// Runs every compiled test (dist/**/*_test.js) with node:test. Its summary is what CI reads.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function find(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) find(p, out);
    else if (name.endsWith('_test.js')) out.push(p);
  }
  return out;
}

spawnSync('sh', ['scripts/install-prereqs.sh'], { stdio: 'inherit' });

const filter = process.argv.slice(2);
let files = find('dist').sort();
if (filter.length) files = files.filter((f) => filter.some((x) => f.includes(x)));
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
