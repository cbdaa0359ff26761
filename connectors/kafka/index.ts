import { produce } from './produce.js';
import { kafkaSink } from './sink.js';
import { kafkaSource } from './source.js';

export type { KafkaSourceOptions, KafkaRecord, StartFrom, ValueFormat } from './source.js';
export type { KafkaSinkOptions } from './sink.js';
export type { ProduceOptions } from './produce.js';

/**
 * Kafka connectors (kafkajs): `kafka.source({ brokers, topic, ... })`, `kafka.sink({ brokers, topic, exactlyOnce })`,
 * and `kafka.produce({ brokers, topic, count, template }, log)`, the reference producer (`weir produce`).
 */
export const kafka = { source: kafkaSource, sink: kafkaSink, produce };
