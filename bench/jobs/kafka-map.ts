/**
 * `kafka` benchmark job: Kafka -> map -> Kafka.
 *
 *   kafka.source (parallelism 2: partition p to instance p mod 2, read_committed, from the earliest offset)
 *     -> map(v => "Processed: " + v) (parallelism 2, forward)
 *     -> kafka.sink (parallelism 2, forward; exactly-once: one Kafka transaction per
 *        instance and completed checkpoint, or at-least-once: idempotent producer)
 *
 * The bench runs it with `run(path, { workers: 2, parallelism: 2, checkpointInterval: 1000,
 * state: 'memory' })`: each worker holds one instance of each operator. The source is
 * unbounded; the bench stops the job once the output topic holds every record.
 * Parameters (workers inherit process.env, so every thread builds the same topology):
 *   WEIR_BENCH_KAFKA_BROKERS (default 127.0.0.1:9092), WEIR_BENCH_KAFKA_IN, WEIR_BENCH_KAFKA_OUT,
 *   WEIR_BENCH_KAFKA_GROUP (unique per run), WEIR_BENCH_KAFKA_EXACTLY_ONCE ('1' or '0', default '1').
 */
import { kafka, topology } from 'weir';

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`bench/jobs/kafka-map.ts: ${name} is not set`);
  return v;
};

const brokers = process.env.WEIR_BENCH_KAFKA_BROKERS ?? '127.0.0.1:9092';
const exactlyOnce = (process.env.WEIR_BENCH_KAFKA_EXACTLY_ONCE ?? '1') === '1';

export default topology('bench-kafka-map', (t) =>
  t
    .source('in', kafka.source({ brokers, topic: env('WEIR_BENCH_KAFKA_IN'), groupId: env('WEIR_BENCH_KAFKA_GROUP'), startFrom: 'earliest' }))
    // kafka.source is typed `string | KafkaRecord<string>` even without `envelope` (values are strings here)
    .map((v) => `Processed: ${v as string}`)
    .sink('out', kafka.sink({ brokers, topic: env('WEIR_BENCH_KAFKA_OUT'), exactlyOnce })),
);
