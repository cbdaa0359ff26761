/**
 * The window operator on a keyed stream (Flink's WindowOperator): assigns
 * each record to its windows, keeps each window's contents (an accumulator,
 * or the records for `.process`) in keyed map state, and registers one
 * timer per window end (and per cleanup time with allowed lateness). Both
 * are keyed state, so windows are checkpointed, restored and rescaled by
 * key group with everything else.
 *
 * When a timer fires, every window of that key whose end the time passed
 * fires once, and windows past their allowed lateness are cleared; a stale
 * timer (a session merged away) finds nothing to do. The decisions are the
 * pure functions of assigners.ts, merging.ts and trigger.ts.
 *
 * Late records (every window already past its lateness) go to the side
 * output when one is named (emitted as [1, record]; results as [0, result]),
 * else to the dead-letter path: never silently dropped.
 */
import type { Collector, OnError, Operator, OperatorContext } from '../contract.js';
import { WeirError } from '../errors.js';
import type { Key } from '../key-groups.js';
import { userFailure } from '../operators/guard.js';
import type { MapState } from '../state/keyed-state.js';
import type { TimeDomain, TimerService } from '../time/timer-service.js';
import { assignWindows, maxTimestamp } from './assigners.js';
import { mergeInto } from './merging.js';
import { cleanupTime, isFireTime, isWindowLate } from './trigger.js';
import type { Window, WindowProcessContext, WindowSpec } from './window-spec.js';

/** One window of one key in state: [start, end, accumulator (or records), fired]. */
type Entry = [number, number, unknown, boolean];

export function windowOperator(spec: WindowSpec, onError: OnError, keySelector: (v: unknown) => Key, timestampOf?: (v: unknown) => number): Operator {
  const { assigner, fn } = spec;
  const event = spec.time === 'event';
  const domain: TimeDomain = event ? 'event' : 'processing';
  const lateness = event ? spec.allowedLateness : 0;
  const tag = spec.lateOutput;
  let ctx!: OperatorContext;
  let timers!: TimerService;
  let windows!: MapState<number, Entry>;
  if (event && !timestampOf) throw new Error('bug: event-time window without a timestamp function (the DSL checks this)');

  const create = (): unknown => (fn.kind === 'aggregate' ? fn.agg.create() : fn.kind === 'process' ? [] : undefined);
  const add = (acc: unknown, r: unknown, fresh: boolean): unknown => {
    if (fn.kind === 'aggregate') return fn.agg.add(acc, r);
    if (fn.kind === 'process') {
      (acc as unknown[]).push(r);
      return acc;
    }
    return fresh ? r : fn.fn(acc, r);
  };
  const merge = (a: unknown, b: unknown): unknown => {
    if (fn.kind === 'aggregate') return fn.agg.merge!(a, b);
    if (fn.kind === 'process') return (a as unknown[]).concat(b as unknown[]);
    return fn.fn(a, b);
  };

  function fire(e: Entry, key: Key, out: Collector): void {
    const w: Window = { start: e[0], end: e[1] };
    try {
      if (fn.kind === 'process') {
        const results: unknown[] = [];
        const wctx: WindowProcessContext<unknown> = { emit: (v) => void results.push(v), key, window: w, watermark: ctx.time.watermark };
        fn.fn(key, w, (e[2] as unknown[]).slice(), wctx);
        for (const v of results) out.emit(tag ? [0, v] : v);
        return;
      }
      const v = fn.kind === 'aggregate' ? fn.agg.result(e[2], key, w) : e[2];
      out.emit(tag ? [0, v] : v);
    } catch (err) {
      userFailure(ctx, onError, { key, window: w }, err);
    }
  }

  function late(r: unknown, ts: number, out: Collector): void {
    if (tag) out.emit([1, r]);
    else {
      ctx.deadLetter(
        r,
        new WeirError('LATE_RECORD', `window '${ctx.operator}' dropped a record with timestamp ${ts}: its windows closed (watermark ${ctx.time.watermark}, allowed lateness ${lateness} ms). Fix: raise allowedLateness or outOfOrderness, or name a side output with lateRecords(name)`, {
          context: { operator: ctx.operator, instance: ctx.instance, record: r },
        }),
      );
    }
  }

  function register(key: Key, w: Window): void {
    const q = timers.queue(domain);
    q.register(key, maxTimestamp(w));
    if (lateness > 0) q.register(key, cleanupTime(w, lateness));
  }

  function onRecord(r: unknown, key: Key, ts: number, now: number, out: Collector): void {
    const time = event ? ctx.time.watermark : now;
    if (assigner.kind === 'session') {
      const existing = windows.entries().map(([, e]) => ({ start: e[0], end: e[1] }));
      const { window, absorbed } = mergeInto(existing, { start: ts, end: ts + assigner.gap });
      if (event && isWindowLate(window, lateness, time)) return late(r, ts, out);
      let acc: unknown;
      let fired = false;
      let first = true;
      for (const a of absorbed) {
        const e = windows.get(a.start)!;
        windows.delete(a.start);
        acc = first ? e[2] : merge(acc, e[2]);
        fired ||= e[3];
        first = false;
      }
      if (first) acc = create();
      const e: Entry = [window.start, window.end, add(acc, r, first), fired];
      windows.set(window.start, e);
      register(key, window);
      if (event && isFireTime(window, time)) fire(e, key, out);
      return;
    }
    let added = false;
    for (const w of assignWindows(assigner, ts)) {
      if (event && isWindowLate(w, lateness, time)) continue;
      added = true;
      let e = windows.get(w.start);
      if (e === undefined) {
        e = [w.start, w.end, add(create(), r, true), false];
        register(key, w);
      } else e[2] = add(e[2], r, false);
      windows.set(w.start, e);
      if (event && isFireTime(w, time)) fire(e, key, out); // a late record within lateness: fire again
    }
    if (!added) late(r, ts, out);
  }

  /** Time reached `bound` for `key`: fire windows that end by it, clear those past their lateness. */
  function onTimer(key: Key, bound: number, out: Collector): void {
    ctx.keyedState!.setCurrentKey(key);
    const es = windows.entries().sort((a, b) => a[1][1] - b[1][1]);
    for (const [start, e] of es) {
      const w = { start: e[0], end: e[1] };
      if (!e[3] && isFireTime(w, bound)) {
        e[3] = true;
        windows.set(start, e);
        fire(e, key, out);
      }
      if (cleanupTime(w, lateness) <= bound) windows.delete(start);
    }
    if (es.length > 0 && windows.entries().length === 0) windows.clear();
  }

  function fireTimers(d: TimeDomain, bound: number, out: Collector): void {
    if (d !== domain) return;
    const q = timers.queue(d);
    for (let t = q.pop(bound); t !== undefined; t = q.pop(bound)) onTimer(t.key, bound, out);
  }

  return {
    open(c) {
      ctx = c;
      if (!c.keyedState || !c.timers) throw new Error(`bug: window '${c.operator}' opened without keyed state`);
      timers = c.timers;
      windows = c.keyedState.map<number, Entry>('window');
    },
    processBatch(records, out) {
      const store = ctx.keyedState!;
      const now = ctx.time.processingTime();
      for (let i = 0; i < records.length; i++) {
        const r = records[i];
        try {
          const key = keySelector(r);
          store.setCurrentKey(key);
          onRecord(r, key, event ? timestampOf!(r) : now, now, out);
        } catch (e) {
          userFailure(ctx, onError, r, e);
        }
      }
    },
    onWatermark(wm, out) {
      fireTimers('event', wm, out);
    },
    onProcessingTime(now, out) {
      fireTimers('processing', now, out);
    },
    nextProcessingTime: () => (event ? undefined : timers.processing.peek()),
    endOfInput(out) {
      // Processing-time windows still open when a bounded input ends fire now rather than vanish.
      if (!event) fireTimers('processing', Number.POSITIVE_INFINITY, out);
    },
  };
}
