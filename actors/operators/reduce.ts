/**
 * `reduce`: a rolling aggregate per key, as Flink's KeyedStream.reduce. For
 * each record it folds the record into its key's aggregate (kept in keyed
 * value state, so it is checkpointed) and emits the new aggregate.
 */
import type { Collector, OnError, Operator, OperatorContext } from '../contract.js';
import type { Key } from '../key-groups.js';
import type { ValueState } from '../state/keyed-state.js';
import { userFailure } from './guard.js';

export type ReduceFn<T> = (accumulator: T, value: T) => T;

export function reduceOperator<T>(fn: ReduceFn<T>, onError: OnError, keySelector: (value: T) => Key): Operator<T, T> {
  let ctx!: OperatorContext;
  let acc!: ValueState<T>;
  return {
    open(c) {
      ctx = c;
      if (!c.keyedState) throw new Error(`bug: reduce '${c.operator}' opened without keyed state`);
      acc = c.keyedState.value<T>('reduce');
    },
    processBatch(records: readonly T[], out: Collector<T>) {
      const store = ctx.keyedState!;
      for (let i = 0; i < records.length; i++) {
        const r = records[i];
        let next: T;
        try {
          store.setCurrentKey(keySelector(r));
          const prev = acc.get();
          next = prev === undefined ? r : fn(prev, r);
        } catch (e) {
          userFailure(ctx, onError, r, e);
          continue;
        }
        acc.set(next);
        out.emit(next);
      }
    },
  };
}
