/**
 * What a task shell needs from its host, injected so the same tasks run on a
 * worker thread, inline in one thread, or on a virtual clock in tests.
 */
import type { Clock, Logger } from '../../actors/contract.js';

export interface Timers {
  /** Call `fn` after `ms`; returns a cancel function. */
  set(ms: number, fn: () => void): () => void;
}

export interface TaskEnv {
  clock: Clock;
  timers: Timers;
  log: Logger;
  /** Ask the scheduler to run ready tasks soon. */
  wake(): void;
  /** A task failed outside a synchronous step (an async source or sink). */
  fail(actorId: number, error: unknown): void;
  /** Data a sink publishes to the job's driver (collect()). */
  publish(actorId: number, data: unknown): void;
  /** A record dropped by onError: 'skip'. */
  deadLetter(actorId: number, record: unknown, error: Error): void;
  /** The actor's snapshot for checkpoint `checkpointId` (after its barrier aligned). */
  ack(actorId: number, checkpointId: number, snapshot: ActorSnapshot): void;
  /**
   * The actor processed all its input: its final snapshot. Sinks have made
   * their data durable (pending) but wait for `commit` before closing.
   */
  finished(actorId: number, snapshot: ActorSnapshot): void;
}

/** What an actor's checkpoint holds; msgpack-encoded into one blob per actor. */
export interface ActorSnapshot {
  /** Keyed state by key group (operators after keyBy). */
  keyed?: import('../../actors/state/keyed-state.js').KeyedSnapshot;
  /** Operator state (Operator.snapshot). */
  op?: unknown;
  /** Source position. */
  src?: unknown;
  /** Sink state (SinkWriter.snapshot: pending transactions). */
  sink?: unknown;
  /** Timers (keyed state, by key group). */
  timers?: import('../../actors/time/timer-service.js').TimerServiceSnapshot;
  /** [input watermark, output watermark]: event time never goes backwards across a restore. */
  wm?: [number, number];
}

export const realClock: Clock = { now: () => performance.now() };

/** Processing time for timers and windows: wall-clock ms since the epoch, comparable across restarts. */
export const wallClock: Clock = { now: () => Date.now() };

export const realTimers: Timers = {
  set(ms, fn) {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};

/** Timers that do not keep the process alive by themselves (the coordinator's periodic work). */
export const backgroundTimers: Timers = {
  set(ms, fn) {
    const t = setTimeout(fn, ms);
    t.unref();
    return () => clearTimeout(t);
  },
};

export interface TaskMetrics {
  actor: number;
  recordsIn: number;
  recordsOut: number;
  /** Records waiting in input channels. */
  queued: number;
  /** Ms spent with output blocked for lack of credit. */
  backpressuredMs: number;
  /** Ms spent inside steps. */
  busyMs: number;
  finished: boolean;
  /** Epoch of the actor's region when sampled: a new epoch is a new incarnation, whose counts start from zero. */
  epoch?: number;
  /** Credit its output channels hold (buffers it may send before it must wait). */
  credits?: number;
  /** A source's records not yet read, by partition, where it knows (SourceReader.lag). */
  lag?: Record<string, number>;
  /** A source's records read but not yet acknowledged upstream (SourceReader.unacked). */
  unacked?: number;
  /** A source's receive-to-emit delay now (SourceReader.receiveDelayMs). */
  receiveDelayMs?: number;
  /** The actor's current watermark (its event time; assignTimestamps: the one it emits), once it has a finite one. */
  watermark?: number;
}
