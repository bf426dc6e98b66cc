/**
 * The check a writer makes on a SQLite store file before using it (SPEC R-1): a damaged file is refused at start
 * with what to do about it, instead of starting "ready" and failing requests later with "database disk image is
 * malformed". `PRAGMA quick_check` reads every page and checks the b-trees' structure without cross-checking the
 * indexes against the tables (that is `integrity_check`, too slow for every start).
 */
import type Database from 'better-sqlite3';
import { existsSync, statSync } from 'node:fs';

/** Thrown when a store file exists but is not a sound SQLite database. */
export class StoreDamagedError extends Error {
  constructor(readonly path: string, detail: string) {
    super(
      `the store ${path} is damaged (${detail}). Restore it from a backup; or, to start with an empty store, ` +
        `move ${path} (with ${path}-wal and ${path}-shm if present) out of the way` +
        ' and the data directory\'s store-state.json with it, which records that the store held state',
    );
    this.name = 'StoreDamagedError';
  }
}

function sizeOf(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}

/**
 * Before opening: a zero-length file with no write-ahead log to recover from was truncated (SQLite writes the
 * header of a new database when it switches it to WAL mode, so aksemu never leaves one behind), yet SQLite would
 * open it as an empty database.
 */
export function checkBeforeOpen(path: string): void {
  if (existsSync(path) && sizeOf(path) === 0 && sizeOf(`${path}-wal`) === 0) {
    throw new StoreDamagedError(path, 'the file is empty: 0 bytes');
  }
}

const CORRUPTION = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_CORRUPT_INDEX', 'SQLITE_CORRUPT_SEQUENCE', 'SQLITE_CORRUPT_VTAB']);

/** Whether an error thrown by better-sqlite3 says that the file is damaged (not, say, locked or unwritable). */
export function isCorruption(err: unknown): boolean {
  return CORRUPTION.has((err as { code?: string } | null)?.code ?? '');
}

/** After opening: SQLite's quick_check, its first findings in the error. */
export function quickCheck(db: Database.Database, path: string): void {
  const rows = db.pragma('quick_check(5)') as Array<{ quick_check: string }>;
  const findings = rows.map((r) => r.quick_check);
  if (findings.length === 1 && findings[0] === 'ok') return;
  throw new StoreDamagedError(path, `SQLite quick_check: ${findings.join('; ')}`);
}
