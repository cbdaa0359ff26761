/**
 * `process`: the general operator. The user function sees each record with a
 * context to emit any number of outputs and, on a keyed stream, the record's
 * key, that key's state (checkpointed, restored after failures) and timers
 * (as Flink's KeyedProcessFunction): `ctx.timers.eventTime(ts)` fires
 * `onTimer` once the watermark passes ts, `ctx.timers.processingTime(ts)`
 * once the clock does; one timer per key and timestamp; a timer already due
 * fires right after the current batch.
 */
import type { Collector, OnError, Operator, OperatorContext, TimeContext } from '../contract.js';
import type { Key } from '../key-groups.js';
import type { KeyedStateAccess } from '../state/keyed-state.js';
import type { TimeDomain, TimerService } from '../time/timer-service.js';
import { userFailure } from './guard.js';

export interface TimerAccess {
  /** Call onTimer when the watermark reaches `ts` (ms, event time). */
  eventTime(ts: number): void;
  /** Call onTimer when processing time reaches `ts` (ms since the epoch). */
  processingTime(ts: number): void;
  deleteEventTime(ts: number): void;
  deleteProcessingTime(ts: number): void;
  /** Current processing time (the virtual clock in runInline). */
  now(): number;
}

export interface ProcessContext<O> {
  /** Emit one output record. */
  emit(value: O): void;
  /** The record's key on a keyed stream (after keyBy), else undefined. */
  readonly key: Key | undefined;
  /** Keyed state of the current key (value, map, list); only on a keyed stream. */
  readonly state: KeyedStateAccess;
  /** Timers of the current key; only on a keyed stream. */
  readonly timers: TimerAccess;
  /** Current event time of this operator (-Infinity before the first watermark). */
  readonly watermark: number;
  /** The record's event timestamp (needs assignTimestamps upstream); in onTimer, the timer's time. */
  readonly timestamp: number | undefined;
  /** This operator instance's index and the operator's parallelism. */
  readonly instance: number;
  readonly parallelism: number;
}

export interface TimerContext<O> extends ProcessContext<O> {
  /** Which clock fired the timer. */
  readonly domain: TimeDomain;
}

export type ProcessFn<I, O> = (value: I, ctx: ProcessContext<O>) => void;

/** `process({ onRecord, onTimer })`: a record handler plus a timer callback. */
export interface ProcessHandlers<I, O> {
  onRecord: ProcessFn<I, O>;
  onTimer?: (ts: number, ctx: TimerContext<O>) => void;
}

export function processOperator<I, O>(
  spec: ProcessFn<I, O> | ProcessHandlers<I, O>,
  onError: OnError,
  keySelector: ((value: I) => Key) | undefined,
  timestampOf?: (value: I) => number,
): Operator<I, O> {
  const fn = typeof spec === 'function' ? spec : spec.onRecord;
  const onTimer = typeof spec === 'function' ? undefined : spec.onTimer;
  let ctx!: OperatorContext;
  let timers: TimerService | undefined;
  // One mutable context object reused per record: no allocation on the hot path.
  // Outputs of a failing record are staged, so 'skip' drops them with it. The stage is
  // reset by its count, not `length = 0` per record: setting an array's length is a
  // runtime call that V8 sometimes leaves in the optimized loop (up to 8% of a keyed job).
  const staged: O[] = [];
  let nStaged = 0;

  /** A timer registered at or before the current time: fire after the batch. */
  let pastTimer = false;
  const keyOf = (): Key => {
    if (pctx.key === undefined || !timers) throw new Error('timers need a keyed stream. Fix: keyBy(...) before this process()');
    return pctx.key;
  };
  const timerAccess: TimerAccess = {
    eventTime(ts) {
      checkTs(ts);
      const key = keyOf();
      timers!.event.register(key, ts);
      if (ts <= ctx.time.watermark) pastTimer = true;
    },
    processingTime(ts) {
      checkTs(ts);
      const key = keyOf();
      timers!.processing.register(key, ts);
    },
    deleteEventTime: (ts) => {
      const key = keyOf();
      timers!.event.delete(key, ts);
    },
    deleteProcessingTime: (ts) => {
      const key = keyOf();
      timers!.processing.delete(key, ts);
    },
    now: () => ctx.time.processingTime(),
  };
  // A class instance (getters on its prototype) keeps the per-record context a fast, fixed-shape object.
  const pctx = new Ctx<I, O>((v: O) => void (staged[nStaged++] = v), timerAccess, timestampOf);

  function fire(domain: TimeDomain, upTo: number, out: Collector<O>): void {
    if (!timers) return;
    const q = timers.queue(domain);
    pctx.domain = domain;
    for (let t = q.pop(upTo); t !== undefined; t = q.pop(upTo)) {
      nStaged = 0;
      pctx.key = t.key;
      pctx.timerTs = t.ts;
      ctx.keyedState?.setCurrentKey(t.key);
      try {
        onTimer?.(t.ts, pctx);
      } catch (e) {
        nStaged = 0;
        userFailure(ctx, onError, { timer: t.ts, key: t.key, domain }, e);
      }
      for (let j = 0; j < nStaged; j++) out.emit(staged[j]);
    }
    pctx.timerTs = undefined;
    staged.length = 0;
  }

  /** Processing-time timers already due (registered in the past, or due by now) fire without waiting for a tick. */
  function firePastProcessing(out: Collector<O>): void {
    const now = ctx.time.processingTime();
    if (timers!.processing.peek()! <= now) fire('processing', now, out);
  }

  return {
    open(c) {
      ctx = c;
      pctx.time = c.time;
      timers = c.timers;
      pctx.instance = c.instance;
      pctx.parallelism = c.parallelism;
      if (c.keyedState) pctx.state = c.keyedState;
    },
    processBatch(records: readonly I[], out: Collector<O>) {
      for (let i = 0; i < records.length; i++) {
        const r = records[i];
        nStaged = 0;
        pctx.current = r;
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
      pctx.current = undefined;
      staged.length = 0; // once per batch: drop references to emitted records
      if (pastTimer) {
        pastTimer = false;
        fire('event', ctx.time.watermark, out);
      }
      if (timers !== undefined && timers.processing.size > 0) firePastProcessing(out);
    },
    endOfInput(out) {
      if (timers !== undefined && timers.processing.size > 0) firePastProcessing(out);
    },
    onWatermark(wm, out) {
      fire('event', wm, out);
    },
    onProcessingTime(now, out) {
      fire('processing', now, out);
    },
    nextProcessingTime: () => timers?.processing.peek(),
  };
}

class Ctx<I, O> implements TimerContext<O> {
  key: Key | undefined = undefined;
  instance = 0;
  parallelism = 1;
  state: KeyedStateAccess = noState;
  domain: TimeDomain = 'event';
  current: I | undefined = undefined;
  timerTs: number | undefined = undefined;
  time: TimeContext = { watermark: Number.NEGATIVE_INFINITY, processingTime: () => 0 };
  constructor(
    readonly emit: (v: O) => void,
    readonly timers: TimerAccess,
    private readonly timestampOf: ((value: I) => number) | undefined,
  ) {}
  get watermark(): number {
    return this.time.watermark;
  }
  get timestamp(): number | undefined {
    if (this.timerTs !== undefined) return this.timerTs;
    return this.timestampOf && this.current !== undefined ? this.timestampOf(this.current) : undefined;
  }
}

function checkTs(ts: number): void {
  if (typeof ts !== 'number' || Number.isNaN(ts)) throw new Error(`timer time ${String(ts)} is not a number. Fix: pass ms, e.g. ctx.timestamp + 60_000`);
}

const refuse = (): never => {
  throw new Error('keyed state needs a keyed stream. Fix: keyBy(...) before this operator');
};
const noState: KeyedStateAccess = { value: refuse, map: refuse, list: refuse };
