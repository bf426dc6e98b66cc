/**
 * Persisted background work: the mechanism behind long-running operations and controllers.
 *
 * A task is a record in the store (`/tasks/<kind>/<id>`) naming a handler kind, a payload and the emulator time
 * before which it must not run. Handlers are level-triggered and idempotent: they look at the state in the store,
 * move it one step on, and answer "done" or "run me again after N ms". Because tasks live in the store, a restart
 * (even after kill -9) resumes every operation that was in progress: that is the rule "all state lives in the
 * store" of docs/architecture.md.
 */
import type { Logger } from 'pino';
import type { Store } from '../store/store.js';
import type { Clock } from './clock.js';

export interface TaskRecord<P = unknown> {
  kind: string;
  id: string;
  payload: P;
  /** Emulator time (ms) before which the task does not run. */
  notBefore: number;
  attempts: number;
  createdAt: string;
}

export type TaskOutcome<P = unknown> = { done: true } | { done: false; retryAfterMs: number; payload?: P };

export type TaskHandler<P = unknown> = (task: TaskRecord<P>) => Promise<TaskOutcome<P>>;

const PREFIX = '/tasks/';
const MAX_BACKOFF_MS = 30_000;
/** After the store failed to answer for a task (or a reschedule), the next try comes this long later, doubling. */
const STORE_RETRY_MS = 500;
const STORE_RETRY_MAX_MS = 10_000;

function taskKey(kind: string, id: string): string {
  return `${PREFIX}${kind}/${id}`;
}

export class TaskRunner {
  private readonly handlers = new Map<string, TaskHandler<any>>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** The records whose timers wait for the clock: a jump reschedules them at once, without asking the store. */
  private readonly waiting = new Map<string, TaskRecord>();
  private readonly running = new Map<string, Promise<void>>();
  /** Keys whose record changed while their handler ran: run them again right after. */
  private readonly rerun = new Set<string>();
  private stopped = true;
  private unsubscribeClock: (() => void) | undefined;
  /** Consecutive store failures per task key (for the retry pause); cleared when the task runs through. */
  private readonly storeFailures = new Map<string, number>();
  private rescheduleTimer: NodeJS.Timeout | undefined;
  /** Other background workers (e.g. the clusters' Kubernetes controllers) that `idle()` waits for too. */
  private readonly activity: Array<() => boolean> = [];

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  register<P>(kind: string, handler: TaskHandler<P>): void {
    if (kind.includes('/')) throw new Error(`task kind must not contain '/': ${kind}`);
    this.handlers.set(kind, handler as TaskHandler<any>);
  }

  /** Creates or replaces the task `kind/id`; it runs once `delayMs` of emulator time has passed. */
  async enqueue<P>(kind: string, id: string, payload: P, delayMs = 0): Promise<void> {
    if (!this.handlers.has(kind)) throw new Error(`no task handler registered for '${kind}'`);
    const record: TaskRecord<P> = {
      kind,
      id,
      payload,
      notBefore: this.clock.nowMs() + delayMs,
      attempts: 0,
      createdAt: this.clock.iso(),
    };
    await this.store.put(taskKey(kind, id), Buffer.from(JSON.stringify(record)));
    this.schedule(record);
  }

  async cancel(kind: string, id: string): Promise<void> {
    const key = taskKey(kind, id);
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    this.waiting.delete(key);
    await this.store.delete(key);
  }

  /** Loads every persisted task and schedules it (resuming work interrupted by a stop or a crash). */
  async start(): Promise<void> {
    this.stopped = false;
    this.unsubscribeClock = this.clock.onJump(() => this.rescheduleAfterJump());
    await this.rescheduleAll();
  }

  /**
   * A jump of the clock can make any task due: every one is scheduled again, first those this runner knows (at
   * once, so that a task due after the jump runs even while the store is down), then every persisted one (tasks
   * another instance enqueued). A store that does not answer then is no reason to end the process (SPEC R-1): the
   * reload is tried again until it goes through.
   */
  private rescheduleAfterJump(failures = 0): void {
    if (failures === 0) for (const record of [...this.waiting.values()]) this.schedule(record);
    clearTimeout(this.rescheduleTimer);
    this.rescheduleTimer = undefined;
    this.rescheduleAll().catch((err: unknown) => {
      if (this.stopped) return;
      if (failures === 0) this.log.warn({ err }, 'could not reschedule the tasks after a clock jump; trying again');
      this.rescheduleTimer = setTimeout(() => this.rescheduleAfterJump(failures + 1), Math.min(STORE_RETRY_MAX_MS, STORE_RETRY_MS * 2 ** failures));
      this.rescheduleTimer.unref?.();
    });
  }

  private async rescheduleAll(): Promise<void> {
    let after: string | undefined;
    for (;;) {
      const page = await this.store.range(PREFIX, { limit: 500, ...(after ? { after } : {}) });
      for (const kv of page.items) this.schedule(JSON.parse(kv.value.toString('utf8')) as TaskRecord);
      if (!page.more) break;
      after = page.items[page.items.length - 1]!.key;
    }
  }

  private schedule(record: TaskRecord): void {
    if (this.stopped) return;
    const key = taskKey(record.kind, record.id);
    if (this.running.has(key)) {
      this.rerun.add(key);
      return;
    }
    clearTimeout(this.timers.get(key));
    const wait = Math.max(0, record.notBefore - this.clock.nowMs());
    // Timers are capped so that a far-future task is re-evaluated if the clock is moved.
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.waiting.delete(key);
      this.runTask(key);
    }, Math.min(wait, 2 ** 31 - 1));
    timer.unref?.();
    this.timers.set(key, timer);
    this.waiting.set(key, record);
  }

  private runTask(key: string): void {
    if (this.stopped || this.running.has(key)) return;
    const run = this.execute(key)
      .then(
        () => {
          this.storeFailures.delete(key);
        },
        (err: unknown) => this.retryLater(key, err),
      )
      .finally(() => {
        this.running.delete(key);
        if (this.rerun.delete(key)) this.reload(key).catch((err: unknown) => this.retryLater(key, err));
      });
    this.running.set(key, run);
  }

  /**
   * The task's record could not be read or written (the handler's own failures are retried in `execute`): the
   * store did not answer, which must not end the process (SPEC R-1). The task runs again after a growing pause and
   * redoes its step (handlers are idempotent), until the store answers again.
   */
  private retryLater(key: string, err: unknown): void {
    if (this.stopped) return;
    const failures = (this.storeFailures.get(key) ?? 0) + 1;
    this.storeFailures.set(key, failures);
    if (failures === 1) this.log.warn({ err, task: key }, 'the store did not answer for a task; retrying');
    clearTimeout(this.timers.get(key));
    this.waiting.delete(key);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.runTask(key);
    }, Math.min(STORE_RETRY_MAX_MS, STORE_RETRY_MS * 2 ** (failures - 1)));
    timer.unref?.();
    this.timers.set(key, timer);
  }

  private async reload(key: string): Promise<void> {
    const kv = await this.store.get(key);
    if (kv) this.schedule(JSON.parse(kv.value.toString('utf8')) as TaskRecord);
  }

  private async execute(key: string): Promise<void> {
    const kv = await this.store.get(key);
    if (!kv) return;
    const record = JSON.parse(kv.value.toString('utf8')) as TaskRecord;
    if (record.notBefore > this.clock.nowMs()) {
      this.schedule(record);
      return;
    }
    const handler = this.handlers.get(record.kind);
    if (!handler) {
      this.log.error({ task: key }, 'no handler for persisted task; leaving it in place');
      return;
    }
    let outcome: TaskOutcome;
    try {
      outcome = await handler(record);
    } catch (err) {
      const backoff = Math.min(MAX_BACKOFF_MS, 250 * 2 ** record.attempts);
      this.log.error({ err, task: key, attempts: record.attempts + 1 }, 'task failed; will retry');
      outcome = { done: false, retryAfterMs: backoff };
    }
    if (outcome.done) {
      // Only delete the record we ran: if it was replaced meanwhile, the new one stays.
      await this.store.delete(key, { ifModRevision: kv.modRevision });
      return;
    }
    const next: TaskRecord = {
      ...record,
      payload: outcome.payload ?? record.payload,
      attempts: record.attempts + 1,
      notBefore: this.clock.nowMs() + outcome.retryAfterMs,
    };
    const written = await this.store.put(key, Buffer.from(JSON.stringify(next)), { ifModRevision: kv.modRevision });
    if (written.succeeded) this.schedule(next);
    else this.rerun.add(key);
  }

  /** Registers a background worker's "busy now" probe, so that `idle()` also waits for it. */
  addActivity(busy: () => boolean): void {
    this.activity.push(busy);
  }

  /** Waits until no task is due now or running (used by tests and benchmarks at --speed instant). */
  async idle(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const due = [...this.timers.keys()].length > 0 || this.running.size > 0 || this.activity.some((busy) => busy());
      if (!due) return;
      if (Date.now() > deadline) return;
      await Promise.all([...this.running.values()]);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribeClock?.();
    clearTimeout(this.rescheduleTimer);
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.waiting.clear();
    await Promise.allSettled([...this.running.values()]);
  }
}
