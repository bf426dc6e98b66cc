import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeStoreSpec, openStore, parseStoreSpec } from '../../src/store/open-store.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'aksemu-open-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('store specs', () => {
  it('parses sqlite and etcd specs', () => {
    expect(parseStoreSpec('sqlite', '/data')).toEqual({ kind: 'sqlite', path: '/data/store.db' });
    expect(parseStoreSpec('sqlite:/var/lib/a.db', '/data')).toEqual({ kind: 'sqlite', path: '/var/lib/a.db' });
    expect(parseStoreSpec('etcd://127.0.0.1:2379', '/data')).toEqual({ kind: 'etcd', endpoints: ['127.0.0.1:2379'], prefix: '' });
    expect(parseStoreSpec('etcd://a:1,b.example:2,[::1]:3/team-a/', '/data')).toEqual({
      kind: 'etcd',
      endpoints: ['a:1', 'b.example:2', '[::1]:3'],
      prefix: '/team-a',
    });
    expect(parseStoreSpec('etcd://h:2379/', '/data')).toMatchObject({ prefix: '' });
    expect(describeStoreSpec('sqlite', '/data')).toBe('sqlite:/data/store.db');
    expect(describeStoreSpec('etcd://h:1,g:2/x', '/data')).toBe('etcd://h:1,g:2/x');
  });

  it('rejects anything else with a message that says what is expected', () => {
    for (const bad of ['', 'mysql://h:1', 'sqlite:', 'sqlite:relative.db', 'etcd://', 'etcd://h', 'etcd://h:0', 'etcd://h:99999', 'etcd://h:1,,g:2', 'etcd:/h:1']) {
      expect(() => parseStoreSpec(bad, '/data'), bad).toThrow(/invalid store .*expected 'sqlite', 'sqlite:\/absolute\/path.db' or 'etcd:\/\//);
    }
  });

  it('opens SQLite in the data dir (creating it) or at an absolute path', async () => {
    const dataDir = join(dir, 'new', 'data');
    const a = await openStore('sqlite', dataDir);
    try {
      expect(a).toBeInstanceOf(SqliteStore);
      expect(a.description).toBe(`sqlite:${join(dataDir, 'store.db')}`);
      await a.put('/x', Buffer.from('1'));
      expect(existsSync(join(dataDir, 'store.db'))).toBe(true);
    } finally {
      await a.close();
    }
    const path = join(dir, 'elsewhere', 'my.db');
    const b = await openStore(`sqlite:${path}`, dataDir);
    try {
      expect(b.description).toBe(`sqlite:${path}`);
      expect(await b.get('/x')).toBeUndefined();
    } finally {
      await b.close();
    }
  });
});
