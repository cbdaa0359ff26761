/**
 * A sink slower than its input, for the overload benchmark: each write
 * takes WEIR_BENCH_SINK_MS (default 5) ms, asynchronously, so its task
 * stays busy and credit stops the generator. About once a second each
 * instance prints `heap <instance> <usedHeapMB> <records>` on stdout: the
 * used V8 heap of its worker thread and how many records it took so far.
 */
import { getHeapStatistics } from 'node:v8';
import type { SinkConnector, SinkWriter } from 'weir';

export function slowSink(ms: number): SinkConnector<string> {
  return {
    role: 'sink',
    type: 'bench-slow',
    guarantee: 'none',
    open(ctx): SinkWriter<string> {
      let count = 0;
      let lastReport = 0;
      return {
        write(records) {
          count += records.length;
          const now = performance.now();
          if (now - lastReport >= 1000) {
            lastReport = now;
            process.stdout.write(`heap ${ctx.instance} ${(getHeapStatistics().used_heap_size / 2 ** 20).toFixed(2)} ${count}\n`);
          }
          return new Promise<void>((resolve) => setTimeout(resolve, ms));
        },
      };
    },
  };
}
