// The one conformance suite every Backend runs (see conformance_test.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CompactedError, FutureRevisionError, KeyExistsError, type Backend, type WatchEvent } from '../backend.js';

export type BackendFactory = () => Promise<Backend>;

interface Collector {
  events: WatchEvent[];
  /** resolves once an event with modRevision >= rev has arrived */
  until(rev: number, timeoutMs?: number): Promise<WatchEvent[]>;
  stop(): void;
  done: Promise<void>;
}

function collect(b: Backend, prefix: string, startRevision = 0): Collector {
  const ac = new AbortController();
  const events: WatchEvent[] = [];
  let waiter: { rev: number; resolve: () => void } | undefined;
  const w = b.watch(prefix, { startRevision, signal: ac.signal }, (evs) => {
    events.push(...evs);
    if (waiter && events.length && events[events.length - 1].kv.modRevision >= waiter.rev) waiter.resolve();
  });
  return {
    events,
    done: w.done,
    stop: () => ac.abort(),
    until: (rev, timeoutMs = 10_000) => new Promise((resolve, reject) => {
      if (events.length && events[events.length - 1].kv.modRevision >= rev) return resolve(events);
      const t = setTimeout(() => reject(new Error(`timed out waiting for revision ${rev}; got ${JSON.stringify(events.map((e) => e.kv.modRevision))}`)), timeoutMs);
      waiter = { rev, resolve: () => { clearTimeout(t); resolve(events); } };
      w.done.catch((err) => { clearTimeout(t); reject(err); });
    }),
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const brief = (evs: WatchEvent[]): string[] => evs.map((e) => `${e.type} ${e.kv.key} ${e.kv.modRevision}`);

export function runBackendConformance(name: string, factory: BackendFactory, opts: { skip?: string | false } = {}): void {
  describe(`backend conformance: ${name}`, { skip: opts.skip }, () => {
    const withBackend = (title: string, fn: (b: Backend) => Promise<void>): void => {
      it(title, async () => {
        const b = await factory();
        try { await fn(b); } finally { await b.close(); }
      });
    };

    withBackend('create, get and KeyExistsError', async (b) => {
      const rev = await b.create('/r/ns/a', '{"a":1}');
      assert.ok(rev > 0);
      assert.deepEqual(await b.get('/r/ns/a'), { key: '/r/ns/a', value: '{"a":1}', createRevision: rev, modRevision: rev });
      assert.equal(await b.get('/r/ns/missing'), undefined);
      await assert.rejects(b.create('/r/ns/a', 'x'), (err) => err instanceof KeyExistsError && err.key === '/r/ns/a');
      assert.equal((await b.get('/r/ns/a'))?.value, '{"a":1}');
      assert.equal(await b.currentRevision(), rev);
    });

    withBackend('update is compare-and-swap on modRevision', async (b) => {
      const r1 = await b.create('/r/k', 'v1');
      const u = await b.update('/r/k', 'v2', r1);
      assert.equal(u.ok, true);
      assert.ok(u.revision > r1);
      assert.deepEqual(u.kv, { key: '/r/k', value: 'v2', createRevision: r1, modRevision: u.revision });
      const stale = await b.update('/r/k', 'v3', r1);
      assert.equal(stale.ok, false);
      assert.equal(stale.revision, u.revision);
      assert.deepEqual(stale.kv, u.kv);
      assert.equal((await b.get('/r/k'))?.value, 'v2');
      const missing = await b.update('/r/nope', 'x', r1);
      assert.equal(missing.ok, false);
      assert.equal(missing.kv, undefined);
      assert.equal(await b.get('/r/nope'), undefined);
    });

    withBackend('delete, conditional delete and re-create', async (b) => {
      const r1 = await b.create('/r/d', 'v1');
      const r2 = (await b.update('/r/d', 'v2', r1)).revision;
      const wrong = await b.delete('/r/d', r1);
      assert.equal(wrong.ok, false);
      assert.equal(wrong.kv?.modRevision, r2);
      assert.equal((await b.get('/r/d'))?.value, 'v2');
      const del = await b.delete('/r/d', r2);
      assert.equal(del.ok, true);
      assert.ok(del.revision > r2);
      assert.deepEqual(del.kv, { key: '/r/d', value: 'v2', createRevision: r1, modRevision: del.revision });
      assert.equal(await b.get('/r/d'), undefined);
      const again = await b.delete('/r/d');
      assert.equal(again.ok, false);
      assert.equal(again.kv, undefined);
      assert.equal(again.revision, del.revision, 'a failed delete writes nothing');
      const r4 = await b.create('/r/d', 'v3');
      assert.deepEqual(await b.get('/r/d'), { key: '/r/d', value: 'v3', createRevision: r4, modRevision: r4 });
      const uncond = await b.delete('/r/d');
      assert.equal(uncond.ok, true);
      assert.equal(uncond.kv?.value, 'v3');
    });

    withBackend('revisions are global and strictly increasing; reads at a revision', async (b) => {
      const revs: number[] = [];
      revs.push(await b.create('/r/x', 'x1'));
      revs.push(await b.create('/r/y', 'y1'));
      revs.push((await b.update('/r/x', 'x2', revs[0])).revision);
      revs.push((await b.delete('/r/y')).revision);
      revs.push(await b.create('/other/z', 'z'));
      for (let i = 1; i < revs.length; i++) assert.ok(revs[i] > revs[i - 1], `revisions ${revs}`);
      assert.equal(await b.currentRevision(), revs[4]);
      assert.equal((await b.get('/r/x', revs[0]))?.value, 'x1');
      assert.equal((await b.get('/r/x', revs[2]))?.value, 'x2');
      assert.equal((await b.get('/r/y', revs[2]))?.value, 'y1');
      assert.equal(await b.get('/r/y', revs[3]), undefined);
      assert.equal(await b.get('/r/y', revs[0]), undefined, 'not yet created');
      await assert.rejects(b.get('/r/x', revs[4] + 1000), FutureRevisionError);
    });

    withBackend('list: prefix, order, limit, startKey, revision, more, count', async (b) => {
      for (const k of ['c', 'a', 'e', 'b', 'd']) await b.create(`/p/${k}`, k);
      await b.create('/p2', 'outside');
      await b.create('/pa/x', 'outside');
      await b.create('/o/x', 'outside');
      const all = await b.list('/p/');
      assert.deepEqual(all.kvs.map((kv) => kv.key), ['/p/a', '/p/b', '/p/c', '/p/d', '/p/e']);
      assert.equal(all.more, false);
      assert.equal(all.revision, await b.currentRevision());
      assert.equal(await b.count('/p/'), 5);

      const page1 = await b.list('/p/', { limit: 2 });
      assert.deepEqual(page1.kvs.map((kv) => kv.value), ['a', 'b']);
      assert.equal(page1.more, true);
      const page2 = await b.list('/p/', { limit: 2, startKey: '/p/b\0', revision: page1.revision });
      assert.deepEqual(page2.kvs.map((kv) => kv.value), ['c', 'd']);
      assert.equal(page2.more, true);
      assert.equal(page2.revision, page1.revision);
      const page3 = await b.list('/p/', { limit: 2, startKey: '/p/d\0', revision: page1.revision });
      assert.deepEqual(page3.kvs.map((kv) => kv.value), ['e']);
      assert.equal(page3.more, false);
      const exact = await b.list('/p/', { limit: 5 });
      assert.equal(exact.more, false);
      assert.equal(exact.kvs.length, 5);

      const before = await b.currentRevision();
      const c = await b.get('/p/c');
      await b.update('/p/c', 'c2', c!.modRevision);
      await b.delete('/p/a');
      await b.create('/p/f', 'f');
      assert.deepEqual((await b.list('/p/')).kvs.map((kv) => kv.value), ['b', 'c2', 'd', 'e', 'f']);
      const old = await b.list('/p/', { revision: before });
      assert.deepEqual(old.kvs.map((kv) => kv.value), ['a', 'b', 'c', 'd', 'e']);
      assert.equal(old.revision, before);
      assert.equal(await b.count('/p/'), 5);
      assert.equal((await b.list('/none/')).kvs.length, 0);
      await assert.rejects(b.list('/p/', { revision: before + 1000 }), FutureRevisionError);
    });

    withBackend('watch from a revision delivers every later event in order, filtered by prefix', async (b) => {
      const r0 = await b.create('/w/a', '1');
      const w = collect(b, '/w/', r0);
      const rUpd = (await b.update('/w/a', '2', r0)).revision;
      await b.create('/x/ignored', 'x');
      await b.create('/wz', 'not under /w/');
      const rB = await b.create('/w/b', 'b');
      const rDel = (await b.delete('/w/a')).revision;
      const evs = await w.until(rDel);
      assert.deepEqual(brief(evs), [`PUT /w/a ${r0}`, `PUT /w/a ${rUpd}`, `PUT /w/b ${rB}`, `DELETE /w/a ${rDel}`]);
      assert.equal(evs[0].prevKv, undefined);
      assert.deepEqual(evs[1].prevKv, { key: '/w/a', value: '1', createRevision: r0, modRevision: r0 });
      assert.equal(evs[1].kv.value, '2');
      assert.deepEqual(evs[3].kv, { key: '/w/a', value: '2', createRevision: r0, modRevision: rDel });
      assert.deepEqual(evs[3].prevKv, { key: '/w/a', value: '2', createRevision: r0, modRevision: rUpd });
      w.stop();
      await w.done;
    });

    withBackend('watch from 0 starts now; abort ends delivery', async (b) => {
      await b.create('/n/before', '1');
      const w = collect(b, '/n/');
      await sleep(50); // an etcd watch is pinned when etcd creates it
      const r = await b.create('/n/after', '2');
      const evs = await w.until(r);
      assert.deepEqual(brief(evs), [`PUT /n/after ${r}`]);
      w.stop();
      await w.done;
      await b.create('/n/later', '3');
      await sleep(100);
      assert.equal(w.events.length, 1);
    });

    withBackend('watch replay hands over to live events with no gap and no duplicate', async (b) => {
      const revs: number[] = [];
      for (let i = 0; i < 100; i++) revs.push(await b.create(`/h/k${i}`, String(i)));
      const w = collect(b, '/h/', revs[0]);
      const writers = Array.from({ length: 4 }, (_, j) => (async () => {
        for (let i = 0; i < 25; i++) revs.push(await b.create(`/h/w${j}-${i}`, 'v'));
      })());
      await Promise.all(writers);
      revs.sort((x, y) => x - y);
      const evs = await w.until(revs[revs.length - 1]);
      assert.deepEqual(evs.map((e) => e.kv.modRevision), revs);
      w.stop();
    });

    withBackend('concurrent writers: watches from any revision see exactly the writes after it', async (b) => {
      const written: Array<{ rev: number; key: string }> = [];
      const watches: Array<{ from: number; c: Collector }> = [];
      const first = await b.create('/c/seed', 's');
      written.push({ rev: first, key: '/c/seed' });
      watches.push({ from: first, c: collect(b, '/c/', first) });
      const writer = async (j: number): Promise<void> => {
        for (let i = 0; i < 40; i++) {
          const key = `/c/${j}/${i % 5}`;
          const cur = await b.get(key);
          const rev = cur ? (await b.update(key, `${i}`, cur.modRevision)).revision : await b.create(key, `${i}`);
          written.push({ rev, key });
          await b.create(`/d/${j}/${i}`, 'other prefix');
          if (i === 20 && j % 2 === 0) watches.push({ from: rev, c: collect(b, '/c/', rev) });
        }
      };
      await Promise.all(Array.from({ length: 8 }, (_, j) => writer(j)));
      written.sort((x, y) => x.rev - y.rev);
      const last = written[written.length - 1].rev;
      for (const { from, c } of watches) {
        const evs = await c.until(last);
        const want = written.filter((w) => w.rev >= from).map((w) => `${w.rev} ${w.key}`);
        assert.deepEqual(evs.map((e) => `${e.kv.modRevision} ${e.kv.key}`), want, `watch from ${from}`);
        c.stop();
      }
    });

    withBackend('fan-out to 60 watchers', async (b) => {
      const start = (await b.currentRevision()) + 1;
      const cs = Array.from({ length: 60 }, (_, i) => collect(b, i % 2 ? '/f/' : '/f/odd/', start));
      const revs: number[] = [];
      for (let i = 0; i < 50; i++) revs.push(await b.create(i % 2 ? `/f/odd/${i}` : `/f/even/${i}`, 'v'));
      const last = revs[revs.length - 1];
      for (const [i, c] of cs.entries()) {
        const evs = await c.until(last);
        const want = i % 2 ? revs : revs.filter((_, n) => n % 2 === 1);
        assert.deepEqual(evs.map((e) => e.kv.modRevision), want);
        c.stop();
      }
    });

    withBackend('compaction: old reads and watches fail with CompactedError, newer ones work', async (b) => {
      const r1 = await b.create('/k/a', '1');
      const r2 = (await b.update('/k/a', '2', r1)).revision;
      const r3 = await b.create('/k/b', 'b');
      const r4 = (await b.delete('/k/b')).revision;
      const r5 = (await b.update('/k/a', '3', r2)).revision;
      await b.compact(r5);
      await assert.rejects(b.get('/k/a', r1), (err) => err instanceof CompactedError && err.requested === r1);
      await assert.rejects(b.list('/k/', { revision: r3 }), CompactedError);
      await assert.rejects(b.get('/k/b', r4), CompactedError);
      const old = b.watch('/k/', { startRevision: r2 }, () => assert.fail('no events from a compacted watch'));
      await assert.rejects(old.done, (err) => err instanceof CompactedError && err.requested === r2 && err.compacted >= r5);
      assert.equal((await b.get('/k/a', r5))?.value, '3');
      assert.equal(await b.get('/k/b', r5), undefined);
      assert.deepEqual((await b.list('/k/', { revision: r5 })).kvs.map((kv) => kv.value), ['3']);
      // the compacted revision itself can still be watched from
      const w = collect(b, '/k/', r5);
      const r6 = await b.create('/k/c', 'c');
      const evs = await w.until(r6);
      assert.deepEqual(brief(evs), [`PUT /k/a ${r5}`, `PUT /k/c ${r6}`]);
      w.stop();
      await b.compact(r2); // older than the compacted revision: no-op
      await assert.rejects(b.compact(r6 + 1000), FutureRevisionError);
      assert.equal(await b.count('/k/'), 2);
      const r7 = (await b.update('/k/a', '4', r5)).revision;
      assert.ok(r7 > r6);
      await b.compact(r7);
      assert.deepEqual((await b.list('/k/')).kvs.map((kv) => `${kv.key}=${kv.value}`), ['/k/a=4', '/k/c=c']);
      assert.equal((await b.get('/k/a'))?.createRevision, r1);
    });
  });
}
