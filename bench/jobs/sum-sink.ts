/**
 * A sink for numeric records that does no I/O: it counts them and sums them
 * (so the bench can check that keyed state was right: see
 * `expectedKeyedSum`), notes when its first and last batch arrived, and when
 * each checkpoint barrier reached it (`snapshot(n)`), and how many records
 * arrived in each 100 ms of wall-clock time (so the bench can leave the JIT's
 * warm-up out of a steady-state rate). At close it publishes
 * one `SumReport` per instance through `ctx.publish`.
 */
import type { SinkConnector, SinkWriter } from 'weir';

export interface SumReport {
  instance: number;
  count: number;
  sum: number;
  /** Wall-clock ms (performance.timeOrigin + performance.now()) of the first and last write; -1 if none. */
  firstAt: number;
  lastAt: number;
  /** [checkpoint id, wall-clock ms] of each barrier that reached this instance (the last one is the final snapshot). */
  barriers: [number, number][];
  /** Records per 100 ms bin: [bin (wall-clock ms / 100, floored), records written in it]. */
  bins: [number, number][];
}

/** Width of a `bins` bin, ms. */
export const BIN_MS = 100;

/** The sinks' bins added up: bin -> records. */
export function mergeBins(reports: readonly SumReport[]): Map<number, number> {
  const bins = new Map<number, number>();
  for (const r of reports) for (const [b, c] of r.bins) bins.set(b, (bins.get(b) ?? 0) + c);
  return bins;
}

/** Records in the whole bins inside [fromMs, toMs] (wall clock), and the ms those bins span. */
export function binnedRecords(bins: ReadonlyMap<number, number>, fromMs: number, toMs: number): { records: number; ms: number } {
  let records = 0;
  let ms = 0;
  for (let b = Math.ceil(fromMs / BIN_MS); (b + 1) * BIN_MS <= toMs; b++) {
    records += bins.get(b) ?? 0;
    ms += BIN_MS;
  }
  return { records, ms };
}

const wallNow = (): number => performance.timeOrigin + performance.now();

export function sumSink(): SinkConnector<number> {
  return {
    role: 'sink',
    type: 'bench-sum',
    guarantee: 'none',
    open(ctx): SinkWriter<number> {
      let count = 0;
      let sum = 0;
      let firstAt = -1;
      let lastAt = -1;
      const barriers: [number, number][] = [];
      const bins = new Map<number, number>();
      return {
        write(records) {
          if (firstAt < 0) firstAt = wallNow();
          count += records.length;
          for (let i = 0; i < records.length; i++) sum += records[i];
          lastAt = wallNow();
          const bin = Math.floor(lastAt / BIN_MS);
          bins.set(bin, (bins.get(bin) ?? 0) + records.length);
        },
        snapshot(checkpointId) {
          barriers.push([checkpointId, wallNow()]);
          return undefined;
        },
        close() {
          const report: SumReport = { instance: ctx.instance, count, sum, firstAt, lastAt, barriers, bins: [...bins] };
          ctx.publish([report]);
        },
      };
    },
  };
}
