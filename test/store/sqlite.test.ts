import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { storeConformance } from './conformance.js';

const dir = mkdtempSync(join(tmpdir(), 'aksemu-sqlite-'));
let n = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

storeConformance('sqlite', async () => new SqliteStore(join(dir, `conformance-${++n}.db`)));

describe('SqliteStore specifics', () => {
  it('resumes revisions, keys and watch history after a reopen', async () => {
    const path = join(dir, 'reopen.db');
    const a = new SqliteStore(path);
    await a.put('/r/1', Buffer.from('x'));
    const last = await a.put('/r/1', Buffer.from('y'));
    await a.close();

    const b = new SqliteStore(path);
    expect(await b.revision()).toBe(last.revision);
    expect(await b.get('/r/1')).toMatchObject({ version: 2, modRevision: last.revision });
    const next = await b.put('/r/2', Buffer.from('z'));
    expect(next.revision).toBe(last.revision + 1);
    const seen: string[] = [];
    const w = await b.watch('/r/', { fromRevision: 1 }, (events) => seen.push(...events.map((e) => `${e.kv.key}@${e.kv.modRevision}`)));
    await new Promise((r) => setTimeout(r, 20));
    w.cancel();
    expect(seen).toEqual([`/r/1@${last.revision - 1}`, `/r/1@${last.revision}`, `/r/2@${next.revision}`]);
    await b.close();
  });

  it('opens read-only beside a writer and sees its commits', async () => {
    const path = join(dir, 'ro.db');
    const writer = new SqliteStore(path);
    await writer.put('/ro/a', Buffer.from('1'));
    const reader = new SqliteStore(path, { readonly: true });
    expect((await reader.get('/ro/a'))?.value.toString()).toBe('1');
    await writer.put('/ro/b', Buffer.from('2'));
    expect(await reader.count('/ro/')).toBe(2);
    expect(await reader.revision()).toBe(await writer.revision());
    await expect(reader.put('/ro/c', Buffer.from('3'))).rejects.toThrow(/read-only/);
    await reader.close();
    await writer.close();
  });

  it('keeps a bounded watch history (automatic compaction)', async () => {
    const s = new SqliteStore(join(dir, 'history.db'), { historyRevisions: 50 });
    for (let i = 0; i < 1000; i++) await s.put(`/hist/${i % 10}`, Buffer.from(String(i)));
    // Compaction runs every 1000 writes and keeps the last 50 revisions.
    await expect(s.watch('/hist/', { fromRevision: 1 }, () => undefined)).rejects.toMatchObject({
      name: 'CompactedError',
      compactRevision: 950,
    });
    const w = await s.watch('/hist/', { fromRevision: 950 }, () => undefined);
    w.cancel();
    await s.close();
  });
});

describe('SqliteStore WAL checkpointer', () => {
  it('is not started by a store that writes little', async () => {
    const s = new SqliteStore(join(dir, 'little.db'));
    for (let i = 0; i < 20; i++) await s.put(`/little/${i}`, Buffer.from('x'));
    expect(s.checkpointer?.running).toBe(false);
    expect(s.checkpointer?.checkpoints).toBe(0);
    await s.close();
  });

  it('checkpoints on its own thread under sustained writes; the data and the WAL end up sound', async () => {
    const path = join(dir, 'checkpointer.db');
    const s = new SqliteStore(path, { checkpointer: { startAfterOps: 500, gatherMs: 5 } });
    const value = Buffer.alloc(2000, 7);
    const writeBatch = (b: number) =>
      s.txn({ then: Array.from({ length: 100 }, (_, j) => ({ type: 'put' as const, key: `/ckpt/${String(b * 100 + j).padStart(6, '0')}`, value })) });
    for (let b = 0; b < 4; b++) await writeBatch(b);
    expect(s.checkpointer?.running).toBe(false);
    await writeBatch(4);
    expect(s.checkpointer?.running).toBe(true);
    for (let b = 5; b < 60; b++) await writeBatch(b);
    for (let i = 0; i < 300 && (s.checkpointer?.checkpoints ?? 0) === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(s.checkpointer!.checkpoints).toBeGreaterThan(0);
    // A second connection sees a sound database with every write while the worker is attached.
    const raw = new Database(path, { readonly: true });
    expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
    raw.close();
    await s.close();
    // The writer closes after the worker's connection, so the WAL is folded in and removed.
    expect(existsSync(`${path}-wal`)).toBe(false);
    const again = new SqliteStore(path);
    expect(await again.count('/ckpt/')).toBe(6000);
    expect((await again.get('/ckpt/005999'))?.value.equals(value)).toBe(true);
    await again.close();
  });
});

describe('SqliteStore layout (schema 3: each value stored once, in the history)', () => {
  /** The events table as "<revision>[/restored] <put|delete> <value>", in history order. */
  const history = (path: string) => {
    const raw = new Database(path, { readonly: true });
    try {
      const rows = raw.prepare('SELECT revision, seq, type, CAST(value AS TEXT) AS value FROM events ORDER BY revision, seq').all() as Array<{ revision: number; seq: number; type: number; value: string }>;
      return rows.map((r) => `${r.revision}${r.seq < 0 ? '/restored' : ''} ${r.type === 0 ? 'put' : 'delete'} ${r.value}`);
    } finally {
      raw.close();
    }
  };

  const eventsRows = (path: string) => {
    const raw = new Database(path, { readonly: true });
    try {
      return (raw.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
    } finally {
      raw.close();
    }
  };

  it('keeps the events that hold current values through compaction, and drops them once superseded', async () => {
    const path = join(dir, 'layout-compaction.db');
    const s = new SqliteStore(path, { historyRevisions: 50 });
    const early = await s.put('/layout/early', Buffer.from('written once, long ago'));
    for (let i = 0; i < 1000; i++) await s.put(`/layout/busy/${i % 10}`, Buffer.from(String(i)));
    // Compacted to revision 950 at the 1,000th write: what is left is revisions 950-1001 and the early key's value.
    await expect(s.watch('/layout/', { fromRevision: early.revision }, () => undefined)).rejects.toMatchObject({ name: 'CompactedError', compactRevision: 950 });
    expect(eventsRows(path)).toBe(52 + 1);
    expect(await s.get('/layout/early')).toMatchObject({ modRevision: early.revision, version: 1 });
    expect((await s.get('/layout/early'))?.value.toString()).toBe('written once, long ago');
    expect((await s.range('/layout/')).items.map((kv) => kv.value.toString())).toEqual([
      '990', '991', '992', '993', '994', '995', '996', '997', '998', '999', 'written once, long ago',
    ]);
    // Overwriting the early key drops its old event (no watch may ask for it any more) and adds the new one.
    await s.put('/layout/early', Buffer.from('again'));
    expect(eventsRows(path)).toBe(53 + 1 - 1);
    expect((await s.get('/layout/early'))?.value.toString()).toBe('again');
    await s.close();
  });

  it('converts a database written with schema 1 (values in kv and events) when a writer opens it', async () => {
    const path = join(dir, 'legacy.db');
    const raw = new Database(path);
    raw.exec(`
      CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE kv (key BLOB PRIMARY KEY, value BLOB NOT NULL, create_rev INTEGER NOT NULL, mod_rev INTEGER NOT NULL, version INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE events (revision INTEGER NOT NULL, seq INTEGER NOT NULL, key BLOB NOT NULL, type INTEGER NOT NULL, value BLOB NOT NULL,
        create_rev INTEGER NOT NULL, mod_rev INTEGER NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (revision, seq)) WITHOUT ROWID;
      CREATE INDEX events_by_key ON events (key, revision);
    `);
    const b = (t: string) => Buffer.from(t);
    // Revisions 1-2 were compacted away: /old/a and /old/b (both written at revision 2) only live in kv.
    const kv = raw.prepare('INSERT INTO kv VALUES (?, ?, ?, ?, ?)');
    kv.run(b('/old/a'), b('a@2'), 1, 2, 2);
    kv.run(b('/old/b'), b('b@2'), 2, 2, 1);
    kv.run(b('/old/c'), b('c@4'), 3, 4, 2);
    const ev = raw.prepare('INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    ev.run(3, 0, b('/old/c'), 0, b('c@3'), 3, 3, 1);
    ev.run(4, 0, b('/old/c'), 0, b('c@4'), 3, 4, 2);
    raw.prepare('INSERT INTO meta VALUES (?, ?)').run('revision', 4);
    raw.prepare('INSERT INTO meta VALUES (?, ?)').run('compact_revision', 3);
    raw.close();

    const legacyReader = new SqliteStore(path, { readonly: true });
    expect((await legacyReader.get('/old/a'))?.value.toString()).toBe('a@2');
    await legacyReader.close();

    const s = new SqliteStore(path);
    expect(await s.revision()).toBe(4);
    // The history kept its order and gained the two values whose events had been compacted away (seq < 0).
    expect(history(path)).toEqual(['2/restored put a@2', '2/restored put b@2', '3 put c@3', '4 put c@4']);
    const items = (await s.range('/old/')).items;
    expect(items.map((i) => [i.key, i.value.toString(), i.createRevision, i.modRevision, i.version])).toEqual([
      ['/old/a', 'a@2', 1, 2, 2],
      ['/old/b', 'b@2', 2, 2, 1],
      ['/old/c', 'c@4', 3, 4, 2],
    ]);
    const replayed: string[] = [];
    const w = await s.watch('/old/', { fromRevision: 3 }, (events) => replayed.push(...events.map((e) => `${e.kv.key}=${e.kv.value}@${e.kv.modRevision}`)));
    await new Promise((r) => setTimeout(r, 20));
    w.cancel();
    expect(replayed).toEqual(['/old/c=c@3@3', '/old/c=c@4@4']);
    const put = await s.put('/old/a', b('a@5'));
    expect(put.revision).toBe(5);
    expect(await s.get('/old/a')).toMatchObject({ version: 3, createRevision: 1, modRevision: 5 });
    const del = await s.delete('/old/b');
    expect(del.deleted?.value.toString()).toBe('b@2');
    await s.close();

    const check = new Database(path, { readonly: true });
    expect(check.prepare("SELECT value FROM meta WHERE name = 'schema'").get()).toEqual({ value: 3 });
    expect((check.prepare("SELECT name FROM pragma_table_info('kv')").all() as Array<{ name: string }>).map((c) => c.name)).toEqual([
      'key', 'create_rev', 'mod_rev', 'version', 'event_id',
    ]);
    check.close();
    // The restored events went once their keys were written again (they were below the compaction revision).
    expect(history(path)).toEqual(['3 put c@3', '4 put c@4', '5 put a@5', '6 delete b@2']);
  });

  it('converts a database of the unreleased schema 2 (kv pointing at revision and seq)', async () => {
    const path = join(dir, 'schema2.db');
    const raw = new Database(path);
    raw.exec(`
      CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE events (revision INTEGER NOT NULL, seq INTEGER NOT NULL, key BLOB NOT NULL, type INTEGER NOT NULL, value BLOB NOT NULL,
        create_rev INTEGER NOT NULL, mod_rev INTEGER NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (revision, seq)) WITHOUT ROWID;
      CREATE INDEX events_by_key ON events (key, revision);
      CREATE TABLE kv (key BLOB PRIMARY KEY, create_rev INTEGER NOT NULL, mod_rev INTEGER NOT NULL, mod_seq INTEGER NOT NULL, version INTEGER NOT NULL) WITHOUT ROWID;
    `);
    const b = (t: string) => Buffer.from(t);
    const ev = raw.prepare('INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    ev.run(1, 0, b('/two/x'), 0, b('x@1'), 1, 1, 1);
    ev.run(1, 1, b('/two/y'), 0, b('y@1'), 1, 1, 1);
    ev.run(2, 0, b('/two/x'), 0, b('x@2'), 1, 2, 2);
    const kv = raw.prepare('INSERT INTO kv VALUES (?, ?, ?, ?, ?)');
    kv.run(b('/two/x'), 1, 2, 0, 2);
    kv.run(b('/two/y'), 1, 1, 1, 1);
    raw.prepare('INSERT INTO meta VALUES (?, ?)').run('revision', 2);
    raw.prepare('INSERT INTO meta VALUES (?, ?)').run('schema', 2);
    raw.close();

    const s = new SqliteStore(path);
    expect((await s.range('/two/')).items.map((i) => `${i.key}=${i.value}@${i.modRevision}/v${i.version}`)).toEqual(['/two/x=x@2@2/v2', '/two/y=y@1@1/v1']);
    expect(history(path)).toEqual(['1 put x@1', '1 put y@1', '2 put x@2']);
    expect((await s.put('/two/y', b('y@3'))).revision).toBe(3);
    await s.close();
  });

  it('refuses a database written by a newer schema', async () => {
    const path = join(dir, 'future.db');
    const s = new SqliteStore(path);
    await s.put('/f', Buffer.from('1'));
    await s.close();
    const raw = new Database(path);
    raw.prepare("UPDATE meta SET value = 99 WHERE name = 'schema'").run();
    raw.close();
    expect(() => new SqliteStore(path)).toThrow(/newer aksemu \(store schema 99/);
  });
});
