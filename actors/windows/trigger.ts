/**
 * Window trigger decisions (Flink's EventTimeTrigger / ProcessingTimeTrigger
 * with allowed lateness, as in WindowOperator), pure: given a window and the
 * current time (watermark, or processing time), whether a record for it is
 * dropped as late, whether it fires, and whether its state can be cleared.
 *
 * - A window fires once when time reaches its max timestamp (end - 1).
 * - Until time passes end - 1 + allowedLateness, a late record still joins
 *   it and fires it again with the updated contents.
 * - After that the window is gone: its records are late records (side output).
 */
import { maxTimestamp } from './assigners.js';
import type { Window } from './window-spec.js';

/** Records for this window are too late: its state was (or may be) cleared. */
export function isWindowLate(w: Window, allowedLateness: number, time: number): boolean {
  return maxTimestamp(w) + allowedLateness <= time;
}

/** Time has reached the window's end: it fires (again, for a late record within lateness). */
export function isFireTime(w: Window, time: number): boolean {
  return maxTimestamp(w) <= time;
}

/** When the window's state is cleared. */
export function cleanupTime(w: Window, allowedLateness: number): number {
  return maxTimestamp(w) + allowedLateness;
}
