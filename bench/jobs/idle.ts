/**
 * Benchmark 3 (idle memory) job: an unbounded generator paced to
 * WEIR_BENCH_RATE records/s over all instances (default 10) -> map -> stdout.
 * Run with `--workers 2 --parallelism 2` so both workers host actors.
 */
import { generator, stdout, topology } from 'weir';

const ratePerSec = Number(process.env.WEIR_BENCH_RATE ?? 10);

export default topology('bench-idle', (t) =>
  t
    .source('in', generator({ ratePerSec }))
    .map((v: string) => `Processed: ${v}`)
    .sink('out', stdout()),
);
