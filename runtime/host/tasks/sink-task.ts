/**
 * Shell of a sink actor. Writes may be async; until a write settles the
 * batches it took keep their credit, so a slow sink backpressures the whole
 * pipeline up to the sources.
 */
import type { SinkConnector, SinkContext, SinkWriter } from '../../../actors/contract.js';
import type { InputChannel } from '../../channel/input-channel.js';
import type { ActorPlan } from '../../plan/plan.js';
import type { TaskEnv, TaskMetrics } from '../env.js';
import { nextInput, queuedRecords, type Task } from './task.js';

/** Upper bound of records handed to one write(). */
const MAX_WRITE = 8192;

export class SinkTask implements Task {
  finished = false;
  private writer: SinkWriter | undefined;
  private busy = false;
  private ending = false;
  private readonly cursor = { i: 0 };
  private recordsIn = 0;
  private busyMs = 0;

  constructor(
    readonly actor: ActorPlan,
    private readonly connector: SinkConnector,
    private readonly inputs: InputChannel[],
    private readonly ctx: SinkContext,
    private readonly env: TaskEnv,
  ) {}

  async open(): Promise<void> {
    this.writer = await this.connector.open(this.ctx);
  }

  ready(): boolean {
    if (this.finished || this.busy || this.ending) return false;
    for (const ch of this.inputs) if (ch.hasData()) return true;
    for (const ch of this.inputs) if (!ch.finished) return false;
    return true;
  }

  step(): void {
    const t0 = this.env.clock.now();
    const taken: { ch: InputChannel; n: number }[] = [];
    let records: unknown[] = [];
    let ch: InputChannel | undefined;
    while (records.length < MAX_WRITE && (ch = nextInput(this.inputs, this.cursor))) {
      const b = ch.take();
      records = records.length === 0 ? b : records.concat(b);
      const last = taken[taken.length - 1];
      if (last && last.ch === ch) last.n++;
      else taken.push({ ch, n: 1 });
    }
    if (records.length === 0) {
      this.end();
      return;
    }
    this.recordsIn += records.length;
    const release = () => {
      for (const t of taken) for (let k = 0; k < t.n; k++) t.ch.release();
    };
    const r = this.writer!.write(records);
    if (r instanceof Promise) {
      this.busy = true;
      r.then(
        () => {
          this.busy = false;
          release();
          this.env.wake();
        },
        (e) => this.env.fail(this.actor.id, e),
      );
    } else {
      release();
    }
    this.busyMs += this.env.clock.now() - t0;
  }

  /** All inputs ended: flush and close, then report. */
  private end(): void {
    this.ending = true;
    const w = this.writer!;
    (async () => {
      await w.flush?.();
      await w.close?.();
    })().then(
      () => {
        this.finished = true;
        this.env.sinkFinished(this.actor.id);
      },
      (e) => this.env.fail(this.actor.id, e),
    );
  }

  async dispose(): Promise<void> {
    if (!this.finished && !this.ending) {
      this.finished = true;
      await this.writer?.close?.();
    }
  }

  metrics(): TaskMetrics {
    return {
      actor: this.actor.id,
      recordsIn: this.recordsIn,
      recordsOut: 0,
      queued: queuedRecords(this.inputs),
      backpressuredMs: 0,
      busyMs: this.busyMs,
      finished: this.finished,
    };
  }
}
