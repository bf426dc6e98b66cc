/**
 * SPEC R-1: a read-modify-write that keeps losing its compare-and-swap ends in a ContentionError (a conflict to
 * retry, which each service answers as its 409), not a plain Error that would surface as a 500.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { getJson, putJson, updateJson } from '../../src/store/json.js';
import { openStore } from '../../src/store/open-store.js';
import { ContentionError, type Store } from '../../src/store/store.js';

let dir: string;
let store: Store;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'aksemu-contention-'));
  store = await openStore('sqlite', dir);
});
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('a record that changes under every attempt ends in ContentionError naming it; the last other write stands', async () => {
  await putJson(store, '/test/counter', { n: 0 });
  let rival = 0;
  const attempt = updateJson<{ n: number }>(
    store,
    '/test/counter',
    async (cur) => {
      // Another writer gets in between this read and the compare-and-swap, every time.
      await putJson(store, '/test/counter', { n: 1000 + ++rival });
      return { n: (cur?.n ?? 0) + 1 };
    },
    5,
  );
  await expect(attempt).rejects.toBeInstanceOf(ContentionError);
  await expect(attempt).rejects.toThrow('too many concurrent updates of /test/counter; retry');
  expect(rival).toBe(5);
  expect((await getJson<{ n: number }>(store, '/test/counter'))!.value).toEqual({ n: 1005 });
});
