/**
 * The checkpoint coordinator's pure core: which checkpoint is pending, which
 * actors acked it, and when it is complete. No timers, no I/O: the
 * checkpointer shell feeds it events and carries out what it returns.
 *
 * Invariants:
 * - checkpoint n completes when every actor acked n, or had already finished
 *   (its final snapshot holds all its input, which includes everything
 *   before barrier n);
 * - acks of an aborted or unknown checkpoint, or from an actor's older
 *   epoch, are ignored;
 * - after a region restarts, its actors' final snapshots are forgotten and
 *   every pending checkpoint is aborted (barriers of the old epoch are gone).
 */
export interface PendingCheckpoint {
  id: number;
  startedAt: number;
  acks: Map<number, Uint8Array>;
}

export class CheckpointTracker {
  private pending: PendingCheckpoint | undefined;
  private readonly finals = new Map<number, Uint8Array>();

  constructor(private readonly actors: readonly number[]) {}

  get inFlight(): PendingCheckpoint | undefined {
    return this.pending;
  }

  begin(id: number, now: number): void {
    if (this.pending) throw new Error(`bug: checkpoint ${id} begun while ${this.pending.id} is pending`);
    this.pending = { id, startedAt: now, acks: new Map() };
  }

  /** Returns the checkpoint's snapshots (by actor) if this ack completed it. */
  ack(actor: number, id: number, snapshot: Uint8Array): Map<number, Uint8Array> | undefined {
    if (!this.pending || this.pending.id !== id) return undefined;
    this.pending.acks.set(actor, snapshot);
    return this.completeIfDone();
  }

  /** An actor finished; returns the pending checkpoint's snapshots if that completed it. */
  finished(actor: number, snapshot: Uint8Array): Map<number, Uint8Array> | undefined {
    this.finals.set(actor, snapshot);
    return this.completeIfDone();
  }

  private completeIfDone(): Map<number, Uint8Array> | undefined {
    const p = this.pending;
    if (!p) return undefined;
    const snaps = new Map<number, Uint8Array>();
    for (const a of this.actors) {
      const s = p.acks.get(a) ?? this.finals.get(a);
      if (!s) return undefined;
      snaps.set(a, s);
    }
    this.pending = undefined;
    return snaps;
  }

  abort(): PendingCheckpoint | undefined {
    const p = this.pending;
    this.pending = undefined;
    return p;
  }

  allFinished(): boolean {
    return this.actors.every((a) => this.finals.has(a));
  }

  /** Every actor's final snapshot (valid once allFinished()). */
  finalSnapshots(): Map<number, Uint8Array> {
    return new Map(this.finals);
  }

  /** These actors are rebuilt from a checkpoint: their finals no longer hold. */
  reset(actors: Iterable<number>): void {
    for (const a of actors) this.finals.delete(a);
    this.pending = undefined;
  }
}
