/**
 * The timers of one keyed operator instance: an event-time queue (fired as
 * the watermark passes) and a processing-time queue (fired by the clock).
 * Created by the runtime for every operator on a keyed stream, checkpointed
 * with its keyed state and restored by key-group range.
 */
import { TimerQueue, type TimerSnapshot } from './timer-queue.js';

export type TimeDomain = 'event' | 'processing';

/** Snapshot form: [event timers, processing-time timers]. */
export type TimerServiceSnapshot = [TimerSnapshot, TimerSnapshot];

export class TimerService {
  readonly event: TimerQueue;
  readonly processing: TimerQueue;

  constructor(maxParallelism: number) {
    this.event = new TimerQueue(maxParallelism);
    this.processing = new TimerQueue(maxParallelism);
  }

  queue(domain: TimeDomain): TimerQueue {
    return domain === 'event' ? this.event : this.processing;
  }

  get size(): number {
    return this.event.size + this.processing.size;
  }

  snapshot(): TimerServiceSnapshot | undefined {
    if (this.size === 0) return undefined;
    return [this.event.snapshot(), this.processing.snapshot()];
  }

  restore(snapshots: readonly TimerServiceSnapshot[], range: [number, number]): void {
    this.event.restore(
      snapshots.map((s) => s[0]),
      range,
    );
    this.processing.restore(
      snapshots.map((s) => s[1]),
      range,
    );
  }
}
