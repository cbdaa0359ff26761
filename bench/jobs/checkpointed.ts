/**
 * `checkpoint` benchmark job: a keyed stateful count.
 *
 *   generator (parallelism 2, records 0 .. N-1 as numbers)
 *     -> keyBy(i => i % K)
 *     -> process (parallelism 2): per-key count in keyed value state, emits the new count
 *     -> sum sink (parallelism 2, forward from process)
 *
 * On `workers: 2` each worker holds one instance of each operator; the
 * keyed state holds K keys in all (K/2 per instance), checkpointed with
 * every barrier. The sinks sum the emitted counts: for key k seen c_k
 * times that is c_k (c_k + 1) / 2, which the bench checks, so a lost or
 * doubled state update shows.
 * Parameters: WEIR_BENCH_N records (default 2,000,000), WEIR_BENCH_KEYS
 * keys (default 10,000).
 */
import { generator, topology } from 'weir';
import { sumSink } from './sum-sink.js';

const n = Number(process.env.WEIR_BENCH_N ?? 2_000_000);
const keys = Number(process.env.WEIR_BENCH_KEYS ?? 10_000);

export default topology('bench-checkpointed', (t) =>
  t
    .source('in', generator<number>({ count: n, value: (i) => i }), { parallelism: 2 })
    .keyBy((i: number) => i % keys)
    .process<number>(
      (_i, ctx) => {
        const count = ctx.state.value<number>('count', 0);
        const c = count.get()! + 1;
        count.set(c);
        ctx.emit(c);
      },
      { name: 'count-per-key', parallelism: 2 },
    )
    .sink('out', sumSink(), { parallelism: 2 }),
);
