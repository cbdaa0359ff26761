/**
 * What a `window(...)` is, as plain data: the assigner (tumbling, sliding,
 * session), the time it runs on, allowed lateness, whether late records go
 * to a side output, and the function applied to each window's contents.
 * The DSL builds it; the window operator interprets it.
 */
import type { Key } from '../key-groups.js';

/** A window [start, end): ms, end exclusive, as Flink's TimeWindow. */
export interface Window {
  start: number;
  end: number;
}

export type WindowTime = 'event' | 'processing';

export type WindowAssigner =
  | { kind: 'tumbling'; size: number; offset: number; time?: WindowTime }
  | { kind: 'sliding'; size: number; slide: number; offset: number; time?: WindowTime }
  | { kind: 'session'; gap: number; time?: WindowTime };

export interface AssignerOptions {
  /** Event time (the default when the stream has timestamps) or processing time. */
  time?: WindowTime;
  /** Shift window starts by this many ms (e.g. time zones for daily windows); default 0. */
  offset?: number;
}

/** Fixed-size, non-overlapping windows: [k*size, (k+1)*size). */
export function tumbling(size: number, o: AssignerOptions = {}): WindowAssigner {
  return { kind: 'tumbling', size, offset: o.offset ?? 0, time: o.time };
}

/** Windows of `size` ms starting every `slide` ms; a record belongs to size/slide of them. */
export function sliding(size: number, slide: number, o: AssignerOptions = {}): WindowAssigner {
  return { kind: 'sliding', size, slide, offset: o.offset ?? 0, time: o.time };
}

/** Per key, records closer than `gap` ms belong to one session; a session ends after `gap` ms without records. */
export function session(gap: number, o: Omit<AssignerOptions, 'offset'> = {}): WindowAssigner {
  return { kind: 'session', gap, time: o.time };
}

/** Flink's AggregateFunction: an accumulator per window. */
export interface Aggregator<T, A, R> {
  create(): A;
  add(acc: A, value: T): A;
  /** Combine two accumulators; needed by session windows (they merge). */
  merge?(a: A, b: A): A;
  result(acc: A, key: Key, window: Window): R;
}

export interface WindowProcessContext<O> {
  emit(value: O): void;
  readonly key: Key;
  readonly window: Window;
  /** Event time when the window fired. */
  readonly watermark: number;
}

export type WindowFunction =
  | { kind: 'reduce'; fn: (a: unknown, b: unknown) => unknown }
  | { kind: 'aggregate'; agg: Aggregator<unknown, unknown, unknown> }
  | { kind: 'process'; fn: (key: Key, window: Window, records: unknown[], ctx: WindowProcessContext<unknown>) => void };

export interface WindowSpec {
  assigner: WindowAssigner;
  time: WindowTime;
  /** Ms after a window's end during which late records still update it and re-fire it. */
  allowedLateness: number;
  /** Late records go to the operator's second output (a named side output); else to the dead-letter path. */
  lateOutput: boolean;
  fn: WindowFunction;
}
