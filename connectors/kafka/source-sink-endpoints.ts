/** The endpoint types kafka.source and kafka.sink expose for cluster mode (type-only: runtime/cluster imports no connector code through them). */
export type { KafkaSourceEndpoint } from './source.js';
export type { KafkaSinkEndpoint } from './sink.js';
