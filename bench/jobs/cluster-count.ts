/**
 * The cluster benchmark's job: a keyed running count, Kafka -> Kafka (two
 * sub-topologies in cluster mode). WEIR_BENCH_CLUSTER: { brokers, input, output }.
 * The sink is exactly-once in single-process mode; cluster mode writes in each task's transaction.
 */
import { kafka, topology } from 'weir';

const cfg = JSON.parse(process.env.WEIR_BENCH_CLUSTER ?? '{}') as { brokers: string; input: string; output: string };

export default topology('bench-cluster-count', (t) =>
  t
    .source('in', kafka.source<string>({ brokers: cfg.brokers, topic: cfg.input, startFrom: 'earliest' }))
    .map((w: string): [string, number] => [w, 1], { name: 'pair' })
    .keyBy(([w]) => w)
    .reduce(([w, a], [, b]) => [w, a + b], { name: 'count' })
    .map(([w, c]) => `${w},${c}`, { name: 'format' })
    .sink('out', kafka.sink<string>({ brokers: cfg.brokers, topic: cfg.output, exactlyOnce: true })),
);
