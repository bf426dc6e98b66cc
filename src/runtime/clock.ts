/**
 * The emulated world's clock (docs/architecture.md: "time is injected").
 *
 * Azure-world facts use it: resource timestamps, OS retirement dates (SPEC C-7), feature registration delays,
 * key expiry. It starts at `--now` (or the real time) and advances in real time; tests and the admin API can move
 * it. Transport concerns (TLS certificate validity, bearer token lifetimes) use real time on purpose: clients
 * check those against their own clocks.
 */
export type ClockListener = () => void;

export class Clock {
  private offsetMs: number;
  private readonly listeners = new Set<ClockListener>();

  constructor(start?: Date) {
    this.offsetMs = start ? start.getTime() - Date.now() : 0;
  }

  nowMs(): number {
    return Date.now() + this.offsetMs;
  }

  now(): Date {
    return new Date(this.nowMs());
  }

  /** ISO-8601 with milliseconds, as ARM timestamps are written. */
  iso(): string {
    return this.now().toISOString();
  }

  set(to: Date): void {
    this.offsetMs = to.getTime() - Date.now();
    for (const l of this.listeners) l();
  }

  advance(ms: number): void {
    this.set(new Date(this.nowMs() + ms));
  }

  /** Called after every jump of the clock (not for its steady real-time advance). */
  onJump(listener: ClockListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/**
 * How long emulated operations take. `instant` completes every operation as soon as it is accepted (the state
 * transitions still happen, in order); `realistic` waits about as long as Azure does.
 */
export type SpeedName = 'instant' | 'realistic';

export class Speed {
  constructor(readonly name: SpeedName) {}

  /** The delay to use for an operation that takes `realisticMs` in Azure. */
  delay(realisticMs: number): number {
    return this.name === 'instant' ? 0 : realisticMs;
  }

  static parse(value: string): Speed {
    if (value !== 'instant' && value !== 'realistic') {
      throw new Error(`--speed must be 'instant' or 'realistic', not '${value}'`);
    }
    return new Speed(value);
  }
}
