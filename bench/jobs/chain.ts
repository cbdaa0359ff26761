/**
 * Benchmark 1 job: generator -> map -> counting sink, everything at
 * parallelism 1 (on `workers: 1` the three actors share one worker and talk
 * through in-memory channels). Records: WEIR_BENCH_N (default 2,000,000).
 */
import { generator, topology } from 'weir';
import { countSink } from './count-sink.js';

const n = Number(process.env.WEIR_BENCH_N ?? 2_000_000);

export default topology('bench-chain', (t) =>
  t
    .source('in', generator({ count: n }))
    .map((v: string) => `Processed: ${v}`)
    .sink('out', countSink()),
);
