/**
 * Counts that never go down across a restart. A restored actor is a new
 * incarnation (its region's epoch went up) whose counters start from zero;
 * this keeps, per actor, what earlier incarnations counted and adds it, so
 * `weir_actor_records_in_total` and handle.metrics() only ever grow (as
 * Flink's numRecordsIn survives a task restart in its REST API). Records
 * reprocessed after a rollback count again: these count processing, not
 * exactly-once output.
 *
 * Samples of an older epoch arriving after a newer one (a worker's last
 * report before its reset) are dropped. Pure bookkeeping, no I/O.
 */
import type { TaskMetrics } from '../host/env.js';

type Counts = Pick<TaskMetrics, 'recordsIn' | 'recordsOut' | 'backpressuredMs' | 'busyMs'>;
const ZERO: Counts = { recordsIn: 0, recordsOut: 0, backpressuredMs: 0, busyMs: 0 };

interface Carried {
  epoch: number;
  /** Sum of earlier incarnations' last counts. */
  base: Counts;
  /** This incarnation's last raw counts. */
  last: Counts;
}

const add = (a: Counts, b: Counts): Counts => ({
  recordsIn: a.recordsIn + b.recordsIn,
  recordsOut: a.recordsOut + b.recordsOut,
  backpressuredMs: a.backpressuredMs + b.backpressuredMs,
  busyMs: a.busyMs + b.busyMs,
});

const decreased = (now: Counts, before: Counts): boolean =>
  now.recordsIn < before.recordsIn || now.recordsOut < before.recordsOut || now.backpressuredMs < before.backpressuredMs || now.busyMs < before.busyMs;

export class CumulativeCounts {
  private readonly actors = new Map<number, Carried>();

  /** The sample with cumulative counts, or undefined when it is stale (an older incarnation's). */
  apply(t: TaskMetrics): TaskMetrics | undefined {
    const epoch = t.epoch ?? 0;
    const c = this.actors.get(t.actor);
    if (!c) {
      this.actors.set(t.actor, { epoch, base: ZERO, last: t });
      return t;
    }
    if (epoch < c.epoch) return undefined;
    // A new epoch, or (defensively) counts that went down within one: a new incarnation.
    if (epoch > c.epoch || decreased(t, c.last)) {
      c.base = add(c.base, c.last);
      c.epoch = epoch;
    }
    c.last = { recordsIn: t.recordsIn, recordsOut: t.recordsOut, backpressuredMs: t.backpressuredMs, busyMs: t.busyMs };
    return { ...t, ...add(c.base, c.last) };
  }
}
