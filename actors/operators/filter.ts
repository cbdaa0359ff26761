import type { Collector, OnError, Operator, OperatorContext } from '../contract.js';
import { userFailure } from './guard.js';

export type FilterFn<T> = (value: T) => boolean;

export function filterOperator<T>(fn: FilterFn<T>, onError: OnError): Operator<T, T> {
  let ctx!: OperatorContext;
  return {
    open(c) {
      ctx = c;
    },
    processBatch(records: readonly T[], out: Collector<T>) {
      for (let i = 0; i < records.length; i++) {
        const r = records[i];
        let keep: boolean;
        try {
          keep = fn(r);
        } catch (e) {
          userFailure(ctx, onError, r, e);
          continue;
        }
        if (keep) out.emit(r);
      }
    },
  };
}
