/**
 * The SQLite store's table layout, the conversion of databases written with an earlier layout, and the prepared
 * statements a writer uses. Why the layout is what it is: see the header of ../sqlite-store.ts.
 */
import type Database from 'better-sqlite3';

export interface KvRow {
  key: Buffer;
  value: Buffer;
  create_rev: number;
  mod_rev: number;
  version: number;
  /** The id of the event holding the value (null in a read-only view of a schema 1 database). */
  event_id: number | null;
}

export interface EventRow extends Omit<KvRow, 'event_id'> {
  revision: number;
  type: number; // 0 put, 1 delete
}

/**
 * The table layout this code writes (meta `schema`). 1 (no meta row): the value in `kv` and in a WITHOUT ROWID
 * `events`; 2 (never released): `kv` pointing at (revision, seq) of a WITHOUT ROWID `events`; 3: this one.
 */
export const SCHEMA = 3;
const CREATE_TABLES = `
  CREATE TABLE events (
    id INTEGER PRIMARY KEY, revision INTEGER NOT NULL, seq INTEGER NOT NULL, key BLOB NOT NULL, type INTEGER NOT NULL,
    value BLOB NOT NULL, create_rev INTEGER NOT NULL, mod_rev INTEGER NOT NULL, version INTEGER NOT NULL
  );
  CREATE UNIQUE INDEX events_by_revision ON events (revision, seq);
  CREATE INDEX events_by_key ON events (key, revision);
  CREATE TABLE kv (
    key BLOB PRIMARY KEY, create_rev INTEGER NOT NULL, mod_rev INTEGER NOT NULL, version INTEGER NOT NULL,
    event_id INTEGER NOT NULL
  ) WITHOUT ROWID;`;
/** A current key-value: the key's row joined to the event that wrote its value. */
export const KV_COLUMNS = 'kv.key AS key, e.value AS value, kv.create_rev AS create_rev, kv.mod_rev AS mod_rev, kv.version AS version, kv.event_id AS event_id';
export const KV_FROM = 'kv CROSS JOIN events e ON e.id = kv.event_id';
export const LEGACY_KV_COLUMNS = 'kv.key AS key, kv.value AS value, kv.create_rev AS create_rev, kv.mod_rev AS mod_rev, kv.version AS version, NULL AS event_id';

export const EVENT_PUT = 0;
export const EVENT_DELETE = 1;

const SET_META = 'INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value';

/** The statements every write runs, prepared once per writable store. */
export interface WriteStatements {
  get: Database.Statement<[Buffer], KvRow>;
  upsert: Database.Statement<[Buffer, number, number, number, number | bigint]>;
  del: Database.Statement<[Buffer]>;
  dropEvent: Database.Statement<[number]>;
  event: Database.Statement<[number, number, Buffer, number, Buffer, number, number, number]>;
  setMeta: Database.Statement<[string, number]>;
}

export function prepareWriteStatements(db: Database.Database): WriteStatements {
  return {
    get: db.prepare(`SELECT ${KV_COLUMNS} FROM ${KV_FROM} WHERE kv.key = ?`),
    upsert: db.prepare(
      'INSERT INTO kv (key, create_rev, mod_rev, version, event_id) VALUES (?, ?, ?, ?, ?) ' +
        'ON CONFLICT(key) DO UPDATE SET mod_rev = excluded.mod_rev, version = excluded.version, event_id = excluded.event_id',
    ),
    del: db.prepare('DELETE FROM kv WHERE key = ?'),
    dropEvent: db.prepare('DELETE FROM events WHERE id = ?'),
    event: db.prepare(
      'INSERT INTO events (revision, seq, key, type, value, create_rev, mod_rev, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    setMeta: db.prepare(SET_META),
  };
}

/** True when `kv` still holds the values itself (the schema 1 layout). */
export function hasLegacyKv(db: Database.Database): boolean {
  const columns = db.prepare("SELECT name FROM pragma_table_info('kv')").all() as Array<{ name: string }>;
  return columns.some((c) => c.name === 'value');
}

export function readMeta(db: Database.Database, name: string): number {
  try {
    const row = db.prepare('SELECT value FROM meta WHERE name = ?').get(name) as { value: number } | undefined;
    return row?.value ?? 0;
  } catch {
    return 0; // a read-only open of a database that has never been written
  }
}

/**
 * Creates the tables of a new database, or converts one written with an earlier layout: the history is copied
 * in its order, a current value whose event was compacted away (schema 1 kept it in `kv` only) goes back into
 * the history at its revision, and each key's row points at the event holding its value. One transaction: a
 * crash in the middle leaves the database as it was.
 */
export function createOrUpgradeSchema(db: Database.Database, path: string): void {
  db.exec('CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID');
  const schema = readMeta(db, 'schema');
  if (schema > SCHEMA) {
    throw new Error(`${path} was written by a newer aksemu (store schema ${schema}; this version reads ${SCHEMA} and older)`);
  }
  if (schema === SCHEMA) return;
  db.transaction(() => {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('kv', 'events')").all();
    if (tables.length === 0) {
      db.exec(CREATE_TABLES);
    } else {
      const legacy = hasLegacyKv(db);
      // Seqs below zero (ascending in key order) cannot clash with a revision's own seqs (0, 1, ...).
      const lost = legacy
        ? `UNION ALL SELECT kv_old.mod_rev, row_number() OVER (ORDER BY kv_old.key) - 1 - (SELECT count(*) FROM kv_old), kv_old.key, ${EVENT_PUT}, kv_old.value,
             kv_old.create_rev, kv_old.mod_rev, kv_old.version
           FROM kv_old WHERE NOT EXISTS (
             SELECT 1 FROM events_old e WHERE e.key = kv_old.key AND e.revision = kv_old.mod_rev AND e.type = ${EVENT_PUT})`
        : '';
      db.exec(`
        DROP INDEX IF EXISTS events_by_key;
        ALTER TABLE events RENAME TO events_old;
        ALTER TABLE kv RENAME TO kv_old;
        ${CREATE_TABLES}
        INSERT INTO events (revision, seq, key, type, value, create_rev, mod_rev, version)
          SELECT * FROM (
            SELECT revision, seq, key, type, value, create_rev, mod_rev, version FROM events_old ${lost}
          ) ORDER BY 1, 2;
        INSERT INTO kv (key, create_rev, mod_rev, version, event_id)
          SELECT kv_old.key, kv_old.create_rev, kv_old.mod_rev, kv_old.version, e.id
          FROM kv_old JOIN events e ON e.key = kv_old.key AND e.revision = kv_old.mod_rev AND e.type = ${EVENT_PUT};
        DROP TABLE kv_old;
        DROP TABLE events_old;
      `);
    }
    db.prepare(SET_META).run('schema', SCHEMA);
  }).immediate();
}
