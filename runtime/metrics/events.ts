/** What the coordinator tells the telemetry as it happens (besides the periodic samples). */

/** A checkpoint that committed, was declined (write failed, timed out) or was aborted by a failover. */
export interface CheckpointEvent {
  id: number;
  kind: 'checkpoint' | 'savepoint' | 'final';
  status: 'completed' | 'failed' | 'aborted';
  /** Wall-clock time it settled, ms since the epoch. */
  at: number;
  /** Trigger to commit (or to failure), ms; undefined when its trigger time is not known (final checkpoints). */
  durationMs?: number;
  /** Bytes of all snapshots written (completed only). */
  sizeBytes?: number;
  /** Why it failed or was aborted. */
  error?: string;
}

/** A failure that restarted failover regions. */
export interface FailureEvent {
  at: number;
  regions: number[];
  code: string;
  message: string;
  operator?: string;
  instance?: number;
  /** Workers that crashed with it. */
  crashedWorkers: number[];
}
