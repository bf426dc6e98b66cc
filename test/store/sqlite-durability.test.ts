/**
 * kill -9 during a burst of writes: a child process (test/fixtures/store-sqlite-writer.mjs, plain node against the
 * compiled store in dist/) prints every write the SqliteStore acknowledged; it is SIGKILLed mid-burst, the database
 * is reopened, and every acknowledged write must be there with its value and revision.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite-store.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const compiled = join(root, 'dist/src/store/sqlite-store.js');
const source = join(root, 'src/store/sqlite-store.ts');
const fixture = join(root, 'test/fixtures/store-sqlite-writer.mjs');
const dir = mkdtempSync(join(tmpdir(), 'aksemu-durability-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Ack {
  value: string;
  revision: number;
}

/** Runs the writer until it has acknowledged `killAfter` writes, SIGKILLs it, returns what it acknowledged. */
async function burstAndKill(db: string, run: string, killAfter: number): Promise<{ acks: Map<string, Ack>; count: number; signal: string | null }> {
  const child = spawn(process.execPath, [fixture, compiled, db, '16', run], { stdio: ['ignore', 'pipe', 'pipe'] });
  const acks = new Map<string, Ack>();
  let count = 0;
  let stderr = '';
  let partial = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<string | null>((res) => child.on('exit', (_code, signal) => res(signal)));
  await new Promise<void>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`writer acknowledged only ${count} writes in 30 s; stderr:\n${stderr}`)), 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`writer exited (${code}) before being killed; stderr:\n${stderr}`));
    });
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? ''; // a line cut by the kill is not an acknowledgement
      for (const line of lines) {
        const [tag, key, value, rev] = line.split(' ');
        if (tag !== 'ack') continue;
        acks.set(key!, { value: value!, revision: Number(rev) });
        count++;
      }
      if (count >= killAfter && child.exitCode === null && !child.killed) {
        child.kill('SIGKILL');
        clearTimeout(timer);
        res();
      }
    });
  });
  const signal = await exited;
  return { acks, count, signal };
}

describe('SqliteStore durability on kill -9', () => {
  it('keeps every acknowledged write of a burst killed mid-way, and carries on after reopening', async () => {
    expect(existsSync(compiled), `${compiled} is missing: run "npm run build" first`).toBe(true);
    expect(
      statSync(compiled).mtimeMs >= statSync(source).mtimeMs,
      `${compiled} is older than ${source}: run "npm run build" first`,
    ).toBe(true);

    const db = join(dir, 'burst.db');
    const first = await burstAndKill(db, '1', 3000);
    expect(first.signal).toBe('SIGKILL');
    expect(first.count).toBeGreaterThanOrEqual(3000);

    // The file is a sound database, then every acknowledged write is in the store.
    const raw = new Database(db, { readonly: true });
    expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
    raw.close();

    const verify = async (acks: Map<string, Ack>) => {
      const store = new SqliteStore(db);
      try {
        const missing: string[] = [];
        const wrong: string[] = [];
        let maxAcked = 0;
        for (const [key, ack] of acks) {
          maxAcked = Math.max(maxAcked, ack.revision);
          const kv = await store.get(key);
          if (!kv) missing.push(key);
          else if (/^\/burst\/\d+\/n\//.test(key)) {
            // A counter's next update may have committed just before the kill, without its line being printed.
            if (Number(kv.value.toString()) < Number(ack.value) || kv.modRevision < ack.revision) {
              wrong.push(`${key}: ${kv.value.toString()}@${kv.modRevision} < ${ack.value}@${ack.revision}`);
            }
          } else if (kv.value.toString() !== ack.value || kv.modRevision !== ack.revision) {
            wrong.push(`${key}: ${kv.value.toString()}@${kv.modRevision}, acknowledged ${ack.value}@${ack.revision}`);
          }
        }
        expect(missing.slice(0, 10)).toEqual([]);
        expect(wrong.slice(0, 10)).toEqual([]);
        const revision = await store.revision();
        expect(revision).toBeGreaterThanOrEqual(maxAcked);
        return { store, revision };
      } catch (err) {
        await store.close();
        throw err;
      }
    };

    const { store, revision } = await verify(first.acks);
    // The reopened store carries on at the next revision, with the history of the killed run intact.
    const after = await store.put('/after/restart', Buffer.from('x'));
    expect(after.revision).toBe(revision + 1);
    const replayed: number[] = [];
    const w = await store.watch('/burst/1/u/', { fromRevision: 1 }, (events) => replayed.push(...events.map((e) => e.kv.modRevision)));
    await new Promise((r) => setTimeout(r, 50));
    w.cancel();
    const ackedU = [...first.acks].filter(([k]) => k.startsWith('/burst/1/u/')).map(([, a]) => a.revision);
    const replayedSet = new Set(replayed);
    for (const rev of ackedU) expect(replayedSet.has(rev)).toBe(true);
    await store.close();

    // A second burst on the reopened database, killed again: both runs' acknowledged writes are all there.
    const second = await burstAndKill(db, '2', 1500);
    const merged = new Map([...first.acks]);
    for (const [key, ack] of second.acks) merged.set(key, ack);
    expect(merged.size).toBe(first.acks.size + second.acks.size);
    const again = await verify(merged);
    await again.store.close();
  }, 90_000);
});
