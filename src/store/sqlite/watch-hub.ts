/**
 * The SQLite store's watches: history replayed from the `events` table, then the live events of each committed
 * write, delivered per watch in revision order and never inside a transaction.
 */
import type { KeyValue, Watch, WatchErrorListener, WatchEvent, WatchListener } from '../store.js';
import { rangeBounds, tombstone, toKv } from './rows.js';
import { EVENT_DELETE, EVENT_PUT, type EventRow } from './schema.js';
import type { StatementCache } from './statement-cache.js';

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

export class WatchHub {
  private readonly watches = new Set<WatchRegistration>();

  constructor(private readonly statements: StatementCache) {}

  /**
   * Registers a watch of the keys under `prefix`. With `replayFrom`, the recorded history from that revision on
   * is queued first; history and registration happen in the same synchronous step, so no write can fall between
   * them. `from` (the watch's start revision, if any) holds back live events below it.
   */
  add(
    prefix: string,
    from: number | undefined,
    replayFrom: number | undefined,
    onEvents: WatchListener,
    onError: WatchErrorListener | undefined,
  ): Watch {
    const { start, end } = rangeBounds(prefix);
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
    if (replayFrom !== undefined) this.replay(reg, replayFrom);
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
    const stmt = this.statements.get(sql);
    const rows = (reg.end ? stmt.all(from, reg.prefix, reg.end) : stmt.all(from, reg.prefix)) as Array<EventRow & { seq: number }>;
    const previousEvent = this.statements.get(
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

  /** Hands the events of one committed revision to every watch they concern. */
  dispatch(events: WatchEvent[]): void {
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

  /** Cancels every watch (the store is closing). */
  close(): void {
    for (const reg of this.watches) reg.cancelled = true;
    this.watches.clear();
  }
}
