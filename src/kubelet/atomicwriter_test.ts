import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validatePayloadPath, writeAtomic, type Payload } from './atomicwriter.js';

const file = (s: string, mode = 0o644) => ({ data: Buffer.from(s), mode });
const tsDirs = (dir: string) => readdirSync(dir).filter((n) => /^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\./.test(n));

test('writeAtomic: ..data -> timestamped dir, top-level names link into ..data, modes exact', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aw-'));
  try {
    const payload: Payload = new Map([['color', file('blue')], ['nested/deep/key', file('v', 0o400)], ['nested/other', file('o')]]);
    assert.equal(writeAtomic(dir, payload, new Date(Date.UTC(2024, 0, 2, 3, 4, 5))), true);
    const ts = readlinkSync(join(dir, '..data'));
    assert.match(ts, /^\.\.2024_01_02_03_04_05\.\w+$/);
    assert.equal(statSync(join(dir, ts)).mode & 0o777, 0o755);
    assert.equal(readlinkSync(join(dir, 'color')), '..data/color');
    assert.equal(readlinkSync(join(dir, 'nested')), '..data/nested');
    assert.equal(readFileSync(join(dir, 'color'), 'utf8'), 'blue');
    assert.equal(readFileSync(join(dir, 'nested/deep/key'), 'utf8'), 'v');
    assert.equal(statSync(join(dir, 'nested/deep/key')).mode & 0o777, 0o400);
    assert.deepEqual(readdirSync(dir).sort(), ['..data', ts, 'color', 'nested'].sort());

    // unchanged: nothing written
    assert.equal(writeAtomic(dir, new Map(payload)), false);
    assert.equal(readlinkSync(join(dir, '..data')), ts);

    // changed content, a removed key and a new one: new timestamped dir, old one and stale link gone
    const next: Payload = new Map([['color', file('red')], ['size', file('L')]]);
    assert.equal(writeAtomic(dir, next), true);
    const ts2 = readlinkSync(join(dir, '..data'));
    assert.notEqual(ts2, ts);
    assert.deepEqual(tsDirs(dir), [ts2]);
    assert.equal(readFileSync(join(dir, 'color'), 'utf8'), 'red');
    assert.equal(readFileSync(join(dir, 'size'), 'utf8'), 'L');
    assert.throws(() => lstatSync(join(dir, 'nested')), /ENOENT/);
    assert.ok(!readdirSync(dir).includes('..data_tmp'));

    // a mode change alone is a change
    assert.equal(writeAtomic(dir, new Map([['color', file('red', 0o600)], ['size', file('L')]])), true);
    assert.equal(statSync(join(dir, 'color')).mode & 0o777, 0o600);

    // empty payload: only ..data and its (empty) directory remain
    assert.equal(writeAtomic(dir, new Map()), true);
    assert.deepEqual(readdirSync(dir).filter((n) => !n.startsWith('..')), []);
    assert.equal(writeAtomic(dir, new Map()), false);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('writeAtomic rejects paths that escape or use the reserved .. prefix', () => {
  assert.match(validatePayloadPath('/abs')!, /must be relative path/);
  assert.match(validatePayloadPath('a/../b')!, /must not contain '..'/);
  assert.match(validatePayloadPath('..data')!, /must not start with '..'/);
  assert.match(validatePayloadPath('')!, /must not be empty/);
  assert.equal(validatePayloadPath('a/b.c'), undefined);
  const dir = mkdtempSync(join(tmpdir(), 'aw-'));
  try {
    assert.throws(() => writeAtomic(dir, new Map([['../x', file('x')]])), /must not contain/);
    assert.deepEqual(readdirSync(dir), []);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
