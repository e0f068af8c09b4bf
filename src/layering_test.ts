// Dependency direction (DESIGN.md): api and util import nothing of ours; storage and apiserver sit
// below everything else; components talk only through client. Read from the import statements.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const src = resolve(dirname(fileURLToPath(import.meta.url)), '../src');

const allowed: Record<string, string[]> = {
  api: ['api'],
  util: ['util'],
  storage: ['storage', 'api', 'util'],
  apiserver: ['apiserver', 'storage', 'api', 'util'],
  client: ['client', 'api', 'util'],
  controllers: ['controllers', 'client', 'api', 'util'],
  scheduler: ['scheduler', 'client', 'api', 'util'],
  simnode: ['simnode', 'client', 'api', 'util'],
  kubelet: ['kubelet', 'client', 'api', 'util'],
  proxy: ['proxy', 'client', 'api', 'util'],
  dns: ['dns', 'client', 'api', 'util'],
  ingress: ['ingress', 'client', 'api', 'util'],
  dashboard: ['dashboard', 'client', 'api', 'util'],
};

function files(dir: string, out: string[] = []): string[] {
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) files(p, out);
    else if (n.endsWith('.ts')) out.push(p);
  }
  return out;
}

test('each layer imports only the layers below it', () => {
  const bad: string[] = [];
  for (const f of files(src)) {
    if (f.endsWith('_test.ts') || f.includes('/testing/')) continue;
    const layer = relative(src, f).split('/')[0];
    const ok = allowed[layer];
    if (!ok) continue; // cli, cluster, e2e, bench wire things together
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"](\.[^'"]+)['"]/g)) {
      const target = relative(src, resolve(dirname(f), m[1])).split('/')[0];
      if (!ok.includes(target)) bad.push(`${relative(src, f)} imports ${m[1]} (layer ${target})`);
    }
  }
  assert.deepEqual(bad, []);
});
