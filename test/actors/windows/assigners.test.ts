/** Window assigners, session merging and trigger decisions: pure functions, no threads. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assignWindows, maxTimestamp, windowStart } from '../../../actors/windows/assigners.js';
import { intersects, mergeInto } from '../../../actors/windows/merging.js';
import { cleanupTime, isFireTime, isWindowLate } from '../../../actors/windows/trigger.js';
import { session, sliding, tumbling, type Window } from '../../../actors/windows/window-spec.js';

describe('assigners', () => {
  it('tumbling: one window [k*size, (k+1)*size) holding the timestamp, also below zero and with an offset', () => {
    expect(assignWindows(tumbling(60_000), 61_000)).toEqual([{ start: 60_000, end: 120_000 }]);
    expect(assignWindows(tumbling(60_000), 60_000)).toEqual([{ start: 60_000, end: 120_000 }]);
    expect(assignWindows(tumbling(60_000), 59_999)).toEqual([{ start: 0, end: 60_000 }]);
    expect(assignWindows(tumbling(10), -1)).toEqual([{ start: -10, end: 0 }]);
    expect(assignWindows(tumbling(10, { offset: 3 }), 12)).toEqual([{ start: 3, end: 13 }]);
    expect(assignWindows(tumbling(10, { offset: 3 }), 13)).toEqual([{ start: 13, end: 23 }]);
  });

  it('sliding: size/slide windows, newest first, each holding the timestamp', () => {
    expect(assignWindows(sliding(10_000, 5_000), 12_000)).toEqual([
      { start: 10_000, end: 20_000 },
      { start: 5_000, end: 15_000 },
    ]);
    expect(assignWindows(sliding(10, 10), 5)).toEqual([{ start: 0, end: 10 }]);
    expect(assignWindows(sliding(10, 3), 0)).toEqual([
      { start: 0, end: 10 },
      { start: -3, end: 7 },
      { start: -6, end: 4 },
      { start: -9, end: 1 },
    ]);
  });

  it('session: [ts, ts + gap) before merging', () => {
    expect(assignWindows(session(30), 5)).toEqual([{ start: 5, end: 35 }]);
  });

  it('property: every assigned window holds the timestamp; tumbling and sliding windows are aligned and complete', () => {
    let checked = 0;
    fc.assert(
      fc.property(fc.integer({ min: -1e9, max: 1e9 }), fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 1000 }), (ts, size, a) => {
        const slide = Math.min(size, a);
        for (const w of [...assignWindows(tumbling(size), ts), ...assignWindows(sliding(size, slide), ts), ...assignWindows(session(size), ts)]) {
          expect(w.start <= ts && ts < w.end).toBe(true);
        }
        const sl = assignWindows(sliding(size, slide), ts);
        // Exactly the windows starting at multiples of slide in (ts - size, ts].
        const want = Math.floor(ts / slide) - Math.floor((ts - size) / slide);
        expect(sl.length).toBe(want);
        for (const w of sl) expect(w.start - windowStart(w.start, 0, slide)).toBe(0);
        checked++;
      }),
      { numRuns: 500 },
    );
    expect(checked).toBe(500);
  });

  it('maxTimestamp is end - 1 (end is exclusive)', () => {
    expect(maxTimestamp({ start: 0, end: 10 })).toBe(9);
  });
});

describe('session merging', () => {
  it('joins the sessions a new window overlaps or touches, and only those', () => {
    expect(mergeInto([{ start: 0, end: 10 }, { start: 20, end: 30 }], { start: 8, end: 18 })).toEqual({ window: { start: 0, end: 18 }, absorbed: [{ start: 0, end: 10 }] });
    expect(mergeInto([{ start: 0, end: 10 }, { start: 20, end: 30 }], { start: 9, end: 21 })).toEqual({
      window: { start: 0, end: 30 },
      absorbed: [
        { start: 0, end: 10 },
        { start: 20, end: 30 },
      ],
    });
    expect(mergeInto([{ start: 0, end: 10 }], { start: 10, end: 20 }).window).toEqual({ start: 0, end: 20 }); // touching merges, as Flink
    expect(mergeInto([{ start: 0, end: 10 }], { start: 11, end: 21 })).toEqual({ window: { start: 11, end: 21 }, absorbed: [] });
    expect(intersects({ start: 0, end: 5 }, { start: 6, end: 9 })).toBe(false);
  });

  it('property: folding records one by one gives the sessions of a plain gap split of the sorted timestamps', () => {
    let merges = 0;
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 500 }), { minLength: 1, maxLength: 60, size: 'max' }), fc.integer({ min: 1, max: 40 }), (tss, gap) => {
        let sessions: Window[] = [];
        for (const ts of tss) {
          const r = mergeInto(sessions, { start: ts, end: ts + gap });
          if (r.absorbed.length) merges++;
          sessions = sessions.filter((s) => !r.absorbed.includes(s)).concat([r.window]);
        }
        // Reference: sort, split where the next timestamp is more than gap after the previous.
        const sorted = [...tss].sort((a, b) => a - b);
        const want: Window[] = [];
        for (const ts of sorted) {
          const last = want[want.length - 1];
          if (last && ts <= last.end) last.end = Math.max(last.end, ts + gap);
          else want.push({ start: ts, end: ts + gap });
        }
        expect(sessions.sort((a, b) => a.start - b.start)).toEqual(want);
      }),
      { numRuns: 300 },
    );
    expect(merges).toBeGreaterThan(100);
  });
});

describe('trigger decisions', () => {
  const w = { start: 0, end: 10 };
  it('fires once time reaches end - 1; late and cleared after end - 1 + lateness', () => {
    expect(isFireTime(w, 8)).toBe(false);
    expect(isFireTime(w, 9)).toBe(true);
    expect(isWindowLate(w, 0, 8)).toBe(false);
    expect(isWindowLate(w, 0, 9)).toBe(true);
    expect(isWindowLate(w, 5, 13)).toBe(false);
    expect(isWindowLate(w, 5, 14)).toBe(true);
    expect(cleanupTime(w, 5)).toBe(14);
  });
});
