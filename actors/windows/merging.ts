/**
 * Session window merging (Flink's MergingWindowSet / TimeWindow.mergeWindows),
 * pure: a new record's window [ts, ts + gap) joins every existing session of
 * its key that it overlaps or touches; they become one session covering all
 * of them. Sessions of one key never overlap after a merge.
 *
 * @example
 * mergeInto([{ start: 0, end: 10 }, { start: 20, end: 30 }], { start: 8, end: 18 })
 * // { window: { start: 0, end: 18 }, absorbed: [{ start: 0, end: 10 }] }
 */
import type { Window } from './window-spec.js';

export function intersects(a: Window, b: Window): boolean {
  return a.start <= b.end && a.end >= b.start;
}

export interface MergeResult {
  /** The session the new window ends up in. */
  window: Window;
  /** Existing sessions merged into it (their contents move into `window`). */
  absorbed: Window[];
}

export function mergeInto(existing: readonly Window[], fresh: Window): MergeResult {
  let start = fresh.start;
  let end = fresh.end;
  const absorbed: Window[] = [];
  // One pass suffices: existing sessions are disjoint, so the merged span only meets those the fresh window meets
  // or those between them; a second pass catches sessions the grown span reaches.
  let grew = true;
  const left = existing.slice();
  while (grew) {
    grew = false;
    for (let i = 0; i < left.length; i++) {
      const w = left[i];
      if (intersects(w, { start, end })) {
        absorbed.push(w);
        left.splice(i--, 1);
        if (w.start < start) start = w.start;
        if (w.end > end) end = w.end;
        grew = true;
      }
    }
  }
  return { window: { start, end }, absorbed };
}
