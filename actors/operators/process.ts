/**
 * `process`: the general operator. The user function sees each record with a
 * context to emit any number of outputs and, on a keyed stream, the record's
 * key and that key's state (checkpointed, restored after failures).
 */
import type { Collector, OnError, Operator, OperatorContext } from '../contract.js';
import type { Key } from '../key-groups.js';
import type { KeyedStateAccess } from '../state/keyed-state.js';
import { userFailure } from './guard.js';

export interface ProcessContext<O> {
  /** Emit one output record. */
  emit(value: O): void;
  /** The record's key on a keyed stream (after keyBy), else undefined. */
  readonly key: Key | undefined;
  /** Keyed state of the current key (value, map, list); only on a keyed stream. */
  readonly state: KeyedStateAccess;
  /** This operator instance's index and the operator's parallelism. */
  readonly instance: number;
  readonly parallelism: number;
}

export type ProcessFn<I, O> = (value: I, ctx: ProcessContext<O>) => void;

export function processOperator<I, O>(
  fn: ProcessFn<I, O>,
  onError: OnError,
  keySelector: ((value: I) => Key) | undefined,
): Operator<I, O> {
  let ctx!: OperatorContext;
  // One mutable context object reused per record: no allocation on the hot path.
  // Outputs of a failing record are staged, so 'skip' drops them with it. The stage is
  // reset by its count, not `length = 0` per record: setting an array's length is a
  // runtime call that V8 sometimes leaves in the optimized loop (up to 8% of a keyed job).
  const staged: O[] = [];
  let nStaged = 0;
  const pctx: { emit(v: O): void; key: Key | undefined; instance: number; parallelism: number; state: KeyedStateAccess } = {
    emit: (v: O) => void (staged[nStaged++] = v),
    key: undefined,
    instance: 0,
    parallelism: 1,
    state: noState,
  };
  return {
    open(c) {
      ctx = c;
      pctx.instance = c.instance;
      pctx.parallelism = c.parallelism;
      if (c.keyedState) pctx.state = c.keyedState;
    },
    processBatch(records: readonly I[], out: Collector<O>) {
      for (let i = 0; i < records.length; i++) {
        const r = records[i];
        nStaged = 0;
        try {
          if (keySelector) {
            const key = keySelector(r);
            pctx.key = key;
            ctx.keyedState?.setCurrentKey(key);
          }
          fn(r, pctx);
        } catch (e) {
          nStaged = 0;
          userFailure(ctx, onError, r, e);
          continue;
        }
        for (let j = 0; j < nStaged; j++) out.emit(staged[j]);
      }
      staged.length = 0; // once per batch: drop references to emitted records
    },
  };
}

const refuse = (): never => {
  throw new Error('keyed state needs a keyed stream. Fix: keyBy(...) before this operator');
};
const noState: KeyedStateAccess = { value: refuse, map: refuse, list: refuse };
