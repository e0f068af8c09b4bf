import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCriLogLine, writeContainerLog, type ContainerLogOptions } from './logs.js';

const dir = mkdtempSync(join(tmpdir(), 'k8ts-logs-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const file = join(dir, '0.log');
writeFileSync(file, [
  '2024-05-01T10:00:00.100000000Z stdout F one',
  '2024-05-01T10:00:01.2Z stderr F two',
  '2024-05-01T10:00:02.123456789Z stdout P thr',
  '2024-05-01T10:00:02.2Z stdout P e',
  '2024-05-01T10:00:02.3Z stdout F e',
  '2024-05-01T10:00:03Z stdout F ',
  '2024-05-01T10:00:04Z stdout F fünf',
  '',
].join('\n'));

async function read(path: string, o: ContainerLogOptions = {}): Promise<string> {
  let s = '';
  await writeContainerLog(path, async (c) => { s += c; }, o);
  return s;
}

test('parseCriLogLine', () => {
  assert.deepEqual(parseCriLogLine('2024-05-01T10:00:00Z stdout F hello world'), { time: '2024-05-01T10:00:00Z', stream: 'stdout', partial: false, msg: 'hello world' });
  assert.deepEqual(parseCriLogLine('2024-05-01T10:00:00Z stderr P  x'), { time: '2024-05-01T10:00:00Z', stream: 'stderr', partial: true, msg: ' x' });
  assert.equal(parseCriLogLine('2024-05-01T10:00:00Z stdout F')?.msg, '');
  assert.equal(parseCriLogLine('garbage'), undefined);
  assert.equal(parseCriLogLine('a b X c'), undefined);
});

test('whole log, partial records joined', async () => {
  assert.equal(await read(file), 'one\ntwo\nthree\n\nfünf\n');
});

test('timestamps prefix each joined line with its first record time', async () => {
  assert.equal(await read(file, { timestamps: true, tailLines: 2 }), '2024-05-01T10:00:03Z \n2024-05-01T10:00:04Z fünf\n');
  assert.match(await read(file, { timestamps: true }), /^2024-05-01T10:00:00\.100000000Z one\n2024-05-01T10:00:01\.2Z two\n2024-05-01T10:00:02\.123456789Z three\n/);
});

test('tailLines counts joined lines', async () => {
  assert.equal(await read(file, { tailLines: 3 }), 'three\n\nfünf\n');
  assert.equal(await read(file, { tailLines: 0 }), '');
  assert.equal(await read(file, { tailLines: 100 }), 'one\ntwo\nthree\n\nfünf\n');
});

test('sinceTime and limitBytes', async () => {
  assert.equal(await read(file, { sinceTime: new Date('2024-05-01T10:00:02Z') }), 'three\n\nfünf\n');
  assert.equal(await read(file, { limitBytes: 6 }), 'one\ntw');
  assert.equal(await read(file, { limitBytes: 1000 }), 'one\ntwo\nthree\n\nfünf\n');
});

test('follow sees appended lines (including a line written in two halves) and ends when the container stops', async () => {
  const f = join(dir, 'follow.log');
  writeFileSync(f, '2024-05-01T10:00:00Z stdout F first\n');
  let running = true;
  let got = '';
  const ac = new AbortController();
  const done = writeContainerLog(f, async (c) => { got += c; }, { follow: true, running: async () => running, signal: ac.signal, pollMs: 50 });
  const until = async (s: string) => { for (let i = 0; i < 100 && !got.includes(s); i++) await new Promise((r) => setTimeout(r, 20)); assert.ok(got.includes(s), got); };
  try {
    await until('first\n');
    appendFileSync(f, '2024-05-01T10:00:01Z stdout F second\n2024-05-01T10:00:02Z stdout P hal');
    await until('second\n');
    appendFileSync(f, 'f\n2024-05-01T10:00:02Z stdout F way\n');
    await until('halfway\n');
    appendFileSync(f, '2024-05-01T10:00:03Z stdout F last\n');
    running = false;
    await done;
  } finally { ac.abort(); await done; }
  assert.equal(got, 'first\nsecond\nhalfway\nlast\n');
});

test('follow stops when the signal aborts', async () => {
  const f = join(dir, 'abort.log');
  writeFileSync(f, '2024-05-01T10:00:00Z stdout F x\n');
  const ac = new AbortController();
  let got = '';
  const done = writeContainerLog(f, async (c) => { got += c; }, { follow: true, running: async () => true, signal: ac.signal });
  setTimeout(() => ac.abort(), 100);
  await done;
  assert.equal(got, 'x\n');
});
