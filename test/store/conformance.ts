/**
 * The one conformance suite both store backends must pass: it pins down the etcd v3 semantics of the Store
 * interface (src/store/store.ts). Each test gets a fresh, empty store from the factory (for etcd: a fresh key prefix
 * on a shared etcd, so revisions are shared but keys are not; nothing else writes meanwhile).
 *
 * Compaction is not part of the Store interface; both backends have `compact(revision)` (etcd's compaction).
 */
import { waitFor } from '../../testkit/wait.js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CompactedError,
  StoreUnavailableError,
  type KeyValue,
  type Store,
  type WatchEvent,
} from '../../src/store/store.js';

type Compactable = Store & { compact(revision: number): void | Promise<void> };

const b = (s: string) => Buffer.from(s, 'utf8');
const str = (kv: KeyValue | undefined) => kv?.value.toString('utf8');

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Records watch batches; `events` is the flattened list. */
class Recorder {
  batches: WatchEvent[][] = [];
  errors: Error[] = [];
  onEvents = (events: WatchEvent[]) => {
    this.batches.push(events);
  };
  onError = (err: Error) => {
    this.errors.push(err);
  };
  get events(): WatchEvent[] {
    return this.batches.flat();
  }
  keys(): string[] {
    return this.events.map((e) => `${e.type} ${e.kv.key}`);
  }
  async waitEvents(n: number, timeoutMs?: number): Promise<void> {
    await waitFor(`${n} watch events (have ${this.events.length}: ${this.keys().join(', ')})`, () => this.events.length >= n, { timeoutMs, intervalMs: 5 });
  }
}

/** UTF-8 byte order, which is what etcd and the SQLite BLOB keys sort by (not JavaScript's UTF-16 order). */
function byteOrder(a: string, b2: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b2, 'utf8'));
}

export function storeConformance(name: string, factory: () => Promise<Store>): void {
  describe(`Store conformance: ${name}`, () => {
    const open: Store[] = [];
    async function fresh(): Promise<Store> {
      const store = await factory();
      open.push(store);
      return store;
    }
    afterEach(async () => {
      await Promise.all(open.splice(0).map((s) => s.close()));
    });

    it('puts, gets and deletes keys with create/mod revisions and versions', async () => {
      const s = await fresh();
      expect(await s.get('/k/a')).toBeUndefined();

      const r1 = await s.put('/k/a', b('one'));
      expect(r1.succeeded).toBe(true);
      const kv1 = await s.get('/k/a');
      expect(kv1).toEqual({ key: '/k/a', value: b('one'), createRevision: r1.revision, modRevision: r1.revision, version: 1 });

      const r2 = await s.put('/k/a', b('two'));
      expect(r2.revision).toBe(r1.revision + 1);
      expect(await s.get('/k/a')).toEqual({
        key: '/k/a',
        value: b('two'),
        createRevision: r1.revision,
        modRevision: r2.revision,
        version: 2,
      });

      const d = await s.delete('/k/a');
      expect(d.succeeded).toBe(true);
      expect(d.revision).toBe(r2.revision + 1);
      expect(d.deleted).toEqual({ key: '/k/a', value: b('two'), createRevision: r1.revision, modRevision: r2.revision, version: 2 });
      expect(await s.get('/k/a')).toBeUndefined();

      // Deleting what is absent changes nothing, not even the revision.
      const d2 = await s.delete('/k/a');
      expect(d2).toMatchObject({ succeeded: true, revision: d.revision });
      expect(d2.deleted).toBeUndefined();
      expect(await s.revision()).toBe(d.revision);

      // Re-created: a new life with version 1.
      const r3 = await s.put('/k/a', b('three'));
      expect(await s.get('/k/a')).toMatchObject({ createRevision: r3.revision, modRevision: r3.revision, version: 1 });
      expect(r3.revision).toBe(d.revision + 1);
    });

    it('has one global revision: +1 per write, unchanged by reads and no-op writes, shared by a transaction', async () => {
      const s = await fresh();
      const start = await s.revision();
      const p1 = await s.put('/rev/x', b('1'));
      expect(p1.revision).toBe(start + 1);
      const p2 = await s.put('/rev/y', b('1'));
      expect(p2.revision).toBe(start + 2);
      await s.get('/rev/x');
      await s.range('/rev/');
      await s.count('/rev/');
      expect(await s.revision()).toBe(start + 2);

      const t = await s.txn({
        then: [
          { type: 'put', key: '/rev/a', value: b('A') },
          { type: 'put', key: '/rev/x', value: b('2') },
          { type: 'delete', key: '/rev/y' },
        ],
      });
      expect(t).toEqual({ succeeded: true, revision: start + 3 });
      expect((await s.get('/rev/a'))!.modRevision).toBe(start + 3);
      expect((await s.get('/rev/x'))!).toMatchObject({ modRevision: start + 3, version: 2 });
      expect(await s.get('/rev/y')).toBeUndefined();

      // A transaction that writes nothing does not move the revision.
      expect(await s.txn({ then: [{ type: 'delete', key: '/rev/absent' }] })).toEqual({ succeeded: true, revision: start + 3 });
      expect(await s.txn({ if: [{ key: '/rev/x', modRevision: 1 }], then: [{ type: 'put', key: '/rev/z', value: b('z') }] })).toEqual({
        succeeded: false,
        revision: start + 3,
      });
      const page = await s.range('/rev/');
      expect(page.revision).toBe(start + 3);
      expect(await s.revision()).toBe(start + 3);
    });

    it('makes writes conditional on the mod revision (0 = absent) and returns the current key on conflict', async () => {
      const s = await fresh();
      const created = await s.put('/c/k', b('v1'), { ifModRevision: 0 });
      expect(created.succeeded).toBe(true);

      const again = await s.put('/c/k', b('other'), { ifModRevision: 0 });
      expect(again.succeeded).toBe(false);
      expect(again.revision).toBe(created.revision);
      expect(again.current).toMatchObject({ key: '/c/k', modRevision: created.revision, version: 1 });
      expect(str(again.current)).toBe('v1');

      const updated = await s.put('/c/k', b('v2'), { ifModRevision: created.revision });
      expect(updated.succeeded).toBe(true);

      const stale = await s.put('/c/k', b('v3'), { ifModRevision: created.revision });
      expect(stale.succeeded).toBe(false);
      expect(str(stale.current)).toBe('v2');
      expect(str(await s.get('/c/k'))).toBe('v2');

      const staleDelete = await s.delete('/c/k', { ifModRevision: created.revision });
      expect(staleDelete.succeeded).toBe(false);
      expect(staleDelete.current).toMatchObject({ modRevision: updated.revision });
      expect(await s.get('/c/k')).toBeDefined();

      const del = await s.delete('/c/k', { ifModRevision: updated.revision });
      expect(del.succeeded).toBe(true);
      expect(str(del.deleted)).toBe('v2');
      expect(await s.get('/c/k')).toBeUndefined();

      // A condition on a modRevision of an absent key fails, with no current key.
      const missing = await s.put('/c/k', b('v4'), { ifModRevision: updated.revision });
      expect(missing.succeeded).toBe(false);
      expect(missing.current).toBeUndefined();
      expect((await s.put('/c/k', b('v4'), { ifModRevision: 0 })).succeeded).toBe(true);
    });

    it('runs transactions: all conditions must hold for then, else otherwise, deletePrefix respects the prefix', async () => {
      const s = await fresh();
      const a = await s.put('/t/a/1', b('a1'));
      await s.put('/t/a/2', b('a2'));
      await s.put('/t/ab/1', b('ab1'));
      await s.put('/t/a', b('a'));
      const flag = await s.put('/t/flag', b('on'));

      const ok = await s.txn({
        if: [
          { key: '/t/flag', modRevision: flag.revision },
          { key: '/t/none', modRevision: 0 },
        ],
        then: [
          { type: 'deletePrefix', prefix: '/t/a/' },
          { type: 'put', key: '/t/done', value: b('yes') },
        ],
        else: [{ type: 'put', key: '/t/else', value: b('no') }],
      });
      expect(ok).toEqual({ succeeded: true, revision: flag.revision + 1 });
      expect((await s.range('/t/')).items.map((kv) => kv.key)).toEqual(['/t/a', '/t/ab/1', '/t/done', '/t/flag']);

      // One failing condition among several: the else branch runs, at one revision.
      const ko = await s.txn({
        if: [
          { key: '/t/flag', modRevision: flag.revision },
          { key: '/t/a/1', modRevision: a.revision }, // deleted meanwhile
        ],
        then: [{ type: 'put', key: '/t/then', value: b('x') }],
        else: [
          { type: 'put', key: '/t/else1', value: b('e1') },
          { type: 'put', key: '/t/else2', value: b('e2') },
          { type: 'delete', key: '/t/flag' },
        ],
      });
      expect(ko).toEqual({ succeeded: false, revision: flag.revision + 2 });
      expect(await s.get('/t/then')).toBeUndefined();
      expect((await s.get('/t/else1'))!.modRevision).toBe(flag.revision + 2);
      expect((await s.get('/t/else2'))!.modRevision).toBe(flag.revision + 2);
      expect(await s.get('/t/flag')).toBeUndefined();

      // No conditions: then runs.
      expect((await s.txn({ then: [{ type: 'deletePrefix', prefix: '/t/else' }] })).succeeded).toBe(true);
      expect(await s.count('/t/else')).toBe(0);
      expect(await s.count('/t/')).toBe(3);
    });

    it('rejects transactions etcd rejects (a key written twice in a branch, too many operations), writing nothing', async () => {
      const s = await fresh();
      await s.put('/v/a', b('0'));
      const before = await s.revision();
      const rejected = [
        { then: [{ type: 'put' as const, key: '/v/a', value: b('1') }, { type: 'put' as const, key: '/v/a', value: b('2') }] },
        { then: [{ type: 'put' as const, key: '/v/a', value: b('1') }, { type: 'delete' as const, key: '/v/a' }] },
        { then: [{ type: 'put' as const, key: '/v/a', value: b('1') }, { type: 'deletePrefix' as const, prefix: '/v/' }] },
        // the branch that would not run is checked too
        { then: [], else: [{ type: 'put' as const, key: '/v/b', value: b('1') }, { type: 'put' as const, key: '/v/b', value: b('2') }] },
      ];
      for (const req of rejected) {
        const err = await s.txn(req).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err, JSON.stringify(req)).toBeInstanceOf(Error);
        expect(err).not.toBeInstanceOf(StoreUnavailableError);
        expect((err as Error).message).toMatch(/duplicate key given in txn request/);
      }
      const tooMany = Array.from({ length: 129 }, (_, i) => ({ type: 'put' as const, key: `/v/many/${i}`, value: b('x') }));
      await expect(s.txn({ then: tooMany })).rejects.toThrow(/too many operations in txn request/);
      expect(await s.revision()).toBe(before);
      expect(str(await s.get('/v/a'))).toBe('0');
      expect(await s.count('/v/many/')).toBe(0);

      // Two deletes of overlapping keys are fine (etcd allows it), and 128 operations are fine.
      expect((await s.txn({ then: [{ type: 'delete', key: '/v/a' }, { type: 'deletePrefix', prefix: '/v/' }] })).succeeded).toBe(true);
      expect((await s.txn({ then: tooMany.slice(0, 128) })).revision).toBe(before + 2);
      expect(await s.count('/v/many/')).toBe(128);
    });

    it('ranges in UTF-8 byte order, including non-ASCII keys', async () => {
      const s = await fresh();
      // JavaScript sorts by UTF-16 code units, which puts U+1F600 before U+FF21; UTF-8 byte order does not.
      const keys = ['/o/z', '/o/Z', '/o/é', '/o/€', '/o/😀', '/o/Ａ', '/o/a b', '/o/a', '/o/a/', '/o/0', '/o/ÿ', '/o/~'];
      for (const key of [...keys].reverse()) await s.put(key, b(key));
      const expected = [...keys].sort(byteOrder);
      expect(expected.indexOf('/o/Ａ')).toBeLessThan(expected.indexOf('/o/😀'));
      const got = await s.range('/o/');
      expect(got.items.map((kv) => kv.key)).toEqual(expected);
      expect(got.items.map((kv) => kv.value.toString('utf8'))).toEqual(expected);
      expect(got.more).toBe(false);
      // Paging through the same keys one at a time visits them in the same order.
      const paged: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await s.range('/o/', { limit: 1, ...(after !== undefined ? { after } : {}) });
        paged.push(...page.items.map((kv) => kv.key));
        if (!page.more) break;
        after = page.items[0]!.key;
      }
      expect(paged).toEqual(expected);
      // A non-ASCII prefix is a byte prefix.
      expect((await s.range('/o/a')).items.map((kv) => kv.key)).toEqual(['/o/a', '/o/a b', '/o/a/']);
    });

    it('pages through a prefix with limit/after/more without leaking into neighbouring prefixes', async () => {
      const s = await fresh();
      const inside = Array.from({ length: 23 }, (_, i) => `/p/a/${String(i).padStart(2, '0')}`);
      // Neighbours on both sides: "/p/a." < "/p/a/" and "/p/a0" is exactly the prefix's range end.
      const neighbours = ['/p/a', '/p/a.', '/p/a0', '/p/ab/1', '/p/ab', '/p/b/1', '/p/'];
      for (const key of [...neighbours, ...inside]) await s.put(key, b(key));

      const collect = async (limit: number) => {
        const pages: Array<{ keys: string[]; more: boolean }> = [];
        let after: string | undefined;
        for (let guard = 0; guard < 100; guard++) {
          const page = await s.range('/p/a/', { limit, ...(after !== undefined ? { after } : {}) });
          pages.push({ keys: page.items.map((kv) => kv.key), more: page.more });
          if (!page.more) return pages;
          after = page.items[page.items.length - 1]!.key;
        }
        throw new Error('paging did not end');
      };
      const by7 = await collect(7);
      expect(by7.map((p) => p.keys.length)).toEqual([7, 7, 7, 2]);
      expect(by7.map((p) => p.more)).toEqual([true, true, true, false]);
      expect(by7.flatMap((p) => p.keys)).toEqual(inside);

      // A limit that divides the count exactly: the last full page says there is nothing more.
      const by23 = await collect(23);
      expect(by23).toEqual([{ keys: inside, more: false }]);
      const by10 = await collect(10);
      expect(by10.map((p) => p.more)).toEqual([true, true, false]);

      // No limit (or 0) is everything; `after` the last key is an empty page.
      expect((await s.range('/p/a/')).items.map((kv) => kv.key)).toEqual(inside);
      expect((await s.range('/p/a/', { limit: 0 })).items).toHaveLength(23);
      expect(await s.range('/p/a/', { after: inside[22]! })).toMatchObject({ items: [], more: false });
      expect((await s.range('/p/a/', { after: inside[20]! })).items.map((kv) => kv.key)).toEqual(inside.slice(21));
      await expect(s.range('/p/a/', { after: '/p/ab/1' })).rejects.toThrow(RangeError);

      expect(await s.count('/p/a/')).toBe(23);
      expect(await s.count('/p/ab')).toBe(2);
      expect(await s.count('/p/a')).toBe(23 + 5);
      expect(await s.count('/p/')).toBe(30);
      expect(await s.count('/p/zzz')).toBe(0);
      expect(await s.count('')).toBe(30);
      expect((await s.range('')).items).toHaveLength(30);
    });

    it('lists keys only, with revisions but empty values', async () => {
      const s = await fresh();
      const p = await s.put('/ko/1', b('value-1'));
      await s.put('/ko/1', b('value-1b'));
      await s.put('/ko/2', b('value-2'));
      const res = await s.range('/ko/', { keysOnly: true });
      expect(res.items.map((kv) => kv.key)).toEqual(['/ko/1', '/ko/2']);
      for (const kv of res.items) expect(kv.value.length).toBe(0);
      expect(res.items[0]).toMatchObject({ createRevision: p.revision, modRevision: p.revision + 1, version: 2 });
      expect(str((await s.range('/ko/')).items[0])).toBe('value-1b');
    });

    it('stores values as raw bytes', async () => {
      const s = await fresh();
      const values: Record<string, Buffer> = {
        '/bin/zeros': Buffer.from([0, 0, 0, 0]),
        '/bin/high': Buffer.from([0xff, 0xfe, 0x80, 0xc3, 0x28]), // not UTF-8
        '/bin/empty': Buffer.alloc(0),
        '/bin/big': Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 7919) % 256)),
        '/bin/k8s': Buffer.concat([b('k8s:enc:kmsv2:v1:key:'), Buffer.from([0x0a, 0x00, 0xff, 0x12])]),
      };
      for (const [key, value] of Object.entries(values)) await s.put(key, value);
      for (const [key, value] of Object.entries(values)) {
        const kv = await s.get(key);
        expect(kv, key).toBeDefined();
        expect(Buffer.compare(kv!.value, value), key).toBe(0);
      }
      const listed = await s.range('/bin/');
      for (const kv of listed.items) expect(Buffer.compare(kv.value, values[kv.key]!), kv.key).toBe(0);
      // A caller reusing its buffer after the put does not change what was stored.
      const reused = Buffer.from('original');
      await s.put('/bin/reused', reused);
      reused.write('changed!');
      expect(str(await s.get('/bin/reused'))).toBe('original');
    });

    it('watches new events under a prefix: one batch per revision, put prevKv, delete tombstone with prevKv', async () => {
      const s = await fresh();
      const first = await s.put('/w/a', b('a0'));
      const rec = new Recorder();
      const w = await s.watch('/w/', {}, rec.onEvents, rec.onError);
      try {
        await s.put('/wx/outside', b('no')); // neighbour prefix
        await s.put('/w', b('no')); // the prefix without its slash
        const upd = await s.put('/w/a', b('a1'));
        const txn = await s.txn({
          then: [
            { type: 'put', key: '/w/b', value: b('b1') },
            { type: 'put', key: '/wx/also-outside', value: b('no') },
            { type: 'put', key: '/w/c', value: b('c1') },
          ],
        });
        const del = await s.delete('/w/a');
        // The watcher gets the value as written, even if the caller reuses its buffer right away.
        const reused = Buffer.from('d-original');
        await s.put('/w/d', reused);
        reused.write('d-changed!');
        await rec.waitEvents(5);
        await sleep(50);
        expect(rec.errors).toEqual([]);
        expect(rec.batches.map((batch) => batch.map((e) => `${e.type} ${e.kv.key}`))).toEqual([
          ['put /w/a'],
          ['put /w/b', 'put /w/c'],
          ['delete /w/a'],
          ['put /w/d'],
        ]);
        expect(str(rec.events[4]!.kv)).toBe('d-original');
        const [put, b1, c1, tomb] = rec.events;
        expect(put!.kv).toEqual({ key: '/w/a', value: b('a1'), createRevision: first.revision, modRevision: upd.revision, version: 2 });
        expect(put!.prevKv).toEqual({ key: '/w/a', value: b('a0'), createRevision: first.revision, modRevision: first.revision, version: 1 });
        expect(b1!.kv.modRevision).toBe(txn.revision);
        expect(c1!.kv.modRevision).toBe(txn.revision);
        expect(b1!.prevKv).toBeUndefined(); // a create has no previous value
        expect(tomb!.kv).toEqual({ key: '/w/a', value: Buffer.alloc(0), createRevision: 0, modRevision: del.revision, version: 0 });
        expect(tomb!.prevKv).toEqual({ key: '/w/a', value: b('a1'), createRevision: first.revision, modRevision: upd.revision, version: 2 });
      } finally {
        w.cancel();
      }
    });

    it('watches from a past revision: replays history in order, then follows live writes without gaps or repeats', async () => {
      const s = await fresh();
      const revs: number[] = [];
      revs.push((await s.put('/h/a', b('1'))).revision);
      revs.push((await s.put('/h/b', b('1'))).revision);
      revs.push((await s.put('/h/a', b('2'))).revision);
      revs.push((await s.delete('/h/b')).revision);
      revs.push((await s.txn({ then: [{ type: 'put', key: '/h/c', value: b('1') }, { type: 'put', key: '/h/d', value: b('1') }] })).revision);
      await s.put('/other/x', b('not watched'));

      const rec = new Recorder();
      const w = await s.watch('/h/', { fromRevision: revs[1]! }, rec.onEvents, rec.onError);
      try {
        await rec.waitEvents(5);
        const live = await s.put('/h/a', b('3'));
        await rec.waitEvents(6);
        await sleep(50);
        expect(rec.errors).toEqual([]);
        expect(rec.batches.map((batch) => batch.map((e) => `${e.type} ${e.kv.key} @${e.kv.modRevision}`))).toEqual([
          [`put /h/b @${revs[1]}`],
          [`put /h/a @${revs[2]}`],
          [`delete /h/b @${revs[3]}`],
          [`put /h/c @${revs[4]}`, `put /h/d @${revs[4]}`],
          [`put /h/a @${live.revision}`],
        ]);
        const events = rec.events;
        // Replayed events carry the same previous key-values as live ones.
        expect(str(events[1]!.prevKv)).toBe('1'); // /h/a 1 -> 2
        expect(events[1]!.prevKv!.modRevision).toBe(revs[0]);
        expect(str(events[2]!.prevKv)).toBe('1'); // deleted /h/b
        expect(events[2]!.prevKv!.modRevision).toBe(revs[1]);
        expect(events[0]!.prevKv).toBeUndefined(); // /h/b created
        expect(str(events[5]!.prevKv)).toBe('2');
        const seen = events.map((e) => e.kv.modRevision);
        expect([...seen].sort((x, y) => x - y)).toEqual(seen);
      } finally {
        w.cancel();
      }
    });

    it('watches from a future revision: nothing before it is delivered', async () => {
      const s = await fresh();
      const now = await s.revision();
      const rec = new Recorder();
      // fromRevision 0 means "from now on", as in etcd (it is not a compacted revision).
      const zero = new Recorder();
      const wz = await s.watch('/f/', { fromRevision: 0 }, zero.onEvents, zero.onError);
      const w = await s.watch('/f/', { fromRevision: now + 3 }, rec.onEvents, rec.onError);
      try {
        await s.put('/f/1', b('1'));
        await s.put('/f/2', b('2'));
        const third = await s.put('/f/3', b('3'));
        expect(third.revision).toBe(now + 3);
        await rec.waitEvents(1);
        await zero.waitEvents(3);
        await sleep(50);
        expect(rec.keys()).toEqual(['put /f/3']);
        expect(zero.keys()).toEqual(['put /f/1', 'put /f/2', 'put /f/3']);
      } finally {
        w.cancel();
        wz.cancel();
      }
    });

    it('stops delivering once a watch is cancelled; other watches are not affected', async () => {
      const s = await fresh();
      const recA = new Recorder();
      const recB = new Recorder();
      const a = await s.watch('/x/', {}, recA.onEvents, recA.onError);
      const bw = await s.watch('/x/', {}, recB.onEvents, recB.onError);
      try {
        await s.put('/x/1', b('1'));
        await recA.waitEvents(1);
        await recB.waitEvents(1);
        a.cancel();
        a.cancel(); // idempotent
        await s.put('/x/2', b('2'));
        await s.put('/x/3', b('3'));
        await recB.waitEvents(3);
        await sleep(100);
        expect(recA.keys()).toEqual(['put /x/1']);
        expect(recB.keys()).toEqual(['put /x/1', 'put /x/2', 'put /x/3']);
      } finally {
        bw.cancel();
      }
    });

    it('fails a watch on compacted history with CompactedError, and can still watch from the compaction revision', async () => {
      const s = (await fresh()) as Compactable;
      expect(typeof s.compact).toBe('function');
      const old = await s.put('/cp/a', b('1'));
      await s.put('/cp/a', b('2'));
      const kept = await s.put('/cp/b', b('1'));
      await s.put('/cp/c', b('1'));
      await s.compact(kept.revision);
      await s.compact(kept.revision); // again: a no-op

      const err = await s.watch('/cp/', { fromRevision: old.revision }, () => undefined).then(
        (w) => {
          w.cancel();
          return undefined;
        },
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(CompactedError);
      expect(err).toMatchObject({ requested: old.revision, compactRevision: kept.revision });

      const rec = new Recorder();
      const w = await s.watch('/cp/', { fromRevision: kept.revision }, rec.onEvents, rec.onError);
      try {
        await rec.waitEvents(2);
        expect(rec.keys()).toEqual(['put /cp/b', 'put /cp/c']);
      } finally {
        w.cancel();
      }
      // The current values survive compaction; only history is gone.
      expect(str(await s.get('/cp/a'))).toBe('2');
      await expect(Promise.resolve().then(() => s.compact((kept.revision + 1000)))).rejects.toThrow(/future revision/);
    });

    it('lets exactly one of many concurrent conditional writers win, and serialises read-modify-write', async () => {
      const s = await fresh();
      const base = await s.put('/cas/k', b('base'));
      const attempts = await Promise.all(
        Array.from({ length: 12 }, (_, i) => s.put('/cas/k', b(`writer-${i}`), { ifModRevision: base.revision })),
      );
      const winners = attempts.filter((r) => r.succeeded);
      expect(winners).toHaveLength(1);
      const winnerValue = str(await s.get('/cas/k'));
      for (const r of attempts.filter((x) => !x.succeeded)) {
        expect(str(r.current)).toBe(winnerValue);
        expect(r.current!.modRevision).toBe(winners[0]!.revision);
      }

      // Creates of the same key: one wins.
      const creates = await Promise.all(Array.from({ length: 8 }, (_, i) => s.put('/cas/new', b(`c${i}`), { ifModRevision: 0 })));
      expect(creates.filter((r) => r.succeeded)).toHaveLength(1);

      // A counter incremented by 6 workers x 8 times with compare-and-swap ends at exactly 48.
      const increment = async () => {
        for (;;) {
          const cur = await s.get('/cas/counter');
          const n = cur ? Number(cur.value.toString()) : 0;
          const res = await s.put('/cas/counter', b(String(n + 1)), { ifModRevision: cur?.modRevision ?? 0 });
          if (res.succeeded) return;
        }
      };
      await Promise.all(
        Array.from({ length: 6 }, async () => {
          for (let i = 0; i < 8; i++) await increment();
        }),
      );
      const counter = await s.get('/cas/counter');
      expect(str(counter)).toBe('48');
      expect(counter!.version).toBe(48);
    });

    it('reports what a delete really deleted when a put races with it', async () => {
      const s = await fresh();
      for (let round = 0; round < 10; round++) {
        const key = `/race/${round}`;
        const first = await s.put(key, b('first'));
        const [del, put] = await Promise.all([s.delete(key), s.put(key, b('second'))]);
        const now = await s.get(key);
        if (del.revision > put.revision) {
          // The put came first: the delete removed "second", and the key is gone.
          expect(str(del.deleted)).toBe('second');
          expect(del.deleted!.modRevision).toBe(put.revision);
          expect(now).toBeUndefined();
        } else {
          expect(str(del.deleted)).toBe('first');
          expect(del.deleted!.modRevision).toBe(first.revision);
          expect(now).toMatchObject({ modRevision: put.revision, version: 1 });
        }
      }
    });
  });
}
