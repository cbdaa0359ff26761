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

import type { KeyedStateStore } from './state/keyed-state.js';
import type { TimerService } from './time/timer-service.js';

/** Where an operator instance sends its output records. */
export interface Collector<O = unknown> {
  emit(record: O): void;
  /** emit() of each record in order, at batch cost (the runtime's collectors have it). */
  emitAll?(records: readonly O[]): void;
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

/**
 * Time as an operator sees it. The runtime advances `watermark` (the minimum
 * over the operator's inputs, never backwards, also across restores) before
 * calling `Operator.onWatermark`.
 */
export interface TimeContext {
  /** Current event time: no record with a timestamp <= watermark is expected any more (-Infinity before the first). */
  watermark: number;
  /** Processing time in ms since the epoch (the virtual clock in runInline). */
  processingTime(): number;
}

export interface OperatorContext extends InstanceInfo {
  readonly clock: Clock;
  readonly log: Logger;
  /** This instance's keyed state, when its input is keyed (after keyBy). */
  readonly keyedState?: KeyedStateStore;
  /** This instance's timers (keyed state too), when its input is keyed. */
  readonly timers?: TimerService;
  readonly time: TimeContext;
  /** Operators that generate watermarks (`ownsWatermarks`) emit them here; the runtime keeps them monotonic. */
  emitWatermark(ts: number, idle: boolean): void;
  /** Hand a poison record to the dead-letter path (onError: 'skip'). */
  deadLetter(record: unknown, error: Error): void;
  /**
   * True for a record the supervisor found failing this operator
   * deterministically (restart strategy repeatedFailure: 'dead-letter'):
   * if it fails again, it goes to the dead letters as with onError: 'skip'.
   */
  readonly isPoisoned?: (record: unknown) => boolean;
}

/** A running operator instance: a step function over batches plus snapshot/restore. */
export interface Operator<I = unknown, O = unknown> {
  open?(ctx: OperatorContext): void;
  /** Process a batch that arrived on input `input` (index among the operator's inputs). */
  processBatch(records: readonly I[], out: Collector<O>, input: number): void;
  /** Event time advanced to `watermark` (ctx.time.watermark already holds it): fire event-time timers. */
  onWatermark?(watermark: number, out: Collector<O>): void;
  /** Processing time reached `nextProcessingTime()`: fire what is due at `now`. */
  onProcessingTime?(now: number, out: Collector<O>): void;
  /** When the operator next wants `onProcessingTime` (ms since the epoch), if ever; asked after every step. */
  nextProcessingTime?(): number | undefined;
  /** The operator makes its own watermarks (assignTimestamps) instead of forwarding its inputs'. */
  readonly ownsWatermarks?: boolean;
  /** All inputs ended: emit what is still held. */
  endOfInput?(out: Collector<O>): void;
  /** Operator (non-keyed) state to checkpoint: msgpack-encodable data. */
  snapshot?(): unknown;
  /**
   * Restore operator state before the first batch. `states` holds the
   * snapshot of this instance, or, after a change of parallelism, the
   * snapshots of every old instance (union redistribution, as Flink's
   * union list state): the operator picks what is its own.
   */
  restore?(states: unknown[]): void;
  close?(): void;
}

// ---- sources -------------------------------------------------------------

export interface SourceContext extends InstanceInfo {
  readonly clock: Clock;
  readonly log: Logger;
  /** Job id: names what a source keeps outside weir (e.g. Kafka transactional ids), stable across restarts. */
  readonly job: string;
  /**
   * Positions to resume from, from the last completed checkpoint: this
   * instance's own, or every old instance's after a change of parallelism.
   * Undefined on a fresh start.
   */
  readonly restored?: unknown[];
  /** The source operator's onError policy, for records it cannot decode. */
  readonly onError: OnError;
  /** Hand an undecodable record to the dead-letter path (onError: 'skip'). */
  deadLetter(record: unknown, error: Error): void;
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
  /** Replay position after the records pulled so far, saved in checkpoint `checkpointId`; restored through `SourceContext.restored`. */
  position?(checkpointId: number): unknown;
  /** A checkpoint that included position() completed (Kafka: commit offsets for monitoring). */
  checkpointComplete?(checkpointId: number): void | Promise<void>;
  /** Records not yet read, by partition, where the source knows (Kafka: high watermark minus position); shown as weir_source_lag_records. */
  lag?(): Record<string, number> | undefined;
  /**
   * Records read but not yet acknowledged upstream (MQTT: PUBACK, Redis
   * Streams with a group: XACK), held until the checkpoint that covers them
   * completes; shown as weir_source_unacked_records.
   */
  unacked?(): number | undefined;
  /** Ms the oldest record received from upstream has waited to be emitted (MQTT); weir_source_receive_delay_seconds. */
  receiveDelayMs?(): number | undefined;
  close?(): void | Promise<void>;
}

export interface SourceConnector<T = unknown> {
  readonly role: 'source';
  /** Connector type, shown in plans and status (e.g. 'generator', 'kafka'). */
  readonly type: string;
  /**
   * Event time the records carry (e.g. Kafka record timestamps): the DSL assigns it right after the source.
   * With `split` (Kafka: partitions) watermarks are per split, the instance's the minimum over its non-idle splits:
   * `split.of(record)` names a record's split; `split.assigned(instance)` the splits source instance `instance` was
   * assigned, registered when it opens (the assigner runs in the same worker: a forward chain is co-located).
   */
  readonly timestamps?: {
    of(record: T): number;
    split?: { of(record: T): number | string; assigned?(instance: number): readonly (number | string)[] | undefined };
    options: { outOfOrderness?: number; idleTimeout?: number };
  };
  open(ctx: SourceContext): SourceReader<T> | Promise<SourceReader<T>>;
}

// ---- sinks ---------------------------------------------------------------

export interface SinkContext extends InstanceInfo {
  readonly clock: Clock;
  readonly log: Logger;
  /** Job id: names transactional ids and output files, stable across restarts. */
  readonly job: string;
  /** Sink state from the last completed checkpoint (see Operator.restore); undefined on a fresh start. */
  readonly restored?: unknown[];
  /**
   * Id of the checkpoint the job restored from. Output a sink committed for
   * later checkpoints is replayed (e.g. after a fall-back past a damaged
   * checkpoint): a sink that can retract it should.
   */
  readonly restoredCheckpoint?: number;
  /** Send data to the job's driver (the handle returned by `run`); used by `collect()`. */
  publish(data: unknown): void;
}

export interface SinkWriter<T = unknown> {
  /** Write a batch. A returned promise holds back input until it settles (backpressure). */
  write(records: readonly T[]): void | Promise<void>;
  /** Everything written so far is durable/visible once this settles. */
  flush?(): void | Promise<void>;
  /**
   * Two-phase commit, phase 1: barrier n reached the sink. Make what was
   * written since the previous barrier durable but not yet visible, and
   * return the state that lets `commit` (or a restored instance) finish it.
   */
  snapshot?(checkpointId: number): unknown | Promise<unknown>;
  /** Phase 2: checkpoint n completed everywhere; make its data visible. Must be idempotent. */
  commit?(checkpointId: number): void | Promise<void>;
  /**
   * True when `commit(n)` touches only what was pre-committed up to barrier n,
   * so writes and later snapshots may go on while it runs (commits stay in
   * order among themselves). A slow commit then no longer holds back the
   * next barrier and, through it, the whole pipeline. Default false: every
   * writer call is serialized. Commits queued behind a slow one are
   * coalesced: the next runs as `commit(latest completed id)`, and those
   * already covered are not called.
   */
  readonly commitsConcurrently?: boolean;
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
