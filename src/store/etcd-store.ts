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
 * Failure handling. etcd3's connection pool picks a member per call and keeps a circuit breaker per member, so a
 * dead member is skipped. Its default global policy would also re-send a failed call up to three times, which is
 * unsafe for writes: a put whose connection broke may already be committed, and re-sending a conditional put would
 * then report a conflict with its own write. So this store turns that policy off and retries by itself:
 *   - reads are retried on any transient error, on another member, until `retryTimeoutMs` has passed;
 *   - writes are retried only when the request cannot have reached etcd (no connection could be established, the
 *     member's circuit was open, or etcd refused it before proposing it); any other failure of a write means its
 *     outcome is unknown and is reported as StoreUnavailableError, never as success and never silently;
 *   - a call answered by etcd has been committed by a quorum (etcd acknowledges after commit and apply), and reads
 *     are linearizable, so an acknowledged write is visible through every surviving member.
 * Every unary call has a deadline (`callTimeoutMs`), so a hung member produces an error rather than a hang.
 *
 * Watches use etcd3's Watch RPC stream directly, one stream per watch, rather than etcd3's Watcher helper: the
 * helper drops the `compact_revision` of a cancelled watch (needed for CompactedError) and, after a reconnect,
 * resumes from the revision in the last response header, which can skip events that were still being replayed.
 * Here a watch remembers the revision of the last batch it delivered and resumes right after it.
 */
import {
  CompareResult,
  CompareTarget,
  Etcd3,
  GRPCInvalidArgumentError,
  GRPCOutOfRangeError,
  GRPCUnavailableError,
  isRecoverableError,
  type IDeleteRangeRequest,
  type IDuplexStream,
  type IKeyValue,
  type IOptions,
  type IPutRequest,
  type IRangeRequest,
  type IRequestOp,
  type IWatchRequest,
  type IWatchResponse,
} from 'etcd3';
import {
  CompactedError,
  StoreUnavailableError,
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

export interface EtcdStoreOptions {
  /** Deadline of each unary call to etcd (default 10 s). */
  callTimeoutMs?: number;
  /** How long reads, writes that never reached etcd, and watch (re)connections keep retrying (default 10 s). */
  retryTimeoutMs?: number;
}

type Kind = 'read' | 'write';

const EMPTY = Buffer.alloc(0);

/** A failure that proves the request was never executed by etcd, so re-sending a write is safe. */
function neverExecuted(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  // cockatiel's BrokenCircuitError: the pool did not even try (every member's circuit is open).
  if ((err as { isBrokenCircuitError?: boolean }).isBrokenCircuitError === true) return true;
  const msg = err.message;
  // grpc-js could not pick a connected transport: the call was never sent.
  if (err instanceof GRPCUnavailableError && msg.includes('No connection established')) return true;
  // etcd refused before proposing to raft.
  return /etcdserver: (no leader|too many requests|not capable)|raft proposal dropped/.test(msg);
}

function transient(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if ((err as { isBrokenCircuitError?: boolean }).isBrokenCircuitError === true) return true;
  return isRecoverableError(err);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Normalises "host:port" or "http://host:port" to "host:port" (as shown in descriptions). */
function hostPort(endpoint: string): string {
  return endpoint.replace(/^https?:\/\//, '').replace(/\/+$/, '');
}

export class EtcdStore implements Store {
  readonly description: string;
  readonly endpoints: string[];
  readonly prefix: string;
  private readonly client: Etcd3;
  private readonly prefixBytes: Buffer;
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
    // "team-a", "/team-a" and "/team-a/" all mean the key prefix "/team-a".
    prefix = prefix.replace(/\/+$/, '');
    if (prefix !== '' && !prefix.startsWith('/')) prefix = `/${prefix}`;
    this.prefix = prefix;
    this.prefixBytes = Buffer.from(prefix, 'utf8');
    this.callTimeoutMs = options.callTimeoutMs ?? 10_000;
    this.retryTimeoutMs = options.retryTimeoutMs ?? 10_000;
    this.description = `etcd://${this.endpoints.join(',')}${prefix}`;
    // No global retry (see the header comment): calls go through as they are, retries are decided here.
    const noRetry = { execute: <T>(fn: (ctx: unknown) => T) => fn({ signal: new AbortController().signal, attempt: 1 }) };
    const callTimeoutMs = this.callTimeoutMs;
    const opts: IOptions = {
      hosts: this.endpoints.map((e) => `http://${e}`),
      faultHandling: { global: noRetry as unknown as NonNullable<IOptions['faultHandling']>['global'] },
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + callTimeoutMs }),
      grpcOptions: { 'grpc.keepalive_time_ms': 10_000, 'grpc.keepalive_timeout_ms': 5_000 },
    };
    this.client = new Etcd3(opts);
  }

  // ---- keys -------------------------------------------------------------------------------------------------
  //
  // With a key prefix P, the store key K is the etcd key P+K. Every key must then start with "/", so that the
  // store's keys are exactly the etcd keys under P+"/" and never those of a neighbour sharing the etcd with a
  // longer prefix (P="/a" must not see "/ab/..." of P="/ab").

  private k(key: string): Buffer {
    if (key === '') throw new Error('key is not provided');
    if (this.prefixBytes.length === 0) return Buffer.from(key, 'utf8');
    if (!key.startsWith('/')) throw new Error(`key ${JSON.stringify(key)} must start with "/" in a store with a key prefix`);
    return Buffer.concat([this.prefixBytes, Buffer.from(key, 'utf8')]);
  }

  /** The etcd key range [key, end) of the store keys that start with `prefix`; undefined when there are none. */
  private scope(prefix: string): { key: Buffer; end: Buffer } | undefined {
    if (this.prefixBytes.length === 0) {
      // etcd rejects an empty key; "\0" is the first key there is.
      return { key: prefix === '' ? Buffer.from([0]) : Buffer.from(prefix, 'utf8'), end: prefixEnd(prefix) };
    }
    if (prefix === '') prefix = '/'; // every key of this store starts with "/"
    else if (!prefix.startsWith('/')) return undefined;
    const full = this.prefix + prefix;
    return { key: Buffer.from(full, 'utf8'), end: prefixEnd(full) };
  }

  private unk(key: Buffer): string {
    return key.subarray(this.prefixBytes.length).toString('utf8');
  }

  private toKv(kv: IKeyValue): KeyValue {
    return {
      key: this.unk(kv.key),
      value: kv.value ?? EMPTY,
      createRevision: Number(kv.create_revision),
      modRevision: Number(kv.mod_revision),
      version: Number(kv.version),
    };
  }

  // ---- calls ------------------------------------------------------------------------------------------------

  /**
   * Runs one etcd call. Reads are retried on transient errors; writes only when they provably never reached
   * etcd. What cannot be completed becomes StoreUnavailableError; etcd's own refusals (invalid argument, ...)
   * become plain errors.
   */
  private async call<T>(what: string, kind: Kind, fn: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.retryTimeoutMs;
    let delay = 20;
    for (;;) {
      if (this.closed) throw new Error('store is closed');
      try {
        return await fn();
      } catch (err) {
        const retry = kind === 'read' ? transient(err) : neverExecuted(err);
        if (retry && Date.now() + delay < deadline && !this.closed) {
          await sleep(delay);
          delay = Math.min(delay * 2, 500);
          continue;
        }
        throw this.wrap(what, kind, err);
      }
    }
  }

  private wrap(what: string, kind: Kind, err: unknown): Error {
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof GRPCInvalidArgumentError || err instanceof GRPCOutOfRangeError) {
      return new Error(`etcd ${what}: ${message}`, { cause: err });
    }
    if (kind === 'write' && !neverExecuted(err)) {
      return new StoreUnavailableError(
        `${this.description}: ${what} failed and may or may not have been applied: ${message}`,
        { cause: err },
      );
    }
    return new StoreUnavailableError(`${this.description}: ${what} failed: ${message}`, { cause: err });
  }

  // ---- Store ------------------------------------------------------------------------------------------------

  async get(key: string): Promise<KeyValue | undefined> {
    const res = await this.call(`get ${key}`, 'read', () => this.client.kv.range({ key: this.k(key) }));
    const kv = res.kvs[0];
    return kv ? this.toKv(kv) : undefined;
  }

  async revision(): Promise<number> {
    // Any linearizable read returns the store revision in its header; a count of one (absent) key is the cheapest.
    const res = await this.call('revision', 'read', () =>
      this.client.kv.range({ key: Buffer.concat([this.prefixBytes, Buffer.from([0])]), count_only: true }),
    );
    return Number(res.header.revision);
  }

  private modIs(key: string, modRevision: number) {
    return { key: this.k(key), target: CompareTarget.Mod, result: CompareResult.Equal, mod_revision: modRevision };
  }

  async put(key: string, value: Buffer, opts: { ifModRevision?: number } = {}): Promise<WriteResult> {
    const put: IPutRequest = { key: this.k(key), value };
    if (opts.ifModRevision === undefined) {
      const res = await this.call(`put ${key}`, 'write', () => this.client.kv.put(put));
      return { succeeded: true, revision: Number(res.header.revision) };
    }
    const cond = opts.ifModRevision;
    const res = await this.call(`put ${key} if mod_revision=${cond}`, 'write', () =>
      this.client.kv.txn({
        compare: [this.modIs(key, cond)],
        success: [{ request_put: put }],
        failure: [{ request_range: { key: this.k(key) } }],
      }),
    );
    const revision = Number(res.header.revision);
    if (res.succeeded) return { succeeded: true, revision };
    const kv = res.responses[0]?.response_range.kvs[0];
    return { succeeded: false, revision, current: kv ? this.toKv(kv) : undefined };
  }

  async delete(key: string, opts: { ifModRevision?: number } = {}): Promise<DeleteResult> {
    const del: IDeleteRangeRequest = { key: this.k(key), prev_kv: true };
    if (opts.ifModRevision === undefined) {
      const res = await this.call(`delete ${key}`, 'write', () => this.client.kv.deleteRange(del));
      const prev = res.prev_kvs[0];
      return { succeeded: true, revision: Number(res.header.revision), deleted: prev ? this.toKv(prev) : undefined };
    }
    const cond = opts.ifModRevision;
    const res = await this.call(`delete ${key} if mod_revision=${cond}`, 'write', () =>
      this.client.kv.txn({
        compare: [this.modIs(key, cond)],
        success: [{ request_delete_range: del }],
        failure: [{ request_range: { key: this.k(key) } }],
      }),
    );
    const revision = Number(res.header.revision);
    if (res.succeeded) {
      const prev = res.responses[0]?.response_delete_range.prev_kvs[0];
      return { succeeded: true, revision, deleted: prev ? this.toKv(prev) : undefined };
    }
    const kv = res.responses[0]?.response_range.kvs[0];
    return { succeeded: false, revision, current: kv ? this.toKv(kv) : undefined };
  }

  private op(op: TxnOp): IRequestOp | undefined {
    switch (op.type) {
      case 'put':
        return { request_put: { key: this.k(op.key), value: op.value } };
      case 'delete':
        return { request_delete_range: { key: this.k(op.key) } };
      case 'deletePrefix': {
        const scope = this.scope(op.prefix);
        return scope ? { request_delete_range: { key: scope.key, range_end: scope.end } } : undefined;
      }
    }
  }

  private ops(ops: TxnOp[]): IRequestOp[] {
    return ops.map((op) => this.op(op)).filter((op): op is IRequestOp => op !== undefined);
  }

  async txn(req: TxnRequest): Promise<TxnResult> {
    const compare = (req.if ?? []).map((c: Condition) => this.modIs(c.key, c.modRevision));
    const success = this.ops(req.then);
    const failure = this.ops(req.else ?? []);
    const res = await this.call('txn', 'write', () => this.client.kv.txn({ compare, success, failure }));
    return { succeeded: res.succeeded, revision: Number(res.header.revision) };
  }

  async range(prefix: string, opts: RangeOptions = {}): Promise<RangeResult> {
    if (opts.after !== undefined && !opts.after.startsWith(prefix)) {
      throw new RangeError(`range: 'after' key ${JSON.stringify(opts.after)} is outside prefix ${JSON.stringify(prefix)}`);
    }
    const scope = this.scope(prefix);
    if (!scope) return { items: [], more: false, revision: await this.revision() };
    let key = scope.key;
    if (opts.after !== undefined) {
      // The smallest key after `after` is `after` followed by a zero byte.
      const next = Buffer.concat([this.prefixBytes, Buffer.from(opts.after, 'utf8'), Buffer.from([0])]);
      if (Buffer.compare(next, key) > 0) key = next;
    }
    const req: IRangeRequest = {
      key,
      range_end: scope.end,
      limit: opts.limit !== undefined && opts.limit > 0 ? opts.limit : 0,
      keys_only: opts.keysOnly ?? false,
    };
    const res = await this.call(`range ${prefix}`, 'read', () => this.client.kv.range(req));
    return { items: res.kvs.map((kv) => this.toKv(kv)), more: res.more, revision: Number(res.header.revision) };
  }

  async count(prefix: string): Promise<number> {
    const scope = this.scope(prefix);
    if (!scope) return 0;
    const res = await this.call(`count ${prefix}`, 'read', () =>
      this.client.kv.range({ key: scope.key, range_end: scope.end, count_only: true }),
    );
    return Number(res.count);
  }

  async watch(prefix: string, opts: WatchOptions, onEvents: WatchListener, onError?: WatchErrorListener): Promise<Watch> {
    if (this.closed) throw new Error('store is closed');
    // A prefix no key of this store can have: watch the bare key prefix, which is never a key.
    const scope = this.scope(prefix) ?? { key: this.prefixBytes, end: EMPTY };
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
   * etcd's compaction (physical): history before `revision` is gone, watches from an older revision get
   * CompactedError. Compaction is cluster-wide, whatever this store's key prefix. Compacting an already
   * compacted revision is a no-op; a future revision is an error.
   */
  async compact(revision: number): Promise<void> {
    try {
      await this.call(`compact ${revision}`, 'write', () => this.client.kv.compact({ revision, physical: true }));
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
    this.client.close();
  }

  // ---- for EtcdWatch ----------------------------------------------------------------------------------------

  /** @internal */
  get isClosed(): boolean {
    return this.closed;
  }

  /** @internal */
  openWatchStream(): Promise<IDuplexStream<IWatchRequest, IWatchResponse>> {
    return this.client.watchClient.watch();
  }

  /** @internal True when the history at `revision` under [key, rangeEnd) has been compacted away. */
  async isCompacted(key: Buffer, rangeEnd: Buffer, revision: number): Promise<boolean> {
    try {
      await this.call('compaction check', 'read', () =>
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
    const batches: Array<{ revision: number; events: WatchEvent[] }> = [];
    for (const ev of events) {
      const revision = Number(ev.kv.mod_revision);
      const prev = ev.prev_kv ? this.toKv(ev.prev_kv) : undefined;
      const event: WatchEvent =
        ev.type === 'Delete'
          ? {
              type: 'delete',
              kv: { key: this.unk(ev.kv.key), value: EMPTY, createRevision: 0, modRevision: revision, version: 0 },
              prevKv: prev,
            }
          : { type: 'put', kv: this.toKv(ev.kv), prevKv: prev };
      const last = batches[batches.length - 1];
      if (last && last.revision === revision) last.events.push(event);
      else batches.push({ revision, events: [event] });
    }
    return batches;
  }
}

interface EtcdWatchSpec {
  key: Buffer;
  rangeEnd: Buffer;
  fromRevision: number | undefined;
  onEvents: WatchListener;
  onError: WatchErrorListener | undefined;
}

/**
 * One watch = one etcd Watch stream. It survives connection loss: the stream is reopened (on whichever member the
 * pool picks) from the revision after the last batch delivered, so no event is lost or repeated; if that history
 * has been compacted meanwhile, the watch ends with CompactedError through `onError`.
 */
class EtcdWatch {
  private stream: IDuplexStream<IWatchRequest, IWatchResponse> | undefined;
  /** The next revision this watch has to deliver; known once the first creation has been answered. */
  private nextRevision: number | undefined;
  private ready = false;
  private done = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private backoffMs = 25;
  private startDeadline = 0;
  private settle: { resolve: () => void; reject: (err: Error) => void } | undefined;
  /** Set while the initial creation waits for etcd's compaction notice. */
  private awaitingCompaction = false;
  /** Batches received before `start()` resolved, delivered right after it. */
  private readonly early: WatchEvent[][] = [];

  constructor(
    private readonly store: EtcdStore,
    private readonly spec: EtcdWatchSpec,
  ) {
    this.nextRevision = spec.fromRevision;
  }

  start(): Promise<void> {
    this.startDeadline = Date.now() + this.store.retryTimeoutMs;
    return new Promise<void>((resolve, reject) => {
      this.settle = { resolve, reject };
      // A member that accepts the stream but never answers must not leave `watch()` pending forever.
      const timer = setTimeout(() => {
        if (!this.ready && !this.done && !this.awaitingCompaction) {
          this.finish(new StoreUnavailableError(`${this.store.description}: watch was not established in time`));
        }
      }, this.store.retryTimeoutMs + 1_000);
      timer.unref();
      void this.connect();
    });
  }

  cancel(): void {
    if (this.done) return;
    this.done = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.closeStream();
  }

  private closeStream(): void {
    const stream = this.stream;
    this.stream = undefined;
    if (stream) {
      try {
        stream.cancel();
      } catch {
        // already closed
      }
    }
  }

  private async connect(): Promise<void> {
    if (this.done) return;
    let stream: IDuplexStream<IWatchRequest, IWatchResponse>;
    try {
      stream = await this.store.openWatchStream();
    } catch (err) {
      this.lost(err);
      return;
    }
    if (this.done) {
      stream.on('error', () => undefined);
      stream.cancel();
      return;
    }
    this.stream = stream;
    stream.on('data', (res) => {
      if (this.stream === stream) this.onResponse(res);
    });
    stream.on('error', (err) => {
      if (this.stream === stream) this.lost(err);
    });
    stream.on('end', () => {
      if (this.stream === stream) this.lost(new Error('etcd closed the watch stream'));
    });
    stream.write({
      create_request: {
        key: this.spec.key,
        range_end: this.spec.rangeEnd,
        start_revision: this.nextRevision ?? 0,
        prev_kv: true,
      },
    });
  }

  /** The stream broke (or could not be opened): reopen it after a backoff, or give up if never established. */
  private lost(err: unknown): void {
    if (this.done) return;
    this.closeStream();
    if (this.store.isClosed) {
      this.finish(new Error('store is closed'));
      return;
    }
    if (!this.ready && Date.now() > this.startDeadline) {
      const message = err instanceof Error ? err.message : String(err);
      this.finish(new StoreUnavailableError(`${this.store.description}: watch failed: ${message}`, { cause: err }));
      return;
    }
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, 1000);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connect();
    }, delay);
  }

  /** Ends the watch with an error: rejects `start()` if it is still pending, otherwise reports via onError. */
  private finish(err: Error): void {
    const wasDone = this.done;
    this.cancel();
    if (!this.ready && this.settle) {
      this.settle.reject(err);
      this.settle = undefined;
    } else if (!wasDone) {
      this.spec.onError?.(err);
    }
  }

  private onResponse(res: IWatchResponse): void {
    if (this.done) return;
    if (res.created) {
      if (res.canceled) {
        this.finish(new Error(`etcd refused the watch: ${res.cancel_reason || 'no reason given'}`));
        return;
      }
      this.backoffMs = 25;
      if (this.nextRevision === undefined) this.nextRevision = Number(res.header.revision) + 1;
      if (!this.ready) void this.confirm(Number(res.header.revision));
    } else if (res.canceled) {
      const compactRevision = Number(res.compact_revision);
      if (compactRevision > 0) {
        this.finish(new CompactedError(this.nextRevision ?? 0, compactRevision));
      } else {
        this.finish(new Error(`etcd cancelled the watch: ${res.cancel_reason || 'no reason given'}`));
      }
      return;
    }
    for (const batch of this.store.watchEvents(res.events ?? [])) {
      if (this.nextRevision !== undefined && batch.revision < this.nextRevision) continue; // already delivered
      this.nextRevision = batch.revision + 1;
      if (!this.ready || this.early.length > 0) this.early.push(batch.events); // keep the order
      else this.deliver(batch.events);
      if (this.done) return;
    }
  }

  private deliver(events: WatchEvent[]): void {
    try {
      this.spec.onEvents(events);
    } catch (err) {
      this.spec.onError?.(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /**
   * Resolves `start()` once the watch is known to be good. etcd answers "created" even for a compacted start
   * revision and cancels the watch right after; a replay from the past is therefore checked against compaction
   * first, so that the caller gets CompactedError from `watch()` itself, as from the SQLite store.
   */
  private async confirm(currentRevision: number): Promise<void> {
    const from = this.spec.fromRevision;
    if (from !== undefined && from <= currentRevision && !this.awaitingCompaction) {
      let compacted: boolean;
      try {
        compacted = await this.store.isCompacted(this.spec.key, this.spec.rangeEnd, from);
      } catch (err) {
        this.finish(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      if (this.done || this.ready) return;
      if (compacted) {
        // etcd's cancel notice (with the compaction revision) follows; if it does not come, fail anyway.
        this.awaitingCompaction = true;
        setTimeout(() => {
          if (!this.ready && !this.done) this.finish(new CompactedError(from, 0));
        }, 5_000).unref();
        return;
      }
    }
    if (this.done || this.ready) return;
    this.ready = true;
    this.settle?.resolve();
    this.settle = undefined;
    if (this.early.length > 0) {
      // Replayed events that came before `watch()` returned: deliver them once the caller has its handle.
      setImmediate(() => {
        const early = this.early.splice(0);
        for (const events of early) {
          if (this.done) return;
          this.deliver(events);
        }
      });
    }
  }
}
