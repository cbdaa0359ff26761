/**
 * Overload job: an unbounded generator (parallelism 2, as fast as credit
 * allows) -> keyBy -> map (parallelism 2) -> a sink that takes
 * WEIR_BENCH_SINK_MS ms per batch (parallelism 2). The input is always
 * ahead of the sink: memory must stay flat (credit-based backpressure).
 */
import { generator, topology } from 'weir';
import { slowSink } from './slow-sink.js';

const sinkMs = Number(process.env.WEIR_BENCH_SINK_MS ?? 5);

export default topology('bench-overload', (t) =>
  t
    .source('in', generator(), { parallelism: 2 })
    .keyBy((v: string) => v)
    .map((v: string) => `Processed: ${v}`, { parallelism: 2 })
    .sink('out', slowSink(sinkMs), { parallelism: 2 }),
);
