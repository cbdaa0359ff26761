/**
 * The actor contract: what every operator instance implements, independent of
 * where it runs (inline, worker thread, another process). Nothing here knows
 * about threads, ports or wire formats; the runtime's task shell drives these
 * objects and carries out their effects.
 *
 * Lifecycle (one instance):
 *   open(ctx) -> (restore(snapshot))? -> processBatch(...)* -> endOfInput(out) -> close()
 * `snapshot()` may be called between any two `processBatch` calls.
 */

/** Where an operator instance sends its output records. */
export interface Collector<O = unknown> {
  emit(record: O): void;
}

/** Injected services; time is passed in so tests can run on a virtual clock. */
export interface Clock {
  now(): number;
}

export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

export type OnError = 'restart' | 'skip' | 'stop';

export interface InstanceInfo {
  /** Stable operator id (equal to its name). */
  operator: string;
  /** 0-based instance index. */
  instance: number;
  parallelism: number;
}

export interface OperatorContext extends InstanceInfo {
  readonly clock: Clock;
  readonly log: Logger;
  /** Hand a poison record to the dead-letter path (onError: 'skip'). */
  deadLetter(record: unknown, error: Error): void;
}

/** A running operator instance: a step function over batches plus snapshot/restore. */
export interface Operator<I = unknown, O = unknown> {
  open?(ctx: OperatorContext): void;
  /** Process a batch that arrived on input `input` (index among the operator's inputs). */
  processBatch(records: readonly I[], out: Collector<O>, input: number): void;
  /** All inputs ended: emit what is still held. */
  endOfInput?(out: Collector<O>): void;
  snapshot?(): unknown;
  restore?(state: unknown): void;
  close?(): void;
}

// ---- sources -------------------------------------------------------------

export interface SourceContext extends InstanceInfo {
  readonly clock: Clock;
  readonly log: Logger;
}

/**
 * The result of one pull. `records` may be empty; `done` ends this instance's
 * stream; `waitMs` tells the scheduler when trying again makes sense (a
 * rate-limited generator, an empty file tail).
 */
export interface PullResult<T> {
  records: T[];
  done?: boolean;
  waitMs?: number;
}

export interface SourceReader<T = unknown> {
  /** Return up to `max` records. May be async (I/O); the task waits for it. */
  pull(max: number): PullResult<T> | Promise<PullResult<T>>;
  /** Replay position, saved in checkpoints. */
  position?(): unknown;
  seek?(position: unknown): void | Promise<void>;
  close?(): void | Promise<void>;
}

export interface SourceConnector<T = unknown> {
  readonly role: 'source';
  /** Connector type, shown in plans and status (e.g. 'generator', 'kafka'). */
  readonly type: string;
  open(ctx: SourceContext): SourceReader<T> | Promise<SourceReader<T>>;
}

// ---- sinks ---------------------------------------------------------------

export interface SinkContext extends InstanceInfo {
  readonly clock: Clock;
  readonly log: Logger;
  /** Send data to the job's driver (the handle returned by `run`); used by `collect()`. */
  publish(data: unknown): void;
}

export interface SinkWriter<T = unknown> {
  /** Write a batch. A returned promise holds back input until it settles (backpressure). */
  write(records: readonly T[]): void | Promise<void>;
  /** Everything written so far is durable/visible once this settles. */
  flush?(): void | Promise<void>;
  close?(): void | Promise<void>;
}

export interface SinkConnector<T = unknown> {
  readonly role: 'sink';
  readonly type: string;
  /** 'exactly-once' sinks commit with checkpoints; others say what they give. */
  readonly guarantee: 'at-least-once' | 'exactly-once' | 'none';
  open(ctx: SinkContext): SinkWriter<T> | Promise<SinkWriter<T>>;
}

export function isSourceConnector(x: unknown): x is SourceConnector {
  return typeof x === 'object' && x !== null && (x as SourceConnector).role === 'source' && typeof (x as SourceConnector).open === 'function';
}

export function isSinkConnector(x: unknown): x is SinkConnector {
  return typeof x === 'object' && x !== null && (x as SinkConnector).role === 'sink' && typeof (x as SinkConnector).open === 'function';
}
