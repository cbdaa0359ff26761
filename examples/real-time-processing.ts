/**
 * The reference job: "Message 0" .. "Message 99" -> "Processed: <value>" -> stdout.
 *
 * With KAFKA_BROKERS set (e.g. 127.0.0.1:9092) it consumes the Kafka topic
 * `real-time-topic` (see the README for the producer); otherwise the built-in
 * generator emits exactly those 100 messages, so `npm start` needs no service.
 */
import { generator, kafka, stdout, topology } from 'weir';

const brokers = process.env.KAFKA_BROKERS;

export default topology('real-time-processing', (t) =>
  t
    .source('in', brokers ? kafka.source({ brokers, topic: 'real-time-topic', groupId: 'real-time-processing' }) : generator({ count: 100 }))
    .map((v: string) => `Processed: ${v}`)
    .sink('out', stdout()),
);
