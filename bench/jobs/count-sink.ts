/**
 * A sink that does no I/O: it counts records and sums their string lengths
 * (so no stage's work can be optimised away and the bench can check the
 * output), and notes when its first and last batch arrived. At close it
 * publishes one `CountReport` per instance through `ctx.publish`, which the
 * bench reads from `(await handle.done).outputs[sinkName]`.
 */
import type { SinkConnector, SinkWriter } from 'weir';

export interface CountReport {
  instance: number;
  count: number;
  chars: number;
  /** Wall-clock ms (performance.timeOrigin + performance.now()) of the first and last write; -1 if none. */
  firstAt: number;
  lastAt: number;
}

const wallNow = (): number => performance.timeOrigin + performance.now();

export function countSink(): SinkConnector<string> {
  return {
    role: 'sink',
    type: 'bench-count',
    guarantee: 'none',
    open(ctx): SinkWriter<string> {
      let count = 0;
      let chars = 0;
      let firstAt = -1;
      let lastAt = -1;
      return {
        write(records) {
          if (firstAt < 0) firstAt = wallNow();
          count += records.length;
          for (let i = 0; i < records.length; i++) chars += records[i].length;
          lastAt = wallNow();
        },
        close() {
          const report: CountReport = { instance: ctx.instance, count, chars, firstAt, lastAt };
          ctx.publish([report]);
        },
      };
    },
  };
}
