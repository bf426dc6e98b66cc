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
 * Every unary call has a deadline (`callTimeoutMs`), so a hung member produces an error rather than a hang.
 */
import { GRPCInvalidArgumentError, GRPCOutOfRangeError, GRPCUnavailableError, isRecoverableError } from 'etcd3';
import { StoreUnavailableError } from '../store.js';

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
      try {
        return await fn();
      } catch (err) {
        const retry = kind === 'read' ? transient(err) : neverExecuted(err);
        if (retry && Date.now() + delay < deadline && !this.isClosed()) {
          await sleep(delay);
          delay = Math.min(delay * 2, 500);
          continue;
        }
        throw this.wrap(what, kind, err);
      }
    }
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
