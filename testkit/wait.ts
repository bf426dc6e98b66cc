/** Polling for a condition in tests and benchmarks: one helper, so every wait reports what it waited for. */

export interface WaitOptions {
  /** Give up after this long (real time); default 20 s. */
  timeoutMs?: number;
  /** Pause between polls; default 50 ms. */
  intervalMs?: number;
  /** Runs between polls, e.g. advancing the emulated clock so that due work happens. */
  between?: () => Promise<unknown> | unknown;
}

/** Polls `fn` until it returns a truthy value and returns that value; throws `timed out waiting for <what>`. */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false | null> | T | undefined | false | null, opts: WaitOptions = {}): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  for (;;) {
    const v = await fn();
    if (v) return v as T;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    if (opts.between) await opts.between();
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 50));
  }
}
