import { installKafkajsFix } from './kafkajs-fix.js';
import { produce } from './produce.js';
import { kafkaSink } from './sink.js';
import { kafkaSource } from './source.js';

// Now, as weir loads: kafkajs' internals can be fixed only before anything loads kafkajs
// (kafkajs-fix.ts). This places module-cache entries; kafkajs itself is loaded on first use.
installKafkajsFix();

export type { KafkaSourceOptions, KafkaRecord, StartFrom, ValueFormat } from './source.js';
export type { KafkaSinkOptions } from './sink.js';
export type { ProduceOptions } from './produce.js';

/**
 * Kafka connectors (kafkajs): `kafka.source({ brokers, topic, ... })`, `kafka.sink({ brokers, topic, exactlyOnce })`,
 * and `kafka.produce({ brokers, topic, count, template }, log)`, the reference producer (`weir produce`).
 */
export const kafka = { source: kafkaSource, sink: kafkaSink, produce };
