/** Longest run of store calls (ms) before the event loop gets a turn. */
const SLICE_MS = 10;

/**
 * better-sqlite3 is synchronous, so a caller that awaits many store calls in a row (a controller walking
 * thousands of objects) would run on microtasks alone and never let the event loop serve HTTP or timers.
 * Once the store has been busy for a time slice without the loop turning, the next call waits one turn.
 */
export class FairSlicer {
  private sliceStart = performance.now();
  private sliceWatched = false;

  async turn(): Promise<void> {
    if (!this.sliceWatched) {
      this.sliceWatched = true;
      setImmediate(() => {
        this.sliceWatched = false;
        this.sliceStart = performance.now();
      });
    }
    if (performance.now() - this.sliceStart > SLICE_MS) await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
