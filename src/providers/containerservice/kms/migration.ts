/**
 * `aksemu aks encryption migrate`: the server-side storage migration that replaces
 * `kubectl get secrets --all-namespaces -o json | kubectl replace -f -`. It reads each secret through the
 * cluster's transformers and rewrites exactly the stale ones (plaintext while KMS is on, an older key, KMS while
 * it is off) with the current writer, like kube-apiserver's storage version migration: the object's bytes are
 * unchanged, only their encryption is new, and its resourceVersion moves on.
 *
 * It is a persisted task (`kms-migrate`, one per cluster) with its progress in the store
 * (`/aks/kms/<uid>/migration`). Each batch is one transaction holding the rewritten values — each conditional on
 * its key's mod revision, so a client's concurrent write is never overwritten — and the new cursor: after a crash
 * (SIGKILL included) the task resumes at the first secret not yet migrated, and nothing is done twice or lost.
 * A secret that cannot be read is counted as failed and left as it is.
 */
import type { AksKmsDeps } from './deps.js';
import { clusterPrefix } from '../../../clusters/cluster-registry.js';
import { encodeJson, getJson } from '../../../store/json.js';
import type { KeyValue, TxnOp } from '../../../store/store.js';
import { kmsMigrationKey } from './state.js';
import type { KmsRuntime } from './runtime.js';

export const MIGRATION_TASK = 'kms-migrate';

export interface MigrationRecord {
  id: string;
  clusterId: string;
  uid: string;
  state: 'Running' | 'Succeeded' | 'Failed';
  /** The configuration generation the migration writes with. */
  writer: string;
  startedAt: string;
  finishedAt?: string;
  /** Secrets when the migration started (the number a progress bar counts to). */
  total: number;
  /** Secrets looked at so far, rewritten ones and failures. */
  processed: number;
  rewritten: number;
  failed: number;
  failures: string[];
  /** The last store key processed ('' before the first batch). */
  cursor: string;
  /** Times a batch had to be redone because a client wrote one of its secrets meanwhile. */
  conflicts: number;
  /** At most this many secrets per second (0: as fast as it goes), to spare Key Vault and the API server. */
  maxPerSecond: number;
  error?: string;
}

export class StorageMigration {
  constructor(
    private readonly deps: AksKmsDeps,
    private readonly runtime: KmsRuntime,
  ) {
    deps.tasks.register<{ uid: string }>(MIGRATION_TASK, async ({ payload }) => this.run(payload.uid));
  }

  /** Secrets rewritten per transaction: both stores allow etcd's 128 operations (and conditions) per transaction. */
  private readonly chunk = 120;
  /** Secrets read per store range (several transactions). */
  private readonly page = 960;

  async get(uid: string): Promise<MigrationRecord | undefined> {
    return (await getJson<MigrationRecord>(this.deps.store, kmsMigrationKey(uid)))?.value;
  }

  /** Starts a migration, or answers the running one. */
  async start(uid: string, clusterId: string, id: string, maxPerSecond = 0): Promise<MigrationRecord> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const cur = await getJson<MigrationRecord>(this.deps.store, kmsMigrationKey(uid));
      if (cur?.value.state === 'Running') return cur.value;
      const chain = await this.runtime.transformer(uid);
      const record: MigrationRecord = {
        id,
        clusterId,
        uid,
        state: 'Running',
        writer: chain?.writer.kind === 'identity' || !chain ? 'identity' : `${chain.writer.kind}:${chain.writer.name}`,
        startedAt: this.deps.clock.iso(),
        total: await this.deps.store.count(`${clusterPrefix(uid)}/registry/secrets/`),
        processed: 0,
        rewritten: 0,
        failed: 0,
        failures: [],
        cursor: '',
        conflicts: 0,
        maxPerSecond,
      };
      const res = await this.deps.store.put(kmsMigrationKey(uid), encodeJson(record), { ifModRevision: cur?.modRevision ?? 0 });
      if (!res.succeeded) continue;
      await this.deps.tasks.enqueue(MIGRATION_TASK, uid, { uid }, 0);
      return record;
    }
    throw new Error('the migration record changed concurrently; retry');
  }

  /** Runs batches until done (each chunk of a page is one transaction with the cursor). */
  async run(uid: string): Promise<{ done: true } | { done: false; retryAfterMs: number }> {
    const prefix = `${clusterPrefix(uid)}/registry/secrets/`;
    const runStarted = Date.now();
    let runProcessed = 0;
    for (;;) {
      const doc = await getJson<MigrationRecord>(this.deps.store, kmsMigrationKey(uid));
      if (!doc || doc.value.state !== 'Running') return { done: true };
      let rec = doc.value;
      let recRevision = doc.modRevision;
      const chain = await this.runtime.transformer(uid);
      if (!chain) {
        await this.finish(uid, doc.modRevision, { ...rec, state: 'Succeeded' });
        return { done: true };
      }
      const page = await this.deps.store.range(prefix, { limit: this.page, ...(rec.cursor ? { after: rec.cursor } : {}) });
      let conflict = false;
      for (let i = 0; i < page.items.length || (i === 0 && !page.more); i += this.chunk) {
        const items = page.items.slice(i, i + this.chunk);
        const lastChunk = !page.more && i + this.chunk >= page.items.length;
        const conditions = [{ key: kmsMigrationKey(uid), modRevision: recRevision }];
        const ops: TxnOp[] = [];
        const failures: string[] = [];
        for (const kv of items) {
          const r = await this.migrateOne(chain, uid, kv);
          if (r === 'failed') failures.push(kv.key.slice(prefix.length));
          else if (r) {
            conditions.push({ key: kv.key, modRevision: kv.modRevision });
            ops.push({ type: 'put', key: kv.key, value: r });
          }
        }
        const next: MigrationRecord = {
          ...rec,
          processed: rec.processed + items.length,
          rewritten: rec.rewritten + ops.length,
          failed: rec.failed + failures.length,
          failures: [...rec.failures, ...failures].slice(0, 50),
          cursor: items.length ? items[items.length - 1]!.key : rec.cursor,
        };
        if (lastChunk) {
          next.state = next.failed > 0 ? 'Failed' : 'Succeeded';
          next.finishedAt = this.deps.clock.iso();
          next.total = Math.max(next.total, next.processed);
          if (next.failed > 0) next.error = `${next.failed} secret(s) could not be read and were left as they are`;
        }
        ops.push({ type: 'put', key: kmsMigrationKey(uid), value: encodeJson(next) });
        const res = await this.deps.store.txn({ if: conditions, then: ops });
        if (!res.succeeded) {
          conflict = true;
          break;
        }
        rec = next;
        recRevision = res.revision;
        if (lastChunk) {
          // SPEC R-3: the values just rewritten (plaintext, or under an old key) leave the store's files now, not at
          // the next upkeep pass. Best effort: the migration has succeeded either way.
          if (next.state === 'Succeeded') await this.deps.store.purgeHistory().catch(() => undefined);
          return { done: true };
        }
        if (items.length === 0) break;
        runProcessed += items.length;
        if (rec.maxPerSecond > 0) {
          const due = runStarted + (runProcessed / rec.maxPerSecond) * 1000;
          if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
        }
      }
      if (conflict) {
        // A client wrote one of these secrets meanwhile (it is then current already): redo from the cursor.
        const again = await getJson<MigrationRecord>(this.deps.store, kmsMigrationKey(uid));
        if (!again || again.value.state !== 'Running') return { done: true };
        await this.deps.store.put(kmsMigrationKey(uid), encodeJson({ ...again.value, conflicts: again.value.conflicts + 1 }), { ifModRevision: again.modRevision });
      }
      // Let other work (API requests) in between pages.
      await new Promise((r) => setImmediate(r));
    }
  }

  /** The new value of a stale secret, undefined when it is current, 'failed' when it cannot be read. */
  private async migrateOne(chain: NonNullable<Awaited<ReturnType<KmsRuntime['transformer']>>>, uid: string, kv: KeyValue): Promise<Buffer | undefined | 'failed'> {
    const etcdKey = kv.key.slice(clusterPrefix(uid).length);
    let plain: Buffer;
    try {
      // Bulk: KMS v2's cryptography on this thread, which would only wait for the worker's round trips.
      const r = await chain.fromStorage(kv.value, etcdKey, { bulk: true });
      if (!r.stale) return undefined;
      plain = r.plain;
    } catch {
      return 'failed';
    }
    try {
      return await chain.toStorage(plain, etcdKey, { bulk: true });
    } catch {
      return 'failed';
    }
  }

  private async finish(uid: string, modRevision: number, rec: MigrationRecord): Promise<void> {
    await this.deps.store.put(kmsMigrationKey(uid), encodeJson({ ...rec, finishedAt: this.deps.clock.iso() }), { ifModRevision: modRevision });
  }
}
