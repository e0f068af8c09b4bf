import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openBackend } from './index.js';
import { MemoryBackend } from './memory.js';
import { SqliteBackend } from './sqlite.js';

test('openBackend picks the backend from the endpoint', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'k8ts-open-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));

  const def = await openBackend(undefined, dir);
  assert.ok(def instanceof SqliteBackend);
  await def.create('/a', '1');
  await def.close();
  assert.ok(existsSync(join(dir, 'db', 'state.db')));
  const again = await openBackend('', dir);
  assert.equal((await again.get('/a'))?.value, '1', 'data survives reopening');
  assert.equal(await again.currentRevision(), 1);
  await again.close();

  const other = await openBackend(`sqlite://${join(dir, 'other', 'x.db')}`, dir);
  assert.ok(other instanceof SqliteBackend);
  await other.close();
  assert.ok(existsSync(join(dir, 'other', 'x.db')));

  const mem = await openBackend('memory://', dir);
  assert.ok(mem instanceof MemoryBackend);
  await mem.close();

  await assert.rejects(openBackend('mysql://root@tcp(localhost)/k', dir), /unsupported datastore endpoint/);
});
