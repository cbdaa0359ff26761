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
        // Sized up front: one allocation per batch, not push()'s growth steps.
        const mapped = new Array<O>(records.length);
        let k = 0;
        for (let i = 0; i < records.length; i++) {
          const r = records[i];
          try {
            mapped[k] = fn(r);
            k++;
          } catch (e) {
            userFailure(ctx, onError, r, e);
          }
        }
        if (k < mapped.length) mapped.length = k;
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
