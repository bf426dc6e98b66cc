/**
 * Watches of an EtcdStore, and the translation of etcd's watch events into the Store's.
 *
 * Watches use etcd3's Watch RPC stream directly, one stream per watch, rather than etcd3's Watcher helper: the
 * helper drops the `compact_revision` of a cancelled watch (needed for CompactedError) and, after a reconnect,
 * resumes from the revision in the last response header, which can skip events that were still being replayed.
 * Here a watch remembers the revision of the last batch it delivered and resumes right after it.
 */
import type { IDuplexStream, IWatchRequest, IWatchResponse } from 'etcd3';
import {
  CompactedError,
  StoreUnavailableError,
  type WatchErrorListener,
  type WatchEvent,
  type WatchListener,
} from '../store.js';
import type { EtcdKeys } from './keys.js';

const EMPTY = Buffer.alloc(0);

/** etcd's events of one watch response as the Store's, one batch per revision. */
export function watchBatches(keys: EtcdKeys, events: IWatchResponse['events']): Array<{ revision: number; events: WatchEvent[] }> {
  const batches: Array<{ revision: number; events: WatchEvent[] }> = [];
  for (const ev of events) {
    const revision = Number(ev.kv.mod_revision);
    const prev = ev.prev_kv ? keys.toKv(ev.prev_kv) : undefined;
    const event: WatchEvent =
      ev.type === 'Delete'
        ? {
            type: 'delete',
            kv: { key: keys.decode(ev.kv.key), value: EMPTY, createRevision: 0, modRevision: revision, version: 0 },
            prevKv: prev,
          }
        : { type: 'put', kv: keys.toKv(ev.kv), prevKv: prev };
    const last = batches[batches.length - 1];
    if (last && last.revision === revision) last.events.push(event);
    else batches.push({ revision, events: [event] });
  }
  return batches;
}

/** What a watch needs of its store. */
export interface EtcdWatchHost {
  readonly description: string;
  readonly retryTimeoutMs: number;
  readonly isClosed: boolean;
  /** True while no etcd member answers: a watch that is not yet established then fails at once. */
  readonly storeDown: boolean;
  openWatchStream(): Promise<IDuplexStream<IWatchRequest, IWatchResponse>>;
  /** True when the history at `revision` under [key, rangeEnd) has been compacted away. */
  isCompacted(key: Buffer, rangeEnd: Buffer, revision: number): Promise<boolean>;
  watchEvents(events: IWatchResponse['events']): Array<{ revision: number; events: WatchEvent[] }>;
}

export interface EtcdWatchSpec {
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
export class EtcdWatch {
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
    private readonly store: EtcdWatchHost,
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
    if (!this.ready && (Date.now() > this.startDeadline || this.store.storeDown)) {
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
