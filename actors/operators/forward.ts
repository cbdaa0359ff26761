import type { Collector, Operator } from '../contract.js';

/** Passes records through unchanged: the body of `union` and of explicit repartitioning steps. */
export function forwardOperator<T>(): Operator<T, T> {
  return {
    processBatch(records: readonly T[], out: Collector<T>) {
      for (let i = 0; i < records.length; i++) out.emit(records[i]);
    },
  };
}
