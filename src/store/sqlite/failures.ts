/**
 * What a SQLite failure means for the caller. A full disk, an I/O error, a lock held past the busy timeout, a file
 * made read-only or damaged under a running store say that the store cannot serve now, not that the request was
 * wrong: they become StoreUnavailableError, which every service answers as its own 503 to retry (SPEC R-1), instead
 * of an internal error. SQLite has rolled the transaction back by then, so nothing is half-applied.
 */
import { StoreUnavailableError } from '../store.js';
import { isCorruption } from './integrity.js';

const UNAVAILABLE = /^SQLITE_(FULL|IOERR|BUSY|LOCKED|READONLY|CANTOPEN|NOMEM|PROTOCOL)/;

function codeOf(err: unknown): string {
  return (err as { code?: unknown } | null)?.code?.toString() ?? '';
}

/** Why the store cannot serve, without its path, or undefined when `err` is not such a failure. */
export function unavailableReason(err: unknown): string | undefined {
  const code = codeOf(err);
  if (!UNAVAILABLE.test(code) && !isCorruption(err)) return undefined;
  const reason = code.startsWith('SQLITE_FULL') ? 'the disk is full' : isCorruption(err) ? 'the database file is damaged' : (err as Error).message;
  return `${reason} (${code})`;
}

/** The error to throw in place of `err`: StoreUnavailableError for the failures above, `err` itself otherwise. */
export function asStoreFailure(description: string, what: string, err: unknown): unknown {
  const reason = unavailableReason(err);
  return reason === undefined ? err : new StoreUnavailableError(`${description}: ${what} failed: ${reason}`, { cause: err });
}
