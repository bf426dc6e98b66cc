/**
 * How an EtcdStore runs one call, and what it makes of a failure.
 *
 * etcd3's connection pool picks a member per call and keeps a circuit breaker per member, so a dead member is
 * skipped. Its default global policy would also re-send a failed call up to three times, which is unsafe for
 * writes: a put whose connection broke may already be committed, and re-sending a conditional put would then
 * report a conflict with its own write. So the store turns that policy off (./connection.ts) and retries here:
 *   - reads are retried on any transient error, on another member, until `retryTimeoutMs` has passed;
 *   - writes are retried only when the request cannot have reached etcd (no connection could be established, the
 *     member's circuit was open, or etcd refused it before proposing it); any other failure of a write means its
 *     outcome is unknown and is reported as StoreUnavailableError, never as success and never silently;
 *   - a call answered by etcd has been committed by a quorum (etcd acknowledges after commit and apply), and reads
 *     are linearizable, so an acknowledged write is visible through every surviving member.
 * Every unary call has a deadline (`callTimeoutMs`), so a hung member produces an error rather than a hang; and
 * when ./health.ts finds that no member answers at all, calls fail at once and calls in flight stop waiting, so an
 * outage is a prompt StoreUnavailableError rather than a 10-second retry (SPEC R-1).
 */
import { GRPCInvalidArgumentError, GRPCOutOfRangeError, GRPCUnavailableError, isRecoverableError } from 'etcd3';
import { StoreUnavailableError } from '../store.js';
import type { EtcdHealth } from './health.js';

export type CallKind = 'read' | 'write';

/** A failure that proves the request was never executed by etcd, so re-sending a write is safe. */
function neverExecuted(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  // cockatiel's BrokenCircuitError: the pool did not even try (every member's circuit is open).
  if ((err as { isBrokenCircuitError?: boolean }).isBrokenCircuitError === true) return true;
  const msg = err.message;
  // grpc-js could not pick a connected transport: the call was never sent.
  if (err instanceof GRPCUnavailableError && msg.includes('No connection established')) return true;
  // etcd refused before proposing to raft.
  return /etcdserver: (no leader|too many requests|not capable)|raft proposal dropped/.test(msg);
}

function transient(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if ((err as { isBrokenCircuitError?: boolean }).isBrokenCircuitError === true) return true;
  return isRecoverableError(err);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class EtcdCalls {
  constructor(
    /** The store's description, which every StoreUnavailableError message starts with. */
    private readonly description: string,
    private readonly retryTimeoutMs: number,
    private readonly isClosed: () => boolean,
    private readonly health: EtcdHealth,
  ) {}

  /**
   * Runs one etcd call. Reads are retried on transient errors; writes only when they provably never reached
   * etcd. What cannot be completed becomes StoreUnavailableError; etcd's own refusals (invalid argument, ...)
   * become plain errors.
   */
  async run<T>(what: string, kind: CallKind, fn: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.retryTimeoutMs;
    let delay = 20;
    for (;;) {
      if (this.isClosed()) throw new Error('store is closed');
      if (this.health.isDown && !(await this.health.recheck())) throw this.notAnswering(what);
      try {
        return await this.unlessDown(what, kind, fn());
      } catch (err) {
        if (err instanceof StoreUnavailableError) throw err;
        const retry = kind === 'read' ? transient(err) : neverExecuted(err);
        // Before waiting to retry, ask every member whether it is there at all: an election is worth waiting for,
        // an outage is not (two refused rounds in a row and the cluster is down).
        if (retry && Date.now() + delay < deadline && !this.isClosed() && (await this.health.recheck())) {
          await sleep(delay);
          delay = Math.min(delay * 2, 500);
          continue;
        }
        throw this.wrap(what, kind, err);
      }
    }
  }

  /**
   * The call's own outcome, unless the cluster is found down first. The abandoned call keeps running and its outcome
   * is dropped; for a write that outcome is unknown to the caller, and the error says so.
   */
  private async unlessDown<T>(what: string, kind: CallKind, call: Promise<T>): Promise<T> {
    const down = this.health.whenDown();
    call.catch(() => undefined);
    try {
      return await Promise.race([
        call,
        down.promise.then((): never => {
          throw kind === 'write'
            ? new StoreUnavailableError(`${this.description}: ${what} may or may not have been applied: the store stopped answering`)
            : this.notAnswering(what);
        }),
      ]);
    } finally {
      down.cancel();
    }
  }

  private notAnswering(what: string): StoreUnavailableError {
    return new StoreUnavailableError(`${this.description}: ${what} failed: no etcd member answers`);
  }

  private wrap(what: string, kind: CallKind, err: unknown): Error {
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof GRPCInvalidArgumentError || err instanceof GRPCOutOfRangeError) {
      return new Error(`etcd ${what}: ${message}`, { cause: err });
    }
    if (kind === 'write' && !neverExecuted(err)) {
      return new StoreUnavailableError(
        `${this.description}: ${what} failed and may or may not have been applied: ${message}`,
        { cause: err },
      );
    }
    return new StoreUnavailableError(`${this.description}: ${what} failed: ${message}`, { cause: err });
  }
}
