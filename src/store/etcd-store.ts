/**
 * The distributed store: an etcd v3 cluster through the `etcd3` client.
 *
 * The Store interface is etcd's model, so this is a thin mapping: revisions, create/mod revisions and versions are
 * etcd's own; a conditional write is a Txn comparing MOD revision (0 = absent, as etcd compares a missing key
 * against a zero KeyValue); a transaction is one Txn (compare / success / failure); range paging is a Range from
 * the key after `after` with etcd's `limit` and `more`; count is a count-only Range; watch is etcd's Watch stream
 * from a start revision with previous key-values.
 *
 * Several emulators can share one etcd: an optional key prefix is put in front of every key and stripped from every
 * key read back. Revisions and compaction are etcd's and therefore shared by everyone using that etcd.
 *
 * The parts: etcd/connection.ts makes the client, etcd/calls.ts runs each call and decides what a failure means
 * (reads are retried, writes only when they provably never reached etcd), etcd/keys.ts maps keys to and from the
 * key prefix, etcd/txn.ts builds Txn compares and ops, etcd/watch.ts runs the watches (one Watch stream each).
 */
import type { Etcd3, IDeleteRangeRequest, IDuplexStream, IPutRequest, IRangeRequest, IWatchRequest, IWatchResponse } from 'etcd3';
import { EtcdCalls } from './etcd/calls.js';
import { connect, connectEachMember, hostPort } from './etcd/connection.js';
import { EtcdHealth, type EtcdHealthOptions } from './etcd/health.js';
import { EtcdKeys } from './etcd/keys.js';
import { modIs, requestOps } from './etcd/txn.js';
import { EtcdWatch, watchBatches } from './etcd/watch.js';
import type {
  Condition,
  DeleteResult,
  KeyValue,
  RangeOptions,
  RangeResult,
  Store,
  TxnRequest,
  TxnResult,
  Watch,
  WatchErrorListener,
  WatchEvent,
  WatchListener,
  WatchOptions,
  WriteResult,
} from './store.js';

export interface EtcdStoreOptions {
  /** Deadline of each unary call to etcd (default 10 s). */
  callTimeoutMs?: number;
  /** How long reads, writes that never reached etcd, and watch (re)connections keep retrying (default 10 s). */
  retryTimeoutMs?: number;
  /** How the members are probed to know within about a second that none answers (see ./etcd/health.ts). */
  health?: EtcdHealthOptions;
}

const EMPTY = Buffer.alloc(0);

export class EtcdStore implements Store {
  readonly description: string;
  readonly endpoints: string[];
  readonly prefix: string;
  private readonly client: Etcd3;
  /** One client per member: health probes and defragmentation ask each member itself. */
  private readonly members: Etcd3[];
  private readonly keys: EtcdKeys;
  private readonly calls: EtcdCalls;
  private readonly health: EtcdHealth;
  private readonly callTimeoutMs: number;
  readonly retryTimeoutMs: number;
  private readonly watches = new Set<EtcdWatch>();
  private closed = false;

  /**
   * @param endpoints `["127.0.0.1:2379", ...]` (or with `http://`); every member of the cluster, for failover.
   * @param prefix put in front of every key (e.g. "/aksemu-a"), so that several emulators can share one etcd.
   */
  constructor(endpoints: string[], prefix = '', options: EtcdStoreOptions = {}) {
    if (endpoints.length === 0) throw new Error('EtcdStore needs at least one endpoint');
    this.endpoints = endpoints.map(hostPort);
    this.keys = new EtcdKeys(prefix);
    this.prefix = this.keys.prefix;
    this.callTimeoutMs = options.callTimeoutMs ?? 10_000;
    this.retryTimeoutMs = options.retryTimeoutMs ?? 10_000;
    this.description = `etcd://${this.endpoints.join(',')}${this.prefix}`;
    this.members = connectEachMember(this.endpoints);
    this.health = new EtcdHealth(this.members, options.health);
    this.calls = new EtcdCalls(this.description, this.retryTimeoutMs, () => this.closed, this.health);
    this.client = connect(this.endpoints, this.callTimeoutMs);
  }

  // ---- Store ------------------------------------------------------------------------------------------------

  async get(key: string): Promise<KeyValue | undefined> {
    const res = await this.calls.run(`get ${key}`, 'read', () => this.client.kv.range({ key: this.keys.encode(key) }));
    const kv = res.kvs[0];
    return kv ? this.keys.toKv(kv) : undefined;
  }

  async revision(): Promise<number> {
    // Any linearizable read returns the store revision in its header; a count of one (absent) key is the cheapest.
    const res = await this.calls.run('revision', 'read', () =>
      this.client.kv.range({ key: this.keys.nonKey(), count_only: true }),
    );
    return Number(res.header.revision);
  }

  async put(key: string, value: Buffer, opts: { ifModRevision?: number } = {}): Promise<WriteResult> {
    const put: IPutRequest = { key: this.keys.encode(key), value };
    if (opts.ifModRevision === undefined) {
      const res = await this.calls.run(`put ${key}`, 'write', () => this.client.kv.put(put));
      return { succeeded: true, revision: Number(res.header.revision) };
    }
    const cond = opts.ifModRevision;
    const res = await this.calls.run(`put ${key} if mod_revision=${cond}`, 'write', () =>
      this.client.kv.txn({
        compare: [modIs(this.keys, key, cond)],
        success: [{ request_put: put }],
        failure: [{ request_range: { key: this.keys.encode(key) } }],
      }),
    );
    const revision = Number(res.header.revision);
    if (res.succeeded) return { succeeded: true, revision };
    const kv = res.responses[0]?.response_range.kvs[0];
    return { succeeded: false, revision, current: kv ? this.keys.toKv(kv) : undefined };
  }

  async delete(key: string, opts: { ifModRevision?: number } = {}): Promise<DeleteResult> {
    const del: IDeleteRangeRequest = { key: this.keys.encode(key), prev_kv: true };
    if (opts.ifModRevision === undefined) {
      const res = await this.calls.run(`delete ${key}`, 'write', () => this.client.kv.deleteRange(del));
      const prev = res.prev_kvs[0];
      return { succeeded: true, revision: Number(res.header.revision), deleted: prev ? this.keys.toKv(prev) : undefined };
    }
    const cond = opts.ifModRevision;
    const res = await this.calls.run(`delete ${key} if mod_revision=${cond}`, 'write', () =>
      this.client.kv.txn({
        compare: [modIs(this.keys, key, cond)],
        success: [{ request_delete_range: del }],
        failure: [{ request_range: { key: this.keys.encode(key) } }],
      }),
    );
    const revision = Number(res.header.revision);
    if (res.succeeded) {
      const prev = res.responses[0]?.response_delete_range.prev_kvs[0];
      return { succeeded: true, revision, deleted: prev ? this.keys.toKv(prev) : undefined };
    }
    const kv = res.responses[0]?.response_range.kvs[0];
    return { succeeded: false, revision, current: kv ? this.keys.toKv(kv) : undefined };
  }

  async txn(req: TxnRequest): Promise<TxnResult> {
    const compare = (req.if ?? []).map((c: Condition) => modIs(this.keys, c.key, c.modRevision));
    const success = requestOps(this.keys, req.then);
    const failure = requestOps(this.keys, req.else ?? []);
    const res = await this.calls.run('txn', 'write', () => this.client.kv.txn({ compare, success, failure }));
    return { succeeded: res.succeeded, revision: Number(res.header.revision) };
  }

  async range(prefix: string, opts: RangeOptions = {}): Promise<RangeResult> {
    if (opts.after !== undefined && !opts.after.startsWith(prefix)) {
      throw new RangeError(`range: 'after' key ${JSON.stringify(opts.after)} is outside prefix ${JSON.stringify(prefix)}`);
    }
    const scope = this.keys.scope(prefix);
    if (!scope) return { items: [], more: false, revision: await this.revision() };
    let key = scope.key;
    if (opts.after !== undefined) {
      // The smallest key after `after` is `after` followed by a zero byte.
      const next = this.keys.after(opts.after);
      if (Buffer.compare(next, key) > 0) key = next;
    }
    const req: IRangeRequest = {
      key,
      range_end: scope.end,
      limit: opts.limit !== undefined && opts.limit > 0 ? opts.limit : 0,
      keys_only: opts.keysOnly ?? false,
    };
    const res = await this.calls.run(`range ${prefix}`, 'read', () => this.client.kv.range(req));
    return { items: res.kvs.map((kv) => this.keys.toKv(kv)), more: res.more, revision: Number(res.header.revision) };
  }

  async count(prefix: string): Promise<number> {
    const scope = this.keys.scope(prefix);
    if (!scope) return 0;
    const res = await this.calls.run(`count ${prefix}`, 'read', () =>
      this.client.kv.range({ key: scope.key, range_end: scope.end, count_only: true }),
    );
    return Number(res.count);
  }

  async watch(prefix: string, opts: WatchOptions, onEvents: WatchListener, onError?: WatchErrorListener): Promise<Watch> {
    if (this.closed) throw new Error('store is closed');
    // A prefix no key of this store can have: watch the bare key prefix, which is never a key.
    const scope = this.keys.scope(prefix) ?? { key: this.keys.prefixBytes, end: EMPTY };
    const w = new EtcdWatch(this, {
      key: scope.key,
      rangeEnd: scope.end,
      fromRevision: opts.fromRevision !== undefined && opts.fromRevision > 0 ? opts.fromRevision : undefined,
      onEvents,
      onError,
    });
    this.watches.add(w);
    try {
      await w.start();
    } catch (err) {
      this.watches.delete(w);
      throw err;
    }
    return {
      cancel: () => {
        w.cancel();
        this.watches.delete(w);
      },
    };
  }

  /**
   * Compacts etcd's history up to now, then defragments every member: compaction only frees bbolt pages, which keep
   * their old bytes until a defragmentation rewrites the file (SPEC R-3). Defragmentation blocks a member while it
   * runs, so it is done one member at a time; a member that does not answer is skipped (its file is the etcd
   * operator's to defragment). etcd's own WAL still holds every write until etcd rotates and purges its segments
   * (--snapshot-count, --max-wals): docs/architecture.md says what that means for a secret's old value.
   */
  async purgeHistory(): Promise<void> {
    await this.compact(await this.revision());
    for (const member of this.members) {
      await member.maintenance.defragment({ deadline: Date.now() + this.callTimeoutMs }).catch(() => undefined);
    }
  }

  /**
   * etcd's compaction (physical): history before `revision` is gone, watches from an older revision get
   * CompactedError. Compaction is cluster-wide, whatever this store's key prefix. Compacting an already
   * compacted revision is a no-op; a future revision is an error.
   */
  async compact(revision: number): Promise<void> {
    try {
      await this.calls.run(`compact ${revision}`, 'write', () => this.client.kv.compact({ revision, physical: true }));
    } catch (err) {
      if (err instanceof Error && /required revision has been compacted/.test(err.message)) return;
      throw err;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.watches) w.cancel();
    this.watches.clear();
    this.health.close();
    for (const member of this.members) member.close();
    this.client.close();
  }

  // ---- for EtcdWatch ----------------------------------------------------------------------------------------

  /** @internal */
  get isClosed(): boolean {
    return this.closed;
  }

  /** @internal True while no etcd member answers (./etcd/health.ts). */
  get storeDown(): boolean {
    return this.health.isDown;
  }

  /** @internal */
  openWatchStream(): Promise<IDuplexStream<IWatchRequest, IWatchResponse>> {
    return this.client.watchClient.watch();
  }

  /** @internal True when the history at `revision` under [key, rangeEnd) has been compacted away. */
  async isCompacted(key: Buffer, rangeEnd: Buffer, revision: number): Promise<boolean> {
    try {
      await this.calls.run('compaction check', 'read', () =>
        this.client.kv.range({ key, range_end: rangeEnd, revision, count_only: true }),
      );
      return false;
    } catch (err) {
      if (err instanceof Error && /required revision has been compacted/.test(err.message)) return true;
      if (err instanceof Error && /required revision is a future revision/.test(err.message)) return false;
      throw err;
    }
  }

  /** @internal */
  watchEvents(events: IWatchResponse['events']): Array<{ revision: number; events: WatchEvent[] }> {
    return watchBatches(this.keys, events);
  }
}
