/**
 * A sink for numeric records that does no I/O: it counts them and sums them
 * (so the bench can check that keyed state was right: see
 * `expectedKeyedSum`), notes when its first and last batch arrived, and when
 * each checkpoint barrier reached it (`snapshot(n)`). At close it publishes
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
      return {
        write(records) {
          if (firstAt < 0) firstAt = wallNow();
          count += records.length;
          for (let i = 0; i < records.length; i++) sum += records[i];
          lastAt = wallNow();
        },
        snapshot(checkpointId) {
          barriers.push([checkpointId, wallNow()]);
          return undefined;
        },
        close() {
          const report: SumReport = { instance: ctx.instance, count, sum, firstAt, lastAt, barriers };
          ctx.publish([report]);
        },
      };
    },
  };
}
