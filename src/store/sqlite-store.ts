/**
 * The embedded store: SQLite through better-sqlite3, in WAL mode.
 *
 * Durability: every write is one SQLite transaction. With journal_mode=WAL and synchronous=NORMAL a committed
 * transaction is in the WAL file before the call returns, so it survives the process being killed (kill -9);
 * only an operating-system crash or power loss can lose the last transactions, as documented by SQLite.
 * Pass `synchronous: 'FULL'` to trade write speed for power-loss durability.
 *
 * Revisions and watch history follow etcd: table `kv` holds the current keys, table `events` the change log that
 * watches replay from; old events are compacted away (a watch that asks for them gets CompactedError).
 */
import Database from 'better-sqlite3';
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
}

interface KvRow {
  key: Buffer;
  value: Buffer;
  create_rev: number;
  mod_rev: number;
  version: number;
}

interface EventRow extends KvRow {
  revision: number;
  type: number; // 0 put, 1 delete
}

const EVENT_PUT = 0;
const EVENT_DELETE = 1;
const EMPTY = Buffer.alloc(0);

interface WatchRegistration {
  prefix: Buffer;
  end: Buffer | undefined;
  onEvents: WatchListener;
  onError: WatchErrorListener | undefined;
  queue: WatchEvent[][];
  scheduled: boolean;
  cancelled: boolean;
}

function toKv(row: KvRow): KeyValue {
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

function inRange(key: Buffer, start: Buffer, end: Buffer | undefined): boolean {
  return Buffer.compare(key, start) >= 0 && (end === undefined || Buffer.compare(key, end) < 0);
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

  private readonly stmt: {
    get: Database.Statement<[Buffer], KvRow>;
    upsert: Database.Statement<[Buffer, Buffer, number, number, number]>;
    del: Database.Statement<[Buffer]>;
    event: Database.Statement<[number, number, Buffer, number, Buffer, number, number, number]>;
    setMeta: Database.Statement<[string, number]>;
  } | undefined;

  constructor(readonly path: string, opts: SqliteStoreOptions = {}) {
    this.description = `sqlite:${path}`;
    this.historyRevisions = opts.historyRevisions ?? 100_000;
    this.db = new Database(path, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
    if (!opts.readonly) {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma(`synchronous = ${opts.synchronous ?? 'NORMAL'}`);
      this.db.exec(`
        CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS kv (
          key BLOB PRIMARY KEY, value BLOB NOT NULL,
          create_rev INTEGER NOT NULL, mod_rev INTEGER NOT NULL, version INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS events (
          revision INTEGER NOT NULL, seq INTEGER NOT NULL, key BLOB NOT NULL, type INTEGER NOT NULL,
          value BLOB NOT NULL, create_rev INTEGER NOT NULL, mod_rev INTEGER NOT NULL, version INTEGER NOT NULL,
          PRIMARY KEY (revision, seq)
        ) WITHOUT ROWID;
      `);
    }
    this.db.pragma('busy_timeout = 5000');
    this.currentRevision = this.readMeta('revision');
    this.compactRevision = this.readMeta('compact_revision');
    this.stmt = opts.readonly
      ? undefined
      : {
          get: this.db.prepare('SELECT key, value, create_rev, mod_rev, version FROM kv WHERE key = ?'),
          upsert: this.db.prepare(
            'INSERT INTO kv (key, value, create_rev, mod_rev, version) VALUES (?, ?, ?, ?, ?) ' +
              'ON CONFLICT(key) DO UPDATE SET value = excluded.value, mod_rev = excluded.mod_rev, version = excluded.version',
          ),
          del: this.db.prepare('DELETE FROM kv WHERE key = ?'),
          event: this.db.prepare(
            'INSERT INTO events (revision, seq, key, type, value, create_rev, mod_rev, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
          ),
          setMeta: this.db.prepare('INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value'),
        };
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
    return this.db.prepare<[Buffer], KvRow>('SELECT key, value, create_rev, mod_rev, version FROM kv WHERE key = ?').get(key);
  }

  async get(key: string): Promise<KeyValue | undefined> {
    if (this.closed) throw new Error('store is closed');
    const row = this.stmt ? this.stmt.get.get(Buffer.from(key, 'utf8')) : this.getRow(Buffer.from(key, 'utf8'));
    return row ? toKv(row) : undefined;
  }

  async revision(): Promise<number> {
    if (this.stmt) return this.currentRevision;
    return this.readMeta('revision'); // another process is the writer
  }

  async put(key: string, value: Buffer, opts: { ifModRevision?: number } = {}): Promise<WriteResult> {
    const conditions = opts.ifModRevision === undefined ? [] : [{ key, modRevision: opts.ifModRevision }];
    const { succeeded, revision } = this.apply(conditions, [{ type: 'put', key, value }], []);
    if (succeeded) return { succeeded, revision };
    return { succeeded, revision, current: await this.get(key) };
  }

  async delete(key: string, opts: { ifModRevision?: number } = {}): Promise<DeleteResult> {
    const before = await this.get(key);
    const conditions = opts.ifModRevision === undefined ? [] : [{ key, modRevision: opts.ifModRevision }];
    const { succeeded, revision } = this.apply(conditions, [{ type: 'delete', key }], []);
    if (succeeded) return { succeeded, revision, deleted: before };
    return { succeeded, revision, current: before };
  }

  async txn(req: TxnRequest): Promise<TxnResult> {
    return this.apply(req.if ?? [], req.then, req.else ?? []);
  }

  /**
   * Runs one transaction synchronously: evaluates the conditions, applies one branch at a single new revision
   * (only if it changes something), records the events and hands them to the watchers after commit.
   */
  private apply(conditions: Condition[], then: TxnOp[], otherwise: TxnOp[]): TxnResult {
    const stmt = this.writable();
    let events: WatchEvent[] = [];
    let succeeded = false;
    const run = this.db.transaction(() => {
      succeeded = conditions.every((c) => (stmt.get.get(Buffer.from(c.key, 'utf8'))?.mod_rev ?? 0) === c.modRevision);
      const ops = succeeded ? then : otherwise;
      const rev = this.currentRevision + 1;
      events = [];
      for (const op of ops) {
        if (op.type === 'put') {
          const key = Buffer.from(op.key, 'utf8');
          const prev = stmt.get.get(key);
          const createRev = prev ? prev.create_rev : rev;
          const version = prev ? prev.version + 1 : 1;
          stmt.upsert.run(key, op.value, createRev, rev, version);
          stmt.event.run(rev, events.length, key, EVENT_PUT, op.value, createRev, rev, version);
          events.push({
            type: 'put',
            kv: { key: op.key, value: op.value, createRevision: createRev, modRevision: rev, version },
            prevKv: prev ? toKv(prev) : undefined,
          });
        } else {
          const keys =
            op.type === 'delete'
              ? [stmt.get.get(Buffer.from(op.key, 'utf8'))].filter((r): r is KvRow => r !== undefined)
              : this.rangeRows(op.prefix, undefined, undefined, false);
          for (const prev of keys) {
            stmt.del.run(prev.key);
            stmt.event.run(rev, events.length, prev.key, EVENT_DELETE, prev.value, prev.create_rev, prev.mod_rev, prev.version);
            events.push({
              type: 'delete',
              kv: { key: prev.key.toString('utf8'), value: EMPTY, createRevision: prev.create_rev, modRevision: rev, version: 0 },
              prevKv: toKv(prev),
            });
          }
        }
      }
      if (events.length > 0) {
        this.currentRevision = rev;
        stmt.setMeta.run('revision', rev);
      }
    });
    const before = this.currentRevision;
    try {
      run.immediate();
    } catch (err) {
      this.currentRevision = before;
      throw err;
    }
    if (events.length > 0) {
      this.dispatch(events);
      this.maybeCompact();
    }
    return { succeeded, revision: this.currentRevision };
  }

  private rangeRows(prefix: string, after: string | undefined, limit: number | undefined, keysOnly: boolean): KvRow[] {
    const { start, end } = rangeBounds(prefix);
    const cols = keysOnly ? "key, X'' AS value, create_rev, mod_rev, version" : 'key, value, create_rev, mod_rev, version';
    const lower = after !== undefined ? 'key > ?' : 'key >= ?';
    const lowerArg = after !== undefined ? Buffer.from(after, 'utf8') : start;
    const sql =
      `SELECT ${cols} FROM kv WHERE ${lower}` +
      (end ? ' AND key < ?' : '') +
      ' ORDER BY key' +
      (limit !== undefined ? ' LIMIT ?' : '');
    const args: unknown[] = [lowerArg];
    if (end) args.push(end);
    if (limit !== undefined) args.push(limit);
    return this.db.prepare(sql).all(...args) as KvRow[];
  }

  async range(prefix: string, opts: RangeOptions = {}): Promise<RangeResult> {
    if (this.closed) throw new Error('store is closed');
    if (opts.after !== undefined && !opts.after.startsWith(prefix)) {
      throw new RangeError(`range: 'after' key ${JSON.stringify(opts.after)} is outside prefix ${JSON.stringify(prefix)}`);
    }
    const limit = opts.limit !== undefined && opts.limit > 0 ? opts.limit : undefined;
    const read = this.db.transaction(() => {
      const rows = this.rangeRows(prefix, opts.after, limit === undefined ? undefined : limit + 1, opts.keysOnly ?? false);
      return { rows, revision: this.stmt ? this.currentRevision : this.readMeta('revision') };
    });
    const { rows, revision } = read.deferred();
    const more = limit !== undefined && rows.length > limit;
    return { items: (more ? rows.slice(0, limit) : rows).map(toKv), more, revision };
  }

  async count(prefix: string): Promise<number> {
    if (this.closed) throw new Error('store is closed');
    const { start, end } = rangeBounds(prefix);
    const row = end
      ? (this.db.prepare('SELECT count(*) AS n FROM kv WHERE key >= ? AND key < ?').get(start, end) as { n: number })
      : (this.db.prepare('SELECT count(*) AS n FROM kv WHERE key >= ?').get(start) as { n: number });
    return row.n;
  }

  async watch(prefix: string, opts: WatchOptions, onEvents: WatchListener, onError?: WatchErrorListener): Promise<Watch> {
    if (this.closed) throw new Error('store is closed');
    const { start, end } = rangeBounds(prefix);
    const reg: WatchRegistration = { prefix: start, end, onEvents, onError, queue: [], scheduled: false, cancelled: false };
    if (opts.fromRevision !== undefined && opts.fromRevision <= this.currentRevision) {
      if (opts.fromRevision <= this.compactRevision) throw new CompactedError(opts.fromRevision, this.compactRevision);
      // History and registration happen in the same synchronous step, so no write can fall between them.
      const sql =
        'SELECT revision, type, key, value, create_rev, mod_rev, version FROM events WHERE revision >= ? AND key >= ?' +
        (end ? ' AND key < ?' : '') +
        ' ORDER BY revision, seq';
      const rows = (end
        ? this.db.prepare(sql).all(opts.fromRevision, start, end)
        : this.db.prepare(sql).all(opts.fromRevision, start)) as EventRow[];
      let batch: WatchEvent[] = [];
      let batchRev = -1;
      for (const row of rows) {
        if (row.revision !== batchRev && batch.length > 0) {
          reg.queue.push(batch);
          batch = [];
        }
        batchRev = row.revision;
        batch.push(
          row.type === EVENT_PUT
            ? { type: 'put', kv: toKv(row) }
            : {
                type: 'delete',
                kv: { key: row.key.toString('utf8'), value: EMPTY, createRevision: row.create_rev, modRevision: row.revision, version: 0 },
                prevKv: toKv(row),
              },
        );
      }
      if (batch.length > 0) reg.queue.push(batch);
      this.schedule(reg);
    }
    this.watches.add(reg);
    return {
      cancel: () => {
        reg.cancelled = true;
        this.watches.delete(reg);
      },
    };
  }

  private dispatch(events: WatchEvent[]): void {
    for (const reg of this.watches) {
      const mine = events.filter((e) => inRange(Buffer.from(e.kv.key, 'utf8'), reg.prefix, reg.end));
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
    this.compact(this.currentRevision - this.historyRevisions);
  }

  /** Drops watch history at or below `revision`. */
  compact(revision: number): void {
    const stmt = this.writable();
    if (revision <= this.compactRevision) return;
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM events WHERE revision <= ?').run(revision);
      stmt.setMeta.run('compact_revision', revision);
    })();
    this.compactRevision = revision;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const reg of this.watches) reg.cancelled = true;
    this.watches.clear();
    this.db.close();
  }
}
