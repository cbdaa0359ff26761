/**
 * The Kafka endpoints of a topology's connectors, as cluster mode needs them:
 * kafka.source and kafka.sink expose `kafkaEndpoint` (their topic and
 * encoding), which cluster mode consumes and produces itself, in each task's
 * transaction, instead of opening the connectors.
 */
import type { KafkaSinkEndpoint, KafkaSourceEndpoint } from '../../connectors/kafka/source-sink-endpoints.js';
import type { LogicalNode } from '../dsl/graph.js';
import type { ConnectorTopics } from './subtopologies.js';

export function sourceEndpoint(node: LogicalNode): KafkaSourceEndpoint | undefined {
  const c = node.source as { type?: string; kafkaEndpoint?: KafkaSourceEndpoint } | undefined;
  return c?.type === 'kafka' ? c.kafkaEndpoint : undefined;
}

export function sinkEndpoint(node: LogicalNode): KafkaSinkEndpoint | undefined {
  const c = node.sink as { type?: string; kafkaEndpoint?: KafkaSinkEndpoint } | undefined;
  return c?.type === 'kafka' ? c.kafkaEndpoint : undefined;
}

export const kafkaConnectorTopics: ConnectorTopics = {
  sourceTopic: (n) => sourceEndpoint(n)?.topic,
  isKafkaSink: (n) => sinkEndpoint(n) !== undefined,
};
