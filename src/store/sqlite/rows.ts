/** Conversions between the SQLite store's rows and the Store interface's key-values. */
import { prefixEnd, type KeyValue } from '../store.js';
import type { KvRow } from './schema.js';

const EMPTY = Buffer.alloc(0);

export function toKv(row: Omit<KvRow, 'event_id'>): KeyValue {
  return {
    key: row.key.toString('utf8'),
    value: row.value,
    createRevision: row.create_rev,
    modRevision: row.mod_rev,
    version: row.version,
  };
}

/** The key range [start, end) of the keys that start with `prefix` (no end: every key). */
export function rangeBounds(prefix: string): { start: Buffer; end: Buffer | undefined } {
  const start = Buffer.from(prefix, 'utf8');
  return { start, end: prefix === '' ? undefined : prefixEnd(prefix) };
}

/** The key-value of a delete event, as etcd reports it: empty value, the deleting revision, no create revision. */
export function tombstone(key: string, revision: number): KeyValue {
  return { key, value: EMPTY, createRevision: 0, modRevision: revision, version: 0 };
}
