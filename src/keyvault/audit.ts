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
 */
import { encodeJson, listJson } from '../store/json.js';
import type { Store, TxnOp } from '../store/store.js';

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

export class AuditLog {
  private buffer: Array<{ key: string; event: AuditEvent }> = [];
  private timer: NodeJS.Timeout | undefined;
  private seq = 0;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly store: Store) {}

  record(event: AuditEvent): void {
    this.seq = (this.seq + 1) % 1_000_000;
    this.buffer.push({ key: `${auditPrefix(event.vaultName)}${event.time}-${String(this.seq).padStart(6, '0')}`, event });
    if (this.buffer.length >= 256) void this.flush();
    else if (!this.timer) this.timer = setTimeout(() => void this.flush(), 100);
  }

  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = this.buffer;
    this.buffer = [];
    const previous = this.flushing;
    this.flushing = (async () => {
      await previous;
      for (let i = 0; i < batch.length; i += 100) {
        const ops: TxnOp[] = batch.slice(i, i + 100).map((b) => ({ type: 'put', key: b.key, value: encodeJson(b.event) }));
        await this.store.txn({ then: ops });
      }
    })();
    await this.flushing;
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
