/**
 * Whether an etcd cluster answers at all, known within a fraction of a second when its members are gone and within
 * `downAfterMs` when they hang (SPEC R-1: a store that is down is a prompt 503, not a request that waits out the whole
 * retry budget).
 *
 * A call's own failure cannot tell "etcd is gone" from "a member is electing a leader": both are transient, and
 * ./calls.ts retries them for up to `retryTimeoutMs` (10 s by default), which is right for an election and far too
 * long for an outage. So every member is probed in the background with etcd's Status call, which a member answers
 * locally, leader or not. The cluster is **down** when
 *   - every member refused the connection in two rounds in a row (the process is gone: ~0.3 s), or
 *   - no member has answered for `downAfterMs` and in two rounds in a row (the processes hang, or the network does:
 *     ~0.8 s). Two rounds, because one probe can miss its deadline on a healthy member when the event loop was
 *     blocked past it: the next round then answers at once, and a busy machine is not taken for a dead store;
 * and it is up again as soon as one member answers. While it is down, a call first asks `recheck()` (one probe round
 * now, shared by every call that asks meanwhile: milliseconds for a refused connection) and fails at once if no
 * member answers; calls in flight stop waiting. Nothing is re-sent, so a write in flight is reported as of unknown
 * outcome, never as done.
 *
 * Each member has its own client without retries or circuit breaker (./connection.ts), so a probe always asks the
 * member itself.
 */
import type { Etcd3 } from 'etcd3';

export interface EtcdHealthOptions {
  /** Pause between two probe rounds (default 100 ms). */
  intervalMs?: number;
  /** Deadline of one probe (default 300 ms: a member answers Status from memory, in about a millisecond). */
  probeTimeoutMs?: number;
  /** How long without any answer makes the cluster down (default 600 ms), over at least two silent rounds. */
  downAfterMs?: number;
}

type ProbeResult = 'answered' | 'refused' | 'silent';

function refusedConnection(err: unknown): boolean {
  const message = err instanceof Error ? err.message : String(err);
  return /No connection established|ECONNREFUSED|connect ECONN|Connection dropped/i.test(message);
}

export class EtcdHealth {
  private readonly intervalMs: number;
  private readonly probeTimeoutMs: number;
  private readonly downAfterMs: number;
  private lastAnswer = Date.now();
  private refusedRounds = 0;
  private silentRounds = 0;
  private down = false;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private inflight: Promise<void> | undefined;
  private readonly downWaiters = new Set<() => void>();

  /** @param probes one client per member, owned by the caller (./connection.ts connectEachMember). */
  constructor(private readonly probes: Etcd3[], options: EtcdHealthOptions = {}) {
    this.intervalMs = options.intervalMs ?? 100;
    this.probeTimeoutMs = options.probeTimeoutMs ?? 300;
    this.downAfterMs = options.downAfterMs ?? 600;
    this.schedule(0);
  }

  /** True while no member answers. */
  get isDown(): boolean {
    return this.down;
  }

  /** Probes every member now (or joins the round under way) and says whether one answered. */
  async recheck(): Promise<boolean> {
    await this.round();
    return !this.down;
  }

  /**
   * Resolves when the cluster is found down; `cancel` drops the waiter (a call that finished first must not keep it).
   */
  whenDown(): { promise: Promise<void>; cancel: () => void } {
    let waiter: () => void = () => undefined;
    const promise = new Promise<void>((resolve) => {
      waiter = resolve;
      if (this.down) resolve();
      else this.downWaiters.add(waiter);
    });
    return { promise, cancel: () => this.downWaiters.delete(waiter) };
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.downWaiters.clear();
  }

  private schedule(delayMs: number): void {
    if (this.closed) return;
    this.timer = setTimeout(() => void this.round(), delayMs);
    this.timer.unref();
  }

  /** The round under way, or a new one now; the next is scheduled when it ends. */
  private round(): Promise<void> {
    if (!this.inflight) {
      if (this.timer) clearTimeout(this.timer);
      this.inflight = this.probeAll().finally(() => {
        this.inflight = undefined;
        this.schedule(this.intervalMs);
      });
    }
    return this.inflight;
  }

  /** One probe of every member; never throws (a failing probe is information, not an error). */
  private async probeAll(): Promise<void> {
    const results = await Promise.all(this.probes.map((probe) => this.probe(probe)));
    if (this.closed) return;
    const now = Date.now();
    if (results.includes('answered')) {
      this.lastAnswer = now;
      this.refusedRounds = 0;
      this.silentRounds = 0;
      this.down = false;
    } else {
      this.refusedRounds = results.every((r) => r === 'refused') ? this.refusedRounds + 1 : 0;
      this.silentRounds++;
      const silentTooLong = this.silentRounds >= 2 && now - this.lastAnswer >= this.downAfterMs;
      if (!this.down && (this.refusedRounds >= 2 || silentTooLong)) this.markDown();
    }
  }

  private async probe(client: Etcd3): Promise<ProbeResult> {
    try {
      await client.maintenance.status({ deadline: Date.now() + this.probeTimeoutMs });
      return 'answered';
    } catch (err) {
      return refusedConnection(err) ? 'refused' : 'silent';
    }
  }

  private markDown(): void {
    this.down = true;
    const waiters = [...this.downWaiters];
    this.downWaiters.clear();
    for (const wake of waiters) wake();
  }
}
