import { kafkaSink } from './sink.js';
import { kafkaSource } from './source.js';

export type { KafkaSourceOptions, KafkaRecord, StartFrom, ValueFormat } from './source.js';
export type { KafkaSinkOptions } from './sink.js';

/** Kafka connectors (kafkajs): `kafka.source({ brokers, topic, ... })`, `kafka.sink({ brokers, topic, exactlyOnce })`. */
export const kafka = { source: kafkaSource, sink: kafkaSink };
