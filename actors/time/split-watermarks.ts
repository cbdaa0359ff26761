/**
 * Watermarks per split (a Kafka partition), as Flink's KafkaSource with
 * per-partition watermarks: each split has its own bounded-out-of-orderness
 * watermark (its largest timestamp - outOfOrderness - 1); the instance's
 * watermark is the minimum over its splits, leaving out those idle for
 * `idleTimeout` ms, so one partition that runs ahead (or a slow one still
 * catching up) never makes the other's records late.
 *
 * A split counts from its assignment (`assigned`), as in Flink: until its
 * first record it holds the watermark back (an empty partition stalls event
 * time until idleTimeout, Flink's documented behaviour), so the first batch
 * of one partition can never make another's first records late. A split
 * seen before it was announced counts from its first record. A pure core:
 * time is passed in; the assignTimestamps operator owns it.
 *
 * Example:
 *   const w = new SplitWatermarks<number>(0, 5000);
 *   w.record(0, 1000, now); w.record(1, 400, now);
 *   w.watermark(now)          // 399: partition 1 holds it back
 *   w.watermark(now + 5000)   // undefined: both idle (the instance is idle)
 */
export type SplitId = number | string;

interface Split {
  max: number;
  lastAt: number;
}

export class SplitWatermarks<S extends SplitId = SplitId> {
  private readonly splits = new Map<S, Split>();
  /** Maxima restored from a checkpoint, applied when the split shows up again (so it never restarts lower). */
  private readonly restored = new Map<S, number>();

  constructor(
    private readonly outOfOrderness: number,
    private readonly idleTimeout: number | undefined,
  ) {}

  /** The splits the instance was assigned: each counts from `now` (no timestamp yet: it holds the watermark until a record or idleness). */
  assigned(splits: readonly S[], now: number): void {
    for (const k of splits) if (!this.splits.has(k)) this.splits.set(k, { max: this.restored.get(k) ?? Number.NEGATIVE_INFINITY, lastAt: now });
  }

  record(split: S, ts: number, now: number): void {
    const s = this.splits.get(split);
    if (s) {
      if (ts > s.max) s.max = ts;
      s.lastAt = now;
      return;
    }
    const floor = this.restored.get(split) ?? Number.NEGATIVE_INFINITY;
    this.splits.set(split, { max: Math.max(ts, floor), lastAt: now });
  }

  /** Minimum over the active splits' watermarks at `now` (-Infinity while one has no record yet); undefined when none is active. */
  watermark(now: number): number | undefined {
    let min: number | undefined;
    for (const s of this.splits.values()) {
      if (this.idleTimeout !== undefined && now - s.lastAt >= this.idleTimeout) continue;
      const wm = s.max - this.outOfOrderness - 1;
      if (min === undefined || wm < min) min = wm;
    }
    return min;
  }

  /** When the next active split turns idle (its idleness may let the watermark advance), if ever. */
  nextIdleAt(now: number): number | undefined {
    if (this.idleTimeout === undefined) return undefined;
    let next: number | undefined;
    for (const s of this.splits.values()) {
      const at = s.lastAt + this.idleTimeout;
      if (at > now && (next === undefined || at < next)) next = at;
    }
    return next;
  }

  /** Per-split maxima, restored with `restore`. */
  snapshot(): [S, number][] {
    const out = new Map(this.restored);
    for (const [k, s] of this.splits) if (s.max > Number.NEGATIVE_INFINITY) out.set(k, s.max);
    return [...out];
  }

  /** Seed from snapshots; after a rescale several old instances' lists arrive: per split the lowest. */
  restore(lists: readonly (readonly [S, number])[][]): void {
    for (const list of lists) for (const [k, max] of list) this.restored.set(k, Math.min(max, this.restored.get(k) ?? Number.POSITIVE_INFINITY));
  }
}
