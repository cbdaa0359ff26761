/**
 * Shell of a transforming actor (map, filter, flatMap, process, reduce,
 * union): takes one input batch per step, runs the operator's pure batch
 * function and returns the batch's credit. When barrier n is aligned on all
 * inputs it snapshots keyed and operator state, forwards the barrier and acks.
 */
import type { Operator, OperatorContext } from '../../../actors/contract.js';
import { keyGroupRange } from '../../../actors/key-groups.js';
import type { KeyedSnapshot } from '../../../actors/state/keyed-state.js';
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

  constructor(
    readonly actor: ActorPlan,
    private readonly op: Operator,
    private readonly inputs: InputChannel[],
    private readonly out: OutputGate,
    private readonly ctx: OperatorContext,
    private readonly env: TaskEnv,
    private readonly restored: ActorSnapshot[] | undefined,
    private readonly maxParallelism: number,
  ) {}

  async open(): Promise<void> {
    this.op.open?.(this.ctx);
    if (this.restored) {
      const keyed = this.restored.map((s) => s.keyed).filter((k): k is KeyedSnapshot => k !== undefined);
      if (this.ctx.keyedState) this.ctx.keyedState.restore(keyed, keyGroupRange(this.actor.instance, this.maxParallelism, this.actor.parallelism));
      const ops = this.restored.filter((s) => s.op !== undefined).map((s) => s.op);
      if (ops.length) this.op.restore?.(ops);
    }
  }

  ready(): boolean {
    if (this.finished) return false;
    if (alignedBarrier(this.inputs) !== undefined) return true; // barriers need no credit
    if (this.out.blocked) return false;
    for (const ch of this.inputs) if (ch.hasData()) return true;
    return this.allInputsFinished();
  }

  private allInputsFinished(): boolean {
    for (const ch of this.inputs) if (!ch.finished) return false;
    return true;
  }

  step(): void {
    const t0 = this.env.clock.now();
    const ch = this.out.blocked ? undefined : nextInput(this.inputs, this.cursor);
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
        this.op.endOfInput?.(this.out);
        this.out.endAll();
        this.finished = true;
        this.env.finished(this.actor.id, this.snapshot());
        this.op.close?.();
      }
    }
    this.busyMs += this.env.clock.now() - t0;
  }

  private snapshot(): ActorSnapshot {
    const s: ActorSnapshot = {};
    if (this.ctx.keyedState) s.keyed = this.ctx.keyedState.snapshot();
    const op = this.op.snapshot?.();
    if (op !== undefined) s.op = op;
    return s;
  }

  async dispose(): Promise<void> {
    this.out.cancelFlushTimer();
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
    };
  }
}
