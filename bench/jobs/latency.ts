/**
 * Cross-worker latency job: generator (parallelism 2, WEIR_BENCH_RATE
 * records/s in all, WEIR_BENCH_N records) -> keyBy(i) -> map (parallelism 2)
 * -> latency sink (parallelism 2). Each record is `[createdAtWallMs, i]`,
 * stamped when the generator makes it; about half cross to the other
 * worker at the keyBy. Run with bufferTimeout 0 and checkpoints on
 * (bench/latency.ts).
 */
import { generator, topology } from 'weir';
import { latencySink } from './latency-sink.js';

const n = Number(process.env.WEIR_BENCH_N ?? 50_000);
const ratePerSec = Number(process.env.WEIR_BENCH_RATE ?? 10_000);
const warmupUntil = Number(process.env.WEIR_BENCH_WARMUP_UNTIL ?? 0);
const wallNow = (): number => performance.timeOrigin + performance.now();

export default topology('bench-latency', (t) =>
  t
    .source('in', generator<[number, number]>({ count: n, ratePerSec, value: (i) => [wallNow(), i] }), { parallelism: 2 })
    .keyBy((r: [number, number]) => r[1])
    .map((r: [number, number]) => r, { parallelism: 2 })
    .sink('out', latencySink(warmupUntil), { parallelism: 2 }),
);
