/**
 * The state backend contract: where checkpoint snapshots live. One interface,
 * three implementations: memory (tests), file (the embedded default) and
 * redis (production, Redis Cluster compatible).
 *
 * A checkpoint is a set of blobs (one msgpack snapshot per actor) plus one
 * metadata record. Blobs are written first; `commit` then writes the
 * metadata in ONE atomic step, and only a committed checkpoint exists for
 * `list`. A crash between the two leaves unreferenced blobs that `gc` removes.
 *
 * Beside the checkpoints, a backend keeps one job result record per job
 * (job-result.ts): written when a run ended because its sources ended, after
 * its final checkpoint's output was committed, so a rerun refuses instead of
 * processing the input again.
 */
export interface BlobInfo {
  /** Size in bytes. */
  size: number;
  /** Hex sha256 of the bytes, checked on restore: a corrupt blob is detected. */
  sha256: string;
}

export interface CheckpointMeta {
  job: string;
  /** Increasing per job. */
  id: number;
  /** 'final': taken at end of input; 'savepoint': user-requested, never garbage-collected. */
  kind: 'checkpoint' | 'savepoint' | 'final';
  /** Wall-clock ms when committed. */
  createdAt: number;
  /** Topology fingerprint at snapshot time. */
  fingerprint: string;
  /** Parallelism of each operator at snapshot time. */
  parallelism: Record<string, number>;
  /** Blob name -> info; blob names are `<operator>/<instance>`. */
  blobs: Record<string, BlobInfo>;
}

/** How a job's last run ended (see job-result.ts). */
export interface JobResultRecord {
  job: string;
  /** 'finished': the sources ended, the final checkpoint committed and the sinks committed its output. */
  status: 'finished';
  /** Wall-clock ms when the result was recorded. */
  finishedAt: number;
  /** Id of the final checkpoint. */
  checkpoint: number;
  /** Topology fingerprint of the finished run. */
  fingerprint: string;
}

/**
 * Implementations: `memoryBackend()` (memory-backend.ts), `fileBackend(dir)`
 * (file-backend.ts), `redisBackend(url)` (redis-backend.ts); `createBackend(spec)`
 * (create-backend.ts) picks one from 'memory' | 'file:DIR' | 'redis://host:port[/db]'.
 * Restore with verification: `latestValid` / `loadCheckpoint` (restore.ts).
 *
 * All implementations accept the same arguments (job names 1-100 chars of
 * [A-Za-z0-9_.-], ids non-negative integers, blob names 1-255 chars) and reject
 * others with ConfigError 'CONFIG_INVALID'. Failures of the store are
 * `WeirError`s (runtime/checkpoint/storage/errors.ts): 'STATE_BACKEND_UNAVAILABLE'
 * (retriable; the outcome of a write that failed so is unknown),
 * 'STATE_BACKEND_FAILED', and 'STATE_BACKEND_CLOSED' after `close()`.
 * Bytes are never aliased: what `getBlob` returns is the caller's to keep.
 */
export interface StateBackend {
  readonly kind: 'memory' | 'file' | 'redis';
  /** Human-readable location for logs and errors (e.g. 'file:/var/lib/weir', 'redis://127.0.0.1:6379/0'). */
  readonly description: string;
  putBlob(job: string, checkpointId: number, name: string, bytes: Uint8Array): Promise<void>;
  /** undefined when the blob does not exist. */
  getBlob(job: string, checkpointId: number, name: string): Promise<Uint8Array | undefined>;
  /** Atomically records the checkpoint as complete (one write that names it). */
  commit(meta: CheckpointMeta): Promise<void>;
  /** Committed checkpoints of a job, newest (highest id) first. */
  list(job: string): Promise<CheckpointMeta[]>;
  /**
   * Keep the newest `keep` committed checkpoints of kind 'checkpoint'/'final'
   * and every savepoint; delete the rest, and blobs of uncommitted checkpoints
   * with ids below the newest committed one.
   */
  gc(job: string, keep: number): Promise<void>;
  /** Record how the job's last run ended (one atomic write; replaces an earlier record). */
  putResult(result: JobResultRecord): Promise<void>;
  /** The job's result record; undefined when none was written (or it was deleted or is damaged). */
  getResult(job: string): Promise<JobResultRecord | undefined>;
  /** Forget the job's result record (a rerun from scratch); no error when there is none. */
  deleteResult(job: string): Promise<void>;
  /** Delete everything stored for a job, its result record included. */
  clear(job: string): Promise<void>;
  close(): Promise<void>;
}
