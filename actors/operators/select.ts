/**
 * One output of a two-output operator (a window with a late side output):
 * the window emits [0, result] and [1, lateRecord] into the same channels;
 * the results stream and the side output are each a `select` of one tag,
 * chained on the same worker (forward), so nothing crosses a thread twice.
 */
import type { Collector, Operator } from '../contract.js';

export function selectOperator(tag: number): Operator<[number, unknown], unknown> {
  return {
    processBatch(records: readonly [number, unknown][], out: Collector) {
      for (let i = 0; i < records.length; i++) if (records[i][0] === tag) out.emit(records[i][1]);
    },
  };
}
