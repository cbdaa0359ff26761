/**
 * The sink's in-flight window: at most `limit` requests out at once.
 *
 * Invariant: `inFlight <= limit`; a request is counted from `acquire()` until
 * its `release()`. A full window makes `acquire()` return a promise, which
 * write() returns to the sink task: the batches it holds keep their credit,
 * so a saturated Cassandra backpressures the job up to its sources. `idle()`
 * settles once nothing is in flight: a checkpoint barrier waits for it, so a
 * completed checkpoint means every record before it is in Cassandra.
 *
 * Single-threaded (one sink instance on one event loop): no locking needed.
 */
export class InflightWindow {
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];

  constructor(readonly limit: number) {
    if (!(limit >= 1)) throw new Error(`bug: window limit ${limit} < 1`);
  }

  get size(): number {
    return this.inFlight;
  }

  /** Take a slot: undefined when one is free now (no await on the hot path), else a promise of one. */
  acquire(): Promise<void> | undefined {
    if (this.inFlight < this.limit && this.waiting.length === 0) {
      this.inFlight++;
      return undefined;
    }
    return new Promise((resolve) => this.waiting.push(() => (this.inFlight++, resolve())));
  }

  release(): void {
    if (this.inFlight <= 0) throw new Error('bug: window released more often than acquired');
    this.inFlight--;
    const next = this.waiting.shift();
    if (next) next();
    else if (this.inFlight === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** Settles when no request is in flight (and none waits for a slot). */
  idle(): Promise<void> {
    if (this.inFlight === 0 && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
