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
 *
 * No value outlives its supersession on disk for long (SPEC R-3: a secret's plaintext written before encryption
 * was enabled): `secure_delete` makes SQLite zero what it frees, and a writer's upkeep pass (`maintain()`, every
 * five minutes, as kube-apiserver compacts etcd) compacts history to the revision seen at the previous pass, then
 * checkpoints the WAL with TRUNCATE so that the pre-deletion page images in it are gone too. A writer first checks
 * the file (./sqlite/integrity.ts) and refuses a damaged one.
 */
import Database from 'better-sqlite3';
import { statSync } from 'node:fs';
import { Compaction } from './sqlite/compaction.js';
import { FairSlicer } from './sqlite/fair-slicer.js';
import { asStoreFailure, unavailableReason } from './sqlite/failures.js';
import { checkBeforeOpen, isCorruption, quickCheck, StoreDamagedError } from './sqlite/integrity.js';
import { rangeBounds, tombstone, toKv } from './sqlite/rows.js';
import {
  createOrUpgradeSchema,
  EVENT_DELETE,
  EVENT_PUT,
  hasLegacyKv,
  KV_COLUMNS,
  KV_FROM,
  LEGACY_KV_COLUMNS,
  prepareWriteStatements,
  readMeta,
  type KvRow,
  type WriteStatements,
} from './sqlite/schema.js';
import { StatementCache } from './sqlite/statement-cache.js';
import { checkBranch, checkKey, MAX_TXN_OPS } from './sqlite/txn-checks.js';
import { WatchHub } from './sqlite/watch-hub.js';
import { WalCheckpointer, type WalCheckpointerOptions } from './wal-checkpointer.js';
import {
  CompactedError,
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

export { MAX_TXN_OPS };

export interface SqliteStoreOptions {
  /** Open an existing database for reading only (e.g. `aksemu store get` beside a running emulator). */
  readonly?: boolean;
  synchronous?: 'NORMAL' | 'FULL';
  /** Keep at least this many revisions of watch history (default 100,000). */
  historyRevisions?: number;
  /** Tuning of the background WAL checkpointer (tests start it early). */
  checkpointer?: Omit<WalCheckpointerOptions, 'synchronous'>;
  /** How often a writer runs `maintain()`, in ms (default 5 minutes; 0: never, the caller runs it). */
  maintenanceIntervalMs?: number;
  /** Zero freed content (default on, SPEC R-3; off only to show what it prevents). */
  secureDelete?: boolean;
}

const MAINTENANCE_INTERVAL_MS = 5 * 60_000;

interface ApplyResult extends TxnResult {
  events: WatchEvent[];
  /** With `probe`: the probed key as it is after the transaction. */
  current?: KeyValue | undefined;
}

export class SqliteStore implements Store {
  readonly description: string;
  private readonly db: Database.Database;
  private readonly statements: StatementCache;
  private readonly hub: WatchHub;
  private readonly compaction: Compaction;
  private readonly slicer = new FairSlicer();
  private currentRevision: number;
  private closed = false;
  /** Checkpoints the WAL off the writer's thread (undefined when read-only). */
  readonly checkpointer: WalCheckpointer | undefined;

  private readonly stmt: WriteStatements | undefined;

  constructor(readonly path: string, opts: SqliteStoreOptions = {}) {
    this.description = `sqlite:${path}`;
    if (!opts.readonly) checkBeforeOpen(path);
    this.db = new Database(path, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
    this.db.pragma('busy_timeout = 5000');
    if (!opts.readonly) {
      const synchronous = opts.synchronous ?? 'NORMAL';
      try {
        this.db.pragma('journal_mode = WAL');
        quickCheck(this.db, path);
      } catch (err) {
        this.db.close();
        if (isCorruption(err)) throw new StoreDamagedError(path, (err as Error).message);
        throw err;
      }
      this.db.pragma(`synchronous = ${synchronous}`);
      this.db.pragma(`secure_delete = ${opts.secureDelete === false ? 'OFF' : 'ON'}`);
      createOrUpgradeSchema(this.db, path);
      this.checkpointer = new WalCheckpointer(path, this.db, { ...opts.checkpointer, synchronous });
      const interval = opts.maintenanceIntervalMs ?? MAINTENANCE_INTERVAL_MS;
      if (interval > 0) {
        this.maintenanceTimer = setInterval(() => this.maintainQuietly(), interval);
        this.maintenanceTimer.unref();
      }
    }
    this.statements = new StatementCache(this.db);
    this.hub = new WatchHub(this.statements);
    this.currentRevision = readMeta(this.db, 'revision');
    this.compaction = new Compaction(this.db, this.statements, opts.historyRevisions ?? 100_000, readMeta(this.db, 'compact_revision'));
    // A writer has just converted the database; only a reader can find the schema 1 layout.
    const legacy = opts.readonly === true && hasLegacyKv(this.db);
    this.kvColumns = legacy ? LEGACY_KV_COLUMNS : KV_COLUMNS;
    this.kvFrom = legacy ? 'kv' : KV_FROM;
    this.stmt = opts.readonly ? undefined : prepareWriteStatements(this.db);
  }

  /** How current key-values are selected: the join of schema 3, or a read-only view of a schema 1 database. */
  private readonly kvColumns: string;
  private readonly kvFrom: string;

  /** Set when a write failed because the store cannot serve (a full disk), cleared by the next write that succeeds. */
  private lastWriteProblem: string | undefined;

  writeProblem(): string | undefined {
    return this.lastWriteProblem;
  }

  /** Runs a read (or upkeep) and turns SQLite's "cannot serve now" failures into StoreUnavailableError. */
  private guard<T>(what: string, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw asStoreFailure(this.description, what, err);
    }
  }

  private writable(): WriteStatements {
    if (this.closed) throw new Error('store is closed');
    if (!this.stmt) throw new Error('store was opened read-only');
    return this.stmt;
  }

  private getRow(key: Buffer): KvRow | undefined {
    return this.statements.get(`SELECT ${this.kvColumns} FROM ${this.kvFrom} WHERE kv.key = ?`).get(key) as KvRow | undefined;
  }

  async get(key: string): Promise<KeyValue | undefined> {
    await this.slicer.turn();
    if (this.closed) throw new Error('store is closed');
    checkKey(key);
    const row = this.guard(`get ${key}`, () => (this.stmt ? this.stmt.get.get(Buffer.from(key, 'utf8')) : this.getRow(Buffer.from(key, 'utf8'))));
    return row ? toKv(row) : undefined;
  }

  async revision(): Promise<number> {
    if (this.closed) throw new Error('store is closed');
    if (this.stmt) return this.currentRevision;
    return readMeta(this.db, 'revision'); // another process is the writer
  }

  async put(key: string, value: Buffer, opts: { ifModRevision?: number } = {}): Promise<WriteResult> {
    checkKey(key);
    await this.slicer.turn();
    const conditions = opts.ifModRevision === undefined ? [] : [{ key, modRevision: opts.ifModRevision }];
    const res = this.apply(conditions, [{ type: 'put', key, value }], [], key);
    if (res.succeeded) return { succeeded: true, revision: res.revision };
    return { succeeded: false, revision: res.revision, current: res.current };
  }

  async delete(key: string, opts: { ifModRevision?: number } = {}): Promise<DeleteResult> {
    checkKey(key);
    await this.slicer.turn();
    const conditions = opts.ifModRevision === undefined ? [] : [{ key, modRevision: opts.ifModRevision }];
    // The deleted value comes from inside the transaction: a value read before it could be stale by then.
    const res = this.apply(conditions, [{ type: 'delete', key }], [], key);
    if (res.succeeded) return { succeeded: true, revision: res.revision, deleted: res.events[0]?.prevKv };
    return { succeeded: false, revision: res.revision, current: res.current };
  }

  async txn(req: TxnRequest): Promise<TxnResult> {
    await this.slicer.turn();
    const { succeeded, revision } = this.apply(req.if ?? [], req.then, req.else ?? []);
    return { succeeded, revision };
  }

  /**
   * One transaction wrapper for the whole store, taking the work as an argument: better-sqlite3 compiles a
   * wrapper's BEGIN/COMMIT statements per `db.transaction()` call, which is too costly to repeat per write.
   */
  private txnWrapper: Database.Transaction<(work: () => unknown) => unknown> | undefined;
  private inTransaction(): Database.Transaction<(work: () => unknown) => unknown> {
    this.txnWrapper ??= this.db.transaction((work: () => unknown) => work());
    return this.txnWrapper;
  }

  /**
   * Runs one transaction synchronously: evaluates the conditions, applies one branch at a single new revision
   * (only if it changes something), records the events and hands them to the watchers after commit. With `probe`,
   * a failed transaction also returns that key as it is (read inside the same SQLite transaction).
   */
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
          if (prev) this.compaction.dropIfCompacted(stmt, prev);
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
            this.compaction.dropIfCompacted(stmt, prev);
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
      this.lastWriteProblem = undefined;
    } catch (err) {
      this.currentRevision = before;
      this.lastWriteProblem = unavailableReason(err) ?? this.lastWriteProblem;
      throw asStoreFailure(this.description, 'write', err);
    }
    if (events.length > 0) {
      this.checkpointer?.noteWrites(events.length);
      this.hub.dispatch(events);
      this.compaction.afterWrite(stmt, this.currentRevision);
    }
    return { succeeded, revision: this.currentRevision, events, current };
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
    return this.statements.get(sql).all(...args) as KvRow[];
  }

  async range(prefix: string, opts: RangeOptions = {}): Promise<RangeResult> {
    await this.slicer.turn();
    if (this.closed) throw new Error('store is closed');
    if (opts.after !== undefined && !opts.after.startsWith(prefix)) {
      throw new RangeError(`range: 'after' key ${JSON.stringify(opts.after)} is outside prefix ${JSON.stringify(prefix)}`);
    }
    const limit = opts.limit !== undefined && opts.limit > 0 ? opts.limit : undefined;
    const read = () => {
      const rows = this.rangeRows(prefix, opts.after, limit === undefined ? undefined : limit + 1, opts.keysOnly ?? false);
      return { rows, revision: this.stmt ? this.currentRevision : readMeta(this.db, 'revision') };
    };
    const { rows, revision } = this.guard(`range ${prefix}`, () => this.inTransaction().deferred(read) as { rows: KvRow[]; revision: number });
    const more = limit !== undefined && rows.length > limit;
    return { items: (more ? rows.slice(0, limit) : rows).map(toKv), more, revision };
  }

  async count(prefix: string): Promise<number> {
    if (this.closed) throw new Error('store is closed');
    const { start, end } = rangeBounds(prefix);
    const row = this.guard(`count ${prefix}`, () =>
      end
        ? (this.statements.get('SELECT count(*) AS n FROM kv WHERE key >= ? AND key < ?').get(start, end) as { n: number })
        : (this.statements.get('SELECT count(*) AS n FROM kv WHERE key >= ?').get(start) as { n: number }),
    );
    return row.n;
  }

  async watch(prefix: string, opts: WatchOptions, onEvents: WatchListener, onError?: WatchErrorListener): Promise<Watch> {
    if (this.closed) throw new Error('store is closed');
    // As in etcd, a start revision of 0 (or less) means "from now on".
    const from = opts.fromRevision !== undefined && opts.fromRevision > 0 ? opts.fromRevision : undefined;
    const replay = from !== undefined && from <= this.currentRevision;
    if (replay && from < this.compaction.revision) throw new CompactedError(from, this.compaction.revision);
    return this.hub.add(prefix, from, replay ? from : undefined, onEvents, onError);
  }

  /**
   * etcd's compaction: drops watch history before `revision` (a watch may still start at `revision`; an older
   * start gets CompactedError). An already compacted revision is a no-op; a future revision is an error.
   */
  compact(revision: number): void {
    const stmt = this.writable();
    this.compaction.compact(stmt, revision, this.currentRevision);
  }

  async purgeHistory(): Promise<void> {
    const stmt = this.writable();
    this.guard('purge history', () => {
      this.compaction.compact(stmt, this.currentRevision, this.currentRevision);
      this.maintenanceMark = this.currentRevision;
      if (this.walBytes() > 0) this.db.pragma('wal_checkpoint(TRUNCATE)');
    });
  }

  private maintenanceTimer: NodeJS.Timeout | undefined;
  /** The revision at the previous upkeep pass: the next pass compacts up to it. */
  private maintenanceMark: number | undefined;

  /**
   * One upkeep pass (SPEC R-3): compacts the history to the revision seen at the previous pass, so a superseded
   * value lives at most two passes, then moves the WAL into the file and truncates it (the pages zeroed by
   * secure_delete replace the old ones in the file; the old page images in the WAL go).
   */
  maintain(): void {
    const stmt = this.writable();
    const mark = this.maintenanceMark;
    this.maintenanceMark = this.currentRevision;
    if (mark !== undefined) this.compaction.compact(stmt, mark, this.currentRevision);
    if (this.walBytes() > 0) this.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  /** The timer's pass: a failure (a busy or full disk) must not end the process (SPEC R-1); the next pass retries. */
  private maintainQuietly(): void {
    try {
      if (!this.closed) this.maintain();
    } catch {
      this.maintenanceMark = undefined;
    }
  }

  private walBytes(): number {
    try {
      return statSync(`${this.path}-wal`).size;
    } catch {
      return 0;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.maintenanceTimer) clearInterval(this.maintenanceTimer);
    this.hub.close();
    await this.checkpointer?.stop();
    this.db.close();
  }
}
