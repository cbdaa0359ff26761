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
import { windowStart } from './assigners.js';
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
  const sessions = assigner.kind === 'session';
  const size = assigner.kind === 'session' ? 0 : assigner.size;
  const slide = assigner.kind === 'sliding' ? assigner.slide : size;
  const offset = assigner.kind === 'session' ? 0 : assigner.offset;
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

  /**
   * A window's timers (maxTimestamp, and cleanupTime with lateness). A tumbling or sliding window is created once
   * per key (its timers are new: add() skips the dedup lookup; a cleanup timer equal to another window's end timer
   * fires twice, harmlessly: onAlignedTimer is idempotent); a session moves, so its timers dedup.
   */
  function register(key: Key, end: number): void {
    const q = timers.queue(domain);
    if (sessions) {
      q.register(key, end - 1);
      if (lateness > 0) q.register(key, end - 1 + lateness);
      return;
    }
    q.add(key, end - 1);
    if (lateness > 0) q.add(key, end - 1 + lateness);
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
      register(key, window.end);
      if (event && isFireTime(window, time)) {
        e[3] = true; // fired now: its end timer (already due) must not fire it again, as Flink's EventTimeTrigger
        fire(e, key, out);
      }
      return;
    }
    // Tumbling and sliding: the windows [start, start + size) holding ts, latest start first (as assignWindows,
    // without allocating a window per record: a sliding window puts each record in size / slide of them).
    let added = false;
    for (let start = windowStart(ts, offset, slide); start > ts - size; start -= slide) {
      const end = start + size;
      if (event && end - 1 + lateness <= time) continue; // isWindowLate
      added = true;
      const e = windows.get(start);
      if (e === undefined) {
        const fresh: Entry = [start, end, add(create(), r, true), false];
        windows.set(start, fresh);
        register(key, end);
        if (event && end - 1 <= time) {
          fresh[3] = true; // a late record within lateness fires its new window once, now (not again at its end timer)
          fire(fresh, key, out);
        }
      } else {
        e[2] = add(e[2], r, false); // the entry is the stored object: no write back
        if (event && end - 1 <= time) fire(e, key, out); // a late record within lateness: fire again
      }
    }
    if (!added) late(r, ts, out);
  }

  /**
   * Session windows: time reached `bound` for `key`: fire windows that end by it, clear those past their lateness
   * (a timer may be stale: its session merged into another).
   */
  function onSessionTimer(key: Key, bound: number, out: Collector): void {
    const es = windows.entries().sort((a, b) => a[1][1] - b[1][1]);
    for (const [start, e] of es) {
      const w = { start: e[0], end: e[1] };
      if (!e[3] && isFireTime(w, bound)) {
        e[3] = true;
        fire(e, key, out);
      }
      if (cleanupTime(w, lateness) <= bound) windows.delete(start);
    }
  }

  /**
   * Tumbling and sliding windows: every window has its own timers (end - 1, and end - 1 + lateness), so the timer
   * at `ts` names the window it is for: fire the one ending at ts + 1, clear the one whose lateness ends at ts.
   * Timers pop in time order, so a key's windows still fire in end order; no scan of the key's windows.
   */
  function onAlignedTimer(ts: number, out: Collector, key: Key): void {
    const start = ts + 1 - size;
    const e = windows.get(start);
    if (e !== undefined && !e[3]) {
      e[3] = true;
      fire(e, key, out);
    }
    windows.delete(ts + 1 - lateness - size); // a key without windows left has no state left (MapState.delete)
  }

  function fireTimers(d: TimeDomain, bound: number, out: Collector): void {
    if (d !== domain) return;
    const q = timers.queue(d);
    const store = ctx.keyedState!;
    for (let t = q.pop(bound); t !== undefined; t = q.pop(bound)) {
      store.setCurrentKey(t.key);
      if (sessions) onSessionTimer(t.key, bound, out);
      else onAlignedTimer(t.ts, out, t.key);
    }
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
