/**
 * The embedded store: SQLite through better-sqlite3, in WAL mode.
 *
 * Durability: every write is one SQLite transaction. With journal_mode=WAL and synchronous=NORMAL a committed
 * transaction is in the WAL file before the call returns, so it survives the process being killed (kill -9);
 * only an operating-system crash or power loss can lose the last transactions, as documented by SQLite.
 * Pass `synchronous: 'FULL'` to trade write speed for power-loss durability.
 *
 * Revisions and watch history follow etcd: table `events` is the change log that watches replay from and holds
 * every value written, table `kv` the current keys, each pointing at the event that wrote its value (as etcd's
 * index points into its revisions): a value is stored once, which halves what a write puts into the WAL. `events`
 * is a rowid table because its rows are large: an encrypted secret (~1.1 KB) stays on its leaf page, where a
 * WITHOUT ROWID row over ~1,000 bytes would spill into an overflow page of its own. Old events are compacted away
 * except those still holding a current value (a watch that asks for compacted history gets CompactedError).
 * Databases written with an earlier layout are converted when a writer opens them. Like etcd,
 * `compact(r)` removes the history before revision r, a watch may still start at r, and a transaction is checked
 * the way etcd checks it (no key written twice in one branch, at most 128 operations per branch).
 *
 * One process writes a database at a time (the revision counter is kept in memory); others may open it read-only.
 */
import Database from 'better-sqlite3';
import { WalCheckpointer, type WalCheckpointerOptions } from './wal-checkpointer.js';
import {
  CompactedError,
  prefixEnd,
  type Condition,
  type DeleteResult,
  type KeyValue,
  type RangeOptions,
  type RangeResult,
  type Store,
  type TxnOp,
  type TxnRequest,
  type TxnResult,
  type Watch,
  type WatchErrorListener,
  type WatchEvent,
  type WatchListener,
  type WatchOptions,
  type WriteResult,
} from './store.js';

export interface SqliteStoreOptions {
  /** Open an existing database for reading only (e.g. `aksemu store get` beside a running emulator). */
  readonly?: boolean;
  synchronous?: 'NORMAL' | 'FULL';
  /** Keep at least this many revisions of watch history (default 100,000). */
  historyRevisions?: number;
  /** Tuning of the background WAL checkpointer (tests start it early). */
  checkpointer?: Omit<WalCheckpointerOptions, 'synchronous'>;
}

interface KvRow {
  key: Buffer;
  value: Buffer;
  create_rev: number;
  mod_rev: number;
  version: number;
  /** The id of the event holding the value (null in a read-only view of a schema 1 database). */
  event_id: number | null;
}

interface EventRow extends Omit<KvRow, 'event_id'> {
  revision: number;
  type: number; // 0 put, 1 delete
}

/**
 * The table layout this code writes (meta `schema`). 1 (no meta row): the value in `kv` and in a WITHOUT ROWID
 * `events`; 2 (never released): `kv` pointing at (revision, seq) of a WITHOUT ROWID `events`; 3: this one.
 */
const SCHEMA = 3;
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
const KV_COLUMNS = 'kv.key AS key, e.value AS value, kv.create_rev AS create_rev, kv.mod_rev AS mod_rev, kv.version AS version, kv.event_id AS event_id';
const KV_FROM = 'kv CROSS JOIN events e ON e.id = kv.event_id';
const LEGACY_KV_COLUMNS = 'kv.key AS key, kv.value AS value, kv.create_rev AS create_rev, kv.mod_rev AS mod_rev, kv.version AS version, NULL AS event_id';

const EVENT_PUT = 0;
const EVENT_DELETE = 1;
const EMPTY = Buffer.alloc(0);
/** Longest run of store calls (ms) before the event loop gets a turn. */
const SLICE_MS = 10;
/** etcd's default --max-txn-ops. */
export const MAX_TXN_OPS = 128;

interface WatchRegistration {
  prefix: Buffer;
  end: Buffer | undefined;
  /** The watched prefix as given: live events are matched with startsWith, no per-event key encoding. */
  prefixText: string;
  /** Live events below this revision are not delivered (a watch from a future revision). */
  minRevision: number;
  onEvents: WatchListener;
  onError: WatchErrorListener | undefined;
  queue: WatchEvent[][];
  scheduled: boolean;
  cancelled: boolean;
}

function toKv(row: Omit<KvRow, 'event_id'>): KeyValue {
  return {
    key: row.key.toString('utf8'),
    value: row.value,
    createRevision: row.create_rev,
    modRevision: row.mod_rev,
    version: row.version,
  };
}

function rangeBounds(prefix: string): { start: Buffer; end: Buffer | undefined } {
  const start = Buffer.from(prefix, 'utf8');
  return { start, end: prefix === '' ? undefined : prefixEnd(prefix) };
}

/** The key-value of a delete event, as etcd reports it: empty value, the deleting revision, no create revision. */
function tombstone(key: string, revision: number): KeyValue {
  return { key, value: EMPTY, createRevision: 0, modRevision: revision, version: 0 };
}

function checkKey(key: string): void {
  if (key === '') throw new Error('key is not provided');
}

/** etcd's checks on a transaction branch: bounded size and no key written twice (put/put, put/delete). */
function checkBranch(ops: TxnOp[]): void {
  if (ops.length > MAX_TXN_OPS) throw new Error('too many operations in txn request');
  const puts = new Set<string>();
  for (const op of ops) {
    if (op.type === 'put' || op.type === 'delete') checkKey(op.key);
    if (op.type !== 'put') continue;
    if (puts.has(op.key)) throw new Error('duplicate key given in txn request');
    puts.add(op.key);
  }
  for (const op of ops) {
    if (op.type === 'delete' && puts.has(op.key)) throw new Error('duplicate key given in txn request');
    if (op.type === 'deletePrefix') {
      for (const key of puts) if (key.startsWith(op.prefix)) throw new Error('duplicate key given in txn request');
    }
  }
}

interface ApplyResult extends TxnResult {
  events: WatchEvent[];
  /** With `probe`: the probed key as it is after the transaction. */
  current?: KeyValue | undefined;
}

export class SqliteStore implements Store {
  readonly description: string;
  private readonly db: Database.Database;
  private readonly watches = new Set<WatchRegistration>();
  private readonly historyRevisions: number;
  private currentRevision: number;
  private compactRevision: number;
  private writesSinceCompaction = 0;
  private closed = false;
  /** Checkpoints the WAL off the writer's thread (undefined when read-only). */
  readonly checkpointer: WalCheckpointer | undefined;

  private readonly stmt: {
    get: Database.Statement<[Buffer], KvRow>;
    upsert: Database.Statement<[Buffer, number, number, number, number | bigint]>;
    del: Database.Statement<[Buffer]>;
    dropEvent: Database.Statement<[number]>;
    event: Database.Statement<[number, number, Buffer, number, Buffer, number, number, number]>;
    setMeta: Database.Statement<[string, number]>;
  } | undefined;

  constructor(readonly path: string, opts: SqliteStoreOptions = {}) {
    this.description = `sqlite:${path}`;
    this.historyRevisions = opts.historyRevisions ?? 100_000;
    this.db = new Database(path, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
    this.db.pragma('busy_timeout = 5000');
    if (!opts.readonly) {
      const synchronous = opts.synchronous ?? 'NORMAL';
      this.db.pragma('journal_mode = WAL');
      this.db.pragma(`synchronous = ${synchronous}`);
      this.db.exec('CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID');
      this.createOrUpgradeSchema();
      this.checkpointer = new WalCheckpointer(path, this.db, { ...opts.checkpointer, synchronous });
    }
    this.currentRevision = this.readMeta('revision');
    this.compactRevision = this.readMeta('compact_revision');
    // A writer has just converted the database; only a reader can find the schema 1 layout.
    const legacy = opts.readonly === true && this.hasLegacyKv();
    this.kvColumns = legacy ? LEGACY_KV_COLUMNS : KV_COLUMNS;
    this.kvFrom = legacy ? 'kv' : KV_FROM;
    this.stmt = opts.readonly
      ? undefined
      : {
          get: this.db.prepare(`SELECT ${KV_COLUMNS} FROM ${KV_FROM} WHERE kv.key = ?`),
          upsert: this.db.prepare(
            'INSERT INTO kv (key, create_rev, mod_rev, version, event_id) VALUES (?, ?, ?, ?, ?) ' +
              'ON CONFLICT(key) DO UPDATE SET mod_rev = excluded.mod_rev, version = excluded.version, event_id = excluded.event_id',
          ),
          del: this.db.prepare('DELETE FROM kv WHERE key = ?'),
          dropEvent: this.db.prepare('DELETE FROM events WHERE id = ?'),
          event: this.db.prepare(
            'INSERT INTO events (revision, seq, key, type, value, create_rev, mod_rev, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
          ),
          setMeta: this.db.prepare('INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value'),
        };
  }

  /** How current key-values are selected: the join of schema 3, or a read-only view of a schema 1 database. */
  private readonly kvColumns: string;
  private readonly kvFrom: string;

  private hasLegacyKv(): boolean {
    const columns = this.db.prepare("SELECT name FROM pragma_table_info('kv')").all() as Array<{ name: string }>;
    return columns.some((c) => c.name === 'value');
  }

  /**
   * Creates the tables of a new database, or converts one written with an earlier layout: the history is copied
   * in its order, a current value whose event was compacted away (schema 1 kept it in `kv` only) goes back into
   * the history at its revision, and each key's row points at the event holding its value. One transaction: a
   * crash in the middle leaves the database as it was.
   */
  private createOrUpgradeSchema(): void {
    const schema = this.readMeta('schema');
    if (schema > SCHEMA) {
      throw new Error(`${this.path} was written by a newer aksemu (store schema ${schema}; this version reads ${SCHEMA} and older)`);
    }
    if (schema === SCHEMA) return;
    this.db.transaction(() => {
      const tables = this.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('kv', 'events')").all();
      if (tables.length === 0) {
        this.db.exec(CREATE_TABLES);
      } else {
        const legacy = this.hasLegacyKv();
        // Seqs below zero (ascending in key order) cannot clash with a revision's own seqs (0, 1, ...).
        const lost = legacy
          ? `UNION ALL SELECT kv_old.mod_rev, row_number() OVER (ORDER BY kv_old.key) - 1 - (SELECT count(*) FROM kv_old), kv_old.key, ${EVENT_PUT}, kv_old.value,
               kv_old.create_rev, kv_old.mod_rev, kv_old.version
             FROM kv_old WHERE NOT EXISTS (
               SELECT 1 FROM events_old e WHERE e.key = kv_old.key AND e.revision = kv_old.mod_rev AND e.type = ${EVENT_PUT})`
          : '';
        this.db.exec(`
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
      this.db.prepare('INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value').run('schema', SCHEMA);
    }).immediate();
  }

  private readMeta(name: string): number {
    try {
      const row = this.db.prepare('SELECT value FROM meta WHERE name = ?').get(name) as { value: number } | undefined;
      return row?.value ?? 0;
    } catch {
      return 0; // a read-only open of a database that has never been written
    }
  }

  private writable() {
    if (this.closed) throw new Error('store is closed');
    if (!this.stmt) throw new Error('store was opened read-only');
    return this.stmt;
  }

  private getRow(key: Buffer): KvRow | undefined {
    return this.cached(`SELECT ${this.kvColumns} FROM ${this.kvFrom} WHERE kv.key = ?`).get(key) as KvRow | undefined;
  }

  private readonly statements = new Map<string, Database.Statement>();

  /** Prepared statements for the SQL that varies per call (range bounds, limits), prepared once. */
  private cached(sql: string): Database.Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  /**
   * better-sqlite3 is synchronous, so a caller that awaits many store calls in a row (a controller walking
   * thousands of objects) would run on microtasks alone and never let the event loop serve HTTP or timers.
   * Once the store has been busy for a time slice without the loop turning, the next call waits one turn.
   */
  private sliceStart = performance.now();
  private sliceWatched = false;
  private async fair(): Promise<void> {
    if (!this.sliceWatched) {
      this.sliceWatched = true;
      setImmediate(() => {
        this.sliceWatched = false;
        this.sliceStart = performance.now();
      });
    }
    if (performance.now() - this.sliceStart > SLICE_MS) await new Promise<void>((resolve) => setImmediate(resolve));
  }

  async get(key: string): Promise<KeyValue | undefined> {
    await this.fair();
    if (this.closed) throw new Error('store is closed');
    checkKey(key);
    const row = this.stmt ? this.stmt.get.get(Buffer.from(key, 'utf8')) : this.getRow(Buffer.from(key, 'utf8'));
    return row ? toKv(row) : undefined;
  }

  async revision(): Promise<number> {
    if (this.closed) throw new Error('store is closed');
    if (this.stmt) return this.currentRevision;
    return this.readMeta('revision'); // another process is the writer
  }

  async put(key: string, value: Buffer, opts: { ifModRevision?: number } = {}): Promise<WriteResult> {
    checkKey(key);
    await this.fair();
    const conditions = opts.ifModRevision === undefined ? [] : [{ key, modRevision: opts.ifModRevision }];
    const res = this.apply(conditions, [{ type: 'put', key, value }], [], key);
    if (res.succeeded) return { succeeded: true, revision: res.revision };
    return { succeeded: false, revision: res.revision, current: res.current };
  }

  async delete(key: string, opts: { ifModRevision?: number } = {}): Promise<DeleteResult> {
    checkKey(key);
    await this.fair();
    const conditions = opts.ifModRevision === undefined ? [] : [{ key, modRevision: opts.ifModRevision }];
    // The deleted value comes from inside the transaction: a value read before it could be stale by then.
    const res = this.apply(conditions, [{ type: 'delete', key }], [], key);
    if (res.succeeded) return { succeeded: true, revision: res.revision, deleted: res.events[0]?.prevKv };
    return { succeeded: false, revision: res.revision, current: res.current };
  }

  async txn(req: TxnRequest): Promise<TxnResult> {
    await this.fair();
    const { succeeded, revision } = this.apply(req.if ?? [], req.then, req.else ?? []);
    return { succeeded, revision };
  }

  /**
   * Runs one transaction synchronously: evaluates the conditions, applies one branch at a single new revision
   * (only if it changes something), records the events and hands them to the watchers after commit. With `probe`,
   * a failed transaction also returns that key as it is (read inside the same SQLite transaction).
   */
  /**
   * One transaction wrapper for the whole store, taking the work as an argument: better-sqlite3 compiles a
   * wrapper's BEGIN/COMMIT statements per `db.transaction()` call, which is too costly to repeat per write.
   */
  private txnWrapper: Database.Transaction<(work: () => unknown) => unknown> | undefined;
  private inTransaction(): Database.Transaction<(work: () => unknown) => unknown> {
    this.txnWrapper ??= this.db.transaction((work: () => unknown) => work());
    return this.txnWrapper;
  }

  private apply(conditions: Condition[], then: TxnOp[], otherwise: TxnOp[], probe?: string): ApplyResult {
    const stmt = this.writable();
    if (conditions.length > MAX_TXN_OPS) throw new Error('too many operations in txn request');
    checkBranch(then);
    checkBranch(otherwise);
    let events: WatchEvent[] = [];
    let succeeded = false;
    let current: KeyValue | undefined;
    const before = this.currentRevision;
    const run = () => {
      // Rows read for the conditions are the puts' previous rows too (a branch never writes a key twice): one
      // SELECT per key instead of two makes conditional batch rewrites (a storage migration) a third cheaper.
      const read = new Map<string, KvRow | undefined>();
      succeeded = conditions.every((c) => {
        const row = stmt.get.get(Buffer.from(c.key, 'utf8'));
        read.set(c.key, row);
        return (row?.mod_rev ?? 0) === c.modRevision;
      });
      const ops = succeeded ? then : otherwise;
      const rev = this.currentRevision + 1;
      events = [];
      for (const op of ops) {
        if (op.type === 'put') {
          const key = Buffer.from(op.key, 'utf8');
          const value = Buffer.from(op.value); // the caller may reuse its buffer; watchers get this copy
          const prev = read.has(op.key) ? read.get(op.key) : stmt.get.get(key);
          if (prev) this.dropIfCompacted(stmt, prev);
          const createRev = prev ? prev.create_rev : rev;
          const version = prev ? prev.version + 1 : 1;
          const { lastInsertRowid } = stmt.event.run(rev, events.length, key, EVENT_PUT, value, createRev, rev, version);
          stmt.upsert.run(key, createRev, rev, version, lastInsertRowid);
          events.push({
            type: 'put',
            kv: { key: op.key, value, createRevision: createRev, modRevision: rev, version },
            prevKv: prev ? toKv(prev) : undefined,
          });
        } else {
          const keys =
            op.type === 'delete'
              ? [stmt.get.get(Buffer.from(op.key, 'utf8'))].filter((r): r is KvRow => r !== undefined)
              : this.rangeRows(op.prefix, undefined, undefined, false);
          for (const prev of keys) {
            this.dropIfCompacted(stmt, prev);
            stmt.del.run(prev.key);
            // A delete event row keeps the deleted key-value (the watchers' prevKv).
            stmt.event.run(rev, events.length, prev.key, EVENT_DELETE, prev.value, prev.create_rev, prev.mod_rev, prev.version);
            events.push({ type: 'delete', kv: tombstone(prev.key.toString('utf8'), rev), prevKv: toKv(prev) });
          }
        }
      }
      if (events.length > 0) {
        this.currentRevision = rev;
        stmt.setMeta.run('revision', rev);
      }
      if (!succeeded && probe !== undefined) {
        const row = stmt.get.get(Buffer.from(probe, 'utf8'));
        current = row ? toKv(row) : undefined;
      }
    };
    try {
      this.inTransaction().immediate(run);
    } catch (err) {
      this.currentRevision = before;
      throw err;
    }
    if (events.length > 0) {
      this.checkpointer?.noteWrites(events.length);
      this.dispatch(events);
      this.maybeCompact();
    }
    return { succeeded, revision: this.currentRevision, events, current };
  }

  /**
   * A value's event outlives compaction only while it is current: once its key is written again or deleted, an
   * event from before the compaction revision is history no watch may ask for, so it goes now.
   */
  private dropIfCompacted(stmt: NonNullable<SqliteStore['stmt']>, prev: KvRow): void {
    if (prev.mod_rev < this.compactRevision && prev.event_id !== null) stmt.dropEvent.run(prev.event_id);
  }

  private rangeRows(prefix: string, after: string | undefined, limit: number | undefined, keysOnly: boolean): KvRow[] {
    const { start, end } = rangeBounds(prefix);
    // Keys only need no value, so no join.
    const cols = keysOnly ? "kv.key AS key, X'' AS value, kv.create_rev AS create_rev, kv.mod_rev AS mod_rev, kv.version AS version" : this.kvColumns;
    const lower = after !== undefined ? 'kv.key > ?' : 'kv.key >= ?';
    const lowerArg = after !== undefined ? Buffer.from(after, 'utf8') : start;
    const sql =
      `SELECT ${cols} FROM ${keysOnly ? 'kv' : this.kvFrom} WHERE ${lower}` +
      (end ? ' AND kv.key < ?' : '') +
      ' ORDER BY kv.key' +
      (limit !== undefined ? ' LIMIT ?' : '');
    const args: unknown[] = [lowerArg];
    if (end) args.push(end);
    if (limit !== undefined) args.push(limit);
    return this.cached(sql).all(...args) as KvRow[];
  }

  async range(prefix: string, opts: RangeOptions = {}): Promise<RangeResult> {
    await this.fair();
    if (this.closed) throw new Error('store is closed');
    if (opts.after !== undefined && !opts.after.startsWith(prefix)) {
      throw new RangeError(`range: 'after' key ${JSON.stringify(opts.after)} is outside prefix ${JSON.stringify(prefix)}`);
    }
    const limit = opts.limit !== undefined && opts.limit > 0 ? opts.limit : undefined;
    const read = () => {
      const rows = this.rangeRows(prefix, opts.after, limit === undefined ? undefined : limit + 1, opts.keysOnly ?? false);
      return { rows, revision: this.stmt ? this.currentRevision : this.readMeta('revision') };
    };
    const { rows, revision } = this.inTransaction().deferred(read) as { rows: KvRow[]; revision: number };
    const more = limit !== undefined && rows.length > limit;
    return { items: (more ? rows.slice(0, limit) : rows).map(toKv), more, revision };
  }

  async count(prefix: string): Promise<number> {
    if (this.closed) throw new Error('store is closed');
    const { start, end } = rangeBounds(prefix);
    const row = end
      ? (this.cached('SELECT count(*) AS n FROM kv WHERE key >= ? AND key < ?').get(start, end) as { n: number })
      : (this.cached('SELECT count(*) AS n FROM kv WHERE key >= ?').get(start) as { n: number });
    return row.n;
  }

  async watch(prefix: string, opts: WatchOptions, onEvents: WatchListener, onError?: WatchErrorListener): Promise<Watch> {
    if (this.closed) throw new Error('store is closed');
    const { start, end } = rangeBounds(prefix);
    // As in etcd, a start revision of 0 (or less) means "from now on".
    const from = opts.fromRevision !== undefined && opts.fromRevision > 0 ? opts.fromRevision : undefined;
    const reg: WatchRegistration = {
      prefix: start,
      end,
      prefixText: prefix,
      minRevision: from ?? 0,
      onEvents,
      onError,
      queue: [],
      scheduled: false,
      cancelled: false,
    };
    if (from !== undefined && from <= this.currentRevision) {
      if (from < this.compactRevision) throw new CompactedError(from, this.compactRevision);
      // History and registration happen in the same synchronous step, so no write can fall between them.
      this.replay(reg, from);
    }
    this.watches.add(reg);
    return {
      cancel: () => {
        reg.cancelled = true;
        this.watches.delete(reg);
      },
    };
  }

  /** Queues the recorded events from revision `from` on, one batch per revision, with etcd's prevKv. */
  private replay(reg: WatchRegistration, from: number): void {
    const sql =
      'SELECT revision, seq, type, key, value, create_rev, mod_rev, version FROM events WHERE revision >= ? AND key >= ?' +
      (reg.end ? ' AND key < ?' : '') +
      ' ORDER BY revision, seq';
    const rows = (reg.end ? this.cached(sql).all(from, reg.prefix, reg.end) : this.cached(sql).all(from, reg.prefix)) as Array<
      EventRow & { seq: number }
    >;
    const previousEvent = this.cached(
      'SELECT revision, type, key, value, create_rev, mod_rev, version FROM events ' +
        'WHERE key = ? AND revision < ? ORDER BY revision DESC, seq DESC LIMIT 1',
    );
    // The key-value each key had before the event being replayed (undefined: absent), as far as history tells.
    const state = new Map<string, KeyValue | undefined>();
    const prevOf = (row: EventRow, key: string): KeyValue | undefined => {
      if (row.type === EVENT_DELETE) return toKv(row); // a delete row holds the deleted key-value
      if (state.has(key)) return state.get(key);
      if (row.version === 1) return undefined; // a create
      const prev = previousEvent.get(row.key, row.revision) as EventRow | undefined;
      return prev && prev.type === EVENT_PUT ? toKv(prev) : undefined; // none: compacted away
    };
    let batch: WatchEvent[] = [];
    let batchRev = -1;
    for (const row of rows) {
      if (row.revision !== batchRev && batch.length > 0) {
        reg.queue.push(batch);
        batch = [];
      }
      batchRev = row.revision;
      const key = row.key.toString('utf8');
      const prevKv = prevOf(row, key);
      if (row.type === EVENT_PUT) {
        const kv = toKv(row);
        batch.push({ type: 'put', kv, prevKv });
        state.set(key, kv);
      } else {
        batch.push({ type: 'delete', kv: tombstone(key, row.revision), prevKv });
        state.set(key, undefined);
      }
    }
    if (batch.length > 0) reg.queue.push(batch);
    this.schedule(reg);
  }

  private dispatch(events: WatchEvent[]): void {
    for (const reg of this.watches) {
      if (events[0]!.kv.modRevision < reg.minRevision) continue;
      // A key is in [prefix, prefixEnd(prefix)) exactly when it starts with the prefix.
      const mine = reg.prefixText === '' ? events : events.filter((e) => e.kv.key.startsWith(reg.prefixText));
      if (mine.length === 0) continue;
      reg.queue.push(mine);
      this.schedule(reg);
    }
  }

  /** Delivers a watch's queued batches in order, after the current call stack (never inside a transaction). */
  private schedule(reg: WatchRegistration): void {
    if (reg.scheduled) return;
    reg.scheduled = true;
    setImmediate(() => {
      reg.scheduled = false;
      while (reg.queue.length > 0 && !reg.cancelled) {
        const batch = reg.queue.shift()!;
        try {
          reg.onEvents(batch);
        } catch (err) {
          reg.onError?.(err instanceof Error ? err : new Error(String(err)));
        }
      }
    });
  }

  private maybeCompact(): void {
    if (++this.writesSinceCompaction < 1000) return;
    this.writesSinceCompaction = 0;
    const target = this.currentRevision - this.historyRevisions;
    if (target > this.compactRevision) this.compact(target);
  }

  /**
   * etcd's compaction: drops watch history before `revision` (a watch may still start at `revision`; an older
   * start gets CompactedError). An already compacted revision is a no-op; a future revision is an error.
   */
  compact(revision: number): void {
    const stmt = this.writable();
    if (revision > this.currentRevision) throw new Error('required revision is a future revision');
    if (revision <= this.compactRevision) return;
    this.db.transaction(() => {
      // The events that hold current values stay: the keys' rows point at them. Below the previous compaction
      // revision only such events are left (writes drop the ones they supersede), so that part needs no scan.
      this.cached(
        'DELETE FROM events WHERE revision >= ? AND revision < ? AND NOT EXISTS ' +
          '(SELECT 1 FROM kv WHERE kv.key = events.key AND kv.event_id = events.id)',
      ).run(this.compactRevision, revision);
      stmt.setMeta.run('compact_revision', revision);
    })();
    this.compactRevision = revision;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const reg of this.watches) reg.cancelled = true;
    this.watches.clear();
    await this.checkpointer?.stop();
    this.db.close();
  }
}
