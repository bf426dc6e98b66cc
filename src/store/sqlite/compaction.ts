/**
 * The SQLite store's compaction, as etcd's: history before the compaction revision goes, except the events that
 * still hold current values (the keys' rows point at them).
 */
import type Database from 'better-sqlite3';
import type { KvRow, WriteStatements } from './schema.js';
import type { StatementCache } from './statement-cache.js';

export class Compaction {
  private writesSinceCompaction = 0;

  constructor(
    private readonly db: Database.Database,
    private readonly statements: StatementCache,
    /** Keep at least this many revisions of watch history. */
    private readonly historyRevisions: number,
    /** History before this revision is gone. */
    public revision: number,
  ) {}

  /**
   * A value's event outlives compaction only while it is current: once its key is written again or deleted, an
   * event from before the compaction revision is history no watch may ask for, so it goes now.
   */
  dropIfCompacted(stmt: WriteStatements, prev: KvRow): void {
    if (prev.mod_rev < this.revision && prev.event_id !== null) stmt.dropEvent.run(prev.event_id);
  }

  /** Called after each write: every 1,000 writes, compacts away what is older than the history kept. */
  afterWrite(stmt: WriteStatements, currentRevision: number): void {
    if (++this.writesSinceCompaction < 1000) return;
    this.writesSinceCompaction = 0;
    const target = currentRevision - this.historyRevisions;
    if (target > this.revision) this.compact(stmt, target, currentRevision);
  }

  /**
   * etcd's compaction: drops watch history before `revision` (a watch may still start at `revision`; an older
   * start gets CompactedError). An already compacted revision is a no-op; a future revision is an error.
   */
  compact(stmt: WriteStatements, revision: number, currentRevision: number): void {
    if (revision > currentRevision) throw new Error('required revision is a future revision');
    if (revision <= this.revision) return;
    this.db.transaction(() => {
      // The events that hold current values stay: the keys' rows point at them. Below the previous compaction
      // revision only such events are left (writes drop the ones they supersede), so that part needs no scan.
      this.statements.get(
        'DELETE FROM events WHERE revision >= ? AND revision < ? AND NOT EXISTS ' +
          '(SELECT 1 FROM kv WHERE kv.key = events.key AND kv.event_id = events.id)',
      ).run(this.revision, revision);
      stmt.setMeta.run('compact_revision', revision);
    })();
    this.revision = revision;
  }
}
