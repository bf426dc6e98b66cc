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
