import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstAttach, readLogOutput, replayCut } from './replay.js';

test('readLogOutput gives each stream as written, partial records joined', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'k8ts-replay-'));
  try {
    const f = join(dir, '0.log');
    writeFileSync(f, [
      '2026-11-26T12:00:00.000000001Z stdout F hi\r',
      '2026-11-26T12:00:00.000000002Z stderr F oops',
      '2026-11-26T12:00:00.000000003Z stdout P probe',
      '2026-11-26T12:00:00.000000004Z stdout F \r',
      '2026-11-26T12:00:00.000000005Z stdout F cut', // no newline: still being written
    ].join('\n'));
    const r = await readLogOutput(f);
    assert.equal(r.stdout.toString(), 'hi\r\nprobe\r\n');
    assert.equal(r.stderr.toString(), 'oops\n');
    // only the end of a long log; the record cut at the start is dropped
    const long = Array.from({ length: 100 }, (_, i) => `2026-11-26T12:00:00Z stdout F line ${i}`).join('\n') + '\n';
    writeFileSync(f, long);
    const tail = (await readLogOutput(f, 100)).stdout.toString();
    assert.ok(tail.endsWith('line 98\nline 99\n'), tail);
    assert.ok(!tail.includes('line 90\n'), tail);
    assert.deepEqual(await readLogOutput(join(dir, 'missing.log')), { stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('replayCut sends bytes seen by both the log and the live stream once', () => {
  const b = (s: string) => Buffer.from(s);
  assert.equal(replayCut(b('hi\nprobe\n'), b('')), 9, 'all of it came before the attach');
  assert.equal(replayCut(b('hi\nprobe\n'), b('probe\n')), 3, 'the attach saw the second line');
  assert.equal(replayCut(b('hi\nprobe\n'), b('probe\nmore\n')), 3, 'and output the log has not yet');
  assert.equal(replayCut(b('hi\n'), b('hi\nprobe\n')), 0, 'the attach saw everything');
  assert.equal(replayCut(b('abc\n'), b('xyz\n')), 4, 'nothing shared');
  assert.equal(replayCut(b(''), b('x')), 0);
});

test('firstAttach is true once per container', () => {
  const id = `c-${Math.random()}`;
  assert.equal(firstAttach(id), true);
  assert.equal(firstAttach(id), false);
});
