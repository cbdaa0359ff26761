/**
 * `assignTimestamps(fn, { outOfOrderness, idleTimeout })`: event time with
 * bounded out-of-orderness watermarks, as Flink's
 * `WatermarkStrategy.forBoundedOutOfOrderness(...).withIdleness(...)`.
 *
 * Each record's timestamp is `fn(record)` (ms). The watermark is
 * `max timestamp seen - outOfOrderness - 1`: a record may arrive up to
 * `outOfOrderness` ms behind the newest one without being late. Watermarks
 * are emitted periodically (every `interval` ms of processing time, as
 * Flink's autoWatermarkInterval), not per record, so the hot path only
 * tracks a maximum. An instance that sees no record for `idleTimeout` ms
 * declares itself idle, so it stops holding back downstream event time,
 * and becomes active with its next record.
 *
 * With `splitOf` (a source's own event time: kafka.source's partitions) the
 * watermark is generated per split and is the minimum over the splits not
 * idle (actors/time/split-watermarks.ts), as Flink's KafkaSource.
 *
 * A timestamp function that throws or returns a non-number is a user
 * failure of this operator (onError), naming the record.
 */
import type { Collector, OnError, Operator, OperatorContext } from '../contract.js';
import { userFailure } from './guard.js';
import { SplitWatermarks, type SplitId } from '../time/split-watermarks.js';

export interface TimestampOptions {
  /** How far (ms) a record may trail the newest timestamp seen and still be on time (default 0). */
  outOfOrderness?: number;
  /** After this many ms without records the instance is idle (default: never). */
  idleTimeout?: number;
  /** Ms of processing time between watermarks (default 200, as Flink). */
  interval?: number;
}

export const DEFAULT_WATERMARK_INTERVAL = 200;

/** Checkpointed state: the largest timestamp, and with splits each split's. */
type Snapshot = number | { max: number; splits: [SplitId, number][] };

/** A source's splits (Kafka partitions): each record's, and those the source instance was assigned, once it knows. */
export interface SplitSource<T> {
  of(value: T): SplitId;
  assigned?(instance: number): readonly SplitId[] | undefined;
}

export function timestampsOperator<T>(fn: (value: T) => number, o: TimestampOptions, onError: OnError, split?: SplitSource<T>): Operator<T, T> {
  const ooo = o.outOfOrderness ?? 0;
  const interval = o.interval ?? DEFAULT_WATERMARK_INTERVAL;
  const idleTimeout = o.idleTimeout;
  let ctx!: OperatorContext;
  let maxTs = Number.NEGATIVE_INFINITY;
  let emitted = Number.NEGATIVE_INFINITY;
  let lastEmitAt = Number.NEGATIVE_INFINITY;
  let lastRecordAt = 0;
  let idle = false;
  let ended = false;
  const splits = split ? new SplitWatermarks(ooo, idleTimeout) : undefined;
  let announced = false;
  // The source instance registers its splits when it opens, before its first record (same worker: a forward chain).
  const announce = (now: number): void => {
    if (announced || !split?.assigned) return;
    const a = split.assigned(ctx.instance);
    if (a) {
      splits!.assigned(a, now);
      announced = true;
    }
  };

  // With splits: the minimum over the active ones (none active: hold the last one emitted).
  const pending = (now: number): number => (splits ? Math.max(splits.watermark(now) ?? emitted, emitted) : maxTs - ooo - 1);
  const emit = (now: number): void => {
    const wm = pending(now);
    lastEmitAt = now;
    if (wm > emitted || idle) {
      emitted = Math.max(emitted, wm);
      idle = false;
      ctx.emitWatermark(emitted, false);
    }
  };

  return {
    ownsWatermarks: true,
    open(c) {
      ctx = c;
      lastRecordAt = c.time.processingTime();
    },
    processBatch(records: readonly T[], out: Collector<T>) {
      let m = maxTs;
      const now = ctx.time.processingTime();
      if (splits) announce(now);
      for (let i = 0; i < records.length; i++) {
        const r = records[i];
        let ts: number;
        try {
          ts = fn(r);
          if (typeof ts !== 'number' || Number.isNaN(ts)) {
            throw new TypeError(`the timestamp function returned ${ts === null ? 'null' : typeof ts === 'number' ? 'NaN' : typeof ts}; it must return the record's event time in ms (a number). Fix: e.g. (r) => Date.parse(r.time)`);
          }
        } catch (e) {
          userFailure(ctx, onError, r, e);
          continue;
        }
        if (ts > m) m = ts;
        if (splits) splits.record(split!.of(r), ts, now);
        out.emit(r);
      }
      maxTs = m;
      lastRecordAt = now;
      if (idle || now - lastEmitAt >= interval) emit(now);
    },
    nextProcessingTime() {
      if (ended) return undefined;
      const now = ctx.time.processingTime();
      let next: number | undefined;
      if (pending(now) > emitted) next = lastEmitAt + interval;
      if (idleTimeout !== undefined && !idle) next = Math.min(next ?? Infinity, lastRecordAt + idleTimeout);
      // A split turning idle may let the watermark advance.
      const splitIdle = splits?.nextIdleAt(now);
      if (splitIdle !== undefined && !idle) next = Math.min(next ?? Infinity, Math.max(splitIdle, lastEmitAt + interval));
      return next;
    },
    onProcessingTime(now) {
      if (pending(now) > emitted && now - lastEmitAt >= interval) emit(now);
      if (idleTimeout !== undefined && !idle && now - lastRecordAt >= idleTimeout) {
        idle = true;
        ctx.emitWatermark(emitted, true);
      }
    },
    onWatermark(wm) {
      // Upstream watermarks are replaced by this operator's, except the end of event time.
      if (wm === Number.POSITIVE_INFINITY) {
        ended = true;
        emitted = wm;
        ctx.emitWatermark(wm, false);
      }
    },
    snapshot: (): Snapshot => (splits ? { max: maxTs, splits: splits.snapshot() } : maxTs),
    restore(states) {
      // After a rescale several old instances' maxima arrive: the lowest never runs ahead of any input.
      const all = states as Snapshot[];
      maxTs = Math.min(...all.map((s) => (typeof s === 'number' ? s : s.max)));
      if (splits) {
        const lists = all.map((s) => (typeof s === 'number' ? [] : s.splits));
        splits.restore(lists);
        const seeded = lists.flat().map(([, max]) => max - ooo - 1);
        emitted = seeded.length ? Math.min(...seeded) : maxTs - ooo - 1;
      } else emitted = maxTs - ooo - 1;
    },
  };
}
