import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkQueue, ItemExponentialFailureRateLimiter, BucketRateLimiter, MaxOfRateLimiter } from './workqueue.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('dedups queued keys; a key re-added while processing is queued again only after done', async () => {
  const q = new WorkQueue();
  q.add('a'); q.add('a'); q.add('b'); q.add('a');
  assert.equal(q.len(), 2);
  assert.equal(await q.get(), 'a');
  q.add('a');                  // being processed: not handed out again yet
  q.add('a');
  assert.equal(q.len(), 1);
  assert.equal(await q.get(), 'b');
  let got: string | undefined = 'none';
  const pending = q.get().then((v) => { got = v; });
  await sleep(5);
  assert.equal(got, 'none');   // 'a' is still processing
  q.done('a');
  await pending;
  assert.equal(got, 'a');
  q.done('b'); q.done('a');
  assert.equal(q.len(), 0);
  q.shutDown();
  assert.equal(await q.get(), undefined);
  q.add('c');
  assert.equal(q.len(), 0);
});

test('per-item exponential back-off 5ms..1000s, forget resets', () => {
  const l = new ItemExponentialFailureRateLimiter();
  assert.deepEqual([1, 2, 3, 4, 5].map(() => l.when('x')), [5, 10, 20, 40, 80]);
  assert.equal(l.when('y'), 5);
  assert.equal(l.numRequeues('x'), 5);
  for (let i = 0; i < 40; i++) l.when('x');
  assert.equal(l.when('x'), 1000_000);
  l.forget('x');
  assert.equal(l.when('x'), 5);
});

test('token bucket: burst then qps; combined limiter takes the longer delay', () => {
  let now = 0;
  const b = new BucketRateLimiter(10, 100, () => now);
  for (let i = 0; i < 100; i++) assert.equal(b.when(`k${i}`), 0);
  assert.equal(b.when('k100'), 100);
  assert.equal(b.when('k101'), 200);
  now = 1000;                  // 10 tokens back, 2 owed
  assert.equal(b.when('k102'), 0);
  now = 0;
  const m = new MaxOfRateLimiter(new ItemExponentialFailureRateLimiter(5, 1000_000), new BucketRateLimiter(10, 2, () => now));
  assert.equal(m.when('a'), 5);
  assert.equal(m.when('b'), 5);
  assert.equal(m.when('c'), 100);  // bucket empty: 100ms beats c's 5ms
  assert.equal(m.when('a'), 200);
  assert.equal(m.numRequeues('a'), 2);
});

test('addAfter: item arrives after the delay, an earlier time wins, duplicates collapse', async () => {
  const q = new WorkQueue();
  const t0 = Date.now();
  q.addAfter('x', 200);
  q.addAfter('x', 30);
  q.addAfter('x', 100);
  assert.equal(q.len(), 0);
  assert.equal(await q.get(), 'x');
  const dt = Date.now() - t0;
  assert.ok(dt >= 28 && dt < 150, `took ${dt}ms`);
  q.done('x');
  await sleep(250);
  assert.equal(q.len(), 0);    // the later timers were dropped
  q.shutDown();
});

test('runWorkers: a key never runs twice at once, errors requeue with growing back-off, success forgets', async () => {
  const q = new WorkQueue<string>({ onError: () => {} });
  const ac = new AbortController();
  const running = new Set<string>();
  let overlap = false;
  const attempts: number[] = [];
  let hot = 0;
  const workers = q.runWorkers(4, async (key) => {
    if (running.has(key)) overlap = true;
    running.add(key);
    try {
      if (key === 'flaky') {
        attempts.push(Date.now());
        if (attempts.length < 4) throw new Error('not yet');
      }
      if (key === 'hot') { hot++; q.add('hot'); await sleep(2); }
    } finally { running.delete(key); }
  }, ac.signal);
  q.add('flaky');
  q.add('hot');
  for (let i = 0; i < 20; i++) { q.add('hot'); await sleep(1); }
  await waitFor(() => attempts.length === 4 && q.numRequeues('flaky') === 0);
  assert.equal(overlap, false);
  assert.ok(hot > 3, `hot ran ${hot} times`);
  const gaps = attempts.slice(1).map((t, i) => t - attempts[i]);
  assert.ok(gaps[0] >= 4 && gaps[1] >= 9 && gaps[2] >= 19, `gaps ${gaps}`);
  ac.abort();
  await workers;
  assert.equal(q.shuttingDown, true);
});

test('runWorkers: requeueAfter schedules the key again; abort waits for the key in flight', async () => {
  const q = new WorkQueue<string>();
  const ac = new AbortController();
  const seen: number[] = [];
  let finished = false;
  const workers = q.runWorkers(1, async (key) => {
    seen.push(Date.now());
    if (key === 'slow') { await sleep(50); finished = true; return; }
    return seen.length < 2 ? { requeueAfter: 40 } : undefined;
  }, ac.signal);
  q.add('k');
  await waitFor(() => seen.length === 2);
  assert.ok(seen[1] - seen[0] >= 38, `${seen[1] - seen[0]}ms`);
  q.add('slow');
  await waitFor(() => seen.length === 3);
  ac.abort();
  await workers;
  assert.equal(finished, true);
});

async function waitFor(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) { if (Date.now() > end) throw new Error('timed out waiting'); await sleep(2); }
}
