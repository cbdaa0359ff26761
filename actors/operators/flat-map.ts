import type { Collector, OnError, Operator, OperatorContext } from '../contract.js';
import { userFailure } from './guard.js';

export type FlatMapFn<I, O> = (value: I) => Iterable<O>;

export function flatMapOperator<I, O>(fn: FlatMapFn<I, O>, onError: OnError): Operator<I, O> {
  let ctx!: OperatorContext;
  return {
    open(c) {
      ctx = c;
    },
    processBatch(records: readonly I[], out: Collector<O>) {
      for (let i = 0; i < records.length; i++) {
        const r = records[i];
        // Materialise first, so a throw midway emits nothing for this record.
        let produced: O[];
        try {
          produced = Array.from(fn(r));
        } catch (e) {
          userFailure(ctx, onError, r, e);
          continue;
        }
        for (let j = 0; j < produced.length; j++) out.emit(produced[j]);
      }
    },
  };
}
