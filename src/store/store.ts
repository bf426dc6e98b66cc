/**
 * The one key-value interface every piece of emulator state goes through (docs/architecture.md, "store/").
 *
 * The model is etcd v3's, because the Kubernetes API layer needs exactly that model and because the etcd backend
 * must be a thin mapping: one global, monotonically increasing revision; every key carries the revision that
 * created it, the revision that last modified it and a per-key version; writes can be made conditional on a key's
 * mod revision (0 meaning "absent"); a transaction applies all its operations at one revision; a watch replays
 * every change after a given revision and then follows new ones.
 *
 * Keys are UTF-8 strings ("/arm/...", "/clusters/<id>/registry/secrets/ns/name"); values are raw bytes so that
 * the encryption layer can store kube-apiserver's exact byte format.
 */

export interface KeyValue {
  key: string;
  value: Buffer;
  /** Revision of the write that created this key (since its last deletion). */
  createRevision: number;
  /** Revision of the last write to this key. */
  modRevision: number;
  /** Number of writes since creation: 1 after the create. */
  version: number;
}

/** A precondition on one key: its mod revision must equal `modRevision`; 0 requires the key to be absent. */
export interface Condition {
  key: string;
  modRevision: number;
}

export type TxnOp =
  | { type: 'put'; key: string; value: Buffer }
  | { type: 'delete'; key: string }
  /** Deletes every key that starts with `prefix`. */
  | { type: 'deletePrefix'; prefix: string };

export interface TxnRequest {
  /** All must hold for `then` to run; otherwise `else` runs. */
  if?: Condition[];
  then: TxnOp[];
  else?: TxnOp[];
}

export interface TxnResult {
  succeeded: boolean;
  /** The store revision after the transaction (unchanged if the chosen branch wrote nothing). */
  revision: number;
}

export interface WriteResult {
  succeeded: boolean;
  revision: number;
  /** On a failed conditional write: the key as it is now (undefined if absent). */
  current?: KeyValue | undefined;
}

export interface DeleteResult extends WriteResult {
  /** The value that was deleted, when `succeeded` and the key existed. */
  deleted?: KeyValue | undefined;
}

export interface RangeOptions {
  /** At most this many items (default: all). */
  limit?: number;
  /** Start strictly after this key (for paging); must itself start with the prefix. */
  after?: string;
  /** Return keys only, with empty values (cheap counting and listing). */
  keysOnly?: boolean;
}

export interface RangeResult {
  items: KeyValue[];
  /** True when more keys with the prefix follow the last one returned. */
  more: boolean;
  /** The store revision at which the range was read. */
  revision: number;
}

export type WatchEventType = 'put' | 'delete';

export interface WatchEvent {
  type: WatchEventType;
  /** For a delete: key with an empty value and the deleting revision as modRevision. */
  kv: KeyValue;
  prevKv?: KeyValue | undefined;
}

export interface WatchOptions {
  /** Replay every event with revision >= fromRevision first (default: only new events). */
  fromRevision?: number;
}

export interface Watch {
  cancel(): void;
}

export type WatchListener = (events: WatchEvent[]) => void;
export type WatchErrorListener = (err: Error) => void;

/** Thrown when a watch asks for history that compaction has already removed (Kubernetes answers 410 Gone). */
export class CompactedError extends Error {
  constructor(readonly requested: number, readonly compactRevision: number) {
    super(`required revision ${requested} has been compacted (compacted up to ${compactRevision})`);
    this.name = 'CompactedError';
  }
}

/**
 * Thrown when a read-modify-write lost its compare-and-swap too many times in a row: other writers keep changing the
 * record. Services answer it as a conflict to retry (409), never as an internal error (SPEC R-1).
 */
export class ContentionError extends Error {
  constructor(readonly key: string) {
    super(`too many concurrent updates of ${key}; retry`);
    this.name = 'ContentionError';
  }
}

/** Thrown when the backend cannot be reached or fails (never for a failed condition: that is `succeeded: false`). */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

/**
 * A store failure's message as it may be shown outside the process (status, logs others read): the store's
 * description, which names its file or its hosts (and an etcd URL may carry credentials), becomes "the store".
 */
export function failureWithoutAddress(err: unknown, description: string): string {
  let message = (err instanceof Error ? err.message : String(err)).split(description).join('the store');
  // The client library's own words may name a member ("connect ECONNREFUSED 127.0.0.1:2379"), or the file.
  const sqlite = /^sqlite:(.+)$/.exec(description);
  const hosts = /^[a-z0-9+.-]+:\/\/([^/]*)/i.exec(description)?.[1];
  const addresses = sqlite ? [sqlite[1]!] : (hosts ?? '').split(',').filter((a) => a.length > 0);
  for (const address of addresses) message = message.split(address).join('<store>');
  return message.replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, '<store>');
}

export interface Store {
  /** A short description for logs and `aksemu status`: "sqlite:/path" or "etcd://h:p,...". */
  readonly description: string;

  get(key: string): Promise<KeyValue | undefined>;
  put(key: string, value: Buffer, opts?: { ifModRevision?: number }): Promise<WriteResult>;
  delete(key: string, opts?: { ifModRevision?: number }): Promise<DeleteResult>;
  /** Keys that start with `prefix`, in byte order. */
  range(prefix: string, opts?: RangeOptions): Promise<RangeResult>;
  count(prefix: string): Promise<number>;
  txn(req: TxnRequest): Promise<TxnResult>;
  watch(prefix: string, opts: WatchOptions, onEvents: WatchListener, onError?: WatchErrorListener): Promise<Watch>;
  /** The current store revision. */
  revision(): Promise<number>;
  /**
   * Forgets every superseded value now (SPEC R-3): history is compacted up to the current revision and, where the
   * backend keeps old bytes around (SQLite's WAL), they are removed, so a value overwritten before the call is in no
   * file of the store afterwards. Watches from an older revision then get CompactedError (Kubernetes: 410 Gone).
   */
  purgeHistory(): Promise<void>;
  /**
   * Why writes fail, while they still do although reads answer (a full disk under SQLite): the status then reports the
   * store unhealthy (SPEC R-1). Undefined when the last write succeeded, or where a backend cannot tell.
   */
  writeProblem?(): string | undefined;
  close(): Promise<void>;
}

/** The smallest byte string greater than every key that starts with `prefix` (etcd's "range end"). */
export function prefixEnd(prefix: string): Buffer {
  const buf = Buffer.from(prefix, 'utf8');
  for (let i = buf.length - 1; i >= 0; i--) {
    if (buf[i]! < 0xff) {
      const end = Buffer.from(buf.subarray(0, i + 1));
      end[i]! += 1;
      return end;
    }
  }
  return Buffer.from([0]);
}
