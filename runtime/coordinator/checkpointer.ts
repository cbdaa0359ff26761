/**
 * The checkpoint coordinator's shell (the core is checkpoint/tracker.ts).
 * Every `interval` ms it injects barrier n at the sources; when every actor
 * has acked, it writes the snapshots to the state backend, commits
 * checkpoint n with one atomic write, then tells the workers (sinks commit
 * their pending output) and deletes old checkpoints. One checkpoint is in
 * flight at a time (Flink's default). A checkpoint that cannot be written,
 * or does not complete within the timeout, is declined and the job goes on;
 * past `tolerable` consecutive failures the job fails.
 *
 * `now()` triggers one on request (JobHandle.checkpoint(), as Flink's REST
 * "trigger checkpoint"): a request made while one is in flight gets the next
 * one, which starts as soon as the current one settles; a job with
 * checkpointInterval 0 takes checkpoints only on request.
 */
import type { Logger } from '../../actors/contract.js';
import { WeirError } from '../../actors/errors.js';
import type { CheckpointMeta, StateBackend } from '../checkpoint/storage/backend.js';
import { blobInfo } from '../checkpoint/storage/checksum.js';
import { blobName, type CheckpointData } from '../checkpoint/restore-plan.js';
import { CheckpointTracker } from '../checkpoint/tracker.js';
import type { ExecutionPlan } from '../plan/plan.js';
import type { Clock } from '../../actors/contract.js';
import { backgroundTimers, realClock, type Timers } from '../host/env.js';
import type { Engine } from './engines.js';
import type { CheckpointEvent } from '../metrics/events.js';

export interface CheckpointerOptions {
  backend: StateBackend;
  job: string;
  plan: ExecutionPlan;
  engine: Engine;
  log: Logger;
  intervalMs: number;
  timeoutMs: number;
  tolerable: number;
  keep: number;
  /** First id to use (after the ids already in the backend). */
  nextId: number;
  /** The checkpoint the job started from, if any. */
  restoredFrom: CheckpointData | undefined;
  onFatal(error: WeirError): void;
  /** Checkpoint `id` committed (the supervisor tells a replay from new progress by it). */
  onCompleted?(id: number): void;
  /** Told of every checkpoint that commits, is declined or aborted (the dashboard's history). */
  onEvent?(e: CheckpointEvent): void;
  /** Injected time (deterministic simulation runs the checkpointer on a virtual clock). */
  clock?: Clock;
  timers?: Timers;
}

export interface CheckpointStats {
  completed: number;
  failed: number;
  lastId: number | undefined;
  lastDurationMs: number;
  lastSizeBytes: number;
}

/** What JobHandle.checkpoint() resolves with. */
export interface CompletedCheckpoint {
  id: number;
  /** Trigger to commit, ms. */
  durationMs: number;
  /** Bytes of all snapshots written. */
  sizeBytes: number;
}

interface Waiter {
  resolve(c: CompletedCheckpoint): void;
  reject(e: WeirError): void;
}

export class Checkpointer {
  readonly tracker: CheckpointTracker;
  lastCompleted: CheckpointData | undefined;
  readonly stats: CheckpointStats = { completed: 0, failed: 0, lastId: undefined, lastDurationMs: 0, lastSizeBytes: 0 };
  private nextId: number;
  private cancelTimer: (() => void) | undefined;
  private cancelTimeout: (() => void) | undefined;
  private readonly clock: Clock;
  /** The last garbage collection started (not awaited by checkpoints; awaited before the backend closes). */
  private gc: Promise<void> = Promise.resolve();
  private readonly timers: Timers;
  private consecutiveFailures = 0;
  private stopped = false;
  private paused = false;
  /** Requests not yet covered by a triggered checkpoint. */
  private requested: Waiter[] = [];
  /** The checkpoint from trigger until it commits or is declined, with the requests it answers. */
  private current: { id: number; startedAt: number; waiters: Waiter[] } | undefined;
  /** Persisting is serialized so commits are in id order. */
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly o: CheckpointerOptions) {
    this.tracker = new CheckpointTracker(o.plan.actors.map((a) => a.id));
    this.clock = o.clock ?? realClock;
    this.timers = o.timers ?? backgroundTimers;
    this.nextId = o.nextId;
    this.lastCompleted = o.restoredFrom;
  }

  /**
   * With periodic checkpoints, the first is taken as soon as the job runs, not
   * one interval in. A worker's V8 compiles its hot loop (take a batch,
   * process, route) from what the loop has seen: if no barrier has passed by
   * then, the barrier branches compile to deoptimisation exits, and the first
   * barrier throws every worker's hot code back to the interpreter. Measured on
   * the keyed stateful bench job, that cost ~300 ms of processing at the first
   * checkpoint; with a barrier through the cold code at start it is gone. It
   * also gives the job a restore point from its first moment.
   */
  start(): void {
    if (this.o.intervalMs > 0) this.trigger();
    else this.schedule();
  }

  private schedule(): void {
    if (this.stopped || this.o.intervalMs <= 0) return;
    this.cancelTimer?.();
    this.cancelTimer = this.timers.set(this.o.intervalMs, () => this.trigger());
  }

  /** Trigger a checkpoint now, or right after the one in flight; resolves when it commits. */
  now(): Promise<CompletedCheckpoint> {
    if (this.stopped) return Promise.reject(ended());
    return new Promise<CompletedCheckpoint>((resolve, reject) => {
      this.requested.push({ resolve, reject });
      if (!this.current) this.trigger();
    });
  }

  private trigger(): void {
    if (this.stopped || this.paused) return;
    if (this.current) return this.schedule(); // (a checkpoint in the tracker is always `current`)
    this.cancelTimer?.();
    const id = this.nextId++;
    const startedAt = this.clock.now();
    this.current = { id, startedAt, waiters: this.requested.splice(0) };
    this.tracker.begin(id, startedAt);
    this.o.engine.trigger(id);
    this.cancelTimeout = this.timers.set(this.o.timeoutMs, () => {
      if (this.tracker.inFlight?.id === id) {
        this.tracker.abort();
        const e = new WeirError('CHECKPOINT_TIMEOUT', `checkpoint ${id} did not complete within ${this.o.timeoutMs} ms`);
        this.declined(id, e);
        this.settle(id, e);
      }
    });
  }

  /** Checkpoint `id` committed (no error) or was declined: answer its requests, then start the next. */
  private settle(id: number, error?: WeirError): void {
    const c = this.current;
    if (c?.id !== id) return;
    this.current = undefined;
    for (const w of c.waiters) {
      if (error) w.reject(error);
      else w.resolve({ id, durationMs: this.clock.now() - c.startedAt, sizeBytes: this.stats.lastSizeBytes });
    }
    if (this.requested.length && !this.paused && !this.stopped) this.trigger();
    else this.schedule();
  }

  onAck(actor: number, id: number, snapshot: Uint8Array): void {
    const snaps = this.tracker.ack(actor, id, snapshot);
    if (snaps) this.completeFromTracker(id, snaps);
  }

  onFinished(actor: number, snapshot: Uint8Array): void {
    const id = this.tracker.inFlight?.id;
    const snaps = this.tracker.finished(actor, snapshot);
    if (snaps && id !== undefined) this.completeFromTracker(id, snaps);
  }

  private completeFromTracker(id: number, snaps: Map<number, Uint8Array>): void {
    this.cancelTimeout?.();
    const startedAt = this.clock.now();
    this.persist(id, snaps, 'checkpoint').then(
      () => {
        this.stats.lastDurationMs = this.clock.now() - startedAt;
        this.settle(id);
      },
      (e) => {
        this.declined(id, e);
        this.settle(id, new WeirError('CHECKPOINT_DECLINED', `checkpoint ${id} could not be written to ${this.o.backend.description}: ${e instanceof Error ? e.message : String(e)}`, { cause: e }));
      },
    );
  }

  private declined(id: number, e: unknown): void {
    this.stats.failed++;
    this.event(id, 'checkpoint', 'failed', e);
    this.consecutiveFailures++;
    this.o.log.warn({ checkpoint: id, err: e }, `checkpoint ${id} declined; the job goes on`);
    const t = this.o.tolerable;
    if (t >= 0 && this.consecutiveFailures > t) {
      this.o.onFatal(new WeirError('CHECKPOINTS_FAILING', `${this.consecutiveFailures} consecutive checkpoints failed (tolerated: ${t}); last: ${e instanceof Error ? e.message : String(e)}`, { cause: e }));
    }
  }

  /** Write blobs, commit, remember, notify the workers, gc. Serialized. */
  persist(id: number, snaps: Map<number, Uint8Array>, kind: CheckpointMeta['kind'], waitForSinks = false): Promise<void> {
    const run = this.writing.then(async () => {
      const { backend, job, plan } = this.o;
      const blobs = new Map<string, Uint8Array>();
      const infos: CheckpointMeta['blobs'] = {};
      let size = 0;
      await Promise.all(
        [...snaps].map(async ([actor, bytes]) => {
          const a = plan.actors[actor];
          const name = blobName(a.operator, a.instance);
          blobs.set(name, bytes);
          infos[name] = blobInfo(bytes);
          size += bytes.length;
          await backend.putBlob(job, id, name, bytes);
        }),
      );
      const parallelism: Record<string, number> = {};
      for (const a of plan.actors) parallelism[a.operator] = a.parallelism;
      await backend.commit({ job, id, kind, createdAt: Date.now(), fingerprint: plan.fingerprint, parallelism, blobs: infos });
      this.lastCompleted = { id, parallelism, blobs };
      this.consecutiveFailures = 0;
      this.stats.completed++;
      this.stats.lastId = id;
      this.stats.lastSizeBytes = size;
      this.o.log.info({ checkpoint: id, kind, bytes: size }, `checkpoint ${id} committed`);
      this.o.onCompleted?.(id);
      this.event(id, kind, 'completed', undefined, size);
      this.gc = backend.gc(job, this.o.keep).catch((e) => this.o.log.warn({ err: e }, 'checkpoint gc failed'));
    });
    this.writing = run.catch(() => {});
    return run.then(() => this.o.engine.complete(id, waitForSinks));
  }

  /**
   * The last checkpoint, once every actor finished (end of input or a drain):
   * retried until written, so the sinks' last epoch is committed.
   */
  async final(kind: CheckpointMeta['kind'], deadlineMs = 60_000): Promise<number> {
    this.stopTimers();
    this.tracker.abort();
    this.rejectAll(ended());
    const id = this.nextId++;
    const snaps = this.tracker.finalSnapshots();
    const until = this.clock.now() + deadlineMs;
    for (let delay = 100; ; delay = Math.min(delay * 2, 5000)) {
      try {
        await this.persist(id, snaps, kind, true);
        return id;
      } catch (e) {
        if (this.clock.now() + delay > until) {
          throw new WeirError('FINAL_CHECKPOINT_FAILED', `the final checkpoint ${id} could not be written to ${this.o.backend.description}: ${e instanceof Error ? e.message : String(e)}. The last epoch's output is not committed; a rerun with the same job id resumes from checkpoint ${this.lastCompleted?.id ?? 'none'}`, { cause: e });
        }
        this.o.log.warn({ err: e, checkpoint: id }, `final checkpoint ${id} failed; retrying in ${delay} ms`);
        await new Promise<void>((r) => this.timers.set(delay, r));
      }
    }
  }

  /** No write and no garbage collection in progress: the backend may close. */
  async idle(): Promise<void> {
    await this.settled();
    await this.gc;
  }

  /** Resolves when no checkpoint write is in progress (a failover restores from what committed). */
  async settled(): Promise<void> {
    for (let w = this.writing; ; w = this.writing) {
      await w;
      if (w === this.writing) return;
    }
  }

  /** A region restarts: the pending checkpoint cannot complete, and none starts until resume(). */
  pause(actors: Iterable<number>): void {
    this.paused = true;
    const p = this.tracker.inFlight;
    this.tracker.reset(actors);
    if (p) {
      this.cancelTimeout?.();
      this.o.log.info({ checkpoint: p.id }, `checkpoint ${p.id} aborted by a failover`);
      this.event(p.id, 'checkpoint', 'aborted', 'a failover restarted a region while it was in flight');
      this.settle(p.id, new WeirError('CHECKPOINT_ABORTED', `checkpoint ${p.id} was aborted: a failover restarted a region while it was in flight. Fix: request another with checkpoint()`));
    }
  }

  resume(): void {
    this.paused = false;
    if (this.requested.length) this.trigger();
    else this.schedule();
  }

  private event(id: number, kind: CheckpointEvent['kind'], status: CheckpointEvent['status'], error?: unknown, sizeBytes?: number): void {
    if (!this.o.onEvent) return;
    const startedAt = this.current?.id === id ? this.current.startedAt : undefined;
    const e: CheckpointEvent = { id, kind, status, at: Date.now() };
    if (startedAt !== undefined) e.durationMs = this.clock.now() - startedAt;
    if (sizeBytes !== undefined) e.sizeBytes = sizeBytes;
    if (error !== undefined) e.error = error instanceof Error ? error.message : String(error);
    this.o.onEvent(e);
  }

  /** Requests that can no longer be answered (the job ends). */
  private rejectAll(e: WeirError): void {
    const waiters = [...(this.current?.waiters ?? []), ...this.requested.splice(0)];
    this.current = undefined;
    for (const w of waiters) w.reject(e);
  }

  private stopTimers(): void {
    this.cancelTimer?.();
    this.cancelTimeout?.();
  }

  stop(): void {
    this.stopped = true;
    this.stopTimers();
    this.rejectAll(ended());
  }
}

/** A checkpoint request the job can no longer take; `what` says the job's state. */
export const notRunning = (what: string): WeirError =>
  new WeirError('JOB_NOT_RUNNING', `${what}: no checkpoint can be taken. Fix: request checkpoints while the job runs (before stop() or the end of its input)`);
const ended = (): WeirError => notRunning('the job is ending or has ended');
