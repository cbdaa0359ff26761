import type { Collector, OnError, Operator, OperatorContext } from '../contract.js';
import { userFailure } from './guard.js';

export type MapFn<I, O> = (value: I) => O;

export function mapOperator<I, O>(fn: MapFn<I, O>, onError: OnError): Operator<I, O> {
  let ctx!: OperatorContext;
  return {
    open(c) {
      ctx = c;
    },
    processBatch(records: readonly I[], out: Collector<O>) {
      if (out.emitAll) {
        // A batch in, a batch out (a failing record fails or skips before anything of the batch is emitted).
        const mapped: O[] = [];
        for (let i = 0; i < records.length; i++) {
          const r = records[i];
          try {
            mapped.push(fn(r));
          } catch (e) {
            userFailure(ctx, onError, r, e);
          }
        }
        out.emitAll(mapped);
        return;
      }
      for (let i = 0; i < records.length; i++) {
        const r = records[i];
        let v: O;
        try {
          v = fn(r);
        } catch (e) {
          userFailure(ctx, onError, r, e);
          continue;
        }
        out.emit(v);
      }
    },
  };
}
