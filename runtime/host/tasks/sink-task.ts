/**
 * Shell of a sink actor. Writes may be async; until a write settles the
 * batches it took keep their credit, so a slow sink backpressures the whole
 * pipeline up to the sources.
 *
 * Two-phase commit with checkpoints: when barrier n is aligned the writer's
 * `snapshot(n)` pre-commits what was written since barrier n-1 and its state
 * is acked; `commit(n)` runs once checkpoint n completed everywhere. At end
 * of input the sink pre-commits the rest and reports its final snapshot; it
 * stays open until the final checkpoint's commit, then closes at dispose.
 * Writer calls are serialized: no write overlaps a snapshot or commit, except
 * that a writer with `commitsConcurrently` runs its commits in their own
 * chain beside writes and snapshots.
 */
import type { SinkConnector, SinkContext, SinkWriter } from '../../../actors/contract.js';
import { alignedBarrier, releaseBarrier } from '../../channel/alignment.js';
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
  private closed = false;
  private lastBarrier = 0;
  private readonly cursor = { i: 0 };
  private recordsIn = 0;
  private busyMs = 0;
  /** When the async writer operation in progress started (-1: none); it counts as busy time, as Flink counts a sink's blocking write. */
  private asyncSince = -1;
  /** Serializes async writer calls (writes, snapshots, commits). */
  private chain: Promise<void> = Promise.resolve();
  /** Commits of a writer that `commitsConcurrently`, in order among themselves. */
  private commits: Promise<void> = Promise.resolve();
  /** Of a `commitsConcurrently` writer: the latest checkpoint completed, and the latest its commits covered. */
  private completedUpTo = 0;
  private committedUpTo = 0;

  constructor(
    readonly actor: ActorPlan,
    private readonly connector: SinkConnector,
    private readonly inputs: InputChannel[],
    private readonly ctx: SinkContext,
    private readonly env: TaskEnv,
    /** The restored checkpoint's id: epochs after a restore are numbered above it. */
    restoredFrom = 0,
  ) {
    this.lastBarrier = restoredFrom;
  }

  async open(): Promise<void> {
    this.writer = await this.connector.open(this.ctx);
  }

  ready(): boolean {
    if (this.finished || this.busy || this.ending) return false;
    for (const ch of this.inputs) if (ch.hasData()) return true;
    if (alignedBarrier(this.inputs) !== undefined) return true;
    for (const ch of this.inputs) if (!ch.finished) return false;
    return true;
  }

  /** Run an async writer operation; the task takes no input until it settles. */
  private exclusive(op: () => unknown, then: () => void): void {
    this.busy = true;
    const run = this.chain.then(op);
    this.asyncSince = this.env.clock.now();
    this.chain = run.then(
      () => {
        this.busy = false;
        if (this.asyncSince >= 0) this.busyMs += this.env.clock.now() - this.asyncSince;
        this.asyncSince = -1;
        // Disposed meanwhile (its region was reset): its channels are gone or rebuilt, so a late
        // release would hand credit to the new sender, and it must report nothing.
        if (this.closed) return;
        then();
        this.env.wake();
      },
      (e) => this.env.fail(this.actor.id, e),
    );
  }

  step(): void {
    const t0 = this.env.clock.now();
    const taken: { ch: InputChannel; n: number }[] = [];
    const batches: unknown[][] = [];
    let n = 0;
    let ch: InputChannel | undefined;
    while (n < MAX_WRITE && (ch = nextInput(this.inputs, this.cursor))) {
      const b = ch.take();
      batches.push(b);
      n += b.length;
      const last = taken[taken.length - 1];
      if (last && last.ch === ch) last.n++;
      else taken.push({ ch, n: 1 });
    }
    if (n > 0) {
      // One write of everything queued, joined in one copy (not one concat per batch).
      const records = batches.length === 1 ? batches[0] : ([] as unknown[]).concat(...batches);
      this.recordsIn += n;
      const release = () => {
        for (const t of taken) for (let k = 0; k < t.n; k++) t.ch.release();
      };
      const r = this.writer!.write(records);
      if (r instanceof Promise) this.exclusive(() => r, release);
      else release();
    } else {
      const barrier = alignedBarrier(this.inputs);
      if (barrier !== undefined) {
        this.lastBarrier = barrier;
        const w = this.writer!;
        let state: unknown;
        this.exclusive(
          async () => {
            state = await w.snapshot?.(barrier);
          },
          () => {
            this.env.ack(this.actor.id, barrier, { sink: state });
            releaseBarrier(this.inputs);
          },
        );
      } else {
        this.end();
      }
    }
    this.busyMs += this.env.clock.now() - t0;
  }

  /** All inputs ended: flush and pre-commit the rest; report the final snapshot. */
  private end(): void {
    this.ending = true;
    const w = this.writer!;
    const id = this.lastBarrier + 1;
    let state: unknown;
    this.exclusive(
      async () => {
        await w.flush?.();
        state = await w.snapshot?.(id);
      },
      () => {
        this.finished = true;
        this.env.finished(this.actor.id, { sink: state });
      },
    );
  }

  async checkpointComplete(id: number): Promise<void> {
    const w = this.writer;
    if (!w?.commit) return;
    // Once disposed (its region restarts, or the job fails), a task starts no queued commit: each
    // could take as long as the failure that caused the reset (a broker down: its connect timeout),
    // and the restored writer's snapshot carries their epochs. (At a normal end the final commit is
    // awaited before dispose.)
    if (w.commitsConcurrently) {
      // Coalesced: a commit that was queued behind a slow one commits up to the latest completed
      // checkpoint when its turn comes (one Kafka transaction for the backlog, not one each), and
      // the commits queued after it find nothing left. Checkpoints complete in id order, so every
      // epoch up to that id is in a completed checkpoint.
      this.completedUpTo = Math.max(this.completedUpTo, id);
      const coalesced = async (): Promise<void> => {
        const upTo = this.completedUpTo;
        if (this.closed || upTo <= this.committedUpTo) return;
        await w.commit!(upTo);
        this.committedUpTo = Math.max(this.committedUpTo, upTo);
      };
      const run = this.commits.then(coalesced);
      this.commits = run.catch(() => {});
      return run;
    }
    const run = this.chain.then(() => (this.closed ? undefined : w.commit!(id)));
    this.chain = run.catch(() => {});
    await run;
  }

  async dispose(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.finished = true;
    await this.chain.catch(() => {});
    await this.commits;
    await this.writer?.close?.();
  }

  metrics(): TaskMetrics {
    return {
      actor: this.actor.id,
      recordsIn: this.recordsIn,
      recordsOut: 0,
      queued: queuedRecords(this.inputs),
      backpressuredMs: 0,
      busyMs: this.busyMs + (this.asyncSince >= 0 ? this.env.clock.now() - this.asyncSince : 0),
      finished: this.finished,
    };
  }
}
