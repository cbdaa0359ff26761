/**
 * Shell of a source actor. It pulls only while its outputs have credit, so a
 * slow downstream stops the source from reading (Kafka: paused partitions).
 * A pull may be async; the task is then busy until it settles. A checkpoint
 * trigger is served between pulls: the position after the last emitted
 * record is the source's snapshot, and the barrier follows those records.
 */
import type { SourceConnector, SourceContext, SourceReader } from '../../../actors/contract.js';
import type { OutputGate } from '../../channel/output-gate.js';
import { MAX_WATERMARK } from '../../channel/watermark.js';
import type { ActorPlan } from '../../plan/plan.js';
import type { TaskEnv, TaskMetrics } from '../env.js';
import type { Task } from './task.js';

export class SourceTask implements Task {
  finished = false;
  private reader: SourceReader | undefined;
  private busy = false;
  private waiting = false;
  private stopRequested = false;
  private closed = false;
  private readonly barriers: number[] = [];
  private cancelWait: (() => void) | undefined;
  private busyMs = 0;
  private recordsIn = 0;

  constructor(
    readonly actor: ActorPlan,
    private readonly connector: SourceConnector,
    private readonly out: OutputGate,
    private readonly ctx: SourceContext,
    private readonly env: TaskEnv,
    private readonly maxPull: number,
  ) {}

  async open(): Promise<void> {
    this.reader = await this.connector.open(this.ctx);
  }

  ready(): boolean {
    if (this.finished || this.busy) return false;
    if (this.barriers.length > 0 || this.stopRequested) return true;
    return !this.waiting && !this.out.blocked;
  }

  requestStop(): void {
    this.stopRequested = true;
    this.cancelWait?.();
    this.waiting = false;
    this.env.wake();
  }

  triggerCheckpoint(id: number): void {
    if (this.finished) return; // its final snapshot stands in for it
    this.barriers.push(id);
    this.env.wake();
  }

  async checkpointComplete(id: number): Promise<void> {
    await this.reader?.checkpointComplete?.(id);
  }

  step(): void {
    if (this.barriers.length > 0) {
      for (const id of this.barriers.splice(0)) {
        this.env.ack(this.actor.id, id, { src: this.reader!.position?.(id) });
        this.out.barrier(id);
      }
      return;
    }
    if (this.stopRequested) return this.finish(false);
    const t0 = this.env.clock.now();
    const result = this.reader!.pull(this.maxPull);
    if (result instanceof Promise) {
      this.busy = true;
      result.then(
        (r) => {
          this.busy = false;
          if (!this.finished) this.handle(r.records, r.done === true, r.waitMs);
          this.env.wake();
        },
        (e) => this.env.fail(this.actor.id, e),
      );
    } else {
      this.handle(result.records, result.done === true, result.waitMs);
    }
    this.busyMs += this.env.clock.now() - t0;
  }

  private handle(records: unknown[], done: boolean, waitMs: number | undefined): void {
    this.out.emitAll(records);
    this.recordsIn += records.length;
    if (done) return this.finish(true);
    // A short pull means the source has nothing more right now: flush (low latency).
    const idle = records.length < this.maxPull;
    this.out.afterStep(idle);
    if (!idle) this.out.armFlush(this.env.timers);
    if ((records.length === 0 || waitMs !== undefined) && !this.stopRequested) {
      this.waiting = true;
      this.cancelWait = this.env.timers.set(Math.max(0, waitMs ?? 1), () => {
        this.waiting = false;
        this.cancelWait = undefined;
        this.env.wake();
      });
    }
  }

  /** `ended`: the input itself ended (not a stop, after which the job resumes from its savepoint). */
  private finish(ended: boolean): void {
    if (this.finished) return;
    // Barriers requested before the end still go out first (they precede the end).
    for (const id of this.barriers.splice(0)) {
      this.env.ack(this.actor.id, id, { src: this.reader!.position?.(id) });
      this.out.barrier(id);
    }
    this.finished = true;
    this.cancelWait?.();
    this.out.cancelFlushTimer();
    // A bounded input ended: event time ends too, so every event-time window and timer fires (as Flink).
    // A stop does not: windows stay open in the savepoint and fire after the job resumes from it
    // (as Flink's stop-with-savepoint without --drain).
    if (ended) this.out.watermark(MAX_WATERMARK, false);
    this.out.endAll();
    this.env.finished(this.actor.id, { src: this.reader!.position?.(Number.MAX_SAFE_INTEGER) });
    // The reader stays open until dispose: the final checkpoint's completion still reaches it
    // (Kafka: commit the final offsets).
  }

  async dispose(): Promise<void> {
    this.cancelWait?.();
    this.out.cancelFlushTimer();
    this.finished = true;
    if (this.closed) return;
    this.closed = true;
    await this.reader?.close?.();
  }

  metrics(): TaskMetrics {
    return {
      actor: this.actor.id,
      recordsIn: this.recordsIn,
      recordsOut: this.out.recordsOut,
      queued: 0,
      backpressuredMs: this.out.backpressuredMs,
      busyMs: this.busyMs,
      finished: this.finished,
      lag: this.reader?.lag?.(),
      unacked: this.reader?.unacked?.(),
      receiveDelayMs: this.reader?.receiveDelayMs?.(),
    };
  }
}
