/**
 * The checkpoint coordinator's shell (the core is checkpoint/tracker.ts).
 * Every `interval` ms it injects barrier n at the sources; when every actor
 * has acked, it writes the snapshots to the state backend, commits
 * checkpoint n with one atomic write, then tells the workers (sinks commit
 * their pending output) and deletes old checkpoints. One checkpoint is in
 * flight at a time (Flink's default). A checkpoint that cannot be written,
 * or does not complete within the timeout, is declined and the job goes on;
 * past `tolerable` consecutive failures the job fails.
 */
import type { Logger } from '../../actors/contract.js';
import { WeirError } from '../../actors/errors.js';
import type { CheckpointMeta, StateBackend } from '../../supervision/state/backend.js';
import { blobInfo } from '../../supervision/state/checksum.js';
import { blobName, type CheckpointData } from '../checkpoint/restore-plan.js';
import { CheckpointTracker } from '../checkpoint/tracker.js';
import type { ExecutionPlan } from '../plan/plan.js';
import type { Clock } from '../../actors/contract.js';
import { backgroundTimers, realClock, type Timers } from '../host/env.js';
import type { Engine } from './engines.js';

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
  /** Persisting is serialized so commits are in id order. */
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly o: CheckpointerOptions) {
    this.tracker = new CheckpointTracker(o.plan.actors.map((a) => a.id));
    this.clock = o.clock ?? realClock;
    this.timers = o.timers ?? backgroundTimers;
    this.nextId = o.nextId;
    this.lastCompleted = o.restoredFrom;
  }

  start(): void {
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped || this.o.intervalMs <= 0) return;
    this.cancelTimer?.();
    this.cancelTimer = this.timers.set(this.o.intervalMs, () => this.trigger());
  }

  private trigger(): void {
    if (this.stopped || this.paused) return;
    if (this.tracker.inFlight) return this.schedule();
    const id = this.nextId++;
    this.tracker.begin(id, this.clock.now());
    this.o.engine.trigger(id);
    this.cancelTimeout = this.timers.set(this.o.timeoutMs, () => {
      if (this.tracker.inFlight?.id === id) {
        this.tracker.abort();
        this.declined(id, new WeirError('CHECKPOINT_TIMEOUT', `checkpoint ${id} did not complete within ${this.o.timeoutMs} ms`));
        this.schedule();
      }
    });
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
        this.schedule();
      },
      (e) => {
        this.declined(id, e);
        this.schedule();
      },
    );
  }

  private declined(id: number, e: unknown): void {
    this.stats.failed++;
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
    }
  }

  resume(): void {
    this.paused = false;
    this.schedule();
  }

  private stopTimers(): void {
    this.cancelTimer?.();
    this.cancelTimeout?.();
  }

  stop(): void {
    this.stopped = true;
    this.stopTimers();
  }
}
