/**
 * What a simulated run did, recorded at the protocol's moments, and the
 * faults pinned to those moments (crash-after-checkpoint,
 * crash-during-restore). The simulation calls it at four points: a
 * checkpoint is triggered, a checkpoint is durable (before the sinks hear of
 * it), the sinks committed it, a recovery restores state. properties.ts
 * places faults inside a fault-free run's timeline and reports coverage from
 * the faulty run's.
 */
import type { Fault } from './faults.js';

export interface RunTimeline {
  /**
   * Checkpoints in completion order, with virtual times; the final one is
   * marked; `midRun` when the sources had emitted records before its barrier;
   * `recordsIn` per operator instance ("op[i]") when it completed.
   */
  checkpoints: { id: number; triggeredAtMs: number; completedAtMs: number; final: boolean; midRun: boolean; recordsIn: Record<string, number> }[];
  /** Recoveries in order: the checkpoint each restored from (undefined: from scratch) and whether a source restored a position past records it had emitted. */
  recoveries: { atMs: number; from: number | undefined; midRun: boolean }[];
  /** Records each operator instance (not sources) took in during its last life. */
  actors: { operator: string; instance: number; worker: number; recordsIn: number }[];
  /** When every actor had finished and the final checkpoint began (faults after it are ignored: the job is ending). */
  endingAtMs?: number;
  /** Workers that host at least one actor (a crash of another one restarts nothing). */
  workers: number[];
  /** Pinned faults that fired, by index in the schedule. */
  fired: number[];
}

type Crash = (worker: number, why: string) => boolean;

/** Per-actor counters as the hosts report them. */
export type ActorCounts = { operator: string; instance: number; worker: number; kind: string; recordsIn: number; recordsOut: number }[];

export class RunProbe {
  readonly timeline: RunTimeline = { checkpoints: [], recoveries: [], actors: [], workers: [], fired: [] };
  private readonly triggered = new Map<number, { at: number; midRun: boolean }>();
  private completed = 0;
  private afterCommit: { worker: number; index: number; n: number }[] = [];
  /** Set by a source that restores a position past emitted records, until the recovery is recorded. */
  private midRun = false;

  constructor(
    private readonly faults: readonly Fault[],
    private readonly now: () => number,
    private readonly crash: Crash,
    private readonly counts: () => ActorCounts,
  ) {}

  trigger(id: number): void {
    const emitted = this.counts().some((a) => a.kind === 'source' && a.recordsOut > 0);
    this.triggered.set(id, { at: this.now(), midRun: emitted });
  }

  /** Checkpoint `id` is durable; returns the workers that crash before their sinks hear of it. */
  durable(id: number, final: boolean): Set<number> {
    const t = this.triggered.get(id);
    const recordsIn: Record<string, number> = {};
    for (const a of this.counts()) if (a.kind !== 'source') recordsIn[`${a.operator}[${a.instance}]`] = a.recordsIn;
    this.timeline.checkpoints.push({ id, triggeredAtMs: t?.at ?? this.now(), completedAtMs: this.now(), final, midRun: !final && (t?.midRun ?? false), recordsIn });
    const skip = new Set<number>();
    if (final) return skip;
    const n = ++this.completed;
    this.faults.forEach((f, index) => {
      if (f.kind !== 'crash-after-checkpoint' || f.checkpoint !== n) return;
      if (!f.beforeSinkCommit) return void this.afterCommit.push({ worker: f.worker, index, n });
      if (this.crash(f.worker, `injected: worker ${f.worker} crashes after checkpoint ${id} is durable, before its sinks commit`)) {
        this.timeline.fired.push(index);
        skip.add(f.worker);
      }
    });
    return skip;
  }

  /** The sinks committed the checkpoint `durable()` announced. */
  committed(id: number): void {
    const due = this.afterCommit;
    this.afterCommit = [];
    for (const d of due) if (this.crash(d.worker, `injected: worker ${d.worker} crashes just after checkpoint ${id} completed`)) this.timeline.fired.push(d.index);
  }

  /** A source restored a position (array sources call this on open). */
  sourceRestored = (emittedBefore: boolean): void => {
    this.midRun ||= emittedBefore;
  };

  /** A recovery restores regions from checkpoint `from`; faults pinned to it fire now. */
  restoring(from: number | undefined): void {
    const nth = this.timeline.recoveries.length + 1;
    this.timeline.recoveries.push({ atMs: this.now(), from, midRun: false });
    this.faults.forEach((f, index) => {
      if (f.kind === 'crash-during-restore' && f.restore === nth && this.crash(f.worker, `injected: worker ${f.worker} crashes during recovery ${nth}`)) this.timeline.fired.push(index);
    });
  }

  /** Every actor finished: the job ends with its final checkpoint. */
  finishing(): void {
    this.timeline.endingAtMs ??= this.now();
  }

  /** The run ended: what each operator instance took in its last life. */
  ended(): void {
    this.timeline.workers = [...new Set(this.counts().map((a) => a.worker))].sort((a, b) => a - b);
    for (const a of this.counts()) if (a.kind !== 'source') this.timeline.actors.push({ operator: a.operator, instance: a.instance, worker: a.worker, recordsIn: a.recordsIn });
  }

  /** The recovery's regions run again: sources have reported what they restored. */
  restored(): void {
    const last = this.timeline.recoveries[this.timeline.recoveries.length - 1];
    if (last) last.midRun = this.midRun;
    this.midRun = false;
  }
}
