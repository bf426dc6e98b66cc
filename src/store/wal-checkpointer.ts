/**
 * Moves the SQLite write-ahead log into the database file from a worker thread.
 *
 * Why: in WAL mode SQLite checkpoints inside the COMMIT that pushes the WAL past `wal_autocheckpoint` pages,
 * so under sustained writes every few hundred transactions one of them also copies megabytes back into the
 * database file and syncs it, on the thread that serves the API. A storage migration spent about a third of its
 * time there. Here a second connection on its own thread runs PASSIVE checkpoints (they never block the writer)
 * shortly after writes happen, and the writer's own autocheckpoint stays on only as a backstop for a worker that
 * falls behind. SQLite's locking makes a concurrent checkpoint safe; a process killed in the middle of one leaves
 * a WAL that the next open replays, exactly as after a kill in the middle of an inline checkpoint.
 *
 * The worker is started on demand, once a store has written `startAfterOps` values, so that short-lived stores
 * (a CLI call, a cold start) never pay for a thread. The worker is inline JavaScript so that it runs the same
 * from dist/ and under the test runner.
 */
import type Database from 'better-sqlite3';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const SQLITE_PATH = createRequire(import.meta.url).resolve('better-sqlite3');

/** Slots of the shared control array. */
const WRITES = 0; // values written since the worker last looked (the worker sleeps while it is 0)
const STOP = 1; // set to 1 to make the worker close its connection and exit
const CHECKPOINTS = 2; // checkpoints run so far (for tests and diagnostics)

const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const Database = require(${JSON.stringify(SQLITE_PATH)});
const ctl = new Int32Array(workerData.control);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('synchronous = ' + workerData.synchronous);
try {
  for (;;) {
    Atomics.wait(ctl, ${WRITES}, 0);
    if (Atomics.load(ctl, ${STOP})) break;
    // Let writes gather for a moment: one checkpoint then covers many transactions.
    Atomics.wait(ctl, ${STOP}, 0, workerData.gatherMs);
    if (Atomics.load(ctl, ${STOP})) break;
    Atomics.store(ctl, ${WRITES}, 0);
    db.pragma('wal_checkpoint(PASSIVE)');
    Atomics.add(ctl, ${CHECKPOINTS}, 1);
  }
} finally {
  db.close();
}
`;

export interface WalCheckpointerOptions {
  /** Values written before the worker is started (default 2,000). */
  startAfterOps?: number;
  /** How long the worker lets writes gather before a checkpoint, in ms (default 50). */
  gatherMs?: number;
  /** The writer's `wal_autocheckpoint` while the worker runs: the backstop (default 16,384 pages, 64 MiB). */
  backstopPages?: number;
  synchronous: 'NORMAL' | 'FULL';
}

export class WalCheckpointer {
  private readonly control = new Int32Array(new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT));
  private worker: Worker | undefined;
  private exited: Promise<void> | undefined;
  private written = 0;
  private failed = false;
  private readonly startAfterOps: number;
  private readonly gatherMs: number;
  private readonly backstopPages: number;

  constructor(
    private readonly path: string,
    private readonly db: Database.Database,
    private readonly opts: WalCheckpointerOptions,
  ) {
    this.startAfterOps = opts.startAfterOps ?? 2_000;
    this.gatherMs = opts.gatherMs ?? 50;
    this.backstopPages = opts.backstopPages ?? 16_384;
  }

  /** Whether the worker has been started (and has not failed). */
  get running(): boolean {
    return this.worker !== undefined && !this.failed;
  }

  /** Checkpoints the worker has completed. */
  get checkpoints(): number {
    return Atomics.load(this.control, CHECKPOINTS);
  }

  /** Called after each committed write transaction with the number of values it wrote. */
  noteWrites(values: number): void {
    if (!this.worker) {
      this.written += values;
      if (this.written >= this.startAfterOps && !this.failed) this.start();
      return;
    }
    // Wake the worker only on the transition from idle; while it gathers, adding is enough.
    if (Atomics.add(this.control, WRITES, values) === 0) Atomics.notify(this.control, WRITES);
  }

  private start(): void {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { path: this.path, control: this.control.buffer, gatherMs: this.gatherMs, synchronous: this.opts.synchronous },
    });
    worker.unref();
    this.worker = worker;
    this.exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.once('error', () => {
      // The writer checkpoints for itself again, as SQLite does by default.
      this.failed = true;
      this.db.pragma('wal_autocheckpoint = 1000');
    });
    this.db.pragma(`wal_autocheckpoint = ${this.backstopPages}`);
  }

  /** Stops the worker and waits until its connection is closed (the writer must close last to remove the WAL). */
  async stop(): Promise<void> {
    if (!this.worker) return;
    this.worker.ref(); // keeps the event loop alive until the worker has closed its connection
    // Wakes the worker wherever it sleeps; one in the middle of a checkpoint finishes it first.
    Atomics.store(this.control, STOP, 1);
    Atomics.store(this.control, WRITES, 1);
    Atomics.notify(this.control, WRITES);
    Atomics.notify(this.control, STOP);
    await this.exited;
    this.worker = undefined;
  }
}
