/**
 * A sink for the cross-worker latency benchmark: records are
 * `[createdAtWallMs, i]`; it keeps the latency (now - createdAt) of the
 * records that crossed workers and were created after the warm-up, and
 * publishes them at close as one `LatencyReport` per instance.
 *
 * Which records crossed: generator instance g emits the indices i with
 * i % parallelism === g, and instance k of every operator runs on worker
 * k mod workers (bench/jobs/latency.ts uses parallelism = workers = 2), so
 * a record reached sink instance s from the other worker iff i % 2 !== s.
 */
import type { SinkConnector, SinkWriter } from 'weir';

export interface LatencyReport {
  instance: number;
  /** Records this instance saw in all. */
  count: number;
  /** Latency in ms of each record that crossed workers, after the warm-up. */
  crossedMs: number[];
  /** The same for records that stayed on their worker. */
  localMs: number[];
}

const wallNow = (): number => performance.timeOrigin + performance.now();

export function latencySink(warmupUntil: number): SinkConnector<[number, number]> {
  return {
    role: 'sink',
    type: 'bench-latency',
    guarantee: 'none',
    open(ctx): SinkWriter<[number, number]> {
      const crossedMs: number[] = [];
      const localMs: number[] = [];
      let count = 0;
      return {
        write(records) {
          const now = wallNow();
          count += records.length;
          for (const [createdAt, i] of records) {
            if (createdAt < warmupUntil) continue;
            (i % 2 !== ctx.instance ? crossedMs : localMs).push(now - createdAt);
          }
        },
        close() {
          const report: LatencyReport = { instance: ctx.instance, count, crossedMs, localMs };
          ctx.publish([report]);
        },
      };
    },
  };
}
