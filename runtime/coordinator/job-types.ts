/** What a running job hands back: its handle, its result, its dead letters. */
import type { WeirError } from '../../actors/errors.js';
import type { CheckpointStats, CompletedCheckpoint } from './checkpointer.js';
import type { JobMetrics } from './metrics.js';

export interface DeadLetter {
  operator: string;
  instance: number;
  record: unknown;
  error: WeirError;
}

export interface JobResult {
  job: string;
  /** Records published by collect() sinks, by sink name. */
  outputs: Record<string, unknown[]>;
  /** Records dropped by operators with onError: 'skip'. */
  deadLetters: DeadLetter[];
  metrics: JobMetrics;
  /** True when the job ended because stop() drained it, not because its sources ended. */
  stopped: boolean;
  /** The last checkpoint committed (the final one), with its kind. */
  checkpoint: { id: number; kind: 'checkpoint' | 'savepoint' | 'final' } | undefined;
  /** Region restarts during the run. */
  restarts: number;
  /** The checkpoint this run resumed from, if any. */
  resumedFrom: number | undefined;
  checkpoints: CheckpointStats;
}

export interface StopOptions {
  /** Keep the final checkpoint as a savepoint (never garbage-collected); restore it with fromSavepoint. */
  savepoint?: boolean;
}

export interface JobHandle {
  /** Settles when the job has ended: resolves with its result, rejects with a WeirError. */
  readonly done: Promise<JobResult>;
  /** Drain and end: sources stop, in-flight records reach the sinks, a final checkpoint is committed. A second call ends at once. */
  stop(options?: StopOptions): Promise<JobResult>;
  /**
   * Take a checkpoint now (besides the periodic ones; the only ones when
   * checkpointInterval is 0). Resolves when it has committed; a request made
   * while one is in flight gets the next one. Rejects with a WeirError if it
   * is declined (CHECKPOINT_DECLINED, CHECKPOINT_TIMEOUT), aborted by a
   * failover (CHECKPOINT_ABORTED), or the job ends first (JOB_NOT_RUNNING).
   */
  checkpoint(): Promise<CompletedCheckpoint>;
  /** The latest metrics, once the first sample arrived. */
  metrics(): JobMetrics | undefined;
}
