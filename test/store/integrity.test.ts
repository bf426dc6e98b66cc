/**
 * A lost or damaged store, or a lost master key, is noticed when `aksemu start` runs (SPEC R-1): the real CLI exits
 * non-zero with a message naming the file and the fix, instead of starting "ready" on an empty world, failing
 * requests later with "database disk image is malformed", or making a new master key over sealed data. A new data
 * directory still starts, and following the messages' advice makes the instance start again.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, statSync, truncateSync, unlinkSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, newDataDir, spawnEmulator, type SpawnedEmulator } from '../../testkit/emulator.js';
import { getToken, httpsCall } from '../../testkit/http.js';
import { EtcdCluster } from '../../testkit/etcd.js';
import { describeWith } from '../../testkit/optional.js';

const running: SpawnedEmulator[] = [];
afterAll(async () => {
  for (const e of running) await e.kill();
});

async function start(dataDir: string, args: string[] = []): Promise<SpawnedEmulator> {
  const emu = await spawnEmulator({ dataDir, args });
  running.push(emu);
  return emu;
}

/** Asks the instance something over HTTPS, trusting its own CA (it answers), then stops it with SIGTERM. */
async function useAndStop(emu: SpawnedEmulator): Promise<number | null> {
  const status = await new Promise<number>((resolve, reject) => {
    const req = httpsRequest(`${emu.url}/metadata/endpoints?api-version=2022-09-01`, { ca: readFileSync(join(emu.dataDir, 'ca', 'ca.pem')), agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
  expect(status).toBe(200);
  return emu.stop();
}

/** Runs `aksemu start` expecting a refusal; returns its exit code and stderr. */
function refusedStart(dataDir: string, args: string[] = []): { code: number; stderr: string } {
  try {
    execFileSync(process.execPath, [CLI, 'start', '--data-dir', dataDir, '--port', '0', ...args], { stdio: 'pipe', timeout: 30_000 });
    return { code: 0, stderr: '' };
  } catch (err) {
    const e = err as { status: number | null; stderr: Buffer };
    return { code: e.status ?? -1, stderr: e.stderr.toString() };
  }
}

function expectRefused(out: { code: number; stderr: string }, ...patterns: RegExp[]): void {
  expect(out.code).not.toBe(0);
  expect(out.stderr).toMatch(/^ERROR: /);
  expect(out.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
  for (const p of patterns) expect(out.stderr).toMatch(p);
}

/** A data directory with state: an instance that created a resource group, stopped cleanly. */
let pristine: string;
beforeAll(async () => {
  pristine = newDataDir();
  const emu = await start(pristine);
  const token = await getToken(emu.url, emu.env);
  const res = await httpsCall(`${emu.url}/subscriptions/${emu.env.AZURE_SUBSCRIPTION_ID}/resourcegroups/kept?api-version=2022-09-01`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ location: 'eastus' }),
  });
  expect(res.status).toBe(201);
  expect(await useAndStop(emu)).toBe(0);
}, 60_000);

/** A copy of the data directory with state, to damage. */
function copyOfInstance(): string {
  const dir = mkdtempSync(join(tmpdir(), 'aksemu-integrity-'));
  cpSync(pristine, dir, { recursive: true });
  return dir;
}

function overwrite(file: string, at: number, bytes: Buffer): void {
  const fd = openSync(file, 'r+');
  writeSync(fd, bytes, 0, bytes.length, at);
  closeSync(fd);
}

describe('aksemu start checks the store and the master key', () => {
  it('a new data directory starts, and records its store and the master key it is sealed with', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aksemu-integrity-new-')); // not even a master key yet
    const emu = await start(dir);
    expect(await useAndStop(emu)).toBe(0);
    expect(statSync(join(dir, 'master.key')).size).toBe(32);
    const state = JSON.parse(readFileSync(join(dir, 'store-state.json'), 'utf8'));
    expect(Object.keys(state.stores)).toEqual(['sqlite:./store.db']);
    expect(state.stores['sqlite:./store.db'].masterKeyFingerprint).toMatch(/^[0-9a-f]{32}$/);
    expect(readFileSync(join(dir, 'store-state.json')).includes(readFileSync(join(dir, 'master.key')))).toBe(false);
    // And it starts again.
    const again = await start(dir);
    expect(await useAndStop(again)).toBe(0);
  });

  const damages: Array<[string, (db: string) => void, RegExp]> = [
    ['truncated to zero bytes', (db) => truncateSync(db, 0), /the file is empty/],
    ['truncated to half its size', (db) => truncateSync(db, Math.floor(statSync(db).size / 2 / 4096) * 4096), /quick_check|malformed/],
    ['zeroed', (db) => writeFileSync(db, Buffer.alloc(statSync(db).size)), /not a database/],
    ['with corrupted pages', (db) => {
      for (let page = 2; page < Math.min(12, statSync(db).size / 4096); page += 2) overwrite(db, page * 4096, randomBytes(4096));
    }, /quick_check|malformed/],
  ];
  for (const [what, damage, detail] of damages) {
    it(`refuses a store.db ${what}, naming the file and the fix`, () => {
      const dir = copyOfInstance();
      const db = join(dir, 'store.db');
      expect(existsSync(`${db}-wal`)).toBe(false); // a clean stop leaves everything in store.db
      damage(db);
      const out = refusedStart(dir);
      expectRefused(out, new RegExp(`the store ${db} is damaged`), detail, /Restore it from a backup/, /store-state\.json/);
      rmSync(dir, { recursive: true, force: true });
    });
  }

  it('following the advice for a damaged store (move it and store-state.json away) starts an empty store', async () => {
    const dir = copyOfInstance();
    writeFileSync(join(dir, 'store.db'), Buffer.alloc(statSync(join(dir, 'store.db')).size));
    expectRefused(refusedStart(dir), /damaged/);
    renameSync(join(dir, 'store.db'), join(dir, 'store.db.damaged'));
    renameSync(join(dir, 'store-state.json'), join(dir, 'store-state.json.old'));
    const emu = await start(dir);
    expect(await useAndStop(emu)).toBe(0);
  });

  it('refuses a deleted store.db while the data directory records that it held state, and creates none', () => {
    const dir = copyOfInstance();
    unlinkSync(join(dir, 'store.db'));
    const out = refusedStart(dir);
    expectRefused(out, new RegExp(`the store ${join(dir, 'store.db')} is missing`), /store-state\.json records that it held this instance's state/, /Restore the store from a backup/);
    expect(existsSync(join(dir, 'store.db'))).toBe(false);
  });

  it('refuses a deleted master.key over sealed state and makes no new one; restoring it starts the instance', async () => {
    const dir = copyOfInstance();
    const key = readFileSync(join(dir, 'master.key'));
    unlinkSync(join(dir, 'master.key'));
    const out = refusedStart(dir);
    expectRefused(out, new RegExp(`the master key ${join(dir, 'master.key')} is missing`), /so none is made/, /Restore .*master\.key from a backup/);
    expect(out.stderr).not.toContain('Unsupported state or unable to authenticate data');
    expect(existsSync(join(dir, 'master.key'))).toBe(false);
    writeFileSync(join(dir, 'master.key'), key, { mode: 0o600 });
    const emu = await start(dir);
    expect(await useAndStop(emu)).toBe(0);
  });

  it('refuses a master.key that is not the one the store was sealed with', () => {
    const dir = copyOfInstance();
    writeFileSync(join(dir, 'master.key'), randomBytes(32), { mode: 0o600 });
    expectRefused(refusedStart(dir), /is not the key the store .* was sealed with/);
  });

  it('refuses a missing master.key even without store-state.json (a data directory from before it): the store has state', () => {
    const dir = copyOfInstance();
    unlinkSync(join(dir, 'master.key'));
    unlinkSync(join(dir, 'store-state.json'));
    rmSync(join(dir, 'ca'), { recursive: true });
    expectRefused(refusedStart(dir), /master key .* is missing, but the store .* holds state sealed with a master key/);
    expect(existsSync(join(dir, 'master.key'))).toBe(false);
  });
});

describeWith(['etcd', 'etcdctl'], 'aksemu start --store etcd:// checks the store and the master key', () => {
  it('refuses a new data directory without the master key on an etcd prefix with state, and an emptied prefix', async () => {
    const etcd = await EtcdCluster.start({ members: 1 });
    try {
      const store = `etcd://${etcd.endpoints.join(',')}/integrity`;
      const dataDir = newDataDir();
      const first = await start(dataDir, ['--store', store]);
      expect(await useAndStop(first)).toBe(0);
      expect(Object.keys(JSON.parse(readFileSync(join(dataDir, 'store-state.json'), 'utf8')).stores)).toEqual([store]);

      // Another, brand-new data directory (no master key) pointed at the same prefix.
      const stranger = mkdtempSync(join(tmpdir(), 'aksemu-integrity-etcd-'));
      expectRefused(refusedStart(stranger, ['--store', store]), /master key .* is missing, but the store etcd:\/\/.* holds state/);
      expect(existsSync(join(stranger, 'master.key'))).toBe(false);
      // Another data directory with a different master key.
      const other = mkdtempSync(join(tmpdir(), 'aksemu-integrity-etcd-'));
      writeFileSync(join(other, 'master.key'), randomBytes(32), { mode: 0o600 });
      expectRefused(refusedStart(other, ['--store', store]), /is not the key the store etcd:\/\/.* was sealed with/);

      // The prefix emptied behind the instance's back: refused, not started on an empty world.
      execFileSync('etcdctl', ['--endpoints', etcd.endpoints.join(','), 'del', '--prefix', '/integrity/']);
      expectRefused(refusedStart(dataDir, ['--store', store]), /the store etcd:\/\/.* is empty/, /check the etcd endpoints and prefix/);

      // The original data directory still starts on its own store (a fresh default store beside it).
      const own = await start(dataDir);
      expect(await useAndStop(own)).toBe(0);
    } finally {
      await etcd.stop();
    }
  });
});
