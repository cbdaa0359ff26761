/**
 * Shell of a transforming actor (map, filter, flatMap, process, reduce,
 * union, window, ...): takes one input batch per step, runs the operator's
 * pure batch function and returns the batch's credit. When barrier n is
 * aligned on all inputs it snapshots keyed state, timers, the watermark and
 * operator state, forwards the barrier and acks.
 *
 * Time: when a watermark reaches the head of an input, the operator's event
 * time becomes the minimum over its active inputs (watermark-valve.ts); if
 * that advanced, the operator's `onWatermark` fires its timers and the new
 * watermark is forwarded on every output (unless the operator makes its own,
 * as assignTimestamps does). Watermarks never go backwards: the task clamps
 * them, and restores the last one from its checkpoint. Processing-time work
 * (`nextProcessingTime`) is armed on the host's timers and runs as a step.
 */
import type { Operator, OperatorContext, TimeContext } from '../../../actors/contract.js';
import { keyGroupRange } from '../../../actors/key-groups.js';
import type { KeyedSnapshot } from '../../../actors/state/keyed-state.js';
import type { TimerServiceSnapshot } from '../../../actors/time/timer-service.js';
import { combineWatermarks } from '../../../actors/time/watermark-valve.js';
import { MIN_WATERMARK } from '../../channel/watermark.js';
import { alignedBarrier, releaseBarrier } from '../../channel/alignment.js';
import type { InputChannel } from '../../channel/input-channel.js';
import type { OutputGate } from '../../channel/output-gate.js';
import type { ActorPlan } from '../../plan/plan.js';
import type { ActorSnapshot, TaskEnv, TaskMetrics } from '../env.js';
import { nextInput, queuedRecords, type Task } from './task.js';

export class OperatorTask implements Task {
  finished = false;
  private readonly cursor = { i: 0 };
  private recordsIn = 0;
  private busyMs = 0;
  /** Last watermark emitted downstream, and whether it said idle. */
  private outWatermark = MIN_WATERMARK;
  private outIdle = false;
  /**
   * Restored from a checkpoint: the downstream channels are new and have not
   * seen the restored watermark, so it goes out once before anything else.
   * Without this, an operator whose event time already ended (+Infinity)
   * before the checkpoint would never tell its restored downstream, whose
   * event-time timers and windows would then never fire.
   */
  private resendWatermark = false;
  /** Processing time the armed host timer fires at; `ptDue` once it fired. */
  private ptArmedAt: number | undefined;
  private cancelPt: (() => void) | undefined;
  private ptDue = false;

  constructor(
    readonly actor: ActorPlan,
    private readonly op: Operator,
    private readonly inputs: InputChannel[],
    private readonly out: OutputGate,
    private readonly ctx: OperatorContext & { time: TimeContext },
    private readonly env: TaskEnv,
    private readonly restored: ActorSnapshot[] | undefined,
    private readonly maxParallelism: number,
  ) {}

  async open(): Promise<void> {
    this.op.open?.(this.ctx);
    if (this.restored) {
      const range = keyGroupRange(this.actor.instance, this.maxParallelism, this.actor.parallelism);
      const keyed = this.restored.map((s) => s.keyed).filter((k): k is KeyedSnapshot => k !== undefined);
      if (this.ctx.keyedState) this.ctx.keyedState.restore(keyed, range);
      const timers = this.restored.map((s) => s.timers).filter((t): t is TimerServiceSnapshot => t !== undefined);
      this.ctx.timers?.restore(timers, range);
      // Event time resumes where the checkpoint left it (the lowest of the old instances' after a rescale).
      // A snapshot without `wm` is an instance that had no watermark yet: it counts as MIN_WATERMARK, or
      // after a rescale the others' would run ahead of the records it had not yet seen (found by the
      // rescale property: a savepoint early in the run made those records late).
      const wms = this.restored.map((s): [number, number] => s.wm ?? [MIN_WATERMARK, MIN_WATERMARK]);
      if (wms.length) {
        this.ctx.time.watermark = Math.min(...wms.map((w) => w[0]));
        this.outWatermark = Math.min(...wms.map((w) => w[1]));
        this.resendWatermark = this.outWatermark !== MIN_WATERMARK;
      }
      const ops = this.restored.filter((s) => s.op !== undefined).map((s) => s.op);
      if (ops.length) this.op.restore?.(ops);
    }
    this.armProcessingTime();
  }

  ready(): boolean {
    if (this.finished) return false;
    if (alignedBarrier(this.inputs) !== undefined) return true; // barriers need no credit
    if (this.out.blocked) return false;
    if (this.ptDue || this.resendWatermark) return true;
    for (const ch of this.inputs) if (ch.hasData() || ch.watermarkChanged) return true;
    return this.allInputsFinished();
  }

  /** Operators that generate watermarks emit here; monotonic, and repeats are not sent. */
  emitWatermark(ts: number, idle: boolean): void {
    if (ts < this.outWatermark) ts = this.outWatermark;
    if (ts === this.outWatermark && idle === this.outIdle) return;
    this.outWatermark = ts;
    this.outIdle = idle;
    this.out.watermark(ts, idle);
  }

  /** Inputs whose watermark changed: recompute the minimum, fire timers, forward. */
  private advanceWatermark(): void {
    let changed = false;
    for (const ch of this.inputs) {
      if (ch.watermarkChanged) {
        ch.watermarkChanged = false;
        changed = true;
      }
    }
    if (!changed) return;
    const v = combineWatermarks(this.inputs.map((ch) => ({ ts: ch.watermark, idle: ch.idle, finished: ch.finished })));
    const time = this.ctx.time;
    if (v.ts !== undefined && v.ts > time.watermark) {
      time.watermark = v.ts;
      this.op.onWatermark?.(v.ts, this.out);
    }
    if (!this.op.ownsWatermarks) this.emitWatermark(time.watermark, v.idle);
  }

  /** Keep one host timer armed for the operator's next processing-time work. */
  private armProcessingTime(): void {
    const next = this.op.nextProcessingTime?.();
    if (next === this.ptArmedAt) return;
    this.cancelPt?.();
    this.cancelPt = undefined;
    this.ptArmedAt = next;
    if (next === undefined) return;
    const delay = Math.max(0, next - this.ctx.time.processingTime());
    this.cancelPt = this.env.timers.set(delay, () => {
      this.cancelPt = undefined;
      this.ptArmedAt = undefined;
      this.ptDue = true;
      this.env.wake();
    });
  }

  private allInputsFinished(): boolean {
    for (const ch of this.inputs) if (!ch.finished) return false;
    return true;
  }

  step(): void {
    const t0 = this.env.clock.now();
    if (this.resendWatermark && !this.out.blocked) {
      this.resendWatermark = false;
      this.out.watermark(this.outWatermark, this.outIdle);
    }
    const ch = this.out.blocked ? undefined : nextInput(this.inputs, this.cursor);
    if (this.ptDue && !this.out.blocked) {
      this.ptDue = false;
      const now = this.ctx.time.processingTime();
      this.op.onProcessingTime?.(now, this.out);
      if (ch === undefined) this.out.afterStep(true);
    }
    if (ch) {
      const batch = ch.take();
      this.recordsIn += batch.length;
      this.op.processBatch(batch, this.out, ch.inputIndex);
      ch.release();
      let more = false;
      for (const c of this.inputs) if (c.hasData()) more = true;
      this.out.afterStep(!more);
      this.out.armFlush(this.env.timers);
    } else {
      const barrier = alignedBarrier(this.inputs);
      if (barrier !== undefined) {
        this.env.ack(this.actor.id, barrier, this.snapshot());
        releaseBarrier(this.inputs);
        this.out.barrier(barrier);
      } else if (this.allInputsFinished()) {
        this.advanceWatermark();
        this.op.endOfInput?.(this.out);
        this.out.endAll();
        this.finished = true;
        this.cancelPt?.();
        this.env.finished(this.actor.id, this.snapshot());
        this.op.close?.();
        this.busyMs += this.env.clock.now() - t0;
        return;
      }
    }
    if (!this.out.blocked) {
      for (const c of this.inputs) {
        if (c.watermarkChanged) {
          this.advanceWatermark();
          this.out.afterStep(true);
          break;
        }
      }
    }
    if (this.op.nextProcessingTime) this.armProcessingTime();
    this.busyMs += this.env.clock.now() - t0;
  }

  private snapshot(): ActorSnapshot {
    const s: ActorSnapshot = {};
    if (this.ctx.keyedState) s.keyed = this.ctx.keyedState.snapshot();
    const timers = this.ctx.timers?.snapshot();
    if (timers) s.timers = timers;
    if (this.ctx.time.watermark !== MIN_WATERMARK || this.outWatermark !== MIN_WATERMARK) s.wm = [this.ctx.time.watermark, this.outWatermark];
    const op = this.op.snapshot?.();
    if (op !== undefined) s.op = op;
    return s;
  }

  async dispose(): Promise<void> {
    this.out.cancelFlushTimer();
    this.cancelPt?.();
    if (!this.finished) {
      this.finished = true;
      this.op.close?.();
    }
  }

  metrics(): TaskMetrics {
    return {
      actor: this.actor.id,
      recordsIn: this.recordsIn,
      recordsOut: this.out.recordsOut,
      queued: queuedRecords(this.inputs),
      backpressuredMs: this.out.backpressuredMs,
      busyMs: this.busyMs,
      finished: this.finished,
      ...finiteWatermark(this.op.ownsWatermarks ? this.outWatermark : this.ctx.time.watermark),
    };
  }
}

/** Only a finite watermark is shown: none yet (-Infinity) and the end of event time (+Infinity) have no lag. */
const finiteWatermark = (wm: number): { watermark?: number } => (Number.isFinite(wm) ? { watermark: wm } : {});
