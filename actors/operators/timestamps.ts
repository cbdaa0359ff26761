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
 * A timestamp function that throws or returns a non-number is a user
 * failure of this operator (onError), naming the record.
 */
import type { Collector, OnError, Operator, OperatorContext } from '../contract.js';
import { userFailure } from './guard.js';

export interface TimestampOptions {
  /** How far (ms) a record may trail the newest timestamp seen and still be on time (default 0). */
  outOfOrderness?: number;
  /** After this many ms without records the instance is idle (default: never). */
  idleTimeout?: number;
  /** Ms of processing time between watermarks (default 200, as Flink). */
  interval?: number;
}

export const DEFAULT_WATERMARK_INTERVAL = 200;

export function timestampsOperator<T>(fn: (value: T) => number, o: TimestampOptions, onError: OnError): Operator<T, T> {
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

  const pending = (): number => maxTs - ooo - 1;
  const emit = (now: number): void => {
    const wm = pending();
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
        out.emit(r);
      }
      maxTs = m;
      const now = ctx.time.processingTime();
      lastRecordAt = now;
      if (idle || now - lastEmitAt >= interval) emit(now);
    },
    nextProcessingTime() {
      if (ended) return undefined;
      let next: number | undefined;
      if (pending() > emitted) next = lastEmitAt + interval;
      if (idleTimeout !== undefined && !idle) next = Math.min(next ?? Infinity, lastRecordAt + idleTimeout);
      return next;
    },
    onProcessingTime(now) {
      if (pending() > emitted && now - lastEmitAt >= interval) emit(now);
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
    snapshot: () => maxTs,
    restore(states) {
      // After a rescale several old instances' maxima arrive: the lowest never runs ahead of any input.
      maxTs = Math.min(...(states as number[]));
      emitted = pending();
    },
  };
}
