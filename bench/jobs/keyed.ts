/**
 * Benchmark 2 job: generator (parallelism 2) -> keyBy(value) -> map
 * (parallelism 2) -> counting sink (parallelism 2). On `workers: 2` each
 * worker holds one instance of every operator; keyBy sends about half of the
 * records to the other worker (msgpackr batches over a MessagePort), and
 * map -> sink is a forward, same-worker channel.
 * Records: WEIR_BENCH_N (default 2,000,000).
 */
import { generator, topology } from 'weir';
import { countSink } from './count-sink.js';

const n = Number(process.env.WEIR_BENCH_N ?? 2_000_000);

export default topology('bench-keyed', (t) =>
  t
    .source('in', generator({ count: n }), { parallelism: 2 })
    .keyBy((v: string) => v)
    .map((v: string) => `Processed: ${v}`, { parallelism: 2 })
    .sink('out', countSink(), { parallelism: 2 }),
);
