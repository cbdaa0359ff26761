/**
 * Window assigners as pure functions (Flink's TumblingEventTimeWindows,
 * SlidingEventTimeWindows, EventTimeSessionWindows): the windows a record
 * with timestamp `ts` belongs to.
 *
 * @example
 * assignWindows(tumbling(60_000), 61_000);        // [{ start: 60000, end: 120000 }]
 * assignWindows(sliding(10_000, 5_000), 12_000);  // [{ start: 10000, end: 20000 }, { start: 5000, end: 15000 }]
 * assignWindows(session(30_000), 5_000);          // [{ start: 5000, end: 35000 }] (merged later)
 */
import type { Window, WindowAssigner } from './window-spec.js';

/** Start of the window of `size` (shifted by `offset`) holding `ts`; correct for negative timestamps too. */
export function windowStart(ts: number, offset: number, size: number): number {
  const r = (ts - offset) % size;
  return ts - (r < 0 ? r + size : r);
}

export function assignWindows(a: WindowAssigner, ts: number): Window[] {
  switch (a.kind) {
    case 'tumbling': {
      const start = windowStart(ts, a.offset, a.size);
      return [{ start, end: start + a.size }];
    }
    case 'sliding': {
      const out: Window[] = [];
      for (let start = windowStart(ts, a.offset, a.slide); start > ts - a.size; start -= a.slide) out.push({ start, end: start + a.size });
      return out;
    }
    case 'session':
      return [{ start: ts, end: ts + a.gap }];
  }
}

/** The largest timestamp in a window (Flink's maxTimestamp): its event-time timer fires at it. */
export function maxTimestamp(w: Window): number {
  return w.end - 1;
}
