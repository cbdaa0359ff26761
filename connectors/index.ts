export { generator, type GeneratorOptions } from './generator.js';
export { stdout } from './stdout.js';
export { collect } from './collect.js';
export { file } from './file/index.js';
export { kafka, type KafkaSourceOptions, type KafkaSinkOptions, type KafkaRecord } from './kafka/index.js';
export { cassandra, type CassandraSinkOptions, type Consistency } from './cassandra/index.js';
export { mqtt, type MqttSourceOptions, type MqttSinkOptions, type MqttMessage } from './mqtt/index.js';
export { redis, type StreamSourceOptions, type StreamSinkOptions, type StreamEntry } from './redis-streams/index.js';
