/**
 * SPEC R-3: once a value is overwritten (a secret's plaintext re-encrypted when KMS is enabled), no copy of it
 * stays in any file of the data directory after the store's upkeep has run: the history is compacted, the freed
 * pages are zeroed (secure_delete) and the WAL is checkpointed and truncated. The controls show what each part
 * prevents: without the upkeep the history still holds the value; without secure_delete the freed page does.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EtcdStore } from '../../src/store/etcd-store.js';
import { SqliteStore, type SqliteStoreOptions } from '../../src/store/sqlite-store.js';
import { startTestEmulator } from '../../testkit/emulator.js';
import { EtcdCluster } from '../../testkit/etcd.js';
import { describeWith } from '../../testkit/optional.js';
import { waitFor } from '../../testkit/wait.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Occurrences of `needle` in every file under `dir`. */
function occurrences(dir: string, needle: Buffer): number {
  let n = 0;
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const file = join(dir, name);
    if (!statSync(file).isFile()) continue;
    const bytes = readFileSync(file);
    for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + 1)) n++;
  }
  return n;
}

/** A secret-like value: a unique marker inside `size` bytes (a large one spills into overflow pages). */
function secretValue(marker: Buffer, size: number): Buffer {
  const value = Buffer.alloc(size, 'x');
  for (let at = 0; at + marker.length <= size; at += 1500) marker.copy(value, at);
  return value;
}

/** Writes the secret, some neighbours, then overwrites the secret with other bytes; returns the open store. */
async function writeAndOverwrite(opts: SqliteStoreOptions, size: number): Promise<{ dir: string; store: SqliteStore; marker: Buffer }> {
  const dir = mkdtempSync(join(tmpdir(), 'aksemu-at-rest-'));
  dirs.push(dir);
  const marker = Buffer.from(`plaintext-${randomBytes(12).toString('hex')}`);
  const store = new SqliteStore(join(dir, 'store.db'), { maintenanceIntervalMs: 0, ...opts });
  await store.put('/clusters/c1/registry/secrets/default/before', Buffer.from('a neighbour written before'));
  await store.put('/clusters/c1/registry/secrets/default/s', secretValue(marker, size));
  await store.put('/clusters/c1/registry/secrets/default/after', Buffer.from('a neighbour written after'));
  const check = await store.get('/clusters/c1/registry/secrets/default/s');
  expect(check?.value.includes(marker)).toBe(true);
  await store.put('/clusters/c1/registry/secrets/default/s', Buffer.concat([Buffer.from('k8s:enc:kms:v2:key1:'), randomBytes(size)]));
  return { dir, store, marker };
}

describe('no superseded value stays in the data directory (SPEC R-3)', () => {
  for (const [what, size] of [['a secret-sized value', 600], ['a value spilling into overflow pages', 20_000]] as const) {
    it(`${what}: gone after two upkeep passes, while the store is open and after it is closed`, async () => {
      const { dir, store, marker } = await writeAndOverwrite({}, size);
      store.maintain(); // the first pass marks the revision; the second compacts up to it
      store.maintain();
      expect(occurrences(dir, marker)).toBe(0);
      // The store still works, and what is current is intact.
      expect((await store.get('/clusters/c1/registry/secrets/default/after'))?.value.toString()).toBe('a neighbour written after');
      await store.put('/clusters/c1/registry/secrets/default/next', Buffer.from('more'));
      await store.close();
      expect(occurrences(dir, marker)).toBe(0);
      const again = new SqliteStore(join(dir, 'store.db'), { maintenanceIntervalMs: 0 });
      expect((await again.get('/clusters/c1/registry/secrets/default/s'))?.value.subarray(0, 20).toString()).toBe('k8s:enc:kms:v2:key1:');
      await again.close();
    });
  }

  it('control: without the upkeep, the history keeps the overwritten value', async () => {
    const { dir, store, marker } = await writeAndOverwrite({}, 600);
    expect(occurrences(dir, marker)).toBeGreaterThan(0);
    await store.close();
    expect(occurrences(dir, marker)).toBeGreaterThan(0);
  });

  it('control: without secure_delete, the compacted value survives in a freed page', async () => {
    const { dir, store, marker } = await writeAndOverwrite({ secureDelete: false }, 600);
    store.maintain();
    store.maintain();
    expect(occurrences(dir, marker)).toBeGreaterThan(0);
    await store.close();
  });

  it('compaction removes every superseded revision of a key, keeps the current one and later history', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aksemu-at-rest-'));
    dirs.push(dir);
    const store = new SqliteStore(join(dir, 'store.db'), { maintenanceIntervalMs: 0 });
    for (let i = 0; i < 5; i++) await store.put('/k', Buffer.from(`v${i}`));
    store.maintain();
    const mark = await store.revision();
    await store.put('/k', Buffer.from('v5'));
    store.maintain();
    // History from the mark on is kept for watches; what is before it is gone (410 for a watch asking for it).
    const seen: string[] = [];
    const w = await store.watch('/k', { fromRevision: mark }, (events) => seen.push(...events.map((e) => e.kv.value.toString())));
    await new Promise((r) => setTimeout(r, 20));
    w.cancel();
    expect(seen).toEqual(['v4', 'v5']);
    await expect(store.watch('/k', { fromRevision: mark - 1 }, () => undefined)).rejects.toThrow(/compacted/);
    expect((await store.get('/k'))?.value.toString()).toBe('v5');
    await store.close();
  });

  it('in a running emulator: a secret written through its store, overwritten, is in no file of the data directory after its upkeep', async () => {
    const emu = await startTestEmulator();
    dirs.push(emu.dataDir);
    try {
      const store = emu.core.store as SqliteStore;
      const marker = Buffer.from(`plaintext-${randomBytes(12).toString('hex')}`);
      const key = '/clusters/c1/registry/secrets/default/db-password';
      await store.put(key, secretValue(marker, 900));
      await store.put(key, Buffer.concat([Buffer.from('k8s:enc:kms:v2:key1:'), randomBytes(900)]));
      expect(occurrences(emu.dataDir, marker)).toBeGreaterThan(0); // the history still holds it
      store.maintain(); // what the store's five-minute timer runs, twice
      store.maintain();
      expect(occurrences(emu.dataDir, marker)).toBe(0);
    } finally {
      await emu.close();
    }
    expect(occurrences(emu.dataDir, Buffer.from('plaintext-'))).toBe(0);
  });
});

describeWith(['etcd'], 'what an etcd store keeps of a superseded value (SPEC R-3)', () => {
  it('purgeHistory compacts and defragments: the value leaves the bbolt file; etcd\'s WAL keeps it until etcd purges its segments', async () => {
    const etcd = await EtcdCluster.start({ members: 1 });
    const store = new EtcdStore(etcd.endpoints, '/at-rest');
    try {
      const member = etcd.members[0]!;
      const bbolt = join(member.dataDir, 'member', 'snap');
      const wal = join(member.dataDir, 'member', 'wal');
      const marker = Buffer.from(`plaintext-${randomBytes(12).toString('hex')}`);
      const key = '/clusters/c1/registry/secrets/default/db-password';
      await store.put(key, secretValue(marker, 900));
      await store.put(key, Buffer.concat([Buffer.from('k8s:enc:kms:v2:key1:'), randomBytes(900)]));
      // etcd commits its backend every 100 ms: then the old revision is in the bbolt file (the control).
      await waitFor('the old value in the bbolt file', () => occurrences(bbolt, marker) > 0, { timeoutMs: 5_000 });
      await store.purgeHistory();
      expect(occurrences(bbolt, marker)).toBe(0);
      expect((await store.get(key))?.value.subarray(0, 20).toString()).toBe('k8s:enc:kms:v2:key1:');
      // What aksemu cannot remove, as with kube-apiserver on the same etcd: the raft log (docs/architecture.md).
      expect(occurrences(wal, marker)).toBeGreaterThan(0);
    } finally {
      await store.close();
      await etcd.stop();
    }
  });
});
