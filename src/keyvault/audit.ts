/**
 * The per-vault audit log (SPEC V-5, K-12): one AuditEvent per data-plane operation, shaped like Key Vault's
 * diagnostic log category `AuditEvent` (time, operationName as Key Vault names it — KeyDecrypt, KeyCreate... —,
 * caller identity, key id and version, result, duration), kept in the store:
 *
 *   /keyvault/audit/<vault>/<time ISO>-<sequence>
 *
 * Events are buffered and written in one transaction every 100 ms (or every 256 events), like the service's own
 * delayed diagnostics delivery, so that logging does not cost one store write per cryptographic operation; `flush`
 * forces the write (reads flush first, so a reader always sees every finished operation).
 *
 * A write that fails (the store is down, the disk is full) loses nothing and stops nothing: its events go back to
 * the front of the buffer and the write is retried with a growing delay (up to 5 s) until the store takes them;
 * `status()` tells how many events wait and why (SPEC R-1, V-5). A background flush never rejects, so no failure
 * can end the process; a reader's flush reports the failure to that reader.
 */
import { encodeJson, listJson } from '../store/json.js';
import { failureWithoutAddress, type Store, type TxnOp } from '../store/store.js';

export interface AuditEvent {
  time: string;
  resourceId: string;
  vaultName: string;
  operationName: string;
  operationVersion: string;
  category: 'AuditEvent';
  resultType: 'Success' | 'Failure';
  resultSignature: string;
  resultDescription?: string;
  httpStatusCode: number;
  durationMs: number;
  callerIpAddress: string;
  correlationId: string;
  identity: { claim: { oid: string; appid: string; tid: string } };
  /** The key id with its version (https://v.vault.azure.net/keys/name/version), when the operation names one. */
  keyId?: string;
  keyName?: string;
  keyVersion?: string;
  properties: { requestUri: string; clientInfo?: string; isAccessPolicyMatch?: boolean; isRbacAuthorized?: boolean; privateEndpoint?: string };
}

export const auditPrefix = (vault: string) => `/keyvault/audit/${vault.toLowerCase()}/`;

/** Delays between retries of a failed write: doubling from the normal flush interval up to this bound. */
const FLUSH_MS = 100;
const MAX_RETRY_MS = 5_000;

export interface AuditLogStatus {
  /** Events recorded but not yet in the store. */
  pending: number;
  /** Failed writes in a row (0 when the last write succeeded). */
  failures: number;
  lastError?: string;
}

type Buffered = { key: string; event: AuditEvent };

export class AuditLog {
  private buffer: Buffered[] = [];
  private timer: NodeJS.Timeout | undefined;
  private seq = 0;
  /** The write in progress; it never rejects (its outcome is in `failures` / `lastError`). */
  private flushing: Promise<void> = Promise.resolve();
  private failures = 0;
  private lastError: string | undefined;
  private closed = false;
  /** Events taken out of the buffer by the write in progress and not yet committed: they still wait. */
  private inFlight = 0;

  constructor(private readonly store: Store) {}

  record(event: AuditEvent): void {
    this.seq = (this.seq + 1) % 1_000_000;
    this.buffer.push({ key: `${auditPrefix(event.vaultName)}${event.time}-${String(this.seq).padStart(6, '0')}`, event });
    if (this.buffer.length >= 256 && this.failures === 0) void this.flush().catch(() => undefined);
    else this.schedule(FLUSH_MS);
  }

  status(): AuditLogStatus {
    return { pending: this.buffer.length + this.inFlight, failures: this.failures, ...(this.lastError ? { lastError: this.lastError } : {}) };
  }

  /** Writes every buffered event; rejects when the store refused them (they stay buffered and are retried). */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const previous = this.flushing;
    let failure: unknown;
    this.flushing = (async () => {
      await previous;
      const batch = this.buffer;
      this.buffer = [];
      for (let i = 0; i < batch.length; i += 100) {
        const ops: TxnOp[] = batch.slice(i, i + 100).map((b) => ({ type: 'put', key: b.key, value: encodeJson(b.event) }));
        this.inFlight = batch.length - i;
        try {
          await this.store.txn({ then: ops });
        } catch (err) {
          // Nothing is dropped: what was not written goes back before what was recorded meanwhile.
          this.inFlight = 0;
          this.buffer = [...batch.slice(i), ...this.buffer];
          this.failures++;
          this.lastError = failureWithoutAddress(err, this.store.description);
          failure = err;
          this.schedule(Math.min(FLUSH_MS * 2 ** this.failures, MAX_RETRY_MS));
          return;
        }
      }
      // The failure count clears with the last batch committed, before the events stop counting as pending, so that
      // "nothing pending" never shows the failures of a write that has in fact succeeded.
      this.failures = 0;
      this.lastError = undefined;
      this.inFlight = 0;
    })();
    await this.flushing;
    if (failure) throw failure;
  }

  /** Flushes what it can and stops retrying (shutdown). */
  async close(): Promise<void> {
    await this.flush().catch(() => undefined);
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(ms: number): void {
    if (this.timer || this.closed || this.buffer.length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush().catch(() => undefined);
    }, ms);
    this.timer.unref?.();
  }

  async read(vault: string, opts: { since?: string; top?: number } = {}): Promise<AuditEvent[]> {
    await this.flush();
    return readAudit(this.store, vault, opts);
  }
}

/** Audit events of a vault, oldest first (also used by `aksemu keyvault audit` on a stopped instance). */
export async function readAudit(store: Store, vault: string, opts: { since?: string; top?: number } = {}): Promise<AuditEvent[]> {
  let events = (await listJson<AuditEvent>(store, auditPrefix(vault))).map((d) => d.value);
  if (opts.since) events = events.filter((e) => e.time >= opts.since!);
  if (opts.top !== undefined && opts.top > 0) events = events.slice(-opts.top);
  return events;
}
